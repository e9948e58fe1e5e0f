"""The `esps` command line: the root app, `--version`, and the one place commands are added.

How a command is registered (every command, the same way):

- Each command group is one module in this package that exposes `app = typer.Typer()`.
  Its commands are `@app.command()` functions wrapped in `@handles_errors`; a nested group
  (`esps framework ...`, `esps score ...`) is a `typer.Typer(help=...)` that the module adds to
  its own `app` with `app.add_typer(group, name="...")`.
- `COMMAND_GROUPS` below lists the modules; `add_typer` without a name merges each module's
  commands and groups into the root, in that order.
- Options shared by several commands come from `cli/options.py` (typed `Annotated` aliases);
  the command's signature gives the default.
- Commands parse, call the library, print. Decisions (which files, which exit code, which
  rows) belong to the library; heavy modules (openpyxl, pydantic models, the summary and
  scoring code, python-calamine) are imported inside the command that uses them, so
  `esps --version` and `esps --help` start fast (tests/test_startup.py guards this).
- The command modules do not use `from __future__ import annotations`: Typer reads every
  command's signature at start-up, and string annotations cost an `eval` each (3x slower to
  build the app). A name imported only for type checking is quoted where it is used.
"""

import contextlib
import sys
from typing import Annotated

import typer

from esps_cli import __version__
from esps_cli.cli import (
    framework,
    log,
    packs,
    register,
    review,
    score,
    summary,
    upgrade,
    validate,
)
from esps_cli.io.output import console

COMMAND_GROUPS = (framework, validate, score, packs, summary, review, upgrade, register, log)

app = typer.Typer(
    name="esps",
    help="Workbooks, validation, scoring and summaries for the Equality Standard for the "
    "Police Service (ESPS) self-assessment.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"esps-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Run `esps COMMAND --help` for each command's options and an example."""


for group in COMMAND_GROUPS:
    app.add_typer(group.app)


def _replace_unshowable() -> None:
    """A console that cannot show a character (a Windows code page, PYTHONIOENCODING=ascii)
    shows '?' for it instead of ending the command with an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # cannot be reconfigured: leave it
                reconfigure(errors="replace")


def main() -> None:
    _replace_unshowable()
    app()
