"""The audit log (issue 10, point 6): every recorded action an entry, hash-chained, so that an
edited or deleted register row is found by `esps log --verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import NewEvent, Register, audit, locate
from esps_cli.register.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE
from esps_cli.scoring.pack_store import PackIssue, record_pack

from .conftest import CYCLE
from .test_register import integrity_error, raw

runner = CliRunner()


def new(role: str = "linked", assessor: str = "dcfa01", score: int = 3,
        indicator: str = "OD1.1", comment: str = "") -> NewEvent:
    return NewEvent(cycle=CYCLE, unit="TP-CW", indicator=indicator, role=role,
                    assessor=assessor, score=score, comment=comment)


def _history(reg: Register) -> None:
    """One of each action: an allocation, a pack issued, an import of two scores, a
    moderation, an export."""
    reg.allocate(CYCLE, {"TP-CW": "dcfa05"}, seed=7)
    record_pack(reg, PackIssue(pack_id="a1b2c3d4e5f60718", kind="scoring", cycle=CYCLE,
                               unit="TP-CW", role="linked", assessor="dcfa01",
                               file="TP-CW_linked_dcfa01_2010-11.xlsx",
                               return_source="/returns/TP-CW.xlsx", return_sha256="ab" * 32))
    with reg.transaction():
        import_id = reg.log_import(CYCLE, "/packs/p.xlsx", "cd" * 32, "pack", 2)
        reg.record_many([new(), new(role="unlinked", assessor="dcfa05", score=1,
                                    comment="no plan")], import_id=import_id)
    reg.record(new(role="moderated", assessor="dcfa07", score=2, comment="agreed at panel"))
    reg.log_event("export", cycle=CYCLE, detail={"file": "/out/scores.csv", "rows": 3})


def _tamper(location: str, *statements: str) -> None:
    """What someone with sqlite3 or psql could do: lift the rule, change a row, put it back."""
    sqlite = locate(location).engine == "sqlite"
    with raw(location) as conn:
        for table in ("score_events", "audit_log", "allocations"):
            if sqlite:
                conn.execute(f"DROP TRIGGER {table}_no_update")
                conn.execute(f"DROP TRIGGER {table}_no_delete")
            else:
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql in statements:
            conn.execute(sql)


def test_every_recorded_action_is_an_entry_with_what_was_done(register_at: str) -> None:
    with Register.open(register_at) as reg:
        _history(reg)
        log = audit.entries(reg.database)
    assert [(e.id, e.action, e.unit, e.assessor, e.ref_table, e.ref_id) for e in log] == [
        (1, "allocation", "TP-CW", "dcfa05", "allocations", 1),
        (2, "pack-issue", "TP-CW", "dcfa01", "pack_issues", 1),
        (3, "import", "", "", "imports", 1),
        (4, "score", "TP-CW", "dcfa01", "score_events", 1),
        (5, "score", "TP-CW", "dcfa05", "score_events", 2),
        (6, "moderation", "TP-CW", "dcfa07", "score_events", 3),
        (7, "export", "", "", "", None),
    ]
    assert log[2].detail == {"source": "/packs/p.xlsx", "sha256": "cd" * 32, "kind": "pack",
                             "events": 2}
    assert log[4].detail["comment"] == "no plan" and log[4].detail["import_id"] == 1
    assert [e.prev_hash for e in log[1:]] == [e.entry_hash for e in log[:-1]]
    assert log[0].prev_hash == audit.GENESIS
    with Register.open(register_at) as reg:
        assert [e.id for e in audit.entries(reg.database, assessor="DCFA05")] == [1, 5]
        assert [e.id for e in audit.entries(reg.database, actions=["score", "moderation"])] == [
            4, 5, 6]
        assert audit.verify(reg.database).intact


@pytest.mark.parametrize(("statements", "entry", "problem"), [
    (("UPDATE score_events SET score = 4 WHERE id = 2",), 5,
     "score_events row 2, recorded by entry 5, was edited after it was recorded"),
    (("DELETE FROM score_events WHERE id = 3",), 6,
     "score_events row 3, recorded by entry 6, was deleted"),
    (("UPDATE allocations SET unlinked_dcfa = 'dcfa02'",), 1,
     "allocations row 1, recorded by entry 1, was edited after it was recorded"),
    (("UPDATE audit_log SET assessor = 'dcfa09' WHERE id = 4",), 4,
     "entry 4 was edited after it was written"),
    (("DELETE FROM audit_log WHERE id = 7",), None, ""),  # the newest: see the head hash
    (("DELETE FROM audit_log WHERE id = 3",), 3,
     "entry 3 is missing: the log goes from entry 2 to entry 4 (an entry was deleted)"),
    (("UPDATE audit_log SET prev_hash = entry_hash WHERE id = 4",), 4,
     "entry 4 does not follow entry 3 (entry 3 was edited or deleted, or this one inserted)"),
    (("DELETE FROM score_events WHERE id = 3", "UPDATE score_events SET score = 4 WHERE id = 2",
      "UPDATE allocations SET unlinked_dcfa = 'dcfa02'"), 1,  # the first of three
     "allocations row 1, recorded by entry 1, was edited after it was recorded"),
    (("DELETE FROM score_events WHERE id = 3", "UPDATE score_events SET score = 4 WHERE id = 2"),
     5, "score_events row 2, recorded by entry 5, was edited after it was recorded"),
    (("UPDATE score_events SET score = 4 WHERE id = 2",
      "UPDATE audit_log SET assessor = 'dcfa09' WHERE id = 6"), 5,  # a row before the chain
     "score_events row 2, recorded by entry 5, was edited after it was recorded"),
])
@pytest.mark.parametrize("chunk", [2, 10_000])  # entries and rows read at a time
def test_verify_names_the_first_broken_entry(
    register_at: str, statements: tuple[str, ...], entry: int | None, problem: str,
    chunk: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit, "_VERIFY_CHUNK", chunk)
    with Register.open(register_at) as reg:
        _history(reg)
        head = audit.verify(reg.database).head
    _tamper(register_at, *statements)
    with Register.open(register_at) as reg:
        result = audit.verify(reg.database)
    assert (result.broken_entry, result.problem) == (entry, problem)
    if entry is None:  # a consistent but shorter chain: only the noted head tells
        assert result.intact and result.head != head


def test_a_row_added_behind_esps_back_is_found(register_at: str) -> None:
    with Register.open(register_at) as reg:
        _history(reg)
    with raw(register_at) as conn:
        conn.execute("INSERT INTO allocations (id, cycle, unit, unlinked_dcfa, allocated_at) "
                     f"VALUES (2, '{CYCLE}', 'TP-EK', 'dcfa03', '2010-09-01T00:00:00+00:00')")
    with Register.open(register_at) as reg:
        result = audit.verify(reg.database)
    assert (result.broken_entry, result.problem) == (
        None, "allocations row 2 has no audit entry: it was added outside esps")


def test_the_log_and_the_packs_issued_are_append_only_in_the_database(register_at: str) -> None:
    with Register.open(register_at) as reg:
        _history(reg)
    for sql, message in (("UPDATE audit_log SET action = 'x'", "append-only"),
                         ("DELETE FROM audit_log WHERE id = 7", "append-only"),
                         ("UPDATE pack_issues SET assessor = 'dcfa02'", "append-only"),
                         ("DELETE FROM pack_issues", "append-only")):
        with raw(register_at) as conn, pytest.raises(integrity_error(register_at),
                                                     match=message):
            conn.execute(sql)
    with Register.open(register_at) as reg:
        assert audit.verify(reg.database).intact


def test_the_database_refuses_a_moderation_by_the_units_own_assessor(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.record(new())
        reg.record(new(role="unlinked", assessor="dcfa05", score=1))
        for who in ("dcfa01", "dcfa05"):
            with pytest.raises(Exception, match="cannot moderate its scores"):
                reg.record(new(role="moderated", assessor=who, comment="agreed at panel"))
        reg.record(new(role="moderated", assessor="dcfa07", comment="agreed at panel"))
        assert reg.event_count() == 3


def test_a_version_2_register_gets_entries_for_what_it_already_holds(register_at: str) -> None:
    engine = locate(register_at).engine
    with raw(register_at) as conn:
        conn.execute(SCHEMA_VERSION_TABLE)
        for migration in MIGRATIONS[:2]:
            for sql in migration.statements(engine):
                conn.execute(sql)
            conn.execute(f"INSERT INTO schema_version VALUES ({migration.version}, "
                         "'2010-08-01T00:00:00+00:00')")
        conn.execute("INSERT INTO allocations (id, cycle, unit, unlinked_dcfa, allocated_at) "
                     f"VALUES (1, '{CYCLE}', 'TP-CW', 'dcfa05', '2010-08-01T00:00:00+00:00')")
        conn.execute("INSERT INTO score_events (id, cycle, unit, indicator, role, assessor, "
                     "score, comment, recorded_at, source) VALUES (1, "
                     f"'{CYCLE}', 'TP-CW', 'OD1.1', 'linked', 'dcfa01', 3, '', "
                     "'2010-08-02T00:00:00+00:00', 'command line')")
    with Register.open(register_at) as reg:
        log = audit.entries(reg.database)
        assert [(e.action, e.ref_table, e.detail["backfilled"]) for e in log] == [
            ("allocation", "allocations", True), ("score", "score_events", True)]
        reg.record(new(indicator="OD1.2"))
        assert audit.verify(reg.database).intact


# -- the command line ---------------------------------------------------------------------


def test_esps_log_lists_filters_and_verifies(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    db = tmp_path / "esps.db"
    with Register.open(db) as reg:
        _history(reg)
    common = ["--register", str(db)]
    text = runner.invoke(app, ["log", *common])
    assert text.exit_code == 0, text.output
    assert "7 entries" in text.stdout
    as_json = json.loads(runner.invoke(app, ["log", "--unit", "tp-cw", "--action", "score",
                                             "--format", "json", *common]).stdout)
    assert [(e["id"], e["detail"]["role"]) for e in as_json] == [(4, "linked"), (5, "unlinked")]
    as_csv = runner.invoke(app, ["log", "--action", "import", "--format", "csv", *common])
    assert as_csv.stdout.splitlines()[0].startswith("id,at,action,cycle,unit,assessor,detail")
    assert "cd" * 32 in as_csv.stdout  # the imported file's hash
    future = runner.invoke(app, ["log", "--since", "2999-01-01", *common])
    assert "0 entries" in future.stdout
    bad = runner.invoke(app, ["log", "--action", "delete", *common])
    assert bad.exit_code == 2 and "unknown action(s) delete" in bad.stderr
    ok = runner.invoke(app, ["log", "--verify", *common])
    assert ok.exit_code == 0 and "intact: 7 audit entries" in " ".join(ok.stdout.split())
    _tamper(str(db), "UPDATE score_events SET score = 4 WHERE id = 1")
    broken = runner.invoke(app, ["log", "--verify", *common])
    assert broken.exit_code == 1
    assert ("BROKEN at entry 4: score_events row 1, recorded by entry 4, was edited after it "
            "was recorded") in " ".join(broken.stdout.split())
    check = runner.invoke(app, ["register", "check", *common])
    assert check.exit_code == 1 and "audit chain" in check.stdout


def test_score_export_to_a_file_is_an_entry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    db = tmp_path / "esps.db"
    with Register.open(db) as reg:
        reg.record(new())
    out = tmp_path / "scores.csv"
    done = runner.invoke(app, ["score", "export", "--output", str(out), "--register", str(db),
                               "--cycle", CYCLE, "--units", str(EXAMPLES_DIR / "units.csv")])
    assert done.exit_code == 0, done.output
    with Register.open(db) as reg:
        [export] = audit.entries(reg.database, actions=["export"])
    assert (export.detail["file"], export.detail["format"]) == (str(out.resolve()), "csv")
