"""`esps validate`: check returned workbooks against the evidence minimums."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors, progress_bar
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, err_console, escape

if TYPE_CHECKING:

    from esps_cli.validation.report import BatchReport

app = typer.Typer()


@app.command()
@handles_errors
@working_folder(units=options.UnitsToCheck, cycle=options.ExpectedCycle)
def validate(
    here: Workspace,
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Workbooks, folders or glob patterns; default: esps.toml's returns folder.",
        show_default=False)] = None,
    recursive: options.Recursive = False,
    jobs: options.Jobs = 0,
    fmt: options.Format = Format.text,
    output: options.Output = None,
    force: options.Force = False,
    check_evidence: Annotated[bool, typer.Option(
        "--check-evidence",
        help="Check that evidence locations that are paths on this machine exist and can be "
             "read (web links are never fetched).")] = False,
    errors_only: Annotated[bool, typer.Option(
        "--errors-only", help="Leave warnings out of text and CSV output.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Text output: every finding on its own line (by default an "
        "indicator not started is one line, and findings alike on many rows are one line "
        "with a count). JSON and CSV always carry every finding.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Check as if today were this date (dd/mm/yyyy).",
        show_default=False)] = None,
    list_codes: Annotated[bool, typer.Option(
        "--list-codes", help="Print every finding code and exit.")] = False,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", show_default=False,
        help="Write a marked-up copy of every return with findings into this folder: a "
             "Findings sheet first, comments and shading on the cells (originals untouched)."
    )] = None,
    record: Annotated[bool, typer.Option(
        "--record", help="Record files outside esps.toml's returns folder as returns received "
                         "too (by default only the returns folder's files are recorded).")
    ] = False,
) -> None:
    """Check returned workbooks against the evidence minimums: one file, a folder or a glob.

    Exit code 0 when every return is valid, 1 when any is invalid (or, with --units, a unit
    has not returned), 2 for a usage or configuration error.

    --format json prints the whole report, csv one row per finding. --output also writes a
    report workbook (.xlsx): Summary and Findings sheets.

    With a register (--register, ESPS_REGISTER or esps.toml's), each return's pack id is
    checked against the workbooks issued to its unit, and each return is remembered: a later
    return of the unit lists what changed since the one before.

    Examples: [bold]esps validate --output validation.xlsx[/bold] (a working folder's returns/)
    [bold]esps validate "returns/Camden ESPS return.xlsx"[/bold]
    """
    if list_codes:
        _print_codes(fmt)
        return
    from esps_cli.reports.render import check_format, check_output, json_stream
    from esps_cli.validation.batch import validate_paths
    from esps_cli.validation.returns import not_recorded_notes, review_loop
    from esps_cli.working.plan import plan_validation, recording_scope

    check_format("validation", fmt)
    plan = plan_validation(paths, here.settings, framework=here.framework, units=here.units,
                           advisors=here.advisors, cycle=here.cycle, register=here.register,
                           as_of=as_of, recursive=recursive, output=output, force=force)
    check_output("validation", output, force)
    if plan.warning:
        err_console.print(f"[yellow]{escape(plan.warning)}[/yellow]")
    if annotate is not None:
        from esps_cli.workbook.annotate import check_mark_up_folder

        check_mark_up_folder(annotate, plan.targets, [f.name for f in plan.found.files],
                             force=force)
    listed, recordable = recording_scope(plan, here.settings, here.advisors, record=record)
    with progress_bar("Validating workbooks", len(plan.found.files)) as progress, \
            review_loop(plan.register, record=True, cycle=plan.cycle_id, units=listed,
                        recordable=recordable) as loop:
        # JSON on standard output is written as the workbooks are checked, when nothing else
        # needs the whole report (a register's history, a workbook, marked-up copies).
        stream = json_stream(fmt, output, annotate is None and loop.history is None)
        report = validate_paths(
            plan.targets, plan.framework, units=plan.units, jobs=jobs or None,
            check_evidence=check_evidence, on_progress=lambda done, _total: progress.update(done),
            today=plan.today, cycle=plan.expected_cycle, discovered=plan.found,
            issued=loop.issued, history=loop.history, sink=stream,
        )
    report.notes += not_recorded_notes(loop.history, here.settings.returns)
    if stream is not None:
        stream.finish(report)
    else:
        _print_report(report, fmt, output, force=force, errors_only=errors_only,
                      verbose=verbose, classification=here.settings.classification,
                      folder=here.settings.source.parent if here.settings.source else None)
    if annotate is not None:
        _mark_up(report, annotate, force=force, jobs=jobs,
                 classification=here.settings.classification)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _print_report(report: "BatchReport", fmt: Format, output: Path | None, *, force: bool,
                  errors_only: bool, verbose: bool, classification: str | None,
                  folder: Path | None = None) -> None:
    from esps_cli.reports.render import render

    render("validation", report, fmt, output=output, force=force, errors_only=errors_only,
           verbose=verbose, classification=classification, folder=folder)
    if output is not None:
        err_console.print(f"Report written to {escape(str(output))}")


def _mark_up(report: "BatchReport", out_dir: Path, *, force: bool, jobs: int,
             classification: str) -> None:
    from esps_cli.workbook.annotate import mark_up_returns

    with progress_bar("Writing marked-up copies") as progress:
        result = mark_up_returns(
            report.workbooks, out_dir, checked_on=report.checked_on,
            batch_findings=report.findings, force=force, jobs=jobs or None,
            on_progress=progress.update, classification=classification)
    for copy in result.written:
        for note in copy.notes:
            err_console.print(f"[yellow]{escape(Path(copy.source).name)}:[/yellow] {escape(note)}")
    unreadable = [m.file for m in result.not_written if m.unreadable]
    for miss in result.not_written:
        if not miss.unreadable:
            err_console.print(f"[yellow]No marked-up copy for {escape(miss.file)}:[/yellow] "
                              f"{escape(miss.reason)}")
    none_for = (f"; none for {len(unreadable)} that cannot be read: {', '.join(unreadable)}"
                if unreadable else "")
    err_console.print(f"Marked-up copies of {len(result.written)} return(s) with findings "
                      f"written to {escape(str(out_dir))}{escape(none_for)}", soft_wrap=True)


def _print_codes(fmt: Format) -> None:
    from esps_cli.findings import catalogue
    from esps_cli.reports.render import show_report

    show_report("codes", catalogue(), fmt)
