"""`esps summary`, `actions`, `feedback` and `buddies`: compliance from the returned workbooks
and the score register. Decisions live in summary/selection.py, rendering in
reports/summary.py."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from esps_cli.cli import options
from esps_cli.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    Context,
    handles_errors,
    load_context,
    progress_bar,
    register_location,
)
from esps_cli.io.output import OutputFormat, console, err_console, print_csv, print_json

if TYPE_CHECKING:
    from esps_cli.summary.compliance import SummaryReport
    from esps_cli.validation.report import BatchReport

app = typer.Typer()


def _collect(ctx: Context, returns: list[Path] | None, register: str | None, jobs: int,
             cycle_id: str | None = None, public: bool = False,
             allow_network_sqlite: bool = False) -> "tuple[SummaryReport, BatchReport]":
    """Validate the returns and read the register: the summary of one cycle."""
    from esps_cli.domain.config import returns_folders
    from esps_cli.summary.compliance import collect_summary

    paths = returns_folders(ctx.settings, returns)
    cycle = ctx.framework.cycle(cycle_id) if cycle_id else ctx.cycle
    with progress_bar() as progress:
        task = progress.add_task(f"Validating returns for {cycle.name}", total=None)

        def advance(done: int | None = None, total: int | None = None, *_: object) -> None:
            progress.update(task, completed=done, total=total)

        return collect_summary(
            ctx.framework, cycle.id, ctx.units, ctx.advisors, paths,
            register_location(register, ctx.settings,
                              allow_network_sqlite=allow_network_sqlite),
            jobs=jobs or None, on_progress=advance, public=public,
        )


@app.command()
@handles_errors
def summary(
    cycle: options.Cycle = None,
    returns: options.Returns = None,
    register: options.Register = None,
    allow_network_sqlite: options.AllowNetworkSqlite = False,
    units: options.Units = None,
    advisors: options.Advisors = None,
    framework: options.Framework = None,
    by: Annotated[list[options.ByView] | None, typer.Option(
        "--by", help="Roll-ups to show: business-group, theme, strategy, strand, hmic "
        "(repeatable; default business-group and theme).")] = None,
    exceptions: Annotated[bool, typer.Option(
        "--exceptions", help="List only the exceptions, to chase.")] = False,
    public: Annotated[bool, typer.Option(
        "--public", help="Leave out advisors' names and comments, for community review.")
    ] = False,
    compare_cycles: Annotated[tuple[str, str] | None, typer.Option(
        "--compare", help="Compare two cycles: --compare 2010-11 2011-12.")] = None,
    fmt: options.Format = OutputFormat.text,
    output: options.Output = None,
    force: options.Force = False,
    jobs: options.Jobs = 0,
) -> None:
    """Compliance per unit, business group and theme against the cycle's KPI.

    --format csv prints one row per unit; --output also writes the Board report workbook
    (.xlsx).

    Example: [bold]esps summary --returns returns/ --register esps.db --output board.xlsx[/bold]

    Exit code 0 when the KPI is met, 1 when it is not (or there are exceptions with
    --exceptions), 2 for usage or configuration errors.
    """
    from esps_cli.io.output import save_workbook
    from esps_cli.reports import summary as show
    from esps_cli.summary.selection import falls_short, select_views

    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    if compare_cycles and all(compare_cycles):
        _compare(ctx, compare_cycles, returns, register, jobs, public, fmt,
                 allow_network_sqlite)
        return
    report, _ = _collect(ctx, returns, register, jobs, public=public,
                         allow_network_sqlite=allow_network_sqlite)
    if output:
        save_workbook(show.board_workbook(report, ctx.framework), output, force=force)
        err_console.print(f"wrote {escape(str(output))}")
    if fmt is OutputFormat.json:
        print_json(report)
    elif fmt is OutputFormat.csv and exceptions:
        print_csv(show.EXCEPTION_HEADER, show.exception_rows(report))
    elif fmt is OutputFormat.csv:
        print_csv(show.UNIT_HEADER, show.unit_rows(report))
    elif exceptions:
        show.print_exceptions(console, report)
    else:
        show.print_summary(console, report, views=select_views([v.value for v in by or []]))
    raise typer.Exit(EXIT_FINDINGS if falls_short(report, exceptions=exceptions) else EXIT_OK)


def _compare(ctx: Context, cycles: tuple[str, str], returns: list[Path] | None,
             register: str | None, jobs: int, public: bool, fmt: OutputFormat,
             allow_network_sqlite: bool = False) -> None:
    from esps_cli.reports.summary import COMPARISON_HEADER, comparison_rows, print_comparison
    from esps_cli.summary.compliance import compare

    before, _ = _collect(ctx, returns, register, jobs, cycles[0], public, allow_network_sqlite)
    after, _ = _collect(ctx, returns, register, jobs, cycles[1], public, allow_network_sqlite)
    comparison = compare(before, after)
    if fmt is OutputFormat.json:
        print_json(comparison)
    elif fmt is OutputFormat.csv:
        print_csv(COMPARISON_HEADER, comparison_rows(comparison))
    else:
        print_comparison(console, comparison)


@app.command()
@handles_errors
def actions(
    out: options.OutFolder,
    unit: options.OnlyUnits = None,
    cycle: options.Cycle = None,
    returns: options.Returns = None,
    register: options.Register = None,
    allow_network_sqlite: options.AllowNetworkSqlite = False,
    units: options.Units = None,
    advisors: options.Advisors = None,
    framework: options.Framework = None,
    force: options.Force = False,
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", help="text, json or csv: the gaps themselves.")] = OutputFormat.text,
    jobs: options.Jobs = 0,
) -> None:
    """Write a next-FY business action plan workbook per unit from its gaps.

    A gap is an indicator whose evidence minimum was not met or whose combined DCFA score
    is at or below the framework's action_plan_max_score (2 by default).

    Example: [bold]esps actions --returns returns/ --out plans/ --unit TP-EK[/bold]
    """
    from esps_cli.domain.units import select_units
    from esps_cli.reports.summary import GAP_HEADER, gap_row, write_action_plans
    from esps_cli.summary.selection import next_cycle_name, unit_gaps

    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    chosen = {u.code for u in select_units(ctx.units, unit)}
    report, _ = _collect(ctx, returns, register, jobs,
                         allow_network_sqlite=allow_network_sqlite)
    written = write_action_plans(ctx.framework, report, chosen, ctx.cycle.id, ctx.cycle.name,
                                 next_cycle_name(ctx.framework, ctx.cycle), out, force=force)
    gaps = unit_gaps(report, chosen)
    if fmt is OutputFormat.json:
        print_json(gaps)
    elif fmt is OutputFormat.csv:
        print_csv(GAP_HEADER, [gap_row(g) for g in gaps])
    else:
        console.print(f"Wrote {len(written)} action plan(s) to {escape(str(out))} "
                      f"({len(gaps)} gap(s) in all).")


@app.command()
@handles_errors
def feedback(
    unit_code: Annotated[str, typer.Argument(metavar="UNIT", help="Unit code.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the workbook.")] = Path("."),
    cycle: options.Cycle = None,
    returns: options.Returns = None,
    register: options.Register = None,
    allow_network_sqlite: options.AllowNetworkSqlite = False,
    units: options.Units = None,
    advisors: options.Advisors = None,
    framework: options.Framework = None,
    force: options.Force = False,
    jobs: options.Jobs = 0,
) -> None:
    """Write a feedback workbook for one unit: findings, both advisors' scores and
    comments, and its standing against the baseline.

    Example: [bold]esps feedback TP-EK --returns returns/ --out feedback/[/bold]
    """
    from esps_cli.domain.units import select_units
    from esps_cli.reports.summary import feedback_workbook, write_unit_workbook
    from esps_cli.summary.selection import standing_of, unit_findings

    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    (chosen,) = select_units(ctx.units, [unit_code])
    report, batch = _collect(ctx, returns, register, jobs,
                             allow_network_sqlite=allow_network_sqlite)
    standing = standing_of(report, chosen.code)
    findings = unit_findings(batch, chosen.code)
    wb = feedback_workbook(ctx.framework, standing, findings, ctx.cycle.name)
    path = write_unit_workbook(wb, out, "feedback", standing, ctx.cycle.id, force=force)
    console.print(f"Wrote {escape(str(path))}: {standing.status}, "
                  f"{len(findings)} finding(s).")


@app.command()
@handles_errors
def buddies(
    cycle: options.Cycle = None,
    returns: options.Returns = None,
    register: options.Register = None,
    allow_network_sqlite: options.AllowNetworkSqlite = False,
    units: options.Units = None,
    advisors: options.Advisors = None,
    framework: options.Framework = None,
    fmt: options.Format = OutputFormat.text,
    jobs: options.Jobs = 0,
) -> None:
    """Suggest buddy pairs: each unit below baseline with a unit of its business group
    that meets it, strongest in the theme where the first is weakest.

    Example: [bold]esps buddies --returns returns/[/bold]
    """
    from esps_cli.reports.summary import BUDDY_HEADER, buddy_rows, print_buddies
    from esps_cli.summary.compliance import suggest_buddies

    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    report, _ = _collect(ctx, returns, register, jobs,
                         allow_network_sqlite=allow_network_sqlite)
    pairs = suggest_buddies(ctx.framework, report)
    if fmt is OutputFormat.json:
        print_json(pairs)
    elif fmt is OutputFormat.csv:
        print_csv(BUDDY_HEADER, buddy_rows(pairs))
    else:
        print_buddies(console, pairs)
