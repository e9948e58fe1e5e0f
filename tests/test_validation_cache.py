"""The validation cache (issue 16): `esps summary` does not check an unchanged return again.
Observed through the register's stored rows and the batch's `cached` count, on both engines."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from esps_cli.register import Register
from esps_cli.summary.sources import collect_summary
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE

CODES = ("TP-EK", "TP-CW", "TP-BS")


@pytest.fixture
def returns(tmp_path, framework, units, advisors) -> Path:
    chosen = [u for u in units if u.code in CODES]
    folder = tmp_path / "returns"
    cycle = framework.cycle(CYCLE)
    generate_workbooks(framework, chosen, advisors, folder, cycle, jobs=1)
    fill_file(folder / workbook_filename(chosen[0], cycle), framework, "complete")
    return folder


def _summary(framework, units, advisors, returns, register):
    chosen = [u for u in units if u.code in CODES]
    return collect_summary(framework, CYCLE, chosen, advisors, [returns], register, jobs=1)


def _rows(register) -> list[dict]:
    with Register.open(register, create=False) as reg:
        return reg.database.query("SELECT cache_key, file_sha256, report "
                                  "FROM validation_cache ORDER BY cache_key")


def test_an_unchanged_return_is_not_checked_again(framework, units, advisors, returns,
                                                  register_at):
    Register.open(register_at).close()
    first, batch1 = _summary(framework, units, advisors, returns, register_at)
    assert batch1.totals.cached == 0
    stored = _rows(register_at)
    assert len(stored) == 3
    second, batch2 = _summary(framework, units, advisors, returns, register_at)
    assert batch2.totals.cached == 3
    assert _rows(register_at) == stored  # nothing validated, so nothing new stored
    assert second.model_dump_json() == first.model_dump_json()
    assert [wb.model_dump() for wb in batch2.workbooks] == \
        [wb.model_dump() for wb in batch1.workbooks]


def test_an_edited_return_is_checked_again(framework, units, advisors, returns, register_at):
    Register.open(register_at).close()
    _summary(framework, units, advisors, returns, register_at)
    before = {wb.file: wb.valid for wb in _summary(framework, units, advisors, returns,
                                                     register_at)[1].workbooks}
    edited = next(name for name, valid in before.items() if not valid)
    fill_file(returns / edited, framework, "complete")  # the unit completes its return
    _report, batch = _summary(framework, units, advisors, returns, register_at)
    assert batch.totals.cached == 2
    after = {wb.file: wb.valid for wb in batch.workbooks}
    assert after == {**before, edited: True}
    assert len(_rows(register_at)) == 4  # the edited bytes are a new entry
    fresh = _summary(framework, units, advisors, returns, register_at)[1]
    assert fresh.totals.cached == 3


def test_another_framework_version_misses(framework, units, advisors, returns, register_at):
    Register.open(register_at).close()
    _summary(framework, units, advisors, returns, register_at)
    other = framework.model_copy(update={
        "meta": framework.meta.model_copy(update={"version": framework.meta.version + "b"})})
    _report, batch = _summary(other, units, advisors, returns, register_at)
    assert batch.totals.cached == 0
    assert len(_rows(register_at)) == 6


def test_no_register_means_no_cache_not_an_error(framework, units, advisors, returns,
                                                tmp_path):
    missing = tmp_path / "nowhere" / "esps.db"
    report, batch = _summary(framework, units, advisors, returns, missing)
    assert batch.totals.cached is None
    assert report.organisation.returned == 3
    assert not missing.exists()


def test_a_report_of_today_is_kept_for_today_only(framework, units, advisors, returns,
                                                  tmp_path):
    """A blank return's submission date is the day it is checked: its report is not reused
    on another day; a return with a Cover date before that day is."""
    from esps_cli.validation.batch import validate_paths

    register = tmp_path / "esps.db"
    Register.open(register).close()
    chosen = [u for u in units if u.code in CODES]
    with Register.open(register) as reg:
        for day in (date(2011, 3, 1), date(2011, 3, 1), date(2011, 3, 2)):
            validate_paths([returns], framework, units=chosen, jobs=1, today=day, cache=reg)
        batches = [validate_paths([returns], framework, units=chosen, jobs=1, today=day,
                                  cache=reg) for day in (date(2011, 3, 2), date(2011, 3, 3))]
    # the complete return (dated Cover) is reused on every day; the two blank ones on the
    # same day only
    assert [b.totals.cached for b in batches] == [3, 1]
    by_day = {json.loads(r["report"])["submission_date"] for r in _rows(register)}
    assert "2011-03-01" in by_day and "2011-03-02" in by_day


def test_a_damaged_entry_is_a_miss(framework, units, advisors, returns, register_at):
    Register.open(register_at).close()
    first, _ = _summary(framework, units, advisors, returns, register_at)
    key = _rows(register_at)[0]["cache_key"]
    with Register.open(register_at) as reg, reg.transaction():
        reg.database.execute("UPDATE validation_cache SET report = ? WHERE cache_key = ?",
                             ("{not json", key))
    again, batch = _summary(framework, units, advisors, returns, register_at)
    assert batch.totals.cached == 2
    assert again.model_dump_json() == first.model_dump_json()
