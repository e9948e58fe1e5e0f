"""Reports made in a working folder (issue 21, item 7): paths relative to the working folder,
never the layout of the analyst's machine; a note when a subfolder holds workbooks that
--recursive would read; "no data yet" for a cycle with nothing to compare (tested in
test_summary.py and test_outputs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR

runner = CliRunner()
CAMDEN = "TP-EK_Camden_2010-11.xlsx"
KENSINGTON = "TP-BS_Kensington-Chelsea_2010-11.xlsx"


@pytest.fixture
def working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.delenv("ESPS_REGISTER", raising=False)
    folder = tmp_path / "cycle-2010"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    shutil.copy(EXAMPLES_DIR / "returned" / CAMDEN, folder / "returns" / CAMDEN)
    (folder / "returns" / "late").mkdir()
    shutil.copy(EXAMPLES_DIR / "returned" / KENSINGTON, folder / "returns" / "late" / KENSINGTON)
    monkeypatch.chdir(folder)
    return folder


def _paths(report: Path) -> list[str]:
    ws = openpyxl.load_workbook(report)["Summary"]
    header = [c.value for c in ws[1]]
    col = header.index("Path")
    return [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[col]]


def test_report_paths_are_relative_to_the_working_folder(working: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    done = runner.invoke(app, ["validate", "returns", "--output", "report.xlsx"])
    assert done.exit_code in (0, 1), done.output
    assert _paths(working / "report.xlsx") == [f"returns/{CAMDEN}"]
    # run from a folder below, the paths are still the working folder's
    monkeypatch.chdir(working / "returns" / "late")
    done = runner.invoke(app, ["validate", str(working / "returns"), "--recursive",
                               "--output", "../../report2.xlsx"])
    assert done.exit_code in (0, 1), done.output
    assert sorted(_paths(working / "report2.xlsx")) == [f"returns/{CAMDEN}",
                                                        f"returns/late/{KENSINGTON}"]
    assert str(working) not in " ".join(_paths(working / "report2.xlsx"))


def test_a_subfolder_of_workbooks_not_read_is_said(working: Path):
    note = "returns/late holds 1 workbook(s) that were not read: add --recursive"
    done = runner.invoke(app, ["validate", "returns"])
    assert note in " ".join(done.output.split())
    again = runner.invoke(app, ["validate", "returns", "--recursive"])
    assert "were not read" not in again.output and KENSINGTON in again.output
    summary = runner.invoke(app, ["summary"])  # returns from esps.toml
    assert note in " ".join(summary.output.split())
    assert "were not read" not in runner.invoke(app, ["summary", "--recursive"]).output


def test_an_empty_or_hidden_subfolder_is_not_mentioned(working: Path):
    shutil.move(working / "returns" / "late" / KENSINGTON, working / "returns" / KENSINGTON)
    (working / "returns" / ".cache").mkdir()
    shutil.copy(EXAMPLES_DIR / "returned" / CAMDEN, working / "returns" / ".cache" / "x.xlsx")
    (working / "returns" / "late" / "notes.txt").write_text("not a workbook")
    done = runner.invoke(app, ["validate", "returns"])
    assert "were not read" not in done.output
