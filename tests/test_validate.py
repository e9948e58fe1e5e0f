"""`esps validate`, one finding code at a time: a real generated workbook, filled in as a unit
would (samples.make_complete), then edited as a user would (a value typed, a row deleted, a
sheet renamed, wording changed), validated through the library and through the CLI. Each test
asserts the exact code, sheet, cell and exit code."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Unit
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import WorkbookReport
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import (
    EVIDENCE,
    INDICATORS,
    LOCKED_INDICATOR_KEYS,
    SHEET_META,
    indicator_hash,
    workbook_fingerprint,
)
from esps_cli.workbook.samples import evidence_rows_for, fill_evidence, fill_file

from .conftest import CYCLE, edit_workbook

runner = CliRunner()

# Where things are in a generated 2010-11 workbook (the tests look them up where it matters).
ROW_OD1_1 = 5  # first indicator row
TODAY = date(2026, 1, 1)  # "today" for library calls; the sample return is from July 2010


@pytest.fixture(autouse=True)
def _no_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def complete_pristine(tmp_path_factory, pristine_pack: Path, units: list[Unit],
                      framework: Framework) -> Path:
    """The first example unit's workbook, filled in completely (session-wide: copy it)."""
    src = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    path = tmp_path_factory.mktemp("complete") / src.name
    shutil.copy(src, path)
    return fill_file(path, framework, "complete")


