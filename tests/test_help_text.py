"""Every command's --help at 80 columns (issue 26): text that flows to the width (not the
docstring's own line breaks, which re-wrap raggedly), no type beside a flag (`<bool>`), and
nothing over 80 columns."""

from __future__ import annotations

import itertools

import pytest
import typer
from typer.testing import CliRunner

from esps_cli.cli.app import app, unwrap_help

runner = CliRunner()
WIDTH = 80


def _commands(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    if hasattr(command, "commands"):  # a group (click's, as Typer vendors it)
        for name, sub in sorted(command.commands.items()):
            out += _commands(sub, (*path, name))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_is_walked():
    assert ("validate",) in COMMANDS and ("score", "import") in COMMANDS
    assert ("demo",) in COMMANDS and len(COMMANDS) > 25


def _description(text: str) -> list[list[str]]:
    """The paragraphs of the help's description: between the usage line and the first panel,
    each a list of its lines (the frame's one-space margin taken off)."""
    body = text.split("Usage:", 1)[1].split("\n", 1)[1].split("╭", 1)[0]
    paragraphs: list[list[str]] = [[]]
    for line in body.splitlines():
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "esps")
def test_help_flows_to_80_columns_without_a_type_beside_flags(path):
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, max(lines, key=len)
    assert "<bool>" not in result.output
    assert "--help" in result.output
    for paragraph in _description(result.output):
        if paragraph[0].startswith("Example"):
            continue  # one example command a line
        for line, following in itertools.pairwise(paragraph):
            if line.startswith(("- ", "• ")) or following.startswith(("- ", "• ")):
                continue  # a list keeps its lines
            # Filled greedily: the next line's first word would not have fitted on this one.
            room = WIDTH - 2 - len(line) - 1
            assert len(following.split()[0]) > room, (line, following)


def test_unwrap_help_joins_a_paragraphs_lines_and_keeps_lists():
    doc = """First line
    goes on.

    A second paragraph,
    wrapped in the source.

    - a list
    - kept

    Examples: [bold]esps validate[/bold]
    [bold]esps summary[/bold]
    """
    assert unwrap_help(doc) == (
        "First line goes on.\n\nA second paragraph, wrapped in the source.\n\n- a list\n- kept"
        "\n\nExamples: [bold]esps validate[/bold]\n[bold]esps summary[/bold]")
    assert unwrap_help(None) is None
