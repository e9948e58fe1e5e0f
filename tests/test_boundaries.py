"""Every threshold rule of validation tested at its exact boundary and one step beyond, so that
turning a `<` into a `<=` (or `>=` into `>`) in the rule fails a test.

OD1.1 in the bundled framework: at least 3 evidence items (policy and data among them), dated
within 18 months of the submission date, and a narrative of at least 100 characters. The sample
return was completed on 28/07/2010 and lists exactly 3 items for OD1.1.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.normalise import SERIAL_MAX, SERIAL_MIN, parse_date
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.validation.answers import answers_of, changed_indicators
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.cache import depends_on_date
from esps_cli.validation.checks.evidence_dates import add_months
from esps_cli.validation.checks.evidence_locations import location_problem
from esps_cli.validation.checks.indicators import difference, short
from esps_cli.validation.context import IssuedPacks
from esps_cli.validation.report import WorkbookReport
from esps_cli.validation.returns import seal_notes, supersede
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import EVIDENCE, INDICATORS, SHEET_META
from esps_cli.workbook.reader import read_workbook
from esps_cli.workbook.samples import fill_file
from esps_cli.working.lists import load_advisors

from .conftest import CYCLE
from .test_validate import (
    ROW_OD1_1,
    TODAY,
    add_evidence,
    check,
    edit,
    evidence_rows,
    set_cells,
)

SUBMITTED = date(2010, 7, 28)  # the sample return's Date completed


@pytest.fixture(autouse=True)
def _no_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def complete(tmp_path_factory, pristine_pack: Path, units: list[Unit],
             framework: Framework) -> Path:
    """The first example unit's workbook, filled in completely (copy it before editing)."""
    src = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    path = tmp_path_factory.mktemp("complete") / src.name
    shutil.copy(src, path)
    return fill_file(path, framework, "complete")


