"""Marked-up copies (`esps validate --annotate DIR`): the unit's own workbook with its findings.

Every test works on real generated workbooks, filled as a unit would (workbook/samples.py), and
checks the copy with openpyxl and with the validator itself: the copy must keep everything
the original relies on and validate to exactly the same findings.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from rich.console import Console
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Unit
from esps_cli.findings.groups import group_findings
from esps_cli.reports.validation import print_text
from esps_cli.validation.report import BatchReport, WorkbookReport
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.annotate import (
    COMMENT_AUTHOR,
    FINDINGS_SHEET,
    HEADER_ROW,
    MARK_FILLS,
    mark_up_returns,
    mark_up_workbook,
    marked_up_name,
)
from esps_cli.workbook.generate import INPUT_FILL, workbook_filename
from esps_cli.workbook.layout import EVIDENCE, INDICATORS, SHEET_COVER, SHEET_META
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE, edit_workbook

TODAY = date(2010, 9, 1)
runner = CliRunner()


def check(path: Path, framework: Framework) -> WorkbookReport:
    return validate_workbook(path, framework, today=TODAY)


def same_findings(report: WorkbookReport) -> list[tuple[str, ...]]:
    """Findings as compared between a return and its copy (the file name aside)."""
    return [(f.code, f.severity, f.sheet, f.cell, f.indicator_id,
             f.message.replace(report.file, "FILE"), f.hint) for f in report.findings]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def returned(blank_workbook: Path, framework: Framework) -> Callable[[str], Path]:
    def make(kind: str) -> Path:
        return fill_file(blank_workbook, framework, kind)  # type: ignore[arg-type]
    return make


def copy_of(path: Path, framework: Framework, out: Path) -> tuple[WorkbookReport, Path]:
    report = check(path, framework)
    target = out / marked_up_name(report.file)
    mark_up_workbook(report, target, checked_on=TODAY)
    return report, target


@pytest.mark.parametrize("kind", ["incomplete", "dates-as-text"])
def test_copy_validates_to_the_same_findings(returned, framework: Framework, tmp_path: Path,
                                            kind: str):
    original = returned(kind)
    before = sha(original)
    report, target = copy_of(original, framework, tmp_path / "marked")
    again = check(target, framework)
    assert report.findings, "the sample must have findings"
    assert same_findings(again) == same_findings(report)
    assert again.indicators == report.indicators
    assert (again.unit_code, again.cycle, again.evidence_rows) == (
        report.unit_code, report.cycle, report.evidence_rows)
    assert sha(original) == before  # the return itself is only read


def test_copy_of_a_tampered_return_validates_the_same(returned, framework: Framework,
                                                      tmp_path: Path):
    path = returned("complete")

    def tamper(wb: Workbook) -> None:
        wb[INDICATORS.sheet]["D6"] = "Something else entirely"
        wb[SHEET_META].sheet_state = "visible"
        wb[SHEET_META]["B12"] = "0" * 24  # the fingerprint

    edit_workbook(path, tamper)
    report, target = copy_of(path, framework, tmp_path)
    codes = {f.code for f in report.findings}
    assert {"indicator-changed", "metadata-tampered"} <= codes
    assert same_findings(check(target, framework)) == same_findings(report)


def test_findings_sheet_lists_each_finding_with_a_link(returned, framework: Framework,
                                                        tmp_path: Path):
    report, target = copy_of(returned("incomplete"), framework, tmp_path)
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[0] == FINDINGS_SHEET
    assert wb.active.title == FINDINGS_SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [FINDINGS_SHEET]
    ws = wb[FINDINGS_SHEET]
    assert [c.value for c in ws[HEADER_ROW]] == [
        "#", "Severity", "Cell", "Indicator", "What is wrong", "How to fix it", "Code"]
    assert ws.sheet_properties.outlinePr.summaryBelow is False  # the + on a group's line
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    shown = [(r, row) for r, row in enumerate(rows, start=HEADER_ROW + 1)
             if not ws.row_dimensions[r].hidden]
    # one line per group, as the terminal groups them, numbered 1, 2, ...
    groups = group_findings(report.findings, report.indicators)
    assert [row[0] for _r, row in shown] == list(range(1, len(groups) + 1))
    assert len(groups) < len(report.findings)
    console = Console(width=400, file=io.StringIO(), color_system=None)
    print_text(BatchReport(framework_id="f", framework_version="1", checked_on=TODAY,
                           workbooks=[report]), console)
    text = " ".join(console.file.getvalue().split())
    for (_r, row), group in zip(shown, groups, strict=True):
        assert row[4].startswith(group.says(of=len(report.indicators)))
        assert " ".join(group.says(of=len(report.indicators)).split()) in text
    # every finding on a row of its own (folded under its group's line), with its link
    single = {id(g.first) for g in groups if len(g.findings) == 1}
    each = [(r, row) for r, row in enumerate(rows, start=HEADER_ROW + 1)
            if ws.row_dimensions[r].hidden
            or (not ws.row_dimensions[r].hidden and row[0] in
                {i for i, g in enumerate(groups, 1) if id(g.first) in single})]
    assert len(each) == len(report.findings)
    listed = sorted((row[2], row[4], row[6]) for _r, row in each)
    assert listed == sorted((f"{f.sheet}!{f.cell}", f.message, f.code) for f in report.findings)
    for r, row in each:
        link = ws.cell(row=r, column=3).hyperlink
        assert link is not None and link.location == "'{}'!{}".format(*row[2].split("!"))
        assert ws.row_dimensions[r].outlineLevel == (1 if ws.row_dimensions[r].hidden else 0)
    assert f"{report.errors} error(s) and {report.warnings} warning(s)" in ws["A2"].value
    assert "01/09/2010" in ws["A2"].value
    assert "esps" not in ws["A2"].value.lower()


def test_located_findings_carry_a_comment_and_a_fill(returned, framework: Framework,
                                                     tmp_path: Path):
    report, target = copy_of(returned("incomplete"), framework, tmp_path)
    wb = openpyxl.load_workbook(target)
    by_cell: dict[tuple[str, str], list] = {}
    for f in report.findings:
        by_cell.setdefault((f.sheet, f.cell), []).append(f)
    # The incomplete sample: no sign-off, a missing rating, a short narrative, a bad date.
    assert ("Cover", "B13") in by_cell and ("Evidence", "F32") in by_cell
    for (sheet, ref), found in by_cell.items():
        cell = wb[sheet][ref]
        assert cell.comment is not None, (sheet, ref)
        assert cell.comment.author == COMMENT_AUTHOR
        for f in found:
            assert f.message in cell.comment.text and f.hint in cell.comment.text
        assert cell.fill.fgColor.rgb == MARK_FILLS["error"].fgColor.rgb
        assert cell.protection.locked == openpyxl.load_workbook(report.path)[sheet][ref] \
            .protection.locked
    # A cell without a finding keeps its input shading and has no comment.
    untouched = wb[SHEET_COVER]["B10"]  # Completed by: filled in
    assert untouched.comment is None
    assert untouched.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb


def test_a_warning_only_cell_is_amber(returned, framework: Framework, tmp_path: Path):
    report, target = copy_of(returned("dates-as-text"), framework, tmp_path)
    assert report.errors == 0 and report.warnings == 6
    wb = openpyxl.load_workbook(target)
    assert wb[SHEET_COVER]["B12"].fill.fgColor.rgb == MARK_FILLS["warning"].fgColor.rgb
    assert "date-as-text" not in wb[SHEET_COVER]["B12"].comment.text  # message, not code
    assert "WARNING: the Cover's Date completed was typed as text" in \
        wb[SHEET_COVER]["B12"].comment.text


def test_copy_keeps_what_the_workbook_relies_on(returned, framework: Framework,
                                                tmp_path: Path):
    original = returned("incomplete")
    _report, target = copy_of(original, framework, tmp_path)
    a, b = openpyxl.load_workbook(original), openpyxl.load_workbook(target)
    assert b.sheetnames == [FINDINGS_SHEET, *a.sheetnames]
    assert b[SHEET_META].sheet_state == "veryHidden"
    assert b.security is not None and b.security.lockStructure
    assert {n: d.attr_text for n, d in b.defined_names.items()} == \
        {n: d.attr_text for n, d in a.defined_names.items()}
    for ws in a.worksheets:
        copy = b[ws.title]
        assert copy.protection.sheet == ws.protection.sheet, ws.title
        assert copy.protection.insertRows == ws.protection.insertRows
        rules = sorted((dv.type, dv.formula1, str(dv.sqref), dv.showErrorMessage)
                       for dv in ws.data_validations.dataValidation)
        assert sorted((dv.type, dv.formula1, str(dv.sqref), dv.showErrorMessage)
                      for dv in copy.data_validations.dataValidation) == rules, ws.title
        assert copy.freeze_panes == ws.freeze_panes
        assert copy.print_title_rows == ws.print_title_rows
        assert [str(r) for r in copy.merged_cells.ranges] == [str(r) for r in
                                                              ws.merged_cells.ranges]
        for row_a, row_b in zip(ws.iter_rows(), copy.iter_rows(), strict=True):
            for ca, cb in zip(row_a, row_b, strict=True):
                assert cb.value == ca.value, (ws.title, ca.coordinate)
                assert cb.protection.locked == ca.protection.locked
                assert cb.number_format == ca.number_format
    assert a[EVIDENCE.sheet].auto_filter.ref == b[EVIDENCE.sheet].auto_filter.ref
    assert len(a[INDICATORS.sheet].data_validations.dataValidation) == 1


def test_formulas_become_the_values_they_showed(blank_workbook: Path, framework: Framework,
                                                tmp_path: Path):
    """A unit that filled Evidence indicator IDs with a formula, saved by LibreOffice (which
    stores each formula's result): the copy holds the results, and validates the same."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    fill_file(blank_workbook, framework, "incomplete")
    edit_workbook(blank_workbook, lambda wb: wb[EVIDENCE.sheet].__setitem__(
        "A5", '=UPPER("od1.1")'))
    saved = tmp_path / "saved"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
         "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(saved),
         str(blank_workbook)], capture_output=True, timeout=120, check=False)
    by_calc = saved / blank_workbook.name
    assert proc.returncode == 0 and by_calc.exists(), proc.stdout
    report = check(by_calc, framework)
    target = tmp_path / "marked.xlsx"
    done = mark_up_workbook(report, target, checked_on=TODAY)
    assert any("Formulas were replaced by the values they showed (Evidence!A5)" in n
               for n in done.notes)
    assert openpyxl.load_workbook(target)[EVIDENCE.sheet]["A5"].value == "OD1.1"
    assert same_findings(check(target, framework)) == same_findings(report)


