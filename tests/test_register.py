"""The score register on both engines (SQLite and a real PostgreSQL started by the tests):
schema and migrations, append-only events and role rules enforced by the database itself,
current and history, and reliability with real processes (concurrent writers; a process killed
mid-import)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.errors import ConfigError
from esps_cli.register import (
    DEFAULT_REGISTER,
    EVENT_COLUMNS,
    REGISTER_ENV,
    SCHEMA_VERSION,
    NewEvent,
    Register,
    RegisterNotFound,
    RegisterRuleError,
    default_register_path,
    event_row,
    locate,
)
from esps_cli.register.migrations import MIGRATIONS, SCHEMA_VERSION_TABLE
from esps_cli.register.models import REGISTER_COLUMNS
from esps_cli.scoring.roster import Roster

from .conftest import CYCLE
from .packs import record_returns


def new(unit: str = "TP-CW", indicator: str = "OD1.1", role: str = "linked", score: int = 3,
        assessor: str = "dcfa01", comment: str = "", **more: Any) -> NewEvent:
    return NewEvent(cycle=CYCLE, unit=unit, indicator=indicator, role=role, assessor=assessor,
                    score=score, comment=comment, **more)


@contextlib.contextmanager
def raw(location: str) -> Iterator[Any]:
    """The engine's own driver, in autocommit, without esps in between: what a user with
    sqlite3 or psql could do."""
    if locate(location).engine == "sqlite":
        conn = sqlite3.connect(location, isolation_level=None)
    else:
        import psycopg

        conn = psycopg.connect(location, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def integrity_error(location: str) -> type[Exception]:
    if locate(location).engine == "sqlite":
        return sqlite3.IntegrityError
    import psycopg

    return psycopg.errors.IntegrityError


REVIEW_TABLES = {"workbook_issues", "unit_returns", "review_states"}
COMMUNITY_TABLES = {"challenge_forms", "challenges", "challenge_responses", "releases"}
CALIBRATION_TABLES = {"calibration_seeds", "calibration_packs", "calibration_scores"}
WHO_TABLES = {"unit_links", "cycle_rules", "advisor_logins"}  # schema version 8


def table_names(reg: Register) -> set[str]:
    return {t for t in ("schema_version", "score_events", "allocations", "imports",
                        "pack_issues", "audit_log", *sorted(REVIEW_TABLES),
                        "validation_cache", *sorted(COMMUNITY_TABLES),
                        *sorted(CALIBRATION_TABLES), *sorted(WHO_TABLES))
            if reg.database.has_table(t)}


# -- schema and migrations -----------------------------------------------------------------


def test_a_new_register_has_the_current_schema(register_at: str) -> None:
    with Register.open(register_at) as reg:
        assert reg.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 7
        assert table_names(reg) == {"schema_version", "score_events", "allocations", "imports",
                                    "pack_issues", "audit_log", *REVIEW_TABLES,
                                    "validation_cache", *COMMUNITY_TABLES,
                                    *CALIBRATION_TABLES, *WHO_TABLES}
        assert [r["version"] for r in reg.rows("schema_version")] == [
            *range(1, SCHEMA_VERSION + 1)]
    if locate(register_at).engine == "sqlite":
        with raw(register_at) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Opening again applies nothing twice.
    with Register.open(register_at) as reg:
        assert [r["version"] for r in reg.rows("schema_version")] == [
            *range(1, SCHEMA_VERSION + 1)]


def test_the_score_event_columns_are_defined_once(register_at: str) -> None:
    """NewEvent's fields, plus the register's own columns, are the table's columns in its
    order (issue 20: a new column is a migration and a field); an event read back holds
    them all but the import's id, and is shown in the table's order."""
    with Register.open(register_at) as reg:
        assert tuple(reg.database.columns("score_events")) == EVENT_COLUMNS
        event = reg.record(new())
    assert set(EVENT_COLUMNS) == {*NewEvent.model_fields, *REGISTER_COLUMNS}
    assert tuple(event.model_dump()) == tuple(c for c in EVENT_COLUMNS if c != "import_id")
    assert event_row(cycle=CYCLE, unit="U", indicator="I", role="linked", assessor="a",
                     score=2) == {**new(unit="U", indicator="I", assessor="a",
                                        score=2).model_dump()}
    with pytest.raises(TypeError, match="unknown \\['colour'\\]"):
        event_row(cycle=CYCLE, unit="U", indicator="I", role="linked", assessor="a", score=2,
                  colour="red")


def test_a_register_from_a_newer_esps_cli_is_refused(register_at: str) -> None:
    Register.open(register_at).close()
    with raw(register_at) as conn:
        conn.execute(f"INSERT INTO schema_version VALUES ({SCHEMA_VERSION + 1}, 'later')")
    with pytest.raises(ConfigError, match="newer than this esps-cli understands"):
        Register.open(register_at)


def test_reading_a_register_that_does_not_exist_yet(register_at: str) -> None:
    with pytest.raises(RegisterNotFound, match="no score register at"):
        Register.open(register_at, create=False)
    if locate(register_at).engine == "sqlite":
        assert not Path(register_at).exists()  # nothing created by looking


def test_a_version_1_register_is_upgraded_and_its_moderations_settle_what_they_moderated(
    register_at: str,
) -> None:
    """A register written by the previous esps-cli (schema version 1) upgrades in place."""
    engine = locate(register_at).engine
    with raw(register_at) as conn:
        conn.execute(SCHEMA_VERSION_TABLE)
        for sql in MIGRATIONS[0].statements(engine):
            conn.execute(sql)
        conn.execute("INSERT INTO schema_version VALUES (1, '2010-08-01T00:00:00+00:00')")
        rows = [(1, "linked", "dcfa01", 4), (2, "unlinked", "dcfa05", 1),
                (3, "linked", "dcfa01", 3), (4, "moderated", "dcfa10", 2)]
        for id_, role, who, score in rows:
            conn.execute(
                "INSERT INTO score_events (id, cycle, unit, indicator, role, assessor, score, "
                "comment, recorded_at, source) VALUES "
                f"({id_}, '{CYCLE}', 'TP-CW', 'OD1.1', '{role}', '{who}', {score}, 'ok', "
                f"'2010-08-0{id_}T00:00:00+00:00', 'command line')")
    with Register.open(register_at) as reg:
        assert reg.schema_version == SCHEMA_VERSION
        moderated = reg.current(CYCLE, "TP-CW", "OD1.1").moderated
        assert (moderated.moderates_linked, moderated.moderates_unlinked) == (3, 2)
        assert reg.database.triggers() >= {"score_events_no_update", "allocations_no_update"}
    with raw(register_at) as conn, pytest.raises(integrity_error(register_at),
                                                 match="append-only"):
        conn.execute("UPDATE score_events SET score = 1")


def test_a_file_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.db"
    path.write_text("not a database, just text " * 100)
    with pytest.raises(ConfigError, match=r"is not an esps score register \(not a SQLite"):
        Register.open(path)
    with pytest.raises(ConfigError, match="no score register at"):
        Register.open(tmp_path / "missing.db", create=False)
    with pytest.raises(ConfigError, match="does not exist"):
        Register.open(tmp_path / "no" / "such" / "folder.db")
    with pytest.raises(ConfigError, match="is a folder"):
        Register.open(tmp_path)


def test_register_location_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REGISTER_ENV, raising=False)
    assert default_register_path(None, None) == locate(DEFAULT_REGISTER)
    assert default_register_path(None, None).path == Path("esps.db")
    assert default_register_path(None, str(tmp_path / "a.db")).path == tmp_path / "a.db"
    assert default_register_path(tmp_path / "b.db", str(tmp_path / "a.db")).path == (
        tmp_path / "b.db")
    monkeypatch.setenv(REGISTER_ENV, "postgresql://esps@db.example/esps")
    env = default_register_path(None, str(tmp_path / "a.db"))
    assert (env.engine, env.target) == ("postgresql", "postgresql://esps@db.example/esps")
    assert default_register_path("c.db", None).path == Path("c.db")  # the flag still wins


def test_a_password_in_a_url_is_never_shown() -> None:
    loc = locate("postgresql://advisor:pa55word@db.example:5433/esps?sslmode=require")
    assert str(loc) == "postgresql://advisor:***@db.example:5433/esps?sslmode=require"
    assert "pa55word" not in repr(loc)
    other = locate("postgres://h/esps?user=a&password=pa55word")
    assert str(other) == "postgres://h/esps?user=a&password=***"
    with pytest.raises(ConfigError, match="unsupported kind of URL mysql://") as exc:
        locate("mysql://root:pa55word@h/esps")
    assert "pa55word" not in str(exc.value)


# -- the database itself enforces the rules ------------------------------------------------


def test_events_allocations_and_imports_are_append_only(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.record(new())
        reg.allocate(CYCLE, {"TP-CW": "dcfa05"}, seed=1)
        reg.log_import(CYCLE, "scores.csv", "ab" * 32, "csv", 0)
    refused = integrity_error(register_at)
    with raw(register_at) as conn:
        for sql, why in (
            ("UPDATE score_events SET score = 1", "score events are append-only"),
            ("DELETE FROM score_events", "score events are append-only"),
            ("UPDATE allocations SET unlinked_dcfa = 'dcfa06'", "allocations are append-only"),
            ("DELETE FROM allocations", "allocations are append-only"),
            ("UPDATE imports SET events = 9", "the import log is append-only"),
            ("DELETE FROM imports", "the import log is append-only"),
            ("DELETE FROM schema_version", "the schema history is append-only"),
        ):
            with pytest.raises(refused, match=why):
                conn.execute(sql)
        if locate(register_at).engine == "postgresql":
            with pytest.raises(refused, match="score events are append-only"):
                conn.execute("TRUNCATE score_events CASCADE")
    with Register.open(register_at) as reg:
        assert (reg.event_count(), reg.count("allocations"), reg.count("imports")) == (1, 1, 1)


def test_the_database_refuses_an_assessor_on_both_sides_of_a_unit(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.record(new(assessor="dcfa01"))
        with pytest.raises(RegisterRuleError, match="cannot give it an unlinked score"):
            reg.record(new(role="unlinked", assessor="dcfa01", indicator="OD1.2"))
        with pytest.raises(RegisterRuleError, match="cannot be its unlinked DCFA"):
            reg.allocate(CYCLE, {"TP-CW": "dcfa01"}, seed=None)
        reg.allocate(CYCLE, {"TP-CW": "dcfa05"}, seed=None)
        with pytest.raises(RegisterRuleError, match="unlinked assessor cannot give it a linked"):
            reg.record(new(assessor="dcfa05", indicator="OD1.3"))
        reg.record(new(role="unlinked", assessor="dcfa05"))
        # Another unit is another matter: dcfa01 may be the unlinked assessor there.
        reg.record(new(unit="TP-EK", role="unlinked", assessor="dcfa01"))
        assert reg.event_count() == 3


def test_the_database_refuses_a_stale_moderation(register_at: str) -> None:
    with Register.open(register_at) as reg:
        with pytest.raises(RegisterRuleError, match="stale moderation"):
            reg.record(new(role="moderated", assessor="dcfa10", comment="nothing to settle"))
        linked = reg.record(new(score=4))
        unlinked = reg.record(new(role="unlinked", assessor="dcfa05", score=1))
        seen = {"moderates_linked": linked.id, "moderates_unlinked": unlinked.id}
        # The unlinked assessor looks again before the moderator's score arrives ...
        again = reg.record(new(role="unlinked", assessor="dcfa05", score=2))
        with pytest.raises(RegisterRuleError, match="stale moderation"):
            reg.record(new(role="moderated", assessor="dcfa10", score=3, comment="panel",
                           **seen))
        with pytest.raises(RegisterRuleError, match="only a moderated score settles"):
            reg.record(new(score=3, **seen))
        # ... so only a moderation of the current pair is recorded.
        ok = reg.record(new(role="moderated", assessor="dcfa10", score=3, comment="panel",
                            moderates_linked=linked.id, moderates_unlinked=again.id))
        assert reg.current(CYCLE, "TP-CW", "OD1.1").moderated == ok
        # Without ids, the register settles the pair current in its own transaction.
        auto = reg.record(new(role="moderated", assessor="dcfa10", score=2, comment="panel"))
        assert (auto.moderates_linked, auto.moderates_unlinked) == (linked.id, again.id)
        assert reg.event_count() == 5


# -- current, history, transactions ----------------------------------------------------------


def test_current_is_the_latest_event_per_role_and_history_keeps_all(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.record(new(score=2))
        reg.record(new(score=3, comment="second look"))
        reg.record(new(role="unlinked", assessor="dcfa05", score=4))
        reg.record(new(indicator="OD1.2", score=1))
        reg.record(NewEvent(cycle="2011-12", unit="TP-CW", indicator="OD1.1", role="linked",
                            assessor="dcfa01", score=4))
        pair = reg.current(CYCLE, "TP-CW", "OD1.1")
        assert (pair.linked.score, pair.linked.comment) == (3, "second look")
        assert (pair.unlinked.score, pair.unlinked.assessor) == (4, "dcfa05")
        assert pair.moderated is None
        current = reg.current_scores(CYCLE)
        assert set(current) == {("TP-CW", "OD1.1"), ("TP-CW", "OD1.2")}
        assert current[("TP-CW", "OD1.1")] == pair
        history = reg.history(CYCLE, "TP-CW", "OD1.1")
        assert [(e.id, e.role, e.score) for e in history] == [
            (1, "linked", 2), (2, "linked", 3), (3, "unlinked", 4)]
        assert all(e.recorded_at.tzinfo is not None for e in history)
        assert reg.event_count() == 5
        assert reg.event_count(CYCLE) == 4
        assert reg.current_scores("2011-12")[("TP-CW", "OD1.1")].linked.score == 4


def test_a_failed_transaction_records_nothing_and_leaves_no_gap(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.record(new())
        with pytest.raises(RuntimeError), reg.transaction():
            reg.record(new(score=1))
            reg.record(new(score=2))
            raise RuntimeError("boom")
        with pytest.raises(RegisterRuleError):
            reg.record(new(role="unlinked", assessor="dcfa01"))
        assert reg.event_count() == 1
        assert reg.current(CYCLE, "TP-CW", "OD1.1").linked.score == 3
        # SQLite: ids count on without gaps. PostgreSQL: a sequence per table, so that
        # writers of different units number side by side; refused writes may skip ids.
        later = reg.record(new(score=4)).id
        assert later == 2 if reg.engine == "sqlite" else later > 1
        assert [e.id for e in reg.history(CYCLE)] == [1, later]


def test_allocations_keep_their_history(register_at: str) -> None:
    with Register.open(register_at) as reg:
        reg.allocate(CYCLE, {"TP-CW": "dcfa02", "TP-BS": "dcfa03"}, seed=7)
        reg.allocate(CYCLE, {"TP-CW": "dcfa04"}, seed=8)
        assert reg.allocations(CYCLE) == {"TP-CW": "dcfa04", "TP-BS": "dcfa03"}
        assert reg.allocation_records(CYCLE)["TP-BS"].seed == 7
        assert reg.allocations("2011-12") == {}
        assert reg.count("allocations") == 3


def test_imports_are_found_by_their_bytes(register_at: str) -> None:
    with Register.open(register_at) as reg:
        assert reg.find_import(CYCLE, "ab" * 32) is None
        with reg.transaction():
            import_id = reg.log_import(CYCLE, "/data/scores.csv", "ab" * 32, "csv", 1)
            reg.record(new(), import_id=import_id)
        found = reg.find_import(CYCLE, "ab" * 32)
        assert (found.id, found.source, found.kind, found.events) == (
            import_id, "/data/scores.csv", "csv", 1)
        assert reg.find_import("2011-12", "ab" * 32) is None


# -- reliability with real processes -------------------------------------------------------
#
# No test here depends on how the operating system schedules the processes: each asserts what
# must hold whatever the interleaving (nothing lost, nothing twice, never half an import).

SRC = str(Path(__file__).resolve().parents[1] / "src")
PER_PROCESS = 50  # 2 passes over 25 indicators

# A writer process: records (record_score, one transaction per score) or imports (one CSV per
# pass, one transaction per file) two passes of scores 1, 2 for 25 indicators of one unit. It
# connects, says it is ready, then waits for the go file so the two writers start together.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.register import Register
    from esps_cli.scoring.csv_import import import_csv
    from esps_cli.scoring.record import record_score
    from esps_cli.scoring.roster import Roster
    from esps_cli.working.lists import load_advisors, load_units

    db, mode, unit_index, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    fw = load_framework()
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = load_units(EXAMPLES_DIR / "units.csv", fw, advisors)
    roster = Roster(fw, fw.cycle("2010-11"), units, advisors)
    unit = units[unit_index]
    indicators = roster.indicator_list[:25]
    n = 0
    with Register.open(db) as reg:
        (folder / f"ready-{unit_index}").touch()
        while not (folder / "go").exists():
            time.sleep(0.005)
        for score in (1, 2):
            if mode == "record":
                for ind in indicators:
                    record_score(reg, roster, unit=unit.code, indicator=ind, role="linked",
                                 score=score, assessor=unit.linked_dcfa,
                                 comment=f"pass {score}")
                    n += 1
            else:
                csv = folder / f"{unit.code}-pass-{score}.csv"
                csv.write_text("unit,indicator,role,assessor,score,comment\\n" + "".join(
                    f"{unit.code},{ind},linked,{unit.linked_dcfa},{score},pass {score}\\n"
                    for ind in indicators))
                result = import_csv(reg, roster, csv)
                assert result.status == "imported", result
                n += result.recorded
    print(n)
""")