@pytest.fixture
def ret(complete: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "returns" / "Camden.xlsx"
    dst.parent.mkdir()
    shutil.copy(complete, dst)
    return dst


def test_the_rules_of_od1_1_are_as_these_tests_assume(framework):
    mins = framework.indicator_by_id["OD1.1"].evidence
    assert (mins.min_items, mins.max_age_months, mins.min_narrative_chars) == (3, 18, 100)
    assert mins.required_types == ["policy", "data"]


# -- evidence age ---------------------------------------------------------------------------


def test_evidence_dated_exactly_at_its_maximum_age_is_in_date(ret, framework):
    oldest = add_months(SUBMITTED, -18)
    assert oldest == date(2009, 1, 28)
    add_evidence(ret, framework, date=oldest)
    report = validate_workbook(ret, framework, today=TODAY)
    assert report.findings == []
    assert report.indicators[0].evidence_items == 4  # the row counts


def test_evidence_one_day_older_than_its_maximum_age_is_too_old(ret, framework):
    row = add_evidence(ret, framework, date=date(2009, 1, 27))
    report = check(ret, framework, "evidence-too-old", "Evidence", f"F{row}", 1,
                   indicator="OD1.1")
    assert "on or after 28/01/2009" in report.findings[0].message


def test_evidence_dated_on_the_submission_date_is_not_after_it(ret, framework):
    add_evidence(ret, framework, date=SUBMITTED)
    assert validate_workbook(ret, framework, today=TODAY).findings == []
    row = add_evidence(ret, framework, date=date(2010, 7, 29), title="One day late")
    check(ret, framework, "evidence-after-submission", "Evidence", f"F{row}", 1,
          indicator="OD1.1")


@pytest.mark.parametrize("start,months,expected", [
    (date(2010, 7, 28), -18, date(2009, 1, 28)),
    (date(2010, 8, 31), -6, date(2010, 2, 28)),  # the day clamped to the month
    (date(2012, 8, 31), -6, date(2012, 2, 29)),  # a leap year
    (date(2010, 1, 31), 1, date(2010, 2, 28)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


# -- the two-digit year pivot ---------------------------------------------------------------


@pytest.mark.parametrize("typed,expected", [
    ("13/04/69", date(2069, 4, 13)),  # 00-69: 2000-2069
    ("13/04/70", date(1970, 4, 13)),  # 70-99: 1970-1999
    ("13/04/00", date(2000, 4, 13)),
    ("13/04/99", date(1999, 4, 13)),
])
def test_two_digit_years_pivot_at_70_as_excel_does(typed, expected):
    parsed = parse_date(typed)
    assert (parsed.value, parsed.status) == (expected, "ambiguous")
    assert "two-digit year" in parsed.note


# -- minimum evidence counts ------------------------------------------------------------------


def _clear_evidence_row(path: Path, row: int) -> None:
    def change(wb: Workbook) -> None:
        for col in range(1, len(EVIDENCE.columns) + 1):
            wb[EVIDENCE.sheet].cell(row=row, column=col).value = None

    edit(path, change)


def test_exactly_the_minimum_number_of_items_meets_it(ret, framework):
    assert len(evidence_rows(ret, "OD1.1")) == 3
    report = validate_workbook(ret, framework, today=TODAY)
    assert report.findings == []
    status = report.indicators[0]
    assert (status.indicator_id, status.evidence_items, status.minimum_met) == ("OD1.1", 3, True)


def test_one_item_fewer_than_the_minimum_is_too_few(ret, framework):
    rows = evidence_rows(ret, "OD1.1")
    types = {r: v for r, v in zip(rows, _types(ret, rows), strict=True)}
    # Remove an item whose type is not required, so only the count falls short.
    required = {framework.evidence_type_by_id[t].label for t in ("policy", "data")}
    spare = next(r for r, t in types.items() if t not in required)
    _clear_evidence_row(ret, spare)
    report = check(ret, framework, "too-few-evidence", INDICATORS.sheet, "A5", 1,
                   indicator="OD1.1")
    # Every row it has is usable: the message counts no rows with problems.
    assert report.findings[0].message == ("OD1.1 needs at least 3 evidence items; 2 usable "
                                          "are listed")
    assert report.indicators[0].evidence_items == 2 and not report.indicators[0].minimum_met


def test_too_few_usable_items_counts_the_rows_with_problems(ret, framework):
    rows = evidence_rows(ret, "OD1.1")
    types = {r: v for r, v in zip(rows, _types(ret, rows), strict=True)}
    required = {framework.evidence_type_by_id[t].label for t in ("policy", "data")}
    spare = next(r for r, t in types.items() if t not in required)
    set_cells(ret, EVIDENCE.sheet, **{f"F{spare}": "not a date"})  # listed, but not usable
    report = validate_workbook(ret, framework, today=TODAY)
    (few,) = [f for f in report.findings if f.code == "too-few-evidence"]
    assert few.message == ("OD1.1 needs at least 3 evidence items; 2 usable are listed (1 more "
                           "row(s) for OD1.1 on the Evidence sheet have problems listed with "
                           "them)")


def _types(path: Path, rows: list[int]) -> list[object]:
    ws = openpyxl.load_workbook(path, read_only=True)[EVIDENCE.sheet]
    col = EVIDENCE.headers.index(EVIDENCE.column("type").header) + 1
    return [ws.cell(row=r, column=col).value for r in rows]


# -- minimum narrative length -----------------------------------------------------------------


def test_a_narrative_of_exactly_the_minimum_length_is_enough(ret, framework):
    set_cells(ret, INDICATORS.sheet, J5="x" * 100)
    report = validate_workbook(ret, framework, today=TODAY)
    assert report.findings == []
    assert report.indicators[0].narrative_chars == 100


def test_a_narrative_one_character_short_is_too_short(ret, framework):
    set_cells(ret, INDICATORS.sheet, J5="x" * 99)
    report = check(ret, framework, "narrative-too-short", INDICATORS.sheet, "J5", 1,
                   indicator="OD1.1")
    assert "has a narrative of 99 characters; the minimum is 100" in report.findings[0].message


# -- Cover dates within the cycle's year (2010-11: 1 April 2010 to 31 March 2011) -------------


def _outside_cycle(path: Path, framework: Framework) -> list[tuple[str, str]]:
    report = validate_workbook(path, framework, today=TODAY)
    return [(f.sheet, f.cell) for f in report.findings if f.code == "date-outside-cycle"]


@pytest.mark.parametrize("cell, value, expected", [
    ("B12", date(2010, 4, 1), []),                    # the first day of the assessment period
    ("B12", date(2010, 3, 31), [("Cover", "B12")]),   # the day before
    ("B14", date(2011, 3, 31), []),                   # the last day of the financial year
    ("B14", date(2011, 4, 1), [("Cover", "B14")]),    # the day after
    ("B12", date(2001, 7, 28), [("Cover", "B12")]),   # a slip of the year
])
def test_cover_dates_outside_the_cycle_year(ret, framework, cell, value, expected):
    set_cells(ret, "Cover", **{cell: value})
    assert _outside_cycle(ret, framework) == expected


def test_a_cover_date_outside_the_cycle_is_a_warning_that_says_so(ret, framework):
    set_cells(ret, "Cover", B12=date(2001, 7, 28))
    report = validate_workbook(ret, framework, today=TODAY)
    (found,) = [f for f in report.findings if f.code == "date-outside-cycle"]
    assert found.severity == "warning"
    assert found.message == ("the Cover's Date completed is 28 July 2001, outside FY2010/11 "
                             "(1 April 2010 to 31 March 2011): is the year right?")


# -- Excel date serials: a number in a date cell is read as a date only from 1990 to 2099 -----


@pytest.mark.parametrize("number, expected", [
    (SERIAL_MIN - 1, None),                # 31/12/1989: a number, not a date
    (SERIAL_MIN, date(1990, 1, 1)),        # the first serial read as a date
    (SERIAL_MAX, date(2099, 12, 31)),      # the last
    (SERIAL_MAX + 1, None),
])
def test_excel_date_serials_are_read_between_their_bounds(number, expected):
    parsed = parse_date(number)
    assert parsed.value == expected
    assert parsed.status == ("invalid" if expected is None else "ambiguous")


@pytest.mark.parametrize("number, code", [
    (SERIAL_MIN - 1, "invalid-date"), (SERIAL_MIN, "ambiguous-date"),
    (SERIAL_MAX, "ambiguous-date"), (SERIAL_MAX + 1, "invalid-date"),
])
def test_a_date_cell_holding_a_serial_at_its_bound(ret, framework, number, code):
    def type_number(wb: Workbook) -> None:  # a plain number in Date completed, not a date
        wb["Cover"]["B12"] = number
        wb["Cover"]["B12"].number_format = "General"

    edit(ret, type_number)
    report = validate_workbook(ret, framework, today=TODAY)
    on_cell = [f.code for f in report.findings if (f.sheet, f.cell) == ("Cover", "B12")]
    assert code in on_cell
    assert ({"invalid-date", "ambiguous-date"} - {code}).isdisjoint(on_cell)


# -- day/month order: a month over 12 is the US order typed by mistake ----------------------


@pytest.mark.parametrize("typed, expected, hint", [
    ("13/12/2010", date(2010, 12, 13), None),       # month 12: a UK date
    ("12/13/2010", None, "type 13/12/2010"),        # month 13: US order, the UK form offered
    ("31/12/2010", date(2010, 12, 31), None),
    ("12/31/2010", None, "type 31/12/2010"),
    ("30/02/2010", None, None),                     # no such day either way: no hint
])
def test_a_month_over_12_suggests_the_uk_order(typed, expected, hint):
    parsed = parse_date(typed)
    assert parsed.value == expected
    if expected is None:
        assert parsed.status == "invalid"
        assert (hint in parsed.note) if hint else ("US month/day" not in parsed.note)


# -- batch totals: every kind of skipped file and batch finding is counted once ---------------


def test_batch_totals_count_one_lock_file_one_ignored_file_and_one_unreadable_folder(
    tmp_path, framework, units
):
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx", folder)
    (folder / "~$TP-EK_Camden_2010-11.xlsx").write_bytes(b"\x00" * 165)  # Excel's lock file
    (folder / "covering note.txt").write_text("see attached")  # not a spreadsheet: ignored
    _nest_past_path_max(folder)
    camden = next(u for u in units if u.code == "TP-EK")
    westminster = next(u for u in units if u.code == "TP-CW")  # on the list, no return
    batch = validate_paths([folder], framework, units=[camden, westminster], recursive=True,
                           jobs=1, today=TODAY)
    assert [w.file for w in batch.workbooks] == ["TP-EK_Camden_2010-11.xlsx"]
    assert [f.code for f in batch.findings] == ["unit-not-returned", "folder-unreadable"]
    workbook = batch.workbooks[0]
    t = batch.totals
    assert (t.files, t.valid, t.invalid, t.unreadable) == (1, 1, 0, 0)
    assert (t.errors, t.warnings) == (workbook.errors + 2, workbook.warnings)
    assert (t.lock_files, t.ignored) == (1, 1)
    assert (t.units_expected, t.units_returned, t.units_not_returned) == (2, 1, 1)


# -- the changed-wording snippet: the part that differs, cut at its limits ---------------------


@pytest.mark.parametrize("now, was, expected", [
    ("abc", "abcd", ("abc", "abcd")),                       # one text starts the other
    ("a" + "x" * 40, "x" * 40, ("a" + "x" * 25 + "…", "x" * 25 + "…")),  # one ends the other
    ("A" * 70, "B" * 70, ("A" * 70, "B" * 70)),             # exactly the limit: whole
    ("A" * 71, "B" * 71, ("A" * 69 + "…", "B" * 69 + "…")),  # one over: cut
    ("x" * 30 + "old" + "y" * 30, "x" * 30 + "new" + "y" * 30,
     ("…" + "x" * 25 + "old" + "y" * 25 + "…", "…" + "x" * 25 + "new" + "y" * 25 + "…")),
])
def test_the_difference_shown_for_changed_wording(now, was, expected):
    assert difference(now, was) == expected


@pytest.mark.parametrize("text, expected", [
    ("x" * 60, "x" * 60),           # exactly the limit: whole
    ("x" * 61, "x" * 59 + "…"),     # one over: cut to the limit, with an ellipsis
])
def test_short_text_is_cut_only_beyond_its_limit(text, expected):
    assert short(text) == expected
    assert len(short(text)) == 60


# -- a list row shorter than its header --------------------------------------------------------


def test_a_list_row_that_stops_before_its_last_column_reads_that_column_as_blank(tmp_path):
    path = tmp_path / "dcfas.csv"
    path.write_text("id,name,email\ndcfa01,Ann Smith,ann@example.org\ndcfa02,Bob Jones\n",
                    encoding="utf-8")
    advisors = load_advisors(path)
    assert [(a.id, a.name, a.email) for a in advisors] == [
        ("dcfa01", "Ann Smith", "ann@example.org"), ("dcfa02", "Bob Jones", "")]


# -- a folder with no workbooks: bad input, unless a folder in it could not be read ------------


def _nest_past_path_max(folder: Path) -> None:
    """Folders nested deeper than PATH_MAX, as a deep copy from a file share can leave: the
    folder search cannot read the deepest."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        for _ in range(24):
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
    finally:
        os.chdir(here)


def test_a_folder_holding_only_a_lock_file_and_a_note_has_no_workbooks(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "~$TP-EK_Camden_2010-11.xlsx").write_bytes(b"\x00" * 165)
    (folder / "covering note.txt").write_text("see attached")
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert f"No workbooks found in {folder}: check the path" in result.output


def test_a_folder_whose_only_subfolder_cannot_be_read_is_a_finding_not_bad_input(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    _nest_past_path_max(folder)
    result = CliRunner().invoke(app, ["validate", str(folder), "--recursive", "--format",
                                      "json"])
    assert result.exit_code == 1, result.output
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["folder-unreadable"]


# -- evidence locations on this machine (not Windows): what is a path here ---------------------


@pytest.mark.skipif(os.name == "nt", reason="file:///C:/ is a drive on Windows")
def test_a_file_url_with_a_drive_letter_is_an_absolute_path_here(tmp_path):
    (tmp_path / "C:").mkdir()  # a folder named C: in the current folder must not be used
    (tmp_path / "C:" / "plan.pdf").write_bytes(b"%PDF")
    assert location_problem("file:///C:/plan.pdf", tmp_path) == (
        "'file:///C:/plan.pdf' does not exist on this machine")


@pytest.mark.skipif(os.name == "nt", reason="drives and shares are checked on Windows")
@pytest.mark.parametrize("location", [
    "C:\\Evidence\\plan.pdf", "C:/Evidence/plan.pdf", "\\\\server\\share\\plan.pdf",
    "//server/share/plan.pdf",
])
def test_windows_drives_and_shares_are_not_checked_here(tmp_path, location):
    assert location_problem(location, tmp_path) is None


@pytest.mark.parametrize("location", ["https://intranet.example/plan.pdf", "x:plan.pdf",
                                      "mailto:ed@example.org"])
def test_links_with_a_scheme_are_never_checked(tmp_path, location):
    assert location_problem(location, tmp_path) is None


# -- Cover dates after today: the sample's sign-off date is 30/07/2010 -------------------------


@pytest.mark.parametrize("today, expected", [
    (date(2010, 7, 30), []),                          # signed off today: not in the future
    (date(2010, 7, 29), [("Cover", "B14")]),          # checked the day before
])
def test_a_cover_date_is_in_the_future_only_after_today(ret, framework, today, expected):
    report = validate_workbook(ret, framework, today=today)
    assert [(f.sheet, f.cell) for f in report.findings if f.code == "date-in-future"] == expected


# -- a changed locked wording names the first changed cell, and the others only if any --------


def _change_locked(path: Path, *columns: str) -> None:
    def change(wb: Workbook) -> None:
        ws = wb[INDICATORS.sheet]
        for col in columns:
            ws[f"{col}{ROW_OD1_1}"] = f"{ws[f'{col}{ROW_OD1_1}'].value} (edited)"

    edit(path, change)


def test_one_changed_locked_cell_mentions_no_others(ret, framework):
    _change_locked(ret, "D")
    report = check(ret, framework, "indicator-changed", INDICATORS.sheet, f"D{ROW_OD1_1}", 1,
                   indicator="OD1.1")
    message = report.findings[0].message
    assert message.startswith("the locked 'Indicator' of indicator OD1.1 has been changed: ")
    assert message.endswith("(edited)' where the original reads '… will reach each of them.'")


def test_two_changed_locked_cells_name_the_second(ret, framework):
    _change_locked(ret, "D", "G")
    report = check(ret, framework, "indicator-changed", INDICATORS.sheet, f"D{ROW_OD1_1}", 1,
                   indicator="OD1.1")
    assert report.findings[0].message.endswith(" (also changed: Guidance)")


# -- an unhidden metadata sheet: folded into errors on that sheet only --------------------------


def _unhide_metadata(path: Path, *, edit_version: bool) -> None:
    def change(wb: Workbook) -> None:
        ws = wb[SHEET_META]
        ws.sheet_state = "visible"
        for row in ws.iter_rows(min_row=1, max_row=15):
            if edit_version and row[0].value == "framework_version":
                row[1].value = "2009.9"
        wb["Cover"]["B13"] = None  # and an error on another sheet: missing-signoff

    edit(path, change)


def test_an_unhidden_metadata_sheet_with_no_edits_there_stays_a_warning(ret, framework):
    _unhide_metadata(ret, edit_version=False)
    report = validate_workbook(ret, framework, today=TODAY)
    assert [(f.code, f.sheet) for f in report.findings] == [
        ("metadata-unhidden", SHEET_META), ("missing-signoff", "Cover")]
    assert "unhidden" not in report.findings[1].message


def test_an_unhidden_and_edited_metadata_sheet_is_one_error_there(ret, framework):
    _unhide_metadata(ret, edit_version=True)
    report = validate_workbook(ret, framework, today=TODAY)
    codes = sorted((f.code, f.sheet) for f in report.findings)
    assert codes == [("missing-signoff", "Cover"), ("wrong-framework-version", SHEET_META)]
    notes = {f.code: f.message.endswith(f"(the hidden {SHEET_META} sheet was unhidden and "
                                        "edited)") for f in report.findings}
    assert notes == {"missing-signoff": False, "wrong-framework-version": True}


# -- with a register: the sealed-identity note and the latest return of a unit -----------------


def _return(file: str, unit: str = "TP-EK", received: datetime | None = None) -> WorkbookReport:
    return WorkbookReport(file=file, path=file, unit_code=unit, cycle=CYCLE, readable=True,
                          received_at=received)


def test_the_sealed_identity_note_names_three_returns_then_counts_the_rest():
    issued = IssuedPacks.of([])  # a register that issued nothing: no return is sealed
    three = [_return(f"r{i}.xlsx", f"U{i}") for i in range(3)]
    (note,) = seal_notes(three, issued)
    assert note.endswith("register): r0.xlsx, r1.xlsx, r2.xlsx.")
    (note,) = seal_notes([*three, _return("r3.xlsx", "U3")], issued)
    assert note.endswith("register): r0.xlsx, r1.xlsx, r2.xlsx and 1 more.")


def test_of_two_returns_of_a_unit_the_later_received_counts():
    early, late = datetime(2010, 7, 28, 9, tzinfo=UTC), datetime(2010, 7, 28, 10, tzinfo=UTC)
    out = supersede([_return("first.xlsx", received=early), _return("second.xlsx",
                                                                     received=late)])
    assert [(r.file, r.superseded_by) for r in out] == [("first.xlsx", "second.xlsx"),
                                                         ("second.xlsx", "")]


def test_returns_received_at_the_same_moment_stay_duplicates_and_a_lone_return_counts():
    at = datetime(2010, 7, 28, 9, tzinfo=UTC)
    out = supersede([_return("a.xlsx", received=at), _return("b.xlsx", received=at),
                     _return("c.xlsx", unit="TP-CW", received=at)])
    assert [r.superseded_by for r in out] == ["", "", ""]


# -- what changed between two returns of a unit --------------------------------------------------


def test_the_answers_of_a_return_give_dates_as_days_and_times_only_when_typed(ret, framework):
    add_evidence(ret, framework, date=date(2010, 7, 28), title="Dated on the day")
    add_evidence(ret, framework, date=datetime(2010, 7, 28, 14, 30), title="Dated at 14:30")
    rows = {r[0]: r[4] for r in answers_of(read_workbook(ret))["evidence"]["OD1.1"]}
    assert rows["Dated on the day"] == "2010-07-28"  # the day, not midnight of it
    assert rows["Dated at 14:30"] == "2010-07-28T14:30:00"


ANSWERED = {"rating": "3", "na_reason": "", "narrative": "We meet each group monthly."}


@pytest.mark.parametrize("change, expected", [
    ({}, []),
    ({"rating": "4"}, ["rating 3 -> 4"]),
    ({"na_reason": "Not applicable here"}, ["N/A reason"]),
    ({"narrative": "We meet each group weekly."}, ["narrative"]),
])
def test_changed_indicators_name_exactly_what_changed(change, expected):
    before = {"indicators": {"OD1.1": ANSWERED}, "evidence": {"OD1.1": [["Plan"]]}}
    after = {"indicators": {"OD1.1": {**ANSWERED, **change}}, "evidence": {"OD1.1": [["Plan"]]}}
    assert [(c.indicator_id, c.changed) for c in changed_indicators(before, after)] == (
        [("OD1.1", expected)] if expected else [])


def test_changed_indicators_count_evidence_rows():
    before = {"indicators": {"OD1.1": ANSWERED}, "evidence": {"OD1.1": [["Plan"]]}}
    after = {"indicators": {"OD1.1": ANSWERED}, "evidence": {"OD1.1": [["Plan"], ["Data"]]}}
    assert [(c.indicator_id, c.changed) for c in changed_indicators(before, after)] == [
        ("OD1.1", ["evidence (1 -> 2 rows)"])]


# -- the validation cache: which reports depend on the date they were checked on -------------------


def test_a_report_depends_on_its_date_when_a_cover_date_is_after_it(ret, framework):
    # Submitted 28/07/2010 and signed off 30/07/2010: checked on 29/07/2010 the sign-off is in
    # the future (as of a later day it would not be); as of 2026 nothing depends on the day.
    early = validate_workbook(ret, framework, today=date(2010, 7, 29))
    assert [f.code for f in early.findings] == ["date-in-future"]
    assert depends_on_date(early, date(2010, 7, 29))
    set_cells(ret, INDICATORS.sheet, J5="x" * 99)  # a finding that has nothing to do with dates
    late = validate_workbook(ret, framework, today=TODAY)
    assert [f.code for f in late.findings] == ["narrative-too-short"]
    assert not depends_on_date(late, TODAY)
