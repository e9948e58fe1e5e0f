"""Every option more than one command takes, defined once as a typed `Annotated` alias.

A command declares `framework: options.Framework = None`: the alias carries the flag names and
help, the command's signature carries the default. An option that means something narrower in
one command (validate's `--cycle` is the cycle every return must be for) has its own alias
here, so help texts stay in one file.

This module is imported by `esps --help`: keep its imports light (typer, the standard library,
io.output); the choice enums live here, not in the library, for that reason.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from esps_cli.io import output

# -- choices -----------------------------------------------------------------------------

class ScoreRole(StrEnum):
    linked = "linked"
    unlinked = "unlinked"


class AgreementBy(StrEnum):
    indicator = "indicator"
    theme = "theme"
    business_group = "business-group"


class ByView(StrEnum):
    business_group = "business-group"
    theme = "theme"
    strategy = "strategy"
    strand = "strand"
    hmic = "hmic"


# -- the working context: framework, cycle, lists, register ------------------------------

Framework = Annotated[
    Path | None, typer.Option("--framework", "-f", help="Framework file (YAML).")
]
Cycle = Annotated[str | None, typer.Option("--cycle", "-c", help="Assessment cycle, e.g. 2010-11.")]
ExpectedCycle = Annotated[
    str | None,
    typer.Option("--cycle", "-c", help="The cycle every return must be for, e.g. 2010-11."),
]
Units = Annotated[
    Path | None, typer.Option("--units", help="Units list (CSV or XLSX); default: esps.toml's.")
]
UnitsToCheck = Annotated[
    Path | None,
    typer.Option("--units", "-u", help="Units list (CSV or XLSX): report units with no return, "
                                       "duplicate returns and returns for units not on it."),
]
Advisors = Annotated[
    Path | None, typer.Option("--advisors", help="Advisors (DCFA) list, CSV or XLSX.")
]
# A string, not a Path: a register may be named by a URL as well as a file.
Register = Annotated[
    str | None,
    typer.Option("--register",
                 help="Score register: a SQLite file or a postgresql://user@host/db URL; "
                      "default: $ESPS_REGISTER, else esps.toml's, else ./esps.db."),
]
AllowNetworkSqlite = Annotated[
    bool,
    typer.Option("--allow-network-sqlite",
                 help="Read a SQLite register on a network share (read-only; recording "
                      "there needs a PostgreSQL register)."),
]
Groups = Annotated[
    Path | None,
    typer.Option("--groups", help="Community groups list (CSV or XLSX: id,name,area,units,"
                                  "contact); default: esps.toml's, else groups.csv beside the "
                                  "units list."),
]
On = Annotated[
    str | None,
    typer.Option("--on", help="The date to act or report as at (dd/mm/yyyy or yyyy-mm-dd); "
                              "default: today."),
]
Returns = Annotated[
    list[Path] | None,
    typer.Option("--returns", "-r",
                 help="Returned workbooks folder (repeatable); default: esps.toml's."),
]
# validate and the summary commands look in folders the same way: the folder's own files, and
# with --recursive those of its subfolders too (validate's old -r is gone: in the summary
# commands -r is --returns).
Recursive = Annotated[bool, typer.Option(
    "--recursive", help="Look in subfolders of the folders given too (hidden ones excepted).")]
OnlyUnits = Annotated[
    list[str] | None, typer.Option("--unit", "-u", help="Only this unit code (repeatable).")
]

# -- output ------------------------------------------------------------------------------

# One format enum for every command (io.output.Format); which formats a report has is the
# renderer table's to say (reports/render.py), with a clear error for one it lacks.
Format = Annotated[output.Format, typer.Option(
    "--format", metavar="text|json|csv", show_choices=False, help="text, json or csv.")]
FormatTextJson = Annotated[output.Format, typer.Option(
    "--format", metavar="text|json", show_choices=False, help="text or json.")]
FormatExport = Annotated[output.Format, typer.Option(
    "--format", metavar="csv|json", show_choices=False,
    help="csv or json on standard output (with --output, the file's suffix says: .csv, "
         ".json or .xlsx).")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Also write the result to this file, in "
                              "the format its suffix names (.txt, .json, .csv, .xlsx).")
]
Force = Annotated[bool, typer.Option("--force", help="Replace output files that already exist.")]
Classification = Annotated[
    str | None,
    typer.Option("--classification", help="Protective marking printed on every page "
                 "(default: esps.toml's, else OFFICIAL)."),
]
OutFolder = Annotated[Path, typer.Option("--out", "-o", help="Folder to write the workbooks to.")]
Packs = Annotated[
    Path | None, typer.Option("--out", "-o", help="Output folder; default: esps.toml's.")
]

# -- running -----------------------------------------------------------------------------

Jobs = Annotated[int, typer.Option("--jobs", "-j", help="Processes to use (0: one per core).")]