def test_marking_up_a_marked_up_copy_replaces_its_findings_sheet(
        returned, framework: Framework, tmp_path: Path):
    _report, first = copy_of(returned("incomplete"), framework, tmp_path / "one")
    # The unit fixes the sign-off name in the copy, and returns it.
    edit_workbook(first, lambda wb: wb[SHEET_COVER].__setitem__("B13", "Ch Supt R Hughes"))
    report2, second = copy_of(first, framework, tmp_path / "two")
    assert ("Cover", "B13") not in {(f.sheet, f.cell) for f in report2.findings}
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames.count(FINDINGS_SHEET) == 1 and wb.sheetnames[0] == FINDINGS_SHEET
    assert wb[SHEET_COVER]["B13"].comment is None  # fixed: the earlier comment is gone
    comment = wb[SHEET_COVER]["B14"].comment.text
    assert comment.count("DCFD check of") == 1  # our earlier comment is replaced
    assert same_findings(check(second, framework)) == same_findings(report2)


def test_a_units_own_comment_is_kept_below_ours(returned, framework: Framework,
                                                tmp_path: Path):
    path = returned("incomplete")
    edit_workbook(path, lambda wb: setattr(
        wb[SHEET_COVER]["B13"], "comment", openpyxl.comments.Comment("Ask the Ch Supt", "Asha")))
    _report, target = copy_of(path, framework, tmp_path)
    text = openpyxl.load_workbook(target)[SHEET_COVER]["B13"].comment.text
    assert text.startswith("DCFD check of 01/09/2010:")
    assert text.endswith("Earlier comment (Asha):\nAsk the Ch Supt")


