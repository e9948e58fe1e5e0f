"""A register that is empty, foreign, damaged, read-only or on a full disk (issue 13): a clear
message and exit 2, and nothing changed or lost."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register

from .conftest import CYCLE, small_tmpfs
from .packs import record_returns

runner = CliRunner()
COMMON = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE]
SET = ["score", "set", "TP-EK", "OD1.1", "3", "--role", "linked", "--assessor", "dcfa02"]


def _esps(*args: str, register: Path):
    return runner.invoke(app, [*args, *COMMON, "--register", str(register)])


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "esps.db"
    result = _esps("allocate", "--seed", "1", register=path)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _events(path: Path) -> int:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM score_events").fetchone()[0])


def test_an_empty_file_is_not_started_as_a_new_register(tmp_path):
    path = tmp_path / "esps.db"
    path.write_bytes(b"")
    result = _esps(*SET, register=path)
    assert result.exit_code == 2
    assert "is an empty file (0 bytes), not a register" in result.output
    assert path.read_bytes() == b""


def test_a_foreign_database_is_left_untouched(tmp_path):
    path = tmp_path / "budget.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE budget (line TEXT, amount REAL)")
    before = path.read_bytes()
    result = _esps(*SET, register=path)
    assert result.exit_code == 2
    assert "is a database of something else (budget), not an esps score register" in (
        result.output)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "esps.db"
    path.write_text("minutes of the meeting\n")
    result = _esps("score", "show", "TP-EK", register=path)
    assert result.exit_code == 2
    assert "is not an esps score register (not a SQLite database)" in result.output


def _damage_page(path: Path, page: int) -> None:
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(b"\x0d" + b"\x00" * 7 + b"\xff" * (size - 8))


def test_a_damaged_register_takes_no_new_scores(register):
    with sqlite3.connect(register) as conn:
        index_page = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' "
                                  "ORDER BY rootpage DESC").fetchone()[0]
    _damage_page(register, index_page)
    before = register.read_bytes()
    result = _esps(*SET, register=register)
    assert result.exit_code == 2, result.output
    assert "is damaged" in result.output and "nothing was recorded" in result.output
    wal = Path(f"{register}-wal")
    assert register.read_bytes() == before
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_malformed_register_is_a_clear_error_when_read(register):
    with register.open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\xff" * 2000)  # the schema page itself
    for args in (("score", "show", "TP-EK"), SET):
        result = _esps(*args, register=register)
        assert result.exit_code == 2, result.output
        assert "is not a usable esps score register" in result.output
        assert "Traceback" not in result.output


@pytest.fixture
def mounted(tmp_path):
    """A small tmpfs of our own (remounted read-only or filled by the tests)."""
    with small_tmpfs(tmp_path / "mnt", "1m") as point:
        yield point


def test_a_register_on_a_read_only_disk_reads_and_refuses_writes(register, mounted):
    copy = mounted / "esps.db"
    copy.write_bytes(register.read_bytes())
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    result = _esps("score", "show", "TP-EK", register=copy)
    assert result.exit_code == 0, result.output
    assert "54 awaiting-both" in result.output
    result = _esps(*SET, register=copy)
    assert result.exit_code == 2
    assert "cannot take changes: the register file or its folder cannot be written" in (
        result.output)


def test_a_full_disk_loses_nothing(register, mounted):
    copy = mounted / "esps.db"
    copy.write_bytes(register.read_bytes())
    with (mounted / "filler").open("wb") as fh, pytest.raises(OSError):
        fh.write(b"x" * 2_000_000)
    result = runner.invoke(app, ["score", "import", str(EXAMPLES_DIR / "scores.csv"),
                                 "--any-unlinked", *COMMON, "--register", str(copy)])
    assert result.exit_code == 2, result.output
    assert "the disk is full" in result.output
    (mounted / "filler").unlink()
    assert _events(copy) == 0


def _written_around_esps(register: Path, column: str, value: str) -> None:
    """TP-EK's linked score of OD1.1 (3, recorded by esps) written again straight into the
    file, with one column's value (an SQL expression) changed."""
    with Register.open(register) as reg, reg.transaction():
        record_returns(reg, ["TP-EK"])
    assert _esps(*SET, register=register).exit_code == 0
    with sqlite3.connect(register) as conn:
        columns = [c[1] for c in conn.execute("PRAGMA table_info(score_events)") if c[1] != "id"]
        conn.execute(f"INSERT INTO score_events ({', '.join(columns)}) "
                     f"SELECT {', '.join(value if c == column else c for c in columns)} "
                     "FROM score_events WHERE unit = 'TP-EK'")


@pytest.mark.parametrize("column, value, shown", [
    ("score", "2.5", "2.5"),          # on the scale, so the database's own rule lets it in
    ("comment", "X'00ff'", "3"),      # bytes where the reason is text
])
def test_a_score_written_around_esps_is_named_not_passed_on(register, tmp_path, column, value,
                                                             shown):
    """A score that is not a whole number, or a comment that is not text (written straight
    into the file) stops every read of the current scores with a message naming it; before,
    the summary said 'internal error' (a bug in esps)."""
    _written_around_esps(register, column, value)
    said = (f"is damaged: the linked score of TP-EK OD1.1 is {shown} (or its assessor or comment "
            "is not text), not a score esps wrote. Restore it from a backup and run `esps "
            "register check`")
    (tmp_path / "returns").mkdir()
    summary = _esps("summary", "--returns", str(tmp_path / "returns"), "--format", "json",
                    register=register)
    shown = _esps("score", "show", "TP-EK", register=register)
    exported = _esps("score", "export", register=register)
    agreement = _esps("score", "agreement", register=register)
    for result in (summary, shown, exported, agreement):
        assert result.exit_code == 2, result.output
        assert said in " ".join(result.output.split())
        assert "internal error" not in result.output
    checked = runner.invoke(app, ["register", "check", "--register", str(register)])
    assert checked.exit_code == 1, checked.output
    assert ("PROBLEM scores: score event(s) 2 hold a score that is not a whole number, or an "
            "assessor or comment that is not text: written around esps") in " ".join(
        checked.output.split())


def test_a_whole_number_written_as_3_0_is_a_score(register):
    """The boundary of the check above: SQLite stores 3.0 in the score column as the whole
    number 3, which every read takes as esps's own."""
    _written_around_esps(register, "score", "3.0")
    shown = _esps("score", "show", "TP-EK", register=register)
    assert shown.exit_code == 0, shown.output
    assert "damaged" not in shown.output
    checked = runner.invoke(app, ["register", "check", "--register", str(register)])
    assert "ok scores: every score a whole number, with text for who and why" in " ".join(
        checked.output.split())
