"""Unreadable returns belong to their unit (issue 11, point 4).

A file that cannot be read but whose name says whose it is (the CODE_Name_CYCLE convention, or
one unit code as a word) is that unit's return with status `unreadable`, in validate, the
summary, its exceptions and the Board report: not "not returned".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.summary.standing import build_summary
from esps_cli.validation.batch import validate_paths

from .conftest import CYCLE

runner = CliRunner()
RETURNED = EXAMPLES_DIR / "returned"
UNITS = str(EXAMPLES_DIR / "units.csv")
BROKEN = {"TP-NI": "TP-NI_Islington_2010-11.xlsx", "TP-RP": "TP-RP_Royal-Parks-OCU_2010-11.xlsx"}


def test_validate_counts_an_unreadable_return_for_its_unit(framework: Framework,
                                                            units: list[Unit]):
    batch = validate_paths([RETURNED], framework, units=units)
    by_file = {wb.file: wb for wb in batch.workbooks}
    for code, name in BROKEN.items():
        wb = by_file[name]
        assert (wb.readable, wb.unit_code, wb.cycle) == (False, code, CYCLE)
        assert [f.code for f in wb.findings] == ["unreadable-file"]
    not_returned = {u.code for u in batch.not_returned}
    assert not (set(BROKEN) & not_returned)
    assert "TP-NI" in batch.returns_by_unit(CYCLE)
    assert batch.totals.units_returned == 6 and batch.totals.unreadable == 2
    assert not any(f.code == "unit-not-returned" and code in f.message
                   for f in batch.findings for code in BROKEN)


def test_validate_cli_lists_the_unit_of_an_unreadable_file():
    result = runner.invoke(app, ["validate", str(RETURNED), "--units", UNITS, "--format",
                                 "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    rows = {wb["file"]: (wb["unit_code"], wb["readable"]) for wb in data["workbooks"]}
    assert rows[BROKEN["TP-NI"]] == ("TP-NI", False)
    assert "TP-NI" not in {u["code"] for u in data["not_returned"]}
    text = runner.invoke(app, ["validate", str(RETURNED), "--units", UNITS]).stdout
    assert "TP-NI_Islington_2010-11.xlsx (TP-NI Islington, 2010-11): UNREADABLE" in text


def test_a_name_that_names_no_unit_leaves_it_not_returned(tmp_path: Path, framework: Framework,
                                                           units: list[Unit]):
    (tmp_path / "scan 0042.xlsx").write_text("not a workbook")
    (tmp_path / "Islington TP-NI return.xlsx").write_text("not a workbook either")
    batch = validate_paths([tmp_path], framework, units=units)
    by_file = {wb.file: wb.unit_code for wb in batch.workbooks}
    assert by_file == {"scan 0042.xlsx": "", "Islington TP-NI return.xlsx": "TP-NI"}
    assert "TP-NI" not in {u.code for u in batch.not_returned}
    assert len(batch.not_returned) == len(units) - 1


def test_an_unreadable_file_beside_a_readable_return_is_a_duplicate(
        tmp_path: Path, framework: Framework, units: list[Unit]):
    shutil.copy(RETURNED / "TP-EK_Camden_2010-11.xlsx", tmp_path)
    (tmp_path / "TP-EK_Camden_2010-11 (resent).xlsx").write_text("From: Camden\n")
    batch = validate_paths([tmp_path], framework, units=units)
    dupes = sorted(f.file for f in batch.findings if f.code == "duplicate-return")
    assert dupes == ["TP-EK_Camden_2010-11 (resent).xlsx", "TP-EK_Camden_2010-11.xlsx"]


def test_summary_exceptions_and_board_report_say_unreadable(
        framework: Framework, units: list[Unit], advisors: list[Advisor], tmp_path: Path):
    batch = validate_paths([RETURNED], framework, units=units)
    report = build_summary(framework, CYCLE, units, batch, {}, {}, advisors)
    status = {s.unit_code: s for s in report.units}
    for code, name in BROKEN.items():
        assert (status[code].status, status[code].returned, status[code].readable) == (
            "unreadable", True, False)
        assert status[code].return_files == [name]
    exceptions = {(e.unit_code, e.category): e.detail for e in report.exceptions}
    assert exceptions[("TP-NI", "unreadable")] == (
        "TP-NI_Islington_2010-11.xlsx cannot be read: ask the unit to send it again")
    assert ("TP-NI", "not-returned") not in exceptions
    assert report.organisation.returned == 6
    board = tmp_path / "board.xlsx"
    result = runner.invoke(app, ["summary", "--returns", str(RETURNED), "--units", UNITS,
                                 "--cycle", CYCLE, "--output", str(board),
                                 "--register", str(tmp_path / "esps.db")])
    assert result.exit_code == 1, result.output
    ws = openpyxl.load_workbook(board)["Units"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2,
                                                                            values_only=True)}
    assert rows["TP-NI"]["Status"] == "Unreadable return"  # the Board pack's words
    exc = openpyxl.load_workbook(board)["Exceptions"]
    assert ("TP-RP", "Unreadable return") in {(r[0], r[3])
                                              for r in exc.iter_rows(values_only=True)}