def test_unreadable_returns_get_no_copy(tmp_path: Path, framework: Framework,
                                        blank_workbook: Path):
    broken = tmp_path / "TP-RP_Royal-Parks-OCU_2010-11.xlsx"
    broken.write_bytes(blank_workbook.read_bytes()[:3000])
    report = check(broken, framework)
    out = tmp_path / "marked"
    result = mark_up_returns([report], out, checked_on=TODAY)
    assert result.written == []
    assert [(m.file, m.reason) for m in result.not_written] == [
        (broken.name, "it cannot be read, so nothing was written for it")]
    assert not out.exists()


def test_a_batch_marks_up_only_returns_with_findings(
        pristine_pack: Path, units: list[Unit], framework: Framework, tmp_path: Path):
    folder = tmp_path / "returns"
    folder.mkdir()
    cycle = framework.cycle(CYCLE)
    for i, unit in enumerate(units[:10]):
        dst = folder / workbook_filename(unit, cycle)
        shutil.copy(pristine_pack / dst.name, dst)
        fill_file(dst, framework, "complete" if i < 3 else "incomplete")
    reports = [check(p, framework) for p in sorted(folder.iterdir())]
    progress: list[tuple[int, int]] = []
    result = mark_up_returns(reports, tmp_path / "out", checked_on=TODAY, jobs=2,
                             on_progress=lambda d, t: progress.append((d, t)))
    flagged = [r for r in reports if r.findings]
    assert len(flagged) == 7
    assert sorted(Path(c.target).name for c in result.written) == sorted(
        marked_up_name(r.file) for r in flagged)
    assert progress[-1] == (7, 7)
    for copy in result.written:
        original = next(r for r in reports if r.path == copy.source)
        assert same_findings(check(Path(copy.target), framework)) == same_findings(original)


