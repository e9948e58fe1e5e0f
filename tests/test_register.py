"""The score register: schema and migrations, append-only events, current and history, and
reliability with real processes (concurrent writers; a process killed mid-import)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.scoring.importing import import_csv
from esps_cli.scoring.register import (
    DEFAULT_REGISTER,
    SCHEMA_VERSION,
    NewEvent,
    Register,
    default_register_path,
)
from esps_cli.scoring.roster import Roster

from .conftest import CYCLE


def new(unit: str = "TP-CW", indicator: str = "OD1.1", role: str = "linked", score: int = 3,
        assessor: str = "dcfa01", comment: str = "") -> NewEvent:
    return NewEvent(cycle=CYCLE, unit=unit, indicator=indicator, role=role, assessor=assessor,
                    score=score, comment=comment)


def test_a_new_register_has_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "esps.db"
    with Register.open(path) as reg:
        assert reg.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"schema_version", "score_events", "allocations", "imports"} <= tables
    conn.close()
    # Opening again applies nothing twice.
    with Register.open(path) as reg:
        assert reg.schema_version == SCHEMA_VERSION


def test_a_register_from_a_newer_esps_cli_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "esps.db"
    Register.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError, match="newer than this esps-cli understands"):
        Register.open(path)


def test_a_file_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scores.db"
    path.write_text("not a database, just text " * 100)
    with pytest.raises(ConfigError, match="is not a usable esps score register"):
        Register.open(path)
    with pytest.raises(ConfigError, match="no score register at"):
        Register.open(tmp_path / "missing.db", create=False)
    with pytest.raises(ConfigError, match="does not exist"):
        Register.open(tmp_path / "no" / "such" / "folder.db")


def test_register_path_default_order(tmp_path: Path) -> None:
    assert default_register_path(None, None) == DEFAULT_REGISTER == Path("esps.db")
    assert default_register_path(None, tmp_path / "a.db") == tmp_path / "a.db"
    assert default_register_path(tmp_path / "b.db", tmp_path / "a.db") == tmp_path / "b.db"


def test_events_are_append_only(tmp_path: Path) -> None:
    with Register.open(tmp_path / "esps.db") as reg:
        reg.record(new())
    conn = sqlite3.connect(tmp_path / "esps.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE score_events SET score = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM score_events")
    conn.close()


def test_current_is_the_latest_event_per_role_and_history_keeps_all(tmp_path: Path) -> None:
    with Register.open(tmp_path / "esps.db") as reg:
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
        assert [(e.role, e.score) for e in history] == [
            ("linked", 2), ("linked", 3), ("unlinked", 4)]
        assert all(e.recorded_at.tzinfo is not None for e in history)
        assert reg.event_count() == 5
        assert reg.event_count(CYCLE) == 4
        assert reg.current_scores("2011-12")[("TP-CW", "OD1.1")].linked.score == 4


def test_a_failed_transaction_records_nothing(tmp_path: Path) -> None:
    with Register.open(tmp_path / "esps.db") as reg:
        reg.record(new())
        with pytest.raises(RuntimeError), reg.transaction():
            reg.record(new(score=1))
            reg.record(new(score=2))
            raise RuntimeError("boom")
        assert reg.event_count() == 1
        assert reg.current(CYCLE, "TP-CW", "OD1.1").linked.score == 3


def test_allocations_keep_their_history(tmp_path: Path) -> None:
    with Register.open(tmp_path / "esps.db") as reg:
        reg.allocate(CYCLE, {"TP-CW": "dcfa02", "TP-BS": "dcfa03"}, seed=7)
        reg.allocate(CYCLE, {"TP-CW": "dcfa04"}, seed=8)
        assert reg.allocations(CYCLE) == {"TP-CW": "dcfa04", "TP-BS": "dcfa03"}
        assert reg.allocation_records(CYCLE)["TP-BS"].seed == 7
        assert reg.allocations("2011-12") == {}
        rows = reg._conn.execute("SELECT COUNT(*) FROM allocations").fetchone()[0]
        assert rows == 3


# -- reliability with real processes -------------------------------------------------------
#
# No test here depends on how the operating system schedules the processes: each asserts what
# must hold whatever the interleaving (nothing lost, nothing twice, never half an import).

SRC = str(Path(__file__).resolve().parents[1] / "src")

# A writer process: records (record_score, one transaction per score) or imports (one CSV per
# pass, one transaction per file) three passes of scores 1, 2, 3 for every indicator of one
# unit. It says it is ready, then waits for the go file so the two writers start together.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.scoring.importing import import_csv
    from esps_cli.scoring.record import record_score
    from esps_cli.scoring.register import Register
    from esps_cli.scoring.roster import Roster
    from esps_cli.validation.lists import load_advisors, load_units

    db, mode, unit_index, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    fw = load_framework()
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = load_units(EXAMPLES_DIR / "units.csv", fw, advisors)
    roster = Roster(fw, fw.cycle("2010-11"), units, advisors)
    unit = units[unit_index]
    (folder / f"ready-{unit_index}").touch()
    while not (folder / "go").exists():
        time.sleep(0.005)
    n = 0
    with Register.open(db) as reg:
        for score in (1, 2, 3):
            if mode == "record":
                for ind in roster.indicator_list:
                    record_score(reg, roster, unit=unit.code, indicator=ind, role="linked",
                                 score=score, assessor=unit.linked_dcfa,
                                 comment=f"pass {score}")
                    n += 1
            else:
                csv = folder / f"{unit.code}-pass-{score}.csv"
                csv.write_text("unit,indicator,role,assessor,score,comment\\n" + "".join(
                    f"{unit.code},{ind},linked,{unit.linked_dcfa},{score},pass {score}\\n"
                    for ind in roster.indicator_list))
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
    tmp_path: Path, roster_units: Roster, modes: tuple[str, str]
) -> None:
    roster = roster_units
    db = tmp_path / "esps.db"
    Register.open(db).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), mode, str(i), str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for i, mode in enumerate(modes)
    ]
    _wait_for(lambda: all((tmp_path / f"ready-{i}").exists() or procs[i].poll() is not None
                          for i in (0, 1)), "both writers to start")
    (tmp_path / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    per_process = 3 * len(roster.indicator_list)
    assert [int(out) for out, _ in outs] == [per_process, per_process]
    with Register.open(db) as reg:
        events = reg.history(CYCLE)
        # Every score of both writers is there, once.
        assert len(events) == 2 * per_process
        assert len({e.id for e in events}) == len(events)
        assert len({(e.unit, e.indicator, e.score) for e in events}) == len(events)
        current = reg.current_scores(CYCLE)
        for i in (0, 1):
            unit = roster.units[i]
            for ind in roster.indicator_list:
                assert [e.score for e in reg.history(CYCLE, unit.code, ind)] == [1, 2, 3]
                assert current[(unit.code, ind)].linked.comment == "pass 3"
        imports = sum(1 for mode in modes if mode == "import") * 3
        assert len(reg._conn.execute("SELECT * FROM imports").fetchall()) == imports


def _write_locked(db: Path) -> bool:
    """Whether another connection holds the register's write lock (is inside a write
    transaction) at this moment."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def test_a_process_killed_mid_import_leaves_the_register_as_it_was(
    tmp_path: Path, roster_units: Roster
) -> None:
    """The importer is frozen (SIGSTOP) at a moment it holds the write lock, then killed; the
    register must then hold all of that import or none of it, never part."""
    roster = roster_units
    db = tmp_path / "esps.db"
    first: Unit = roster.units[0]
    # The register already holds some scores and an allocation.
    with Register.open(db) as reg:
        reg.record(new(unit=first.code, assessor=first.linked_dcfa, score=2))
        reg.allocate(CYCLE, {first.code: "dcfa09"}, seed=1)
    dump_before = _dump(db)
    # A large CSV (every indicator of twenty units), so the import's transaction is long.
    lines = ["unit,indicator,role,assessor,score,comment"]
    for unit in roster.units[:20]:
        for ind in roster.indicator_list:
            lines.append(f"{unit.code},{ind},linked,{unit.linked_dcfa},4,bulk")
    big = tmp_path / "big.csv"
    big.write_text("\n".join(lines) + "\n")
    rows = len(lines) - 1

    proc = subprocess.Popen(
        [sys.executable, "-m", "esps_cli", "score", "import", str(big), "--register", str(db),
         "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path,
    )
    killed = False
    try:
        while proc.poll() is None:
            if not _write_locked(db):
                time.sleep(0.001)
                continue
            proc.send_signal(signal.SIGSTOP)
            if _write_locked(db):  # frozen while holding the lock: inside its transaction
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            proc.send_signal(signal.SIGCONT)
    finally:
        if proc.poll() is None and not killed:
            proc.kill()
        proc.communicate(timeout=30)
    if not killed:
        pytest.fail("the import finished before it was ever seen holding the write lock")
    assert proc.returncode == -signal.SIGKILL

    with Register.open(db) as reg:
        events = reg.event_count()
    if events != 1:
        # Killed in the instant after its commit: then every row is there, with its log.
        assert events == 1 + rows
    else:
        assert _dump(db) == dump_before  # not one event, import log or allocation more
        # Nothing was left half-done: the same import now runs to the end.
        with Register.open(db) as reg:
            result = import_csv(reg, roster, big)
            assert (result.status, result.recorded) == ("imported", rows)
            assert reg.event_count() == 1 + rows


def _dump(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        out = []
        for table in ("score_events", "imports", "allocations", "schema_version"):
            out.extend((table, *row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"))
        return out
    finally:
        conn.close()
