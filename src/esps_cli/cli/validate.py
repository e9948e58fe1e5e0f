"""CLI commands for validate (registered on the main app)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from esps_cli.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    handles_errors,
    load_framework_from,
    load_lists,
)
from esps_cli.domain.config import load_settings
from esps_cli.domain.normalise import parse_date
from esps_cli.errors import ConfigError
from esps_cli.findings import catalogue
from esps_cli.io.output import OutputFormat, console, err_console, print_csv, print_json
from esps_cli.io.safety import check_can_write


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("validate")(validate)


@handles_errors
def validate(
    paths: list[Path] = typer.Argument(
        None, help="Workbooks, folders or glob patterns; default: esps.toml's returns folder.",
        show_default=False),
    units: Path = typer.Option(None, "--units", "-u",
                               help="Units list (CSV or XLSX): report units with no return, "
                                    "duplicate returns and returns for units not on it."),
    advisors: Path = typer.Option(None, "--advisors", help="Advisors (DCFA) list, CSV or XLSX."),
    framework: Path = typer.Option(None, "--framework", "-f", help="Framework file (YAML)."),
    cycle: str = typer.Option(None, "--cycle", "-c",
                              help="The cycle every return must be for, e.g. 2010-11."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Look in subfolders too."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Processes to use (0: one per core)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format",
                                     help="text, json (the whole report) or csv (one row per "
                                          "finding)."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Also write a report workbook (.xlsx): Summary and "
                                     "Findings sheets."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --output file."),
    check_evidence: bool = typer.Option(
        False, "--check-evidence",
        help="Check that evidence locations that are paths on this machine exist and can be "
             "read (web links are never fetched)."),
    errors_only: bool = typer.Option(False, "--errors-only",
                                     help="Leave warnings out of text and CSV output."),
    as_of: str = typer.Option(None, "--as-of",
                              help="Check as if today were this date (dd/mm/yyyy).",
                              show_default=False),
    list_codes: bool = typer.Option(False, "--list-codes",
                                    help="Print every finding code and exit."),
) -> None:
    """Check returned workbooks against the evidence minimums: one file, a folder or a glob.

    Exit code 0 when every return is valid, 1 when any is invalid (or, with --units, a unit
    has not returned), 2 for a usage or configuration error.

    Examples: [bold]esps validate returns/Camden.xlsx[/bold]
    [bold]esps validate returns/ --units units.csv --output validation.xlsx[/bold]
    """
    from esps_cli.reports.validation import findings_csv, print_text, write_report_xlsx
    from esps_cli.validation.validate import validate_paths

    if list_codes:
        _print_codes(fmt)
        return
    settings = load_settings()
    fw = load_framework_from(framework, settings)
    cycle_id = cycle or settings.cycle
    expected_cycle = fw.cycle(cycle_id) if cycle_id else None
    today = None
    if as_of:
        parsed = parse_date(as_of)
        if parsed.value is None:
            raise ConfigError(f"--as-of {as_of!r}: {parsed.note or 'not a date'}; "
                              "give a date as dd/mm/yyyy")
        today = parsed.value

    targets = list(paths or [])
    if not targets:
        if settings.returns is None:
            raise ConfigError(
                "say which workbooks to validate (a file, folder or glob), or set `returns` in "
                "esps.toml")
        targets = [settings.returns]
    # The working folder's units list applies when validating its returns folder; for files
    # named on the command line, only when --units is given.
    units_path = units or (settings.units if not paths else None)
    unit_list = load_lists(fw, settings, units_path, advisors)[1] if units_path else None

    if output is not None:
        if output.suffix.lower() != ".xlsx":
            raise ConfigError(f"--output {output}: the report must be an .xlsx file")
        check_can_write(output, force)

    from esps_cli.io.batch import discover

    found = discover(targets, recursive=recursive, exclude=[output] if output else None)
    if not found.files:
        where = ", ".join(str(t) for t in targets)
        if unit_list is None:
            # Nothing to check and nothing expected: most likely the wrong folder.
            raise ConfigError(f"No workbooks found in {where}: check the path (add --recursive "
                              "for subfolders)")
        err_console.print(f"[yellow]No workbooks found in {escape(where)}.[/yellow]")

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True, disable=len(found.files) < 2) as progress:
        task = progress.add_task("Validating workbooks", total=len(found.files))
        report = validate_paths(
            targets, fw, units=unit_list, jobs=jobs or None, check_evidence=check_evidence,
            on_progress=lambda done, _total: progress.update(task, completed=done),
            today=today, cycle=expected_cycle, discovered=found,
        )

    if output is not None:
        write_report_xlsx(report, output, force=force)
    if fmt is OutputFormat.json:
        print_json(report)
    elif fmt is OutputFormat.csv:
        print(findings_csv(report, errors_only=errors_only), end="")
    else:
        print_text(report, console, errors_only=errors_only)
    if output is not None:
        err_console.print(f"Report written to {escape(str(output))}")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _print_codes(fmt: OutputFormat) -> None:
    from esps_cli.reports.validation import codes_table

    codes = catalogue()
    if fmt is OutputFormat.json:
        print_json(codes)
    elif fmt is OutputFormat.csv:
        print_csv(("code", "severity", "title", "hint"),
                  ([c.code, c.severity, c.title, c.hint] for c in codes))
    else:
        console.print(codes_table(codes))
