"""Many writers at once (issue 24): imports for different units run side by side on
PostgreSQL (each locks only its units; rows are numbered and the audit chain appended under
one short lock), nothing is lost and the chain verifies; a writer that must wait says so and
gives up at the wait limit (ESPS_REGISTER_WAIT), recording nothing. SQLite stays one writer
at a time, waiting the same way. The 8 x 13,500-row run is benchmarks/bench_register.py."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register, locate
from esps_cli.register.engines import UNITS_LOCK_SPACE
from esps_cli.scoring.roster import Roster

from .conftest import CYCLE
from .packs import record_returns
from .test_register import _env, raw

HEADER = "unit,indicator,role,assessor,score,comment\n"


@pytest.fixture
def roster(framework, units, advisors) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


def _csv(path: Path, roster: Roster, units: list[Any]) -> int:
    """Every indicator of these units, linked."""
    lines = [f"{u.code},{ind},linked,{u.linked_dcfa},{1 + n % 4},read\n"
             for u in units for n, ind in enumerate(roster.indicator_list)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return len(lines)


def _command(register: str, path: Path) -> list[str]:
    return [sys.executable, "-m", "esps_cli", "score", "import", str(path), "--register",
            register, "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE]


def test_four_imports_at_once_all_record_everything_in_one_chain(
    register_at: str, tmp_path: Path, roster: Roster
) -> None:
    groups = [roster.units[2 * i:2 * i + 2] for i in range(4)]
    with Register.open(register_at) as reg:
        record_returns(reg, [u.code for g in groups for u in g])
    files = [tmp_path / f"advisor-{i}.csv" for i in range(4)]
    rows = [_csv(path, roster, group) for path, group in zip(files, groups, strict=True)]
    procs = [subprocess.Popen(_command(register_at, path), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(), cwd=tmp_path)
             for path in files]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    with Register.open(register_at) as reg:
        events = reg.history(CYCLE)
        assert [e.id for e in events] == list(range(1, sum(rows) + 1))  # no gap, none twice
        assert reg.count("imports") == 4
        by_unit = {u.code: 0 for g in groups for u in g}
        for e in events:
            by_unit[e.unit] += 1
        assert set(by_unit.values()) == {len(roster.indicator_list)}
    verified = subprocess.run([sys.executable, "-m", "esps_cli", "log", "--verify",
                               "--register", register_at], capture_output=True, text=True,
                              env=_env(), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout


@contextlib.contextmanager
def _held(register: str, unit: str) -> Iterator[None]:
    """Another writer in the middle of writing a unit: its lock held in an open transaction
    (PostgreSQL), or the database's one write lock (SQLite)."""
    with raw(register) as conn:
        if locate(register).engine == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
                         (UNITS_LOCK_SPACE + CYCLE, unit))
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def test_a_writer_waits_for_the_unit_it_needs_says_so_and_gives_up_at_the_limit(
    register_at: str, tmp_path: Path, roster: Roster
) -> None:
    busy, free = roster.units[0], roster.units[1]
    with Register.open(register_at) as reg:
        record_returns(reg, [busy.code, free.code])
    busy_csv, free_csv = tmp_path / "busy.csv", tmp_path / "free.csv"
    _csv(busy_csv, roster, [busy])
    _csv(free_csv, roster, [free])
    env = {**_env(), "ESPS_REGISTER_WAIT": "2"}
    pg = locate(register_at).engine == "postgresql"
    with _held(register_at, busy.code):
        waited = subprocess.run(_command(register_at, busy_csv), capture_output=True,
                                text=True, env=env, cwd=tmp_path, timeout=120)
        other = subprocess.run(_command(register_at, free_csv), capture_output=True,
                               text=True, env=env, cwd=tmp_path, timeout=120)
    assert waited.returncode == 2, waited.stdout + waited.stderr
    what = f"recording scores for {busy.code}" if pg else "another esps process is writing"
    assert "waiting for the register" in waited.stderr and what in waited.stderr
    assert "is busy: waited 2 s" in waited.stderr and "ESPS_REGISTER_WAIT" in waited.stderr
    assert "Traceback" not in waited.stderr
    # PostgreSQL: another unit's import is not held up; SQLite: one writer at a time.
    assert other.returncode == (0 if pg else 2), other.stdout + other.stderr
    with Register.open(register_at) as reg:
        assert reg.event_count(CYCLE) == (len(roster.indicator_list) if pg else 0)
    again = subprocess.run(_command(register_at, busy_csv), capture_output=True, text=True,
                           env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "waiting" not in again.stderr


def test_a_wait_limit_that_is_not_a_number_is_refused(tmp_path: Path, roster: Roster) -> None:
    path = tmp_path / "s.csv"
    _csv(path, roster, [roster.units[0]])
    Register.open(tmp_path / "esps.db").close()
    done = subprocess.run(_command(str(tmp_path / "esps.db"), path), capture_output=True,
                          text=True, env={**_env(), "ESPS_REGISTER_WAIT": "soon"},
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert "ESPS_REGISTER_WAIT='soon' is not a number of seconds" in done.stderr + done.stdout


def test_register_naming_a_missing_file_is_refused_unless_the_command_creates_registers(
    tmp_path: Path, roster: Roster
) -> None:
    """A typo in --register used to make a new, empty register and record into it."""
    path = tmp_path / "s.csv"
    _csv(path, roster, [roster.units[0]])
    typo = tmp_path / "esp.db"
    done = subprocess.run(_command(str(typo), path), capture_output=True, text=True,
                          env=_env(), cwd=tmp_path, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"no register at {typo}: --register names a file that does not exist, and this "
            "command does not create registers; nothing was done") in done.stderr + done.stdout
    assert not typo.exists()
    made = subprocess.run([sys.executable, "-m", "esps_cli", "allocate", "--register",
                           str(typo), "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle",
                           CYCLE, "--seed", "1"], capture_output=True, text=True, env=_env(),
                          cwd=tmp_path, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert typo.exists()
