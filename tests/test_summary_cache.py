"""What the validation cache keeps for a summary (issue 28): beside each report, the report as a
summary reads it (counts, statuses, indicators; no findings but a failed identity), with its own
digest. Observed through `esps summary --format json` and the register's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register, locate
from esps_cli.register.cache import entry_digest, summary_digest
from esps_cli.register.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE
from .test_register import raw

CODES = ("TP-EK", "TP-CW", "TP-BS")
LISTS = ["--units", str(EXAMPLES_DIR / "units.csv"), "--advisors",
         str(EXAMPLES_DIR / "dcfas.csv"), "--cycle", CYCLE]


@pytest.fixture(scope="module")
def returns(tmp_path_factory, framework, units, advisors) -> Path:
    """One complete return and two blank ones (about 200 findings each)."""
    chosen = [u for u in units if u.code in CODES]
    folder = tmp_path_factory.mktemp("returns")
    cycle = framework.cycle(CYCLE)
    generate_workbooks(framework, chosen, advisors, folder, cycle, jobs=1)
    fill_file(folder / workbook_filename(chosen[0], cycle), framework, "complete")
    return folder


@pytest.fixture(autouse=True)
def _outside_a_working_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)


def _run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, [*args, "--jobs", "1"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.output
    return done.exit_code, done.stdout


def _summary(returns: Path, register: str) -> dict:
    code, out = _run("summary", "--returns", str(returns), "--register", register,
                     "--format", "json", *LISTS)
    assert code == 1, out  # the KPI is not met
    report = json.loads(out)
    report.pop("chain_fingerprint")
    return report


def _validity(report: dict) -> dict[str, tuple[bool | None, int]]:
    return {u["unit_code"]: (u["valid"], u["errors"]) for u in report["units"]
            if u["unit_code"] in CODES}


def _rows(register: str) -> list[dict]:
    with Register.open(register, create=False) as reg:
        return reg.database.query("SELECT * FROM validation_cache ORDER BY cache_key")


def _forge(register: str, *, redigest: bool) -> str:
    """Make each invalid return's summary entry say valid with no errors (its report left as
    it is); the unit it was for."""
    sql = "UPDATE validation_cache SET summary = ?, summary_sha256 = ? WHERE cache_key = ?"
    if locate(register).engine != "sqlite":
        sql = sql.replace("?", "%s")
    forged = ""
    with raw(register) as conn:
        for row in _rows(register):
            entry = json.loads(row["summary"])
            if entry["valid"]:
                continue
            forged = entry["unit_code"]
            entry.update(valid=True, errors=0, warnings=0)
            text = json.dumps(entry)
            digest = summary_digest(row["cache_key"], row["file_sha256"], text,
                                    row["report_sha256"]) if redigest else row["summary_sha256"]
            conn.execute(sql, (text, digest, row["cache_key"]))
    assert forged
    return forged


def test_a_summary_from_the_cache_equals_one_from_fresh_validation(returns, register_at):
    Register.open(register_at).close()
    fresh = _summary(returns, register_at)  # fills the cache
    rows = _rows(register_at)
    assert len(rows) == 3
    for row in rows:
        report, entry = json.loads(row["report"]), json.loads(row["summary"])
        assert entry == {**report, "findings": []}  # the same report, without its findings
    assert max(len(json.loads(r["report"])["findings"]) for r in rows) > 100  # blank ones
    assert _summary(returns, register_at) == fresh
    assert _rows(register_at) == rows  # nothing checked again, so nothing stored


def test_an_edited_summary_entry_is_not_used(returns, register_at):
    Register.open(register_at).close()
    honest = _summary(returns, register_at)
    forged = _forge(register_at, redigest=False)
    assert _validity(honest)[forged] == (False, _validity(honest)[forged][1])
    assert _summary(returns, register_at) == honest  # the file was checked again


def test_a_redigested_entry_is_caught_only_for_a_return_on_record(returns, tmp_path):
    register = str(tmp_path / "esps.db")
    Register.open(register).close()
    honest = _summary(returns, register)
    forged = _forge(register, redigest=True)
    # Never recorded: nothing to check the entry against (the README's threat table says so);
    # it shows, which is also what proves the summary reads this entry and not the report.
    assert _validity(_summary(returns, register))[forged] == (True, 0)
    code, _ = _run("validate", str(returns), "--register", register, "--cycle", CYCLE)
    assert code == 1  # the returns are now on record
    assert _validity(_summary(returns, register)) == _validity(honest)


def test_an_entry_without_a_summary_is_read_from_its_report(returns, tmp_path):
    """An entry whose summary is empty (none stored) is read from its whole report, whose
    own digest still guards it."""
    register = str(tmp_path / "esps.db")
    Register.open(register).close()
    honest = _summary(returns, register)
    with raw(register) as conn:
        conn.execute("UPDATE validation_cache SET summary = '', summary_sha256 = ''")
        conn.execute("UPDATE validation_cache SET report = replace(report, "
                     "'\"valid\":false', '\"valid\":true')")
    assert _summary(returns, register) == honest  # edited reports not used: checked again
    with raw(register) as conn:  # reports made valid with their digests recomputed
        for row in _rows(register):
            report = json.loads(row["report"])
            report.update(valid=True, errors=0, warnings=0, findings=[])
            text = json.dumps(report)
            conn.execute("UPDATE validation_cache SET report = ?, report_sha256 = ? "
                         "WHERE cache_key = ?", (text, entry_digest(
                             row["cache_key"], row["file_sha256"], text), row["cache_key"]))
    # read (a return never recorded has nothing to be checked against)
    assert {v for v, _e in _validity(_summary(returns, register)).values()} == {True}


def test_a_register_at_schema_version_10_is_upgraded_and_summarised(returns, tmp_path):
    register = str(tmp_path / "esps.db")
    with raw(register) as conn:
        conn.execute(SCHEMA_VERSION_TABLE)
        for migration in MIGRATIONS[:10]:
            for sql in migration.statements("sqlite"):
                conn.execute(sql)
            conn.execute(f"INSERT INTO schema_version VALUES ({migration.version}, "
                         "'2010-08-01T00:00:00+00:00')")
        conn.execute("INSERT INTO validation_cache VALUES ('k', 'f', 'fw', '0.1.0', "
                     "'2010-08-01T00:00:00+00:00', '{}', 'd')")
    before = _summary(returns, register)
    assert _summary(returns, register) == before
    with Register.open(register, create=False) as reg:
        assert reg.schema_version == MIGRATIONS[-1].version
    assert [json.loads(r["summary"])["findings"] for r in _rows(register)] == [[]] * 3
    Register.open(tmp_path / "other.db").close()
    assert _summary(returns, str(tmp_path / "other.db")) == before


def test_a_first_summary_stores_each_report_a_chunk_at_a_time(returns, framework, tmp_path):
    """Reports checked afresh are stored as they come (here two at a time) and kept as a summary
    reads them, in order."""
    from datetime import date

    from esps_cli.validation.cache import cache_keys, summarised
    from esps_cli.validation.validate import validate_workbook

    register = tmp_path / "esps.db"
    files = sorted(returns.glob("*.xlsx"))
    options = {"today": date(2011, 3, 1), "cycle": framework.cycle(CYCLE), "issued": None}
    keys = cache_keys([(str(f), f.name) for f in files], framework, options)
    reports = [validate_workbook(f, framework, name=f.name, today=date(2011, 3, 1))
               for f in files]
    with Register.open(register) as reg:
        kept = summarised(reg, framework, keys, iter(reports), date(2011, 3, 1), {}, chunk=2)
    assert [r.file for r in kept] == [f.name for f in files]
    assert [r.errors for r in kept] == [r.errors for r in reports]
    assert all(r.findings == [] for r in kept) and any(r.findings for r in reports)
    stored = {json.loads(row["report"])["file"]: row for row in _rows(str(register))}
    assert sorted(stored) == [f.name for f in files]  # the last, odd one too
    for report in reports:
        assert json.loads(stored[report.file]["summary"]) == json.loads(
            report.for_summary().model_dump_json())