@pytest.fixture
def ret(complete_pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the complete return, safe to edit."""
    dst = tmp_path / "returns" / "Camden.xlsx"
    dst.parent.mkdir()
    shutil.copy(complete_pristine, dst)
    return dst


def validate_cli(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["validate", *args, "--format", "json"])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def check(path: Path, framework: Framework, code: str, sheet: str, cell: str, exit_code: int,
          *, only: bool = True, indicator: str | None = None, cli_args: tuple[str, ...] = (),
          **kwargs) -> WorkbookReport:
    """Validate with the library and the CLI; the finding `code` is at sheet!cell, and (only)
    it is the only finding. Returns the library's report."""
    report = validate_workbook(path, framework, today=kwargs.pop("today", TODAY), **kwargs)
    found = [f for f in report.findings if f.code == code]
    assert found, [(f.code, f.sheet, f.cell, f.message) for f in report.findings]
    assert (found[0].sheet, found[0].cell) == (sheet, cell), found[0]
    assert found[0].file == path.name
    assert found[0].hint and found[0].message
    if indicator is not None:
        assert found[0].indicator_id == indicator
    if only:
        assert [f.code for f in report.findings] == [code], [
            (f.code, f.cell, f.message) for f in report.findings]
    assert report.valid == (exit_code == 0)
    exit_cli, data = validate_cli(str(path), *cli_args)
    assert exit_cli == exit_code
    (wb,) = data["workbooks"]
    assert any((f["code"], f["sheet"], f["cell"]) == (code, sheet, cell) for f in wb["findings"])
    return report


def edit(path: Path, change) -> Path:
    return edit_workbook(path, change)


def add_evidence(path: Path, framework: Framework, **values) -> int:
    """Type one more evidence row (a complete one for OD1.1, changed by values); its row."""
    row = {**evidence_rows_for(framework, framework.cycle(CYCLE))[0], **values}
    row["title"] = values.get("title", "Community engagement plan, extra copy")
    written: list[int] = []

    def change(wb: Workbook) -> None:
        written.append(fill_evidence(wb, [row]))

    edit(path, change)
    return written[0]


def column_a(path: Path, sheet: str) -> list[object]:
    """Column A of a sheet from row 1 (index 0), as the reader sees it."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)
    return [row[0] if row else None for row in rows]


def indicator_row(path: Path, indicator_id: str) -> int:
    return column_a(path, INDICATORS.sheet).index(indicator_id) + 1


def set_cells(path: Path, sheet: str, **cells) -> Path:
    def change(wb: Workbook) -> None:
        for ref, value in cells.items():
            wb[sheet][ref] = value

    return edit(path, change)


# -- a complete return ----------------------------------------------------------------------


def test_complete_return_is_valid_with_no_findings(ret, framework):
    before = ret.read_bytes()
    report = validate_workbook(ret, framework)
    assert report.findings == [] and report.valid and report.errors == report.warnings == 0
    assert report.unit_code == "TP-CW" and report.unit_name == "Westminster"
    assert report.cycle == CYCLE and report.framework_version == framework.meta.version
    assert report.indicators_total == len(framework.cycle_indicators(framework.cycle(CYCLE)))
    assert report.indicators_met == report.indicators_total
    assert report.evidence_completeness_pct == 100.0
    assert report.submission_date == date(2010, 7, 28)  # the Cover's Date completed
    na = [s for s in report.indicators if s.na]
    assert len(na) == 1 and na[0].rating is None and na[0].minimum_met
    first = report.indicators[0]
    assert first.indicator_id == "OD1.1" and first.rating == 3 and first.evidence_items == 3
    result = runner.invoke(app, ["validate", str(ret)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.stdout and "Traceback" not in result.output
    assert ret.read_bytes() == before  # validation never writes to a return


def test_json_output_is_the_library_report(ret, framework):
    folder = ret.parent
    shutil.copy(ret, folder / "second.xlsx")
    (folder / "notes.txt").write_text("not a workbook")
    lib = validate_paths([folder], framework, jobs=1)
    result = runner.invoke(app, ["validate", str(folder), "--format", "json", "--jobs", "1"])
    assert result.exit_code == 1  # two returns for one unit: duplicate-return
    assert json.loads(result.stdout) == lib.model_dump(mode="json")


# -- what the reader finds: structure ------------------------------------------------------


def test_missing_sheet_renamed_evidence_no_cascade(ret, framework):
    edit(ret, lambda wb: setattr(wb[EVIDENCE.sheet], "title", "Evidence (old)"))
    report = check(ret, framework, "missing-sheet", "Evidence", "", 1)
    # The renamed sheet is named; the pack's own Guidance sheet (never read) is not.
    assert report.findings[0].message.endswith(
        "(sheets found that are not expected: Evidence (old))")
    # The evidence checks are skipped, not failed 54 times; no minimum can be shown met.
    assert report.indicators_met < report.indicators_total


def test_a_deleted_sheet_names_no_other_sheet(ret, framework):
    edit(ret, lambda wb: wb.remove(wb[EVIDENCE.sheet]))
    report = check(ret, framework, "missing-sheet", "Evidence", "", 1)
    assert report.findings[0].message == "sheet 'Evidence' is missing"


def test_missing_header(ret, framework):
    set_cells(ret, INDICATORS.sheet, J4="Notes")
    report = check(ret, framework, "missing-header", "Indicators", "J4", 1)
    assert "Narrative" in report.findings[0].message


def test_missing_field(ret, framework):
    set_cells(ret, "Cover", A13="Commander")
    check(ret, framework, "missing-field", "Cover", "A13", 1)


def test_not_esps_workbook_when_the_metadata_sheet_is_deleted(ret, framework):
    edit(ret, lambda wb: wb.remove(wb[SHEET_META]))
    report = check(ret, framework, "not-esps-workbook", SHEET_META, "", 1)
    # Without metadata the Cover gives the cycle, so the content is still checked.
    assert report.indicators_met == report.indicators_total


def test_metadata_unhidden_is_a_warning(ret, framework):
    edit(ret, lambda wb: setattr(wb[SHEET_META], "sheet_state", "visible"))
    check(ret, framework, "metadata-unhidden", SHEET_META, "", 0)


# -- identity -----------------------------------------------------------------------------


def test_metadata_incomplete(ret, framework):
    set_cells(ret, SHEET_META, B7=None)  # unit_code
    report = check(ret, framework, "metadata-incomplete", SHEET_META, "B7", 1)
    assert report.unit_code == "TP-CW"  # from the Cover


def test_metadata_tampered(ret, framework):
    set_cells(ret, SHEET_META, B16="0123456789abcdef")  # OD1.1's stored hash
    check(ret, framework, "metadata-tampered", SHEET_META, "B12", 1)


def test_unknown_framework_skips_content_checks(ret, framework):
    set_cells(ret, SHEET_META, B3="esps-other")
    report = check(ret, framework, "unknown-framework", SHEET_META, "B3", 1)
    assert report.indicators == [] and report.evidence_completeness_pct == 0.0


def test_wrong_framework_version(ret, framework):
    set_cells(ret, SHEET_META, B4="2009.1")
    report = check(ret, framework, "wrong-framework-version", SHEET_META, "B4", 1)
    assert "2009.1" in report.findings[0].message


def test_framework_changed_is_a_warning(ret, framework):
    set_cells(ret, SHEET_META, B5="0000000000000000")
    check(ret, framework, "framework-changed", SHEET_META, "B5", 0)


def test_unsupported_layout(ret, framework):
    set_cells(ret, SHEET_META, B2="99")
    check(ret, framework, "unsupported-layout", SHEET_META, "B2", 1)


def test_unknown_cycle(ret, framework):
    set_cells(ret, SHEET_META, B6="2020-21")
    report = check(ret, framework, "unknown-cycle", SHEET_META, "B6", 1, only=False)
    # The Cover still says 2010-11: that is reported too.
    assert [f.code for f in report.findings] == ["identity-mismatch", "unknown-cycle"]


def test_wrong_cycle(ret, framework):
    check(ret, framework, "wrong-cycle", "Cover", "B8", 1, cycle=framework.cycle("2011-12"),
          cli_args=("--cycle", "2011-12"))
    assert validate_workbook(ret, framework, cycle=framework.cycle(CYCLE)).valid


def test_identity_mismatch(ret, framework):
    set_cells(ret, "Cover", B4="TP-XX")
    check(ret, framework, "identity-mismatch", "Cover", "B4", 1)


# -- the locked wording: fingerprint --------------------------------------------------------


def test_indicator_changed_says_which_cell(ret, framework):
    def change(wb: Workbook) -> None:
        ws = wb[INDICATORS.sheet]
        ws[f"D{ROW_OD1_1}"] = ws[f"D{ROW_OD1_1}"].value.replace("seldom heard", "easy to reach")

    edit(ret, change)
    report = check(ret, framework, "indicator-changed", "Indicators", f"D{ROW_OD1_1}", 1,
                   indicator="OD1.1")
    assert "easy to reach" in report.findings[0].message
    assert "seldom heard" in report.findings[0].message


def test_whitespace_in_locked_text_is_not_a_change(ret, framework):
    def change(wb: Workbook) -> None:
        ws = wb[INDICATORS.sheet]
        ws[f"D{ROW_OD1_1}"] = ws[f"D{ROW_OD1_1}"].value.replace(" ", "  ", 3) + " "

    edit(ret, change)
    assert validate_workbook(ret, framework).findings == []


def test_indicator_outdated_when_the_workbook_predates_a_wording_change(ret, framework):
    """The workbook's stored hash matches its row: the unit changed nothing, the framework's
    text moved on (without a new version)."""
    def change(wb: Workbook) -> None:
        ws = wb[INDICATORS.sheet]
        ws[f"D{ROW_OD1_1}"] = ws[f"D{ROW_OD1_1}"].value + " (draft)"
        header = [c.value for c in ws[INDICATORS.header_row]]
        cells = {c.key: ws.cell(row=ROW_OD1_1, column=header.index(c.header) + 1).value
                 for c in INDICATORS.columns if c.key in LOCKED_INDICATOR_KEYS}
        meta = wb[SHEET_META]
        meta["B16"] = indicator_hash(cells)
        hashes = [(meta.cell(row=r, column=1).value, meta.cell(row=r, column=2).value)
                  for r in range(16, 16 + 54)]
        meta["B12"] = workbook_fingerprint(hashes)

    edit(ret, change)
    check(ret, framework, "indicator-outdated", "Indicators", f"A{ROW_OD1_1}", 0,
          indicator="OD1.1")


def test_indicator_missing_row_deleted(ret, framework):
    edit(ret, lambda wb: wb[INDICATORS.sheet].delete_rows(ROW_OD1_1 + 1))  # OD1.2
    report = check(ret, framework, "indicator-missing", "Indicators", f"A{ROW_OD1_1 + 1}", 1,
                   indicator="OD1.2")
    status = {s.indicator_id: s for s in report.indicators}
    assert not status["OD1.2"].minimum_met and status["OD1.3"].minimum_met


def test_indicator_duplicated(ret, framework):
    def change(wb: Workbook) -> None:
        ws = wb[INDICATORS.sheet]
        for col in range(1, 11):
            ws.cell(row=70, column=col, value=ws.cell(row=ROW_OD1_1, column=col).value)

    edit(ret, change)
    check(ret, framework, "indicator-duplicated", "Indicators", "A70", 1, indicator="OD1.1")


def test_indicator_unexpected(ret, framework):
    set_cells(ret, INDICATORS.sheet, A70="XX9.9", D70="An indicator someone added")
    check(ret, framework, "indicator-unexpected", "Indicators", "A70", 1, indicator="XX9.9")


# -- ratings and narratives -----------------------------------------------------------------


def test_missing_rating(ret, framework):
    set_cells(ret, INDICATORS.sheet, H5=None)
    check(ret, framework, "missing-rating", "Indicators", "H5", 1, indicator="OD1.1")


@pytest.mark.parametrize("typed", [5, 2.5, "good", "3 - fairly"])
def test_invalid_rating(ret, framework, typed):
    set_cells(ret, INDICATORS.sheet, H5=typed)
    check(ret, framework, "invalid-rating", "Indicators", "H5", 1, indicator="OD1.1")


def test_na_not_allowed(ret, framework):
    set_cells(ret, INDICATORS.sheet, H5="n/a")
    check(ret, framework, "na-not-allowed", "Indicators", "H5", 1, indicator="OD1.1")


def test_na_without_reason(ret, framework):
    report = validate_workbook(ret, framework)
    (na,) = [s.indicator_id for s in report.indicators if s.na]
    row = indicator_row(ret, na)
    set_cells(ret, INDICATORS.sheet, **{f"I{row}": "  ", f"J{row}": None})
    check(ret, framework, "na-without-reason", "Indicators", f"I{row}", 1, indicator=na)


@pytest.mark.parametrize("typed", ["N/A", "n/a", " NA ", "Not applicable"])
def test_na_spellings_are_normalised(ret, framework, typed):
    report = validate_workbook(ret, framework)
    (na,) = [s.indicator_id for s in report.indicators if s.na]
    set_cells(ret, INDICATORS.sheet, **{f"H{indicator_row(ret, na)}": typed})
    report = validate_workbook(ret, framework)
    assert report.findings == [] and [s.indicator_id for s in report.indicators if s.na] == [na]


def test_number_typed_as_text_is_read_with_a_warning(ret, framework):
    set_cells(ret, INDICATORS.sheet, H5=" 4 ")
    report = check(ret, framework, "number-as-text", "Indicators", "H5", 0, indicator="OD1.1")
    assert report.indicators[0].rating == 4


def test_narrative_too_short(ret, framework):
    set_cells(ret, INDICATORS.sheet, J5="See the plan.")
    report = check(ret, framework, "narrative-too-short", "Indicators", "J5", 1,
                   indicator="OD1.1")
    assert report.indicators[0].narrative_chars == len("See the plan.")
    assert not report.indicators[0].minimum_met


# -- evidence -------------------------------------------------------------------------------


def evidence_rows(path: Path, indicator_id: str) -> list[int]:
    return [r for r, value in enumerate(column_a(path, EVIDENCE.sheet), start=1)
            if value == indicator_id]


def test_too_few_evidence(ret, framework):
    (row,) = evidence_rows(ret, "OD1.3")  # minimum: 1 item, no required type

    def change(wb: Workbook) -> None:
        for col in range(1, 8):
            wb[EVIDENCE.sheet].cell(row=row, column=col).value = None

    edit(ret, change)
    report = check(ret, framework, "too-few-evidence", "Indicators", "A7", 1, indicator="OD1.3")
    assert report.evidence_completeness_pct == round(100 * 53 / 54, 1)


def test_required_type_missing(ret, framework):
    rows = evidence_rows(ret, "OD1.1")  # 3 items: policy and data required

    def change(wb: Workbook) -> None:
        ws = wb[EVIDENCE.sheet]
        for r in rows:
            if ws[f"D{r}"].value == "Policy or procedure":
                ws[f"D{r}"] = "Report or review"

    edit(ret, change)
    report = check(ret, framework, "required-type-missing", "Indicators", "A5", 1,
                   indicator="OD1.1")
    assert "Policy or procedure" in report.findings[0].message


def test_evidence_incomplete(ret, framework):
    row = add_evidence(ret, framework, location=None, title="  ")
    report = check(ret, framework, "evidence-incomplete", "Evidence", f"B{row}", 1,
                   indicator="OD1.1")
    assert "Evidence title" in report.findings[0].message
    assert "Location" in report.findings[0].message


def test_unknown_indicator(ret, framework):
    row = add_evidence(ret, framework, indicator_id="ZZ1.1")
    check(ret, framework, "unknown-indicator", "Evidence", f"A{row}", 1, indicator="ZZ1.1")


def test_evidence_indicator_id_case_and_spaces_are_forgiven(ret, framework):
    add_evidence(ret, framework, indicator_id=" od1.1 ")
    assert validate_workbook(ret, framework).findings == []


def test_unknown_evidence_type(ret, framework):
    row = add_evidence(ret, framework, type="Memo")
    check(ret, framework, "unknown-evidence-type", "Evidence", f"D{row}", 1, indicator="OD1.1")


@pytest.mark.parametrize("typed,words", [
    ("31/02/2010", "not a valid date"),
    ("04/13/2010", "US month/day order"),
    ("2010", "a year, not a date"),
    ("next week", "not a date"),
])
def test_invalid_date(ret, framework, typed, words):
    row = add_evidence(ret, framework, date=typed)
    report = check(ret, framework, "invalid-date", "Evidence", f"F{row}", 1, indicator="OD1.1")
    assert words in report.findings[0].message


@pytest.mark.parametrize("typed,meant", [
    ("13/04/2010", date(2010, 4, 13)),
    ("1 April 2010", date(2010, 4, 1)),
    ("2010-04-13", date(2010, 4, 13)),
])
def test_date_typed_as_text_is_read_as_the_uk_date_with_a_warning(ret, framework, typed, meant):
    row = add_evidence(ret, framework, date=typed)
    report = check(ret, framework, "date-as-text", "Evidence", f"F{row}", 0, indicator="OD1.1")
    assert f"{meant.day} {meant:%B %Y}" in report.findings[0].message
    assert report.indicators[0].evidence_items == 4  # the row counts


@pytest.mark.parametrize("typed", ["13/04/10", "April 2010"])
def test_ambiguous_date_is_a_warning_saying_what_was_chosen(ret, framework, typed):
    row = add_evidence(ret, framework, date=typed)
    report = check(ret, framework, "ambiguous-date", "Evidence", f"F{row}", 0,
                   indicator="OD1.1")
    assert "2010" in report.findings[0].message


def test_date_in_future(ret, framework):
    # Checked on 29/07/2010: the Cover's sign-off (30/07/2010) has not happened yet.
    check(ret, framework, "date-in-future", "Cover", "B14", 1, today=date(2010, 7, 29),
          cli_args=("--as-of", "29/07/2010"))


def test_evidence_after_submission(ret, framework):
    row = add_evidence(ret, framework, date=date(2010, 8, 15))
    report = check(ret, framework, "evidence-after-submission", "Evidence", f"F{row}", 1,
                   indicator="OD1.1")
    assert "28/07/2010" in report.findings[0].message  # the Cover's Date completed


def test_submission_date_falls_back_to_sign_off_then_today(ret, framework):
    set_cells(ret, "Cover", B12=None)
    assert validate_workbook(ret, framework).submission_date == date(2010, 7, 30)
    set_cells(ret, "Cover", B14=None)
    report = validate_workbook(ret, framework, today=date(2010, 9, 1))
    assert report.submission_date == date(2010, 9, 1)


def test_evidence_too_old(ret, framework):
    row = add_evidence(ret, framework, date=date(2008, 12, 31))  # OD1.1: 18 months
    report = check(ret, framework, "evidence-too-old", "Evidence", f"F{row}", 1,
                   indicator="OD1.1")
    assert "28/01/2009" in report.findings[0].message  # 18 months before 28/07/2010


def test_duplicate_evidence_counts_once(ret, framework):
    row = add_evidence(ret, framework)
    add_evidence(ret, framework)
    report = check(ret, framework, "duplicate-evidence", "Evidence", f"A{row + 1}", 0,
                   indicator="OD1.1")
    assert report.indicators[0].evidence_items == 4


def test_missing_signoff(ret, framework):
    set_cells(ret, "Cover", B13=None)
    check(ret, framework, "missing-signoff", "Cover", "B13", 1)


def test_cover_incomplete_is_a_warning(ret, framework):
    set_cells(ret, "Cover", B10="   ")
    check(ret, framework, "cover-incomplete", "Cover", "B10", 0)


def test_evidence_location_broken_only_with_check_evidence(ret, framework, tmp_path):
    present = tmp_path / "evidence" / "plan.pdf"
    present.parent.mkdir()
    present.write_bytes(b"%PDF")
    add_evidence(ret, framework, title="on disk", location=str(present))
    add_evidence(ret, framework, title="a web link", location="https://intranet.example/x")
    add_evidence(ret, framework, title="a URL", location=present.as_uri())
    row = add_evidence(ret, framework, title="gone", location=str(tmp_path / "gone.pdf"))
    assert validate_workbook(ret, framework).findings == []
    report = check(ret, framework, "evidence-location-broken", "Evidence", f"E{row}", 0,
                   indicator="OD1.1", check_evidence=True, cli_args=("--check-evidence",))
    assert "gone.pdf" in report.findings[0].message


# -- unreadable files ---------------------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize("name,content,words", [
    ("zero.xlsx", b"", "empty (0 bytes)"),
    ("text.xlsx", b"unit,score\nTP-EK,3\n", "plain text"),
    ("legacy.xlsx", OLE2 + b"\x00" * 600, "legacy Excel 97-2003"),
    ("locked.xlsx", OLE2 + b"\x00" * 100 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64,
     "encrypted"),
    ("truncated.xlsx", None, "truncated"),
])
def test_unreadable_file_reason(tmp_path, framework, complete_pristine, name, content, words):
    path = tmp_path / name
    path.write_bytes(content if content is not None
                     else complete_pristine.read_bytes()[:5000])
    report = check(path, framework, "unreadable-file", "", "", 1)
    assert words in report.findings[0].message
    assert not report.readable and report.unit_code == ""


# -- the evidence completeness measure ----------------------------------------------------


def test_evidence_completeness_is_the_share_of_indicators_meeting_their_minimum(
    blank_workbook, framework
):
    fill_file(blank_workbook, framework, "incomplete")
    report = validate_workbook(blank_workbook, framework)
    met = [s for s in report.indicators if s.minimum_met]
    assert 0 < len(met) < len(report.indicators)
    assert report.indicators_met == len(met)
    assert report.evidence_completeness_pct == round(100 * len(met) / len(report.indicators), 1)
    # an indicator meets its minimum exactly when it has no error finding
    with_errors = {f.indicator_id for f in report.findings
                   if f.severity == "error" and f.code.startswith(("missing-rating",
                                                                   "narrative", "too-few",
                                                                   "required-type"))}
    assert {s.indicator_id for s in report.indicators if not s.minimum_met} == with_errors
