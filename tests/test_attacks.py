"""Tried as an attacker would (issue 25 item 6), on real files and a real register: escape
sequences and formulas in review reasons; cells and comments at Excel's 32,767-character limit
and macro-enabled returns through annotate and upgrade; a full disk under annotate."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.io.safety import MAX_CELL_CHARS
from esps_cli.register import Register
from esps_cli.register.review import review_history

from .conftest import CYCLE, small_tmpfs
from .hostile import macro_enabled

runner = CliRunner()
UNITS = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE]
INVALID = EXAMPLES_DIR / "returned" / "Westminster ESPS return v2.xlsx"


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.delenv("ESPS_REGISTER", raising=False)


def test_a_review_reason_keeps_no_escape_sequence_and_runs_as_no_formula(tmp_path) -> None:
    db = str(tmp_path / "esps.db")
    Register.open(db).close()
    hostile = '=HYPERLINK("http://x")\x1b]0;pwned\x07\x1b[2J\x9b1m'
    done = runner.invoke(app, ["review", "set", "TP-EK", "has-issues", "--by", "dcfa01",
                               "--reason", hostile, "--register", db, *UNITS])
    assert done.exit_code == 0, done.output
    with Register.open(db, create=False) as reg:
        [change] = review_history(reg, CYCLE, "TP-EK")
    assert change.reason == '=HYPERLINK("http://x")]0;pwned[2J1m'
    shown = runner.invoke(app, ["review", "show", "--register", db, *UNITS])
    assert "\x1b" not in shown.output and "\x9b" not in shown.output
    as_csv = runner.invoke(app, ["review", "show", "TP-EK", "--format", "csv", "--register",
                                 db, *UNITS])
    assert ",\"'=HYPERLINK(\"\"http://x\"\")]0;pwned[2J1m\"," in as_csv.output
    log = runner.invoke(app, ["log", "--format", "csv", "--register", db])
    assert "\\u001b" not in log.output and "\x1b" not in log.output
    only_escapes = runner.invoke(app, ["review", "set", "TP-EK", "rejected", "--by", "dcfa01",
                                       "--reason", "\x1b\x07\x9b ", "--register", db, *UNITS])
    assert only_escapes.exit_code == 2 and "needs a reason" in only_escapes.output


def _findings(path: Path) -> list[dict]:
    done = runner.invoke(app, ["validate", str(path), "--cycle", CYCLE, "--format", "json"])
    return json.loads(done.stdout)["workbooks"][0]["findings"]


def test_cells_and_comments_at_excels_limit_stay_within_it(tmp_path: Path) -> None:
    path = tmp_path / "returns" / INVALID.name
    path.parent.mkdir()
    shutil.copy(INVALID, path)
    target = next(f for f in _findings(path) if f["sheet"] == "Indicators" and f["cell"])
    wb = openpyxl.load_workbook(path)
    ws = wb["Indicators"]
    ws[target["cell"]].comment = Comment("c" * MAX_CELL_CHARS, "the unit")
    evidence = wb["Evidence"]
    evidence["B5"], evidence["E5"] = "t" * MAX_CELL_CHARS, "l" * MAX_CELL_CHARS
    wb.save(path)
    marked = tmp_path / "marked"
    done = runner.invoke(app, ["validate", str(path), "--cycle", CYCLE, "--annotate",
                               str(marked)])
    assert done.exit_code == 1, done.output
    copy = openpyxl.load_workbook(next(marked.glob("*.xlsx")))
    comment = copy["Indicators"][target["cell"]].comment.text
    assert len(comment) == MAX_CELL_CHARS and comment.endswith("\u2026")
    assert comment.startswith("DCFD check of")
    assert len(copy["Evidence"]["B5"].value) == MAX_CELL_CHARS  # the unit's text, whole
    upgraded = runner.invoke(app, ["upgrade", str(path), "--cycle", "2011-12", "--out",
                                   str(tmp_path / "new")])
    assert upgraded.exit_code == 0, upgraded.output
    new = openpyxl.load_workbook(next((tmp_path / "new").glob("*.xlsx")))
    assert len(new["Evidence"]["B5"].value) == MAX_CELL_CHARS
    assert len(new["Evidence"]["E5"].value) == MAX_CELL_CHARS


def test_a_macro_enabled_return_is_marked_up_with_its_macros_and_upgraded_without(
        tmp_path: Path) -> None:
    path = macro_enabled(INVALID, tmp_path / "Westminster.xlsm")
    marked = tmp_path / "marked"
    done = runner.invoke(app, ["validate", str(path), "--cycle", CYCLE, "--annotate",
                               str(marked)])
    assert done.exit_code == 1, done.output
    copy = marked / "Westminster_marked-up.xlsm"
    with zipfile.ZipFile(copy) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()  # kept as it was, never run
    assert "macro-enabled" in [f["code"] for f in _findings(copy)]
    upgraded = runner.invoke(app, ["upgrade", str(path), "--cycle", "2011-12", "--out",
                                   str(tmp_path / "new")])
    assert upgraded.exit_code == 0, upgraded.output
    [new] = (tmp_path / "new").iterdir()
    assert new.suffix == ".xlsx"
    with zipfile.ZipFile(new) as zf:
        assert "xl/vbaProject.bin" not in zf.namelist()


def test_annotate_onto_a_full_disk_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "tiny", "96k") as disk:
        filler = disk / "filler"
        with filler.open("wb") as fh, pytest.raises(OSError):
            fh.write(b"x" * 200_000)
        filler.unlink()
        filler.write_bytes(b"x" * 60_000)  # room for the staging folder, not for the copy
        done = runner.invoke(app, ["validate", str(INVALID), "--cycle", CYCLE, "--annotate",
                                   str(disk)])
        assert done.exit_code in (1, 2), done.output
        assert "Traceback" not in done.output
        assert "the disk is full" in done.output
        assert [p.name for p in disk.iterdir()] == ["filler"]
