"""Every threshold rule of validation tested at its exact boundary and one step beyond, so that
turning a `<` into a `<=` (or `>=` into `>`) in the rule fails a test.

OD1.1 in the bundled framework: at least 3 evidence items (policy and data among them), dated
within 18 months of the submission date, and a narrative of at least 100 characters. The sample
return was completed on 28/07/2010 and lists exactly 3 items for OD1.1.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from esps_cli.domain.framework import Framework
from esps_cli.domain.normalise import parse_date
from esps_cli.domain.units import Unit
from esps_cli.validation.checks.evidence_dates import add_months
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import EVIDENCE, INDICATORS
from tests.samples import fill_file

from .conftest import CYCLE
from .test_validate import TODAY, add_evidence, check, edit, evidence_rows, set_cells

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
    assert "needs at least 3 evidence items; 2 usable are listed" in report.findings[0].message
    assert report.indicators[0].evidence_items == 2 and not report.indicators[0].minimum_met


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
