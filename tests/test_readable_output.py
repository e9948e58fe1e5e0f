"""`esps validate`'s text report reads well at any size (issue 16): findings by indicator, one
line for the indicators not started (and for many answered with no evidence), findings alike
on many rows gathered into one line with a count, `--verbose` for every finding; JSON and CSV
always carry every finding."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register
from esps_cli.reports.text import COLLAPSE_AT
from esps_cli.workbook.samples import evidence_rows_for, fill_cover, fill_evidence, fill_indicators

from .conftest import CYCLE

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def validate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", *args])
    return result.exit_code, result.stdout


def finding_lines(text: str, code: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith(f"[{code}]")]


def fill(path: Path, framework: Framework, *, not_started: set[str] = frozenset(),
         no_evidence: set[str] = frozenset(), no_narrative: set[str] = frozenset()
         ) -> list[str]:
    """Fill a blank return as a unit would, leaving some indicators not started and some
    answered without evidence; the cycle's indicator ids."""
    cycle = framework.cycle(CYCLE)
    ids = [ind.id for ind in framework.cycle_indicators(cycle)]
    wb = openpyxl.load_workbook(path)
    fill_cover(wb)
    fill_indicators(wb, framework,
                    ratings=lambda _i, ind: None if ind.id in not_started else 3,
                    narratives=lambda _i, ind: None if ind.id in not_started | no_narrative
                    else "x" * (ind.evidence.min_narrative_chars + 5))
    fill_evidence(wb, evidence_rows_for(framework, cycle, skip=not_started | no_evidence))
    wb.save(path)
    return ids


def test_a_blank_return_is_a_few_lines_and_verbose_lists_every_finding(blank_workbook):
    code, text = validate(str(blank_workbook))
    assert code == 1
    assert "none of the 54 indicators started: no rating, no narrative, no evidence" in text
    assert finding_lines(text, "missing-rating") == []
    assert finding_lines(text, "too-few-evidence") == []
    assert len(text.splitlines()) < 25  # was 114 findings, one a line

    _, verbose = validate(str(blank_workbook), "--verbose")
    data = json.loads(validate(str(blank_workbook), "--format", "json")[1])
    findings = data["workbooks"][0]["findings"]
    assert len(finding_lines(verbose, "missing-rating")) == 54 == sum(
        f["code"] == "missing-rating" for f in findings)
    assert len(findings) == data["totals"]["errors"] + data["totals"]["warnings"]
    rows = list(csv.DictReader(io.StringIO(validate(str(blank_workbook), "--format", "csv")[1])))
    assert len(rows) == len(findings)


@pytest.fixture
def return_with(blank_workbook: Path, framework: Framework):
    def make(**kwargs: object) -> Path:
        fill(blank_workbook, framework, **kwargs)  # type: ignore[arg-type]
        return blank_workbook
    return make


@pytest.mark.parametrize("count", [COLLAPSE_AT - 1, COLLAPSE_AT])
def test_not_started_boundary(return_with, framework, count):
    ids = [ind.id for ind in framework.cycle_indicators(framework.cycle(CYCLE))]
    skipped = ids[5:5 + count]
    code, text = validate(str(return_with(not_started=set(skipped))))
    assert code == 1
    if count < COLLAPSE_AT:
        for ind in skipped:
            assert re.search(rf"error +Indicators!A\d+ +{re.escape(ind)} not started: no "
                             "rating, no narrative, no evidence$", text, re.M), text
        assert "indicators not started" not in text
    else:
        assert (f"{count} indicators not started (no rating, no narrative, no evidence): "
                f"{', '.join(skipped)}") in text
    assert finding_lines(text, "missing-rating") == []
    assert finding_lines(text, "narrative-too-short") == []


@pytest.mark.parametrize("count", [COLLAPSE_AT - 1, COLLAPSE_AT])
def test_answered_without_evidence_boundary(return_with, framework, count):
    ids = [ind.id for ind in framework.cycle_indicators(framework.cycle(CYCLE))]
    bare = ids[10:10 + count]
    code, text = validate(str(return_with(no_evidence=set(bare))))
    assert code == 1
    lines = finding_lines(text, "too-few-evidence")
    if count < COLLAPSE_AT:
        assert [re.search(r"(\S+) needs at least", line).group(1) for line in lines] == bare
    else:
        assert lines == []
        assert f"{count} indicators answered, but no evidence listed: {', '.join(bare)}" in text


