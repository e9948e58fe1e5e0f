"""A challenge form filled in LibreOffice Calc (through tests/lo_calc.py, as a group member
would type it): Calc's own validity check accepts the drop-down choices and flags a unit typed
that is not on the list, and the file Calc saves imports, the bad row reported at its cell.
Skipped when LibreOffice or python3-uno is missing (as tests/test_libreoffice.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from esps_cli.community.forms import issue_forms
from esps_cli.community.importing import import_challenges, lookup
from esps_cli.domain.community import CommunityGroup
from esps_cli.register import Register
from esps_cli.register.challenges import challenges
from esps_cli.summary.standing import build_summary
from esps_cli.validation.report import BatchReport
from esps_cli.workbook.layout import CHALLENGE_TABLE, cell_ref

from .conftest import CYCLE
from .test_libreoffice import _REASON, run_driver

if _REASON:
    pytest.skip(f"LibreOffice tests skipped: {_REASON}", allow_module_level=True)


def cell(key: str, offset: int = 0) -> str:
    return cell_ref(CHALLENGE_TABLE.first_data_row + offset,
                    CHALLENGE_TABLE.columns.index(CHALLENGE_TABLE.column(key)) + 1)


def test_a_form_filled_in_calc(tmp_path: Path, framework: Any, units: Any,
                               advisors: Any) -> None:
    chosen = [u for u in units if u.code in ("TP-EK", "TP-CW")]
    empty = BatchReport(framework_id=framework.meta.id,
                        framework_version=framework.meta.version, checked_on=date(2011, 1, 1))
    report = build_summary(framework, CYCLE, chosen, empty, {}, {}, advisors, public=True)
    group = CommunityGroup(id="west", name="Westminster CPEG", units=("TP-CW", "TP-EK"),
                           contact="chair@example.org")
    with Register.open(tmp_path / "esps.db") as reg:
        issue_forms(reg, report, framework, [group], tmp_path / "forms", response_days=28,
                    return_to="esps@example.org")
    form = tmp_path / "forms" / f"challenge-form_west_{CYCLE}.xlsx"
    sheet = CHALLENGE_TABLE.sheet
    typed = [("unit", 0, "Westminster"), ("subject", 0, "Theme: Operational Delivery"),
             ("challenged", 0, "Nobody told us about the community engagement plan."),
             ("reply", 0, "At a meeting"),
             ("unit", 1, "Atlantis"), ("subject", 1, "Theme: Operational Delivery"),
             ("challenged", 1, "A unit that is not on the list")]
    saved = tmp_path / "filled-in-calc.xlsx"
    report_json = run_driver([{
        "input": str(form), "output": str(saved), "audit": True,
        "edits": [{"op": "type", "sheet": sheet, "cell": cell(k, o), "text": t}
                  for k, o, t in typed]}], tmp_path)
    invalid = {(c["sheet"], c["cell"]) for c in report_json["jobs"][0]["invalid_cells"]}
    assert invalid == {(sheet, cell("unit", 1))}  # only the unit not in the drop-down
    with Register.open(tmp_path / "esps.db") as reg:
        result = import_challenges(reg, [saved], lookup(framework, CYCLE, chosen, [group],
                                                         date(2011, 2, 1)), date(2011, 2, 1))
        recorded = challenges(reg, CYCLE)
    assert [(f.code, f.sheet, f.cell) for f in result.findings] == [
        ("challenge-unknown-unit", sheet, cell("unit", 1))]
    assert [(c.unit, c.theme, c.reply_by) for c in recorded] == [("TP-CW", "OD", "meeting")]
