"""Nothing the register holds changes a figure unseen (issue 25 item 2): a validation cache entry
edited in the database is never shown as a result, on both engines: one UPDATE is caught by
the digest stored with the entry (and said); an edit with the digest recomputed is caught
against the return the audit chain recorded (the file is checked again)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.register import Register, locate
from esps_cli.register.cache import entry_digest

from .conftest import CYCLE
from .test_register import raw
from .test_validation_cache import CODES, _summary
from .test_validation_cache import returns as returns


def _forge(location: str, *, redigest: bool) -> str:
    """Make every invalid return's cached report say valid, 0 errors; the file it was for."""
    sql = "UPDATE validation_cache SET report = ?, report_sha256 = ? WHERE cache_key = ?"
    if locate(location).engine != "sqlite":
        sql = sql.replace("?", "%s")
    with Register.open(location, create=False) as reg:
        rows = reg.database.query("SELECT cache_key, file_sha256, report, report_sha256 "
                                  "FROM validation_cache")
    forged = ""
    with raw(location) as conn:
        for row in rows:
            report = json.loads(row["report"])
            if report["valid"]:
                continue
            forged = report["file"]
            report.update(valid=True, errors=0, warnings=0, findings=[])
            text = json.dumps(report)
            digest = entry_digest(row["cache_key"], row["file_sha256"], text) if redigest \
                else row["report_sha256"]
            conn.execute(sql, (text, digest, row["cache_key"]))
    assert forged
    return forged


def _valid(batch) -> dict[str, bool]:
    return {wb.file: wb.valid for wb in batch.workbooks}


def test_an_edited_cache_entry_is_not_a_result_and_is_reported(
        framework, units, advisors, returns, register_at) -> None:
    Register.open(register_at).close()
    _report, honest = _summary(framework, units, advisors, returns, register_at)
    forged = _forge(register_at, redigest=False)
    report, batch = _summary(framework, units, advisors, returns, register_at)
    assert _valid(batch) == _valid(honest) and _valid(batch)[forged] is False
    assert batch.totals.cached == len(CODES) - 2  # the valid return, not the forged ones
    assert any(n.startswith("Validation cache: the stored result of ") and forged in n and
               "was changed in the register after it was stored, so it was not used" in n
               for n in batch.notes)
    assert report.model_dump()["units"] == _report.model_dump()["units"]


def test_an_edit_with_its_digest_recomputed_is_caught_against_the_recorded_return(
        framework, units, advisors, returns, register_at, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    recorded = CliRunner().invoke(app, ["validate", str(returns), "--register", register_at,
                                        "--cycle", CYCLE, "--jobs", "1"])
    assert recorded.exit_code == 1, recorded.output  # the returns are now on record
    _report, honest = _summary(framework, units, advisors, returns, register_at)
    forged = _forge(register_at, redigest=True)
    _report, batch = _summary(framework, units, advisors, returns, register_at)
    assert _valid(batch) == _valid(honest) and _valid(batch)[forged] is False
    assert batch.totals.cached == 1