def test_a_partly_done_indicator_shows_its_details(return_with, framework):
    ids = [ind.id for ind in framework.cycle_indicators(framework.cycle(CYCLE))]
    path = return_with(no_narrative={ids[0]})  # rated, with evidence, no narrative
    code, text = validate(str(path))
    assert code == 1
    (line,) = finding_lines(text, "narrative-too-short")
    assert f"{ids[0]} has no narrative" in line
    assert "not started" not in text


@pytest.mark.parametrize("rows", [COLLAPSE_AT - 1, COLLAPSE_AT, 30])
def test_rows_alike_are_one_line_with_a_count(return_with, framework, rows):
    path = return_with()
    ids = [ind.id for ind in framework.cycle_indicators(framework.cycle(CYCLE))]
    wb = openpyxl.load_workbook(path)
    first = fill_evidence(wb, [{"indicator_id": ids[0], "title": f"note {i}", "type": "Report",
                                "date": "01/07/2010"} for i in range(rows)])
    wb.save(path)
    code, text = validate(str(path))
    assert code == 1
    lines = finding_lines(text, "evidence-incomplete")
    if rows < COLLAPSE_AT:
        assert len(lines) == rows
        assert "more like it" not in text
    else:
        assert len(lines) == 1 and f"evidence row {first} is missing" in lines[0]
        cells = ", ".join(f"E{first + i}" for i in range(1, 4))
        more = ", …" if rows - 1 > 3 else ""
        assert f"… and {rows - 1} more like it: {cells}{more}\n" in text
    _, verbose = validate(str(path), "--verbose")
    assert len(finding_lines(verbose, "evidence-incomplete")) == rows


def test_units_not_returned_one_line_per_business_group(tmp_path):
    returned = EXAMPLES_DIR / "returned"
    _, text = validate(str(returned), "--units", str(EXAMPLES_DIR / "units.csv"))
    assert re.search(r"^  TP \(\d+\): TP-GD, TP-HT, ", text, re.M)
    assert "TP-GD Hackney (TP)" not in text
    _, verbose = validate(str(returned), "--units", str(EXAMPLES_DIR / "units.csv"),
                          "--verbose")
    assert "TP-GD Hackney (TP)" in verbose


def test_a_spreadsheet_that_is_not_a_return_is_one_finding_naming_its_sheets(tmp_path):
    path = tmp_path / "budget 2010-11.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Budget 2010"
    wb.active["A1"] = "Overtime"
    wb.create_sheet("Notes")
    wb.save(path)
    code, text = validate(str(path), "--format", "json")
    assert code == 1
    (report,) = json.loads(text)["workbooks"]
    (f,) = report["findings"]
    assert f["code"] == "not-a-return" and f["severity"] == "error"
    assert f["message"] == (
        "budget 2010-11.xlsx is not an ESPS workbook: none of its sheets is one a return has "
        "(it has 'Budget 2010', 'Notes'; a return has 'Cover', 'Indicators' and 'Evidence')")


def test_a_return_missing_one_sheet_still_says_which(blank_workbook, edit):
    # one sheet of ours is enough to be treated as a (damaged) return
    edit(blank_workbook, lambda wb: wb.remove(wb["Evidence"]))
    data = json.loads(validate(str(blank_workbook), "--format", "json")[1])
    codes = [f["code"] for f in data["workbooks"][0]["findings"]]
    assert "not-a-return" not in codes and "missing-sheet" in codes


def test_score_import_gathers_one_problem_on_many_rows(tmp_path):
    rows = (EXAMPLES_DIR / "scores.csv").read_text(encoding="utf-8").splitlines()
    scores = tmp_path / "scores.csv"
    scores.write_text("\n".join([rows[0] + ",cycle", *(r + ",2011-12" for r in rows[1:6])])
                      + "\n", encoding="utf-8")
    common = ["--any-unlinked", "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
              "--register", str(tmp_path / "esps.db")]
    Register.open(tmp_path / "esps.db").close()  # --register names an existing register
    result = runner.invoke(app, ["score", "import", str(scores), *common])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "is not 2010-11" in line]
    assert lines == [f"  - {scores} row 2: cycle 2011-12 is not 2010-11"]
    assert "    … and 4 more like it: row 3, row 4, row 5, … (--format csv lists every one)" \
        in result.stdout
    table = runner.invoke(app, ["score", "import", str(scores), *common, "--format", "csv"])
    assert table.stdout.count("is not 2010-11") == 5