# -- the command line ---------------------------------------------------------------------


def test_cli_writes_copies_and_refuses_to_overwrite(returned, tmp_path: Path,
                                                    framework: Framework):
    path = returned("incomplete")
    out = tmp_path / "marked"
    args = ["validate", str(path), "--annotate", str(out), "--as-of", "01/09/2010"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output
    target = out / marked_up_name(path.name)
    assert "Marked-up copies of 1 return(s) with findings written to" in first.stderr
    assert target.exists()
    stamp = sha(target)
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "1 marked-up copies already exist" in again.stderr
    assert "use --force" in again.stderr
    assert sha(target) == stamp
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 1
    assert target.exists()


def test_cli_refuses_to_write_copies_into_the_folder_it_validates(returned, tmp_path: Path):
    path = returned("incomplete")
    result = runner.invoke(app, ["validate", str(path.parent), "--annotate", str(path.parent)])
    assert result.exit_code == 2
    assert "would be read as returns next time" in result.stderr
    assert not (path.parent / marked_up_name(path.name)).exists()


def test_cli_says_when_an_unreadable_file_gets_no_copy(returned, tmp_path: Path,
                                                       blank_workbook: Path):
    folder = tmp_path / "returns"
    folder.mkdir()
    good = returned("incomplete")
    shutil.copy(good, folder / good.name)
    (folder / "TP-NI_Islington_2010-11.xlsx").write_text("From: the unit\nSee attached\n")
    out = tmp_path / "marked"
    result = runner.invoke(app, ["validate", str(folder), "--annotate", str(out)])
    assert result.exit_code == 1
    assert ("Marked-up copies of 1 return(s) with findings written to "
            f"{out}; none for 1 that cannot be read: TP-NI_Islington_2010-11.xlsx\n"
            ) in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [marked_up_name(good.name)]
