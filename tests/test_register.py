"""The score register: schema and migrations, append-only events, current and history, and
reliability with real processes (concurrent writers; a process killed mid-import)."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.scoring.register import (
    DEFAULT_REGISTER,
    SCHEMA_VERSION,
    NewEvent,
    Register,
    default_register_path,
)
from esps_cli.scoring.scores import PAUSE_ENV, PAUSE_MARKER, Roster

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

SRC = str(Path(__file__).resolve().parents[1] / "src")

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.scoring.register import Register
    from esps_cli.scoring.scores import Roster, record_score
    from esps_cli.validation.lists import load_advisors, load_units

    db, unit_index, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    fw = load_framework()
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    units = load_units(EXAMPLES_DIR / "units.csv", fw, advisors)
    roster = Roster(fw, fw.cycle("2010-11"), units, advisors)
    unit = units[unit_index]
    while not go.exists():
        time.sleep(0.005)
    with Register.open(db) as reg:
        n = 0
        for ind in roster.indicator_list:
            for score in (1, 2, 3):
                record_score(reg, roster, unit=unit.code, indicator=ind, role="linked",
                             score=score, assessor=unit.linked_dcfa, comment=f"pass {score}")
                n += 1
                time.sleep(0.001)  # an advisor's next score comes a moment later
    print(n)
""")


@pytest.fixture
def roster_units(framework, units, advisors) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop(PAUSE_ENV, None)
    env.pop("ESPS_CONFIG", None)
    return env


def test_two_processes_recording_at_once_lose_nothing(tmp_path: Path, roster_units) -> None:
    db = tmp_path / "esps.db"
    Register.open(db).close()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(i), str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for i in (0, 1)
    ]
    time.sleep(0.3)
    go.touch()  # both start writing at the same moment
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    written = [int(out) for out, _ in outs]
    roster: Roster = roster_units
    per_process = 3 * len(roster.indicator_list)
    assert written == [per_process, per_process]
    with Register.open(db) as reg:
        assert reg.event_count() == 2 * per_process
        # The writes really were concurrent: the two processes' events interleave.
        order = [e.unit for e in reg.history(CYCLE)]
        assert sum(a != b for a, b in itertools.pairwise(order)) >= 2
        for i in (0, 1):
            unit = roster.units[i]
            current = reg.current_scores(CYCLE)
            for ind in roster.indicator_list:
                assert [e.score for e in reg.history(CYCLE, unit.code, ind)] == [1, 2, 3]
                assert current[(unit.code, ind)].linked.comment == "pass 3"


def test_a_process_killed_mid_import_leaves_the_register_as_it_was(
    tmp_path: Path, roster_units: Roster
) -> None:
    roster = roster_units
    db = tmp_path / "esps.db"
    first: Unit = roster.units[0]
    # The register already holds some scores and an import.
    with Register.open(db) as reg:
        reg.record(new(unit=first.code, assessor=first.linked_dcfa, score=2))
        reg.allocate(CYCLE, {first.code: "dcfa09"}, seed=1)
    dump_before = _dump(db)
    # A large CSV: every indicator of ten units.
    lines = ["unit,indicator,role,assessor,score,comment"]
    for unit in roster.units[:10]:
        for ind in roster.indicator_list:
            lines.append(f"{unit.code},{ind},linked,{unit.linked_dcfa},4,bulk")
    big = tmp_path / "big.csv"
    big.write_text("\n".join(lines) + "\n")
    rows = len(lines) - 1

    env = _env()
    env[PAUSE_ENV] = "200"  # sleep inside the transaction after recording 200 events
    proc = subprocess.Popen(
        [sys.executable, "-m", "esps_cli", "score", "import", str(big), "--register", str(db),
         "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if PAUSE_MARKER in line or not line:
            break
    assert PAUSE_MARKER in line, proc.communicate()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    assert _dump(db) == dump_before  # not one event, import log or allocation more
    # Nothing was left half-done: the same import now runs to the end.
    with Register.open(db) as reg:
        from esps_cli.scoring.scores import import_csv

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
