"""Tamper evidence against someone with write access (issue 25): the audit chain re-hashed end
to end or cut short is caught against a head kept outside the register (a checkpoint file, the
fingerprint a Board pack prints), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.register import Register, audit, locate

from .test_audit import _history
from .test_register import raw

runner = CliRunner()


def _sql(location: str, statement: str) -> str:
    return statement if locate(location).engine == "sqlite" else statement.replace("?", "%s")


def _unguarded(location: str, conn: Any) -> None:
    """Lift the append-only triggers as the tables' owner could: drop them (SQLite), disable
    them (PostgreSQL; a superuser's replica-role session would skip them alike)."""
    if locate(location).engine == "sqlite":
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f"DROP TRIGGER {name}")
    else:
        for table in (*audit.AUDITED, "audit_log"):
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def rechain(location: str, edit: str) -> None:
    """Edit a row, then recompute its entry's row hash and every later entry's hash with
    esps's own functions: the chain is consistent again."""
    with Register.open(location, create=False) as reg:
        before = reg.database.query("SELECT * FROM audit_log ORDER BY id")
    with raw(location) as conn:
        _unguarded(location, conn)
        conn.execute(edit)
    with Register.open(location, create=False) as reg:
        stored = {(t, int(r["id"])): r for t in audit.AUDITED if reg.database.has_table(t)
                  for r in reg.database.query(f"SELECT * FROM {t}")}
    prev = audit.GENESIS
    with raw(location) as conn:
        _unguarded(location, conn)
        for entry in before:
            row = dict(entry)
            if row["ref_table"]:
                row["row_sha256"] = audit.row_digest(stored[(row["ref_table"],
                                                             int(row["ref_id"]))])
            row["prev_hash"] = prev
            row["entry_hash"] = prev = audit.entry_digest(prev, row)
            conn.execute(_sql(location, "UPDATE audit_log SET row_sha256 = ?, prev_hash = ?, "
                                        "entry_hash = ? WHERE id = ?"),
                         (row["row_sha256"], row["prev_hash"], row["entry_hash"], row["id"]))


def truncate(location: str, keep: int) -> None:
    """Remove the newest entries with the rows they record."""
    with Register.open(location, create=False) as reg:
        gone = reg.database.query(f"SELECT ref_table, ref_id FROM audit_log WHERE id > {keep}")
    with raw(location) as conn:
        _unguarded(location, conn)
        for row in gone:
            if row["ref_table"]:
                conn.execute(f"DELETE FROM {row['ref_table']} WHERE id = {int(row['ref_id'])}")
        conn.execute(f"DELETE FROM audit_log WHERE id > {keep}")


def _verify(location: str, *extra: str) -> Any:
    return runner.invoke(app, ["log", "--verify", "--register", location, *extra])


