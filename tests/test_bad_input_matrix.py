"""Every command against every kind of bad input it takes (issue 13): a missing path, a folder
where a file belongs, an empty file, a binary file, a corrupt workbook, a damaged or foreign
register. Each ends with a clear message naming the input, exit code 2 (bad input) or 1
(problems found in the data), never a traceback or an "internal error"."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register

from .conftest import CYCLE

runner = CliRunner()

BAD_FILES = {
    "missing": None,  # a path that does not exist
    "folder": "folder",  # a folder where a file belongs
    "empty": b"",
    "binary": bytes(range(256)) * 8,
    "corrupt-xlsx": b"PK\x03\x04" + b"\x00" * 200,
    "text": b"minutes of the meeting, not a list\n",
}


@pytest.fixture
def world(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES_DIR / "units.csv", tmp_path / "units.csv")
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", tmp_path / "dcfas.csv")
    shutil.copytree(EXAMPLES_DIR / "returned", tmp_path / "returned")
    (tmp_path / "folder").mkdir()
    for name, content in BAD_FILES.items():
        if isinstance(content, bytes):
            for suffix in (".csv", ".xlsx", ".db", ".yaml"):
                (tmp_path / f"{name}{suffix}").write_bytes(content)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE budget (line TEXT)")
    return tmp_path


def _bad(world: Path, kind: str, suffix: str) -> Path:
    if kind == "missing":
        return world / f"no-such-file{suffix}"
    if kind == "folder":
        return world / "folder"
    return world / f"{kind}{suffix}"


def _run(world: Path, args: list[str]):
    result = runner.invoke(app, args, catch_exceptions=True)
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}")
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    return result


LIST_KINDS = ["missing", "folder", "empty", "binary", "corrupt-xlsx", "text"]


@pytest.mark.parametrize("kind", LIST_KINDS)
@pytest.mark.parametrize("command", [
    lambda w, units: ["generate", str(units), "--out", str(w / "packs"), "--cycle", CYCLE],
    lambda w, units: ["validate", str(w / "returned"), "--units", str(units)],
    lambda w, units: ["allocate", "--units", str(units), "--cycle", CYCLE,
                      "--register", str(w / "esps.db")],
    lambda w, units: ["summary", "--returns", str(w / "returned"), "--units", str(units),
                      "--cycle", CYCLE, "--register", str(w / "esps.db")],
    lambda w, units: ["score", "show", "TP-EK", "--units", str(units), "--cycle", CYCLE,
                      "--register", str(w / "esps.db")],
    lambda w, units: ["buddies", "--returns", str(w / "returned"), "--units", str(units),
                      "--cycle", CYCLE, "--register", str(w / "esps.db")],
], ids=["generate", "validate", "allocate", "summary", "score-show", "buddies"])
def test_a_bad_units_list(world, command, kind):
    suffix = ".xlsx" if kind == "corrupt-xlsx" else ".csv"
    units = _bad(world, kind, suffix)
    result = _run(world, command(world, units))
    assert result.exit_code == 2, result.output
    assert units.name in result.output
    assert not (world / "esps.db").exists()
    assert not (world / "packs").exists() or not any((world / "packs").iterdir())


REGISTER_KINDS = ["folder", "empty", "binary", "text", "foreign"]


def _register(world: Path, kind: str) -> Path:
    return world / "foreign.db" if kind == "foreign" else _bad(world, kind, ".db")


@pytest.mark.parametrize("kind", REGISTER_KINDS)
@pytest.mark.parametrize("command", [
    ["allocate", "--seed", "1"],
    ["score", "set", "TP-EK", "OD1.1", "3", "--role", "linked", "--assessor", "dcfa02"],
    ["score", "show", "TP-EK"],
    ["score", "history", "TP-EK", "OD1.1"],
    ["score", "export", "--format", "csv"],
    ["score", "agreement"],
    ["summary", "--returns", "RETURNED"],
    ["actions", "--returns", "RETURNED", "--out", "PLANS"],
    ["feedback", "TP-EK", "--returns", "RETURNED", "--out", "PLANS"],
    ["buddies", "--returns", "RETURNED"],
], ids=lambda c: "-".join(c[:2]) if isinstance(c, list) else None)
def test_a_bad_register(world, command, kind):
    register = _register(world, kind)
    before = register.read_bytes() if register.is_file() else None
    args = [str(world / "returned") if a == "RETURNED" else str(world / "plans")
            if a == "PLANS" else a for a in command]
    result = _run(world, [*args, "--units", str(world / "units.csv"), "--cycle", CYCLE,
                          "--register", str(register)])
    assert result.exit_code == 2, result.output
    assert register.name in result.output
    if before is not None:
        assert register.read_bytes() == before
    assert not (world / "plans").exists() or not any((world / "plans").iterdir())


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "binary", "text"])
def test_a_bad_scores_file(world, kind):
    path = _bad(world, kind, ".csv")
    Register.open(world / "esps.db").close()  # --register names an existing register
    result = _run(world, ["score", "import", str(path), "--units", str(world / "units.csv"),
                          "--cycle", CYCLE, "--register", str(world / "esps.db")])
    assert result.exit_code in (1, 2), result.output
    assert path.name in result.output


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "binary", "corrupt-xlsx"])
def test_a_bad_return(world, kind):
    path = _bad(world, kind, ".xlsx")
    for args in (["validate", str(path)],
                 ["upgrade", str(path), "--cycle", "2011-12", "--out", str(world / "up")]):
        result = _run(world, args)
        expected = (2,) if kind in ("missing",) or args[0] == "upgrade" else (1, 2)
        assert result.exit_code in expected, (args, result.output)
        assert path.name in result.output


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "binary", "text"])
def test_a_bad_framework_file(world, kind):
    path = _bad(world, kind, ".yaml")
    for args in (["framework", "check", str(path)],
                 ["generate", str(world / "units.csv"), "--out", str(world / "packs"),
                  "--cycle", CYCLE, "--framework", str(path)],
                 ["validate", str(world / "returned"), "--framework", str(path)]):
        result = _run(world, args)
        assert result.exit_code == 2, (args, result.output)
        assert path.name in result.output