@pytest.fixture
def roster_units(framework, units, advisors) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("ESPS_CONFIG", None)
    env.pop(REGISTER_ENV, None)
    return env


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll until condition holds; the deadline only stops a broken test hanging."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.005)


@pytest.mark.parametrize("modes", [("record", "record"), ("import", "import"),
                                   ("record", "import")])
def test_two_processes_writing_at_once_lose_nothing(
    register_at: str, tmp_path: Path, roster_units: Roster, modes: tuple[str, str]
) -> None:
    roster = roster_units
    with Register.open(register_at) as reg:
        record_returns(reg, [u.code for u in roster.units[:2]])
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, register_at, mode, str(i),
                          str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for i, mode in enumerate(modes)
    ]
    _wait_for(lambda: all((tmp_path / f"ready-{i}").exists() or procs[i].poll() is not None
                          for i in (0, 1)), "both writers to start")
    (tmp_path / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    assert [int(out) for out, _ in outs] == [PER_PROCESS, PER_PROCESS]
    with Register.open(register_at) as reg:
        events = reg.history(CYCLE)
        # Every score of both writers is there, once, numbered without a gap.
        assert [e.id for e in events] == list(range(1, 2 * PER_PROCESS + 1))
        assert len({(e.unit, e.indicator, e.score) for e in events}) == len(events)
        current = reg.current_scores(CYCLE)
        for i in (0, 1):
            unit = roster.units[i]
            for ind in roster.indicator_list[:25]:
                assert [e.score for e in reg.history(CYCLE, unit.code, ind)] == [1, 2]
                assert current[(unit.code, ind)].linked.comment == "pass 2"
        assert reg.count("imports") == 2 * sum(1 for mode in modes if mode == "import")


def _big_csv(path: Path, roster: Roster, units: int) -> int:
    """Every indicator of many units, linked, unlinked and moderated (~160 rows a unit)."""
    ids = sorted(a.id for a in roster.advisors)
    lines = ["unit,indicator,role,assessor,score,comment"]
    for unit in roster.units[:units]:
        other, third = [a for a in ids if a != unit.linked_dcfa][:2]
        for ind in roster.indicator_list:
            lines += [f"{unit.code},{ind},linked,{unit.linked_dcfa},4,bulk",
                      f"{unit.code},{ind},unlinked,{other},2,bulk",
                      f"{unit.code},{ind},moderated,{third},3,agreed at the panel"]
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def _recording_rows(location: str, probe: Any) -> bool:
    """Whether another process is inside its import transaction, recording rows (and, on
    PostgreSQL, has not sent its COMMIT)."""
    if locate(location).engine == "sqlite":
        try:  # the importer holds the write lock from its first check to its COMMIT
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        probe.execute("ROLLBACK")
        return False
    row = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
        "AND query LIKE 'INSERT INTO score_events%'").fetchone()
    return row[0] > 0


