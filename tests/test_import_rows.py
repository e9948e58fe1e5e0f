"""A CSV import checks each distinct cell text once and each assessor once per role and unit
(issue 16's import speed-up): every row with a bad cell is still a finding of its own, and a
verdict is never carried over to a row it does not apply to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Register, RegisterRuleError
from esps_cli.scoring.csv_import import import_csv
from esps_cli.scoring.record import record_score
from esps_cli.scoring.roster import Roster

from .conftest import CYCLE
from .packs import record_returns
from .test_startup import heavy, imported_modules

HEADER = "unit,indicator,role,assessor,score,comment\n"


@pytest.fixture
def roster(framework: Framework, units: list[Unit], advisors: list[Advisor]) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


@pytest.fixture
def reg(register_at: str, units: list[Unit]) -> Iterator[Register]:
    with Register.open(register_at) as register:
        record_returns(register, [u.code for u in units])
        yield register


def test_the_same_bad_cell_on_many_rows_is_a_finding_at_each_row(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit, second = units[0], units[1]
    other = next(u.linked_dcfa for u in units if u.linked_dcfa != unit.linked_dcfa)
    i = roster.indicator_list  # indicators assessed in the cycle
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + (
        f"NOPE,{i[0]},linked,{unit.linked_dcfa},3,\n"          # 2
        f"{unit.code},{i[0]},linked,{unit.linked_dcfa},9,\n"   # 3
        f"{unit.code},{i[1]},Boss,{unit.linked_dcfa},3,\n"     # 4
        f"{unit.code},{i[2]},linked,{other},3,\n"              # 5
        f"{unit.code},{i[3]},linked,{unit.linked_dcfa},3,ok\n"  # 6: a good row between
        f"NOPE,{i[1]},linked,{unit.linked_dcfa},3,\n"          # 7
        f"{unit.code},{i[4]},linked,{unit.linked_dcfa},9,\n"   # 8
        f"{second.code},{i[1]},Boss,{second.linked_dcfa},3,\n"  # 9
        f"{unit.code},{i[5]},linked,{other},3,\n"              # 10
        f"{unit.code},{i[6]},linked\n"                         # 11: a short row
        f" {unit.code} ,{i[7]},LINKED, {unit.linked_dcfa} , 4 ,good \n"  # 12: fine, spaced
    ), encoding="utf-8")
    result = import_csv(reg, roster, path)
    assert result.status == "rejected"
    wrong = (f"{other} is not the linked DCFA of {unit.code} ({unit.linked_dcfa} per the units "
             "list); linked scores come only from the unit's linked DCFA")
    assert [(p.row, p.code, p.message) for p in result.problems] == [
        (2, "score-unknown-unit", "unknown unit 'NOPE' (not in the units list)"),
        (3, "score-invalid", "score 9 is not on the scale 1-4"),
        (4, "score-unknown-role", "unknown role 'Boss' (use linked, unlinked or moderated)"),
        (5, "score-wrong-assessor", wrong),
        (7, "score-unknown-unit", "unknown unit 'NOPE' (not in the units list)"),
        (8, "score-invalid", "score 9 is not on the scale 1-4"),
        (9, "score-unknown-role", "unknown role 'Boss' (use linked, unlinked or moderated)"),
        (10, "score-wrong-assessor", wrong),
        (11, "score-unknown-assessor", "unknown assessor '' (not in the advisors list)"),
        (11, "score-invalid", "score is blank"),
    ]
    assert reg.event_count() == 0
    # without the bad rows, the spaced row is read as its trimmed values
    path.write_text(HEADER + f" {unit.code} ,{i[7]},LINKED, {unit.linked_dcfa} , 4 ,good \n",
                    encoding="utf-8")
    assert import_csv(reg, roster, path).recorded == 1
    event = reg.current(CYCLE, unit.code, i[7]).linked
    assert event is not None
    assert (event.assessor, event.score, event.comment) == (unit.linked_dcfa, 4, "good")


def test_a_unit_has_one_unlinked_assessor_and_its_moderator_is_a_third(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    """--any-unlinked no longer lets a second unlinked assessor score part of a unit (issue
    24: the database refuses it); the one who gave the unit's unlinked scores cannot
    moderate them, row by row."""
    unit = units[0]
    ids = sorted({u.linked_dcfa for u in units} - {unit.linked_dcfa})
    allocated, moderator = ids[0], ids[1]
    reg.allocate(CYCLE, {unit.code: allocated}, seed=None)
    for indicator in ("OD1.1", "OD1.2"):
        record_score(reg, roster, unit=unit.code, indicator=indicator, role="linked", score=3,
                     assessor=unit.linked_dcfa)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=1,
                 assessor=moderator, comment="no plan", any_unlinked=True)
    with pytest.raises(RegisterRuleError, match="a unit has one unlinked assessor a cycle"):
        record_score(reg, roster, unit=unit.code, indicator="OD1.2", role="unlinked", score=1,
                     assessor=allocated, comment="no plan", any_unlinked=True)
    path = tmp_path / "moderations.csv"
    path.write_text(HEADER + f"{unit.code},OD1.1,moderated,{moderator},2,agreed at panel\n",
                    encoding="utf-8")
    result = import_csv(reg, roster, path)
    assert [(p.row, p.code) for p in result.problems] == [
        (2, "score-moderator-not-independent")]
    assert reg.event_count() == 3


def test_a_csv_import_loads_no_workbook_library(tmp_path: Path, units: list[Unit]) -> None:
    """openpyxl (and numpy under it) take ~0.15 s to load: a CSV import does not need them."""
    register = tmp_path / "esps.db"
    with Register.open(register) as reg:
        record_returns(reg, [units[0].code])
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + f"{units[0].code},OD1.1,linked,{units[0].linked_dcfa},3,\n",
                    encoding="utf-8")
    modules, done = imported_modules("score", "import", str(path), "--register",
                                     str(register), "--cycle", CYCLE, "--units",
                                     str(EXAMPLES_DIR / "units.csv"))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "esps_cli.scoring.importing" in modules
    assert heavy(modules, ("openpyxl", "numpy", "esps_cli.workbook.scoring_pack")) == []


def test_a_folder_import_reports_its_progress_file_by_file(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    """`esps score import FOLDER` shows a progress bar (issue 16): it is fed once per file."""
    from esps_cli.scoring.pack_import import import_path

    unit = units[0]
    folder = tmp_path / "scores"
    folder.mkdir()
    for n, indicator in enumerate(("OD1.1", "OD1.2", "OD1.3")):
        (folder / f"part{n}.csv").write_text(
            HEADER + f"{unit.code},{indicator},linked,{unit.linked_dcfa},3,\n", encoding="utf-8")
    (folder / "~$part0.csv").write_text("lock file", encoding="utf-8")  # Excel's: skipped
    seen: list[tuple[int, int]] = []
    results = import_path(reg, roster, folder, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [r.recorded for r in results] == [1, 1, 1]
    # one file is no batch: no bar flashing 1/1 as it ends
    seen.clear()
    import_path(reg, roster, folder / "part0.csv", on_progress=lambda d, t: seen.append((d, t)))
    assert seen == []
