"""Output safety shared by every report: formula escaping, atomic no-overwrite writes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from openpyxl import Workbook

from esps_cli.errors import OutputExistsError
from esps_cli.io.output import add_table_sheet, csv_text, save_workbook
from esps_cli.io.safety import atomic_write_text, escape_formula


@pytest.mark.parametrize("text", ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)"])
def test_formula_text_is_escaped(text, tmp_path):
    assert escape_formula(text) == "'" + text
    assert list(csv.reader(io.StringIO(csv_text(["name"], [[text]])))) == [["name"], ["'" + text]]
    wb = Workbook()
    add_table_sheet(wb, "Units", ["name", "score"], [[text, 3]])
    path = tmp_path / "report.xlsx"
    save_workbook(wb, path)
    ws = openpyxl.load_workbook(path)["Units"]
    assert ws["A2"].value == "'" + text and ws["A2"].data_type == "s"
    assert ws["B2"].value == 3  # numbers are left alone
    assert wb.sheetnames == ["Units"]


def test_writes_refuse_to_overwrite_and_leave_no_temp_files(tmp_path):
    path = tmp_path / "summary.csv"
    atomic_write_text(path, "first")
    with pytest.raises(OutputExistsError, match="already exists; use --force"):
        atomic_write_text(path, "second")
    assert path.read_text() == "first"
    atomic_write_text(path, "second", force=True)
    assert path.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_lazy_console_knows_a_pipe_without_rich_and_a_terminal_with_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The console is made (rich imported) only when needed: a pipe or a file is no terminal
    # (so no progress bar) without making it; a real terminal, or FORCE_COLOR, asks rich.
    import os
    import sys

    from esps_cli.io.output import LazyConsole

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    with (tmp_path / "err.txt").open("w") as piped:
        monkeypatch.setattr(sys, "stderr", piped)
        lazy = LazyConsole(stderr=True)
        assert lazy.is_terminal is False
        assert lazy._console is None  # not made
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert lazy.is_terminal is True  # rich's answer: a forced terminal
        assert lazy._console is not None
    monkeypatch.delenv("FORCE_COLOR")
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        on_terminal = LazyConsole(stderr=True)
        assert on_terminal.is_terminal is True
        on_terminal.print("[bold]seen[/bold] \x1b]0;retitled\x07")
        terminal.flush()
        shown = os.read(leader, 4096).decode()
    os.close(leader)
    assert "seen" in shown and "retitled" in shown
    assert "\x1b]0;" not in shown  # the data's escape sequence is removed (SafeConsole)