def _dump(location: str) -> list[tuple]:
    with Register.open(location, create=False) as reg:
        return [(table, *row.values())
                for table in ("score_events", "imports", "allocations", "schema_version")
                for row in reg.rows(table)]


def test_a_process_killed_mid_import_leaves_the_register_as_it_was(
    register_at: str, tmp_path: Path, roster_units: Roster
) -> None:
    """The importer (esps score import) is frozen (SIGSTOP) at a moment it is seen recording
    rows inside its transaction, checked again while frozen, then killed with SIGKILL."""
    roster = roster_units
    engine = locate(register_at).engine
    first = roster.units[0]
    # The register already holds a score, an allocation and an import.
    with Register.open(register_at) as reg:
        record_returns(reg, [u.code for u in roster.units[:20]])
        reg.record(new(unit=first.code, assessor=first.linked_dcfa, score=2))
        reg.allocate(CYCLE, {first.code: "dcfa09"}, seed=1)
        reg.log_import(CYCLE, "earlier.csv", "cd" * 32, "csv", 0)
    dump_before = _dump(register_at)
    big = tmp_path / "big.csv"
    rows = _big_csv(big, roster, 20)
    command = [sys.executable, "-m", "esps_cli", "score", "import", str(big), "--any-unlinked",
               "--register", register_at, "--units", str(EXAMPLES_DIR / "units.csv"),
               "--cycle", CYCLE]

    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), cwd=tmp_path)
    killed = False
    with raw(register_at) as probe:
        if engine == "sqlite":
            probe.execute("PRAGMA busy_timeout = 0")
        try:
            while proc.poll() is None:
                if not _recording_rows(register_at, probe):
                    time.sleep(0.002)
                    continue
                proc.send_signal(signal.SIGSTOP)
                if _recording_rows(register_at, probe):  # frozen inside its transaction
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
                proc.send_signal(signal.SIGCONT)
        finally:
            if proc.poll() is None and not killed:
                proc.kill()
            out, err = proc.communicate(timeout=30)
    assert killed, f"the import finished before it was seen recording rows: {out} {err}"
    assert proc.returncode == -signal.SIGKILL

    with Register.open(register_at) as reg:
        events = reg.event_count()
    if engine == "sqlite" and events == 1 + rows:
        # SQLite: frozen in the instant its COMMIT was being written: then all of it is there.
        return
    assert _dump(register_at) == dump_before  # not one event, import log or allocation more
    # Nothing was left half-done: the same import now runs to the end.
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    with Register.open(register_at) as reg:
        assert reg.event_count() == 1 + rows
        assert reg.count("imports") == 2


def test_two_advisors_allocating_at_once_allocate_each_unit_once(
    register_at: str, tmp_path: Path, roster_units: Roster
) -> None:
    """Allocation reads what is allocated, then records the rest: two at once must not both
    see nothing and allocate every unit twice (the second keeps what the first recorded)."""
    Register.open(register_at).close()
    command = [sys.executable, "-m", "esps_cli", "allocate", "--register", register_at,
               "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE, "--format",
               "json", "--seed"]
    procs = [subprocess.Popen([*command, seed], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env(), cwd=tmp_path) for seed in ("1", "2")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    statuses = sorted(sorted({e["status"] for e in json.loads(out)["entries"]})
                      for out, _ in outs)
    assert statuses == [["kept"], ["new"]]  # one allocated everything, the other kept it
    with Register.open(register_at) as reg:
        assert reg.count("allocations") == len(roster_units.units)