@pytest.fixture
def anchored(register_at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> tuple[str, Path]:
    """A register with history and a checkpoint of its head (7 entries)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    with Register.open(register_at) as reg:
        _history(reg)
    file = tmp_path / "checkpoint.json"
    done = runner.invoke(app, ["log", "checkpoint", str(file), "--register", register_at])
    assert done.exit_code == 0, done.output
    return register_at, file


def test_a_rechained_log_verifies_alone_but_not_against_its_checkpoint(anchored) -> None:
    location, file = anchored
    saved = json.loads(file.read_text())
    assert saved["entry"] == 7 and saved["fingerprint"] == f"7:{saved['head'][:4]}-" \
        f"{saved['head'][4:8]}-{saved['head'][8:12]}-{saved['head'][12:16]}"
    assert _verify(location, "--since-checkpoint", str(file)).exit_code == 0
    rechain(location, "UPDATE score_events SET score = 4 WHERE id = 2")
    alone = _verify(location)
    assert alone.exit_code == 0  # the attack the checkpoint is for
    caught = _verify(location, "--since-checkpoint", str(file))
    assert caught.exit_code == 1
    said = " ".join(caught.stdout.split())
    assert "BROKEN at entry 7: entry 7's hash is " in said
    assert f"not the checkpoint's {saved['head'][:16]}: the log was rewritten" in said
    by_head = _verify(location, "--expect-head", saved["fingerprint"])
    assert by_head.exit_code == 1 and "BROKEN at entry 7" in by_head.stdout


def test_a_log_cut_short_with_its_rows_fails_against_the_head_a_board_pack_printed(
        anchored) -> None:
    location, file = anchored
    head = json.loads(file.read_text())["fingerprint"]
    truncate(location, keep=6)
    assert _verify(location).exit_code == 0
    caught = _verify(location, "--expect-head", head)
    assert caught.exit_code == 1
    assert ("BROKEN at entry 7: the log ends at entry 6 but the checkpoint's head is entry 7"
            in " ".join(caught.stdout.split()))


def test_a_log_that_grew_since_the_checkpoint_still_extends_it(anchored) -> None:
    location, file = anchored
    with Register.open(location, create=False) as reg:
        reg.log_event("export", detail={"file": "x.csv"})
    ok = _verify(location, "--since-checkpoint", str(file), "--format", "json")
    assert ok.exit_code == 0
    result = json.loads(ok.stdout)
    assert (result["entries"], result["intact"], result["expected"][:2]) == (8, True, "7:")


@pytest.mark.parametrize("head", ["7", "7:abc", "x:3f2a-91bc-07de-55a1", "7:zz2a-91bc-07de-55a1"])
def test_a_head_that_is_not_one_is_a_usage_error(tmp_path: Path, monkeypatch, head) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    db = tmp_path / "esps.db"
    Register.open(db).close()
    bad = _verify(str(db), "--expect-head", head)
    assert bad.exit_code == 2 and "is not a chain head: give ENTRY:HASH" in bad.stderr


def test_a_checkpoint_file_that_is_not_one_is_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    db = tmp_path / "esps.db"
    Register.open(db).close()
    other = tmp_path / "notes.json"
    other.write_text('{"kind": "shopping"}')
    bad = _verify(str(db), "--since-checkpoint", str(other))
    assert bad.exit_code == 2 and f"{other} is not an esps checkpoint" in bad.stderr
    unverified = runner.invoke(app, ["log", "--register", str(db), "--expect-head",
                                     "0:" + "0" * 16])
    assert unverified.exit_code == 2 and "add --verify" in unverified.stderr
    first = runner.invoke(app, ["log", "checkpoint", str(other), "--register", str(db)])
    assert first.exit_code == 2 and "already exists" in first.stderr


# -- the rules in a PostgreSQL register, and what `register check` says of them ----------------


def test_a_superusers_replica_role_session_is_refused_as_any_other(postgres_cluster) -> None:
    import psycopg

    database = postgres_cluster.new_database()
    location = postgres_cluster.url(database)
    with Register.open(location) as reg:
        _history(reg)
    with psycopg.connect(postgres_cluster.url(database, "esps"), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
            conn.execute("UPDATE score_events SET score = 4 WHERE id = 2")
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE id = 7")


def _check(location: str) -> dict[str, tuple[str, str]]:
    from esps_cli.register.maintenance import check

    return {i.name: (i.status, i.detail) for i in check(location).items}


def test_register_check_says_which_triggers_a_session_can_skip_and_what_is_not_covered(
        postgres_cluster) -> None:
    location = postgres_cluster.url(postgres_cluster.new_database())
    with Register.open(location) as reg:
        _history(reg)
    items = _check(location)
    assert items["rules in the database"] == (
        "ok", "append-only and role triggers all present and firing")
    status, detail = items["audit coverage"]
    assert status == "ok"
    assert "not covered: audit_log (the chain itself" in detail
    assert "schema_version (the schema's version history)" in detail
    assert "validation_cache (a cache: an entry is used only if" in detail
    with raw(location) as conn:
        conn.execute("ALTER TABLE score_events ENABLE TRIGGER score_events_no_update")
        conn.execute("CREATE TABLE notes (id int)")
    items = _check(location)
    assert items["rules in the database"][0] == "warning"
    assert "1 fire only for ordinary sessions: a superuser session with " \
           "session_replication_role = replica skips them" in items["rules in the database"][1]
    assert items["audit coverage"][0] == "warning"
    assert "table(s) esps does not know, not covered by the audit chain: notes" in \
        items["audit coverage"][1]
    with raw(location) as conn:
        conn.execute("ALTER TABLE score_events DISABLE TRIGGER score_events_no_delete")
    status, detail = _check(location)["rules in the database"]
    assert (status, detail.split(";")[0]) == (
        "problem", "trigger(s) disabled: score_events_no_delete")


def test_every_edition_prints_where_the_chain_stood(anchored, tmp_path: Path) -> None:
    """The Board pack (xlsx and web page) and the public edition print the head's fingerprint;
    it is the one --expect-head takes, so a later rewrite is caught against the papers."""
    import openpyxl

    from esps_cli.domain.paths import EXAMPLES_DIR

    location, file = anchored
    head = json.loads(file.read_text())["fingerprint"]
    common = ["summary", "--returns", str(EXAMPLES_DIR / "returned"), "--register", location,
              "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", "2010-11", "--jobs", "1"]
    made = {}
    for name, extra in (("board.xlsx", []), ("board.html", []), ("public.html", ["--public"])):
        done = runner.invoke(app, [*common, *extra, "--output", str(tmp_path / name)])
        assert done.exit_code in (0, 1), done.output
        made[name] = tmp_path / name
    first_page = openpyxl.load_workbook(made["board.xlsx"])["Summary"]
    texts = [c.value for row in first_page.iter_rows(max_row=6) for c in row if c.value]
    assert any(str(t).startswith(f"Audit fingerprint {head}: ") for t in texts)
    for name in ("board.html", "public.html"):
        assert head in made[name].read_text(encoding="utf-8"), name
    assert _verify(location, "--expect-head", head).exit_code == 0
