"""The checks' declared codes: every check names the catalogue codes it can emit, every code a
returned workbook's content can get is declared by a check, and a check emitting a code it did
not declare is caught (as one check-failed finding)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Unit
from esps_cli.findings import (
    BATCH_CODES,
    CHECK_FAILED,
    IDENTICAL_RESUBMISSION,
    LEGACY_ASSESSMENT_SHEET,
    MACRO_ENABLED,
    METADATA_UNHIDDEN,
    MISSING_FIELD,
    MISSING_HEADER,
    MISSING_SHEET,
    NOT_A_RETURN,
    NOT_ESPS_WORKBOOK,
    TOO_MANY_ROWS,
    UNKNOWN_CYCLE,
    UNREADABLE_CELL,
    UNREADABLE_FILE,
    catalogue,
)
from esps_cli.validation.checks import CHECKS, INDICATOR_CHECKS, ROW_CHECKS
from esps_cli.validation.context import WorkbookCheck
from esps_cli.validation.runner import Check, declared_codes, run_checks, run_on
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.reader import read_workbook

from .conftest import CYCLE

# Codes made outside the checks: by the reader, by the batch, by the runner itself.
READER_CODES = {c.code for c in (UNREADABLE_FILE, NOT_A_RETURN, NOT_ESPS_WORKBOOK,
                                 METADATA_UNHIDDEN, MISSING_SHEET, MISSING_HEADER, MISSING_FIELD,
                                 MACRO_ENABLED, TOO_MANY_ROWS, UNREADABLE_CELL,
                                 LEGACY_ASSESSMENT_SHEET)}


def test_every_content_code_is_declared_by_a_check():
    declared = declared_codes([*CHECKS, *ROW_CHECKS, *INDICATOR_CHECKS])
    codes = {c.code for c in catalogue()}
    assert declared <= codes
    workbook_codes = {c for c in codes if not c.startswith(("list-", "framework-", "score-",
                                                            "challenge-", "group-"))
                      or c == "framework-changed"}
    # identical-resubmission: made once the batch is compared with the register's returns.
    assert workbook_codes - declared == READER_CODES | BATCH_CODES | {
        CHECK_FAILED.code, IDENTICAL_RESUBMISSION.code}


def test_the_container_checks_declare_their_parts():
    by_name = {c.name: c for c in CHECKS}
    assert by_name["evidence rows"].code_set == declared_codes(ROW_CHECKS)
    assert by_name["indicator minimums"].code_set == declared_codes(INDICATOR_CHECKS)


@pytest.fixture
def blank_check(tmp_path: Path, pristine_pack: Path, units: list[Unit],
                framework: Framework) -> WorkbookCheck:
    """The checks' context of a copy of a blank pack, read as validation reads it."""
    path = tmp_path / "blank.xlsx"
    shutil.copy(pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE)), path)
    return WorkbookCheck(read_workbook(path), framework, today=date(2026, 1, 1),
                         expected_cycle=None, check_evidence=False)


def test_a_code_a_check_did_not_declare_is_a_check_failed_finding(
        blank_check: WorkbookCheck):
    def sloppy(ctx: WorkbookCheck, _: None) -> None:
        ctx.add(UNKNOWN_CYCLE, "not this check's to say")

    ctx = blank_check
    run_checks(ctx, (Check("sloppy", (), sloppy),))
    (f,) = ctx.findings
    assert f.code == CHECK_FAILED.code
    assert "the sloppy check failed: UndeclaredCode: unknown-cycle" in f.message


def test_checks_run_on_one_subject_go_on_after_one_raises(blank_check: WorkbookCheck):
    # run_on runs an indicator's (or an evidence row's) checks in one loop: a check that
    # raises is one check-failed finding naming it and the subject, the checks after it
    # still run, each with only its own codes allowed, and the caller learns it failed.
    ctx = blank_check
    seen: list[frozenset[str] | None] = []

    def first(c: WorkbookCheck, subject: str) -> None:
        seen.append(c.allowed)
        c.add(UNKNOWN_CYCLE, f"first on {subject}")

    def broken(c: WorkbookCheck, subject: str) -> None:
        seen.append(c.allowed)
        raise ValueError("no such row")

    def last(c: WorkbookCheck, subject: str) -> None:
        seen.append(c.allowed)
        c.add(CHECK_FAILED, f"last on {subject}")

    checks = (Check("first", (UNKNOWN_CYCLE,), first), Check("broken", (), broken),
              Check("last", (CHECK_FAILED,), last))
    before = len(ctx.findings)
    assert run_on(ctx, checks, "row 7") is False
    assert [f.message for f in ctx.findings[before:]] == [
        "first on row 7", "the broken check on row 7 failed: ValueError: no such row",
        "last on row 7"]
    assert seen == [frozenset({UNKNOWN_CYCLE.code}), frozenset(), frozenset({CHECK_FAILED.code})]
    assert ctx.allowed is None  # as it was before
    assert run_on(ctx, checks[:1], "row 8") is True


def test_a_ctrl_c_turned_into_an_error_is_not_a_check_failed_finding(
        blank_check: WorkbookCheck):
    # A library that catches everything (openpyxl) may turn a Ctrl-C into a TypeError: the
    # check boundary must let it through, not report it as a failed check and go on.
    from esps_cli.errors import must_propagate

    ctx = blank_check

    def converts(c: WorkbookCheck, subject: str) -> None:
        try:
            raise KeyboardInterrupt
        except:  # noqa: E722 -- as openpyxl's descriptors do
            raise TypeError("expected <class 'openpyxl.styles.colors.RgbColor'>") from None

    before = len(ctx.findings)
    with pytest.raises(TypeError) as raised:
        run_on(ctx, (Check("converts", (), converts),), "row 3")
    assert must_propagate(raised.value)
    assert not must_propagate(TypeError("a bug"))
    assert len(ctx.findings) == before
