"""`esps summary`, `actions`, `feedback` and `buddies`: compliance from the returned workbooks
and the score register. Decisions live in summary/selection.py, rendering in
reports/summary.py."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors, progress_bar
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, err_console, escape

if TYPE_CHECKING:
    from esps_cli.reports.printing import PrintInfo
    from esps_cli.summary.buddies import BuddyPair
    from esps_cli.summary.models import SummaryReport
    from esps_cli.validation.report import BatchReport

app = typer.Typer()


def _info(here: Workspace, title: str, classification: str | None, cycle_name: str,
          edition: str = "") -> "PrintInfo":
    """What every printed page says: title, marking (--classification, else esps.toml's,
    else OFFICIAL), framework, cycle, when."""
    from esps_cli.reports.printing import print_info

    return print_info(title, here.context.framework, cycle_name,
                      classification=classification or here.settings.classification,
                      edition=edition)


def _wrote(output: Path | None) -> None:
    if output is not None:
        err_console.print(f"wrote {escape(str(output))}", soft_wrap=True)


def _collect(here: Workspace, returns: list[Path] | None, jobs: int,
             cycle_id: str | None = None, public: bool = False, *, recursive: bool = False,
             findings: bool = False, quality: bool = False
             ) -> "tuple[SummaryReport, BatchReport]":
    """Validate the returns and read the register: the summary of one cycle, with what the
    register says about community review (challenges, "You said, we did") as at today.
    findings: the batch's reports carry every finding (feedback lists them); quality: with
    the Board pack's assessment-quality page."""
    from datetime import date

    from esps_cli.community.outcomes import report_with_community
    from esps_cli.domain.config import returns_folders
    from esps_cli.summary.sources import collect_summary

    ctx = here.context
    paths = returns_folders(ctx.settings, returns)
    cycle = ctx.framework.cycle(cycle_id) if cycle_id else ctx.cycle
    location = here.location
    with progress_bar(f"Validating returns for {cycle.name}") as progress:

        def advance(done: int | None = None, total: int | None = None, *_: object) -> None:
            progress.update(done, total)

        report, batch = collect_summary(
            ctx.framework, cycle.id, ctx.units, ctx.advisors, paths, location,
            jobs=jobs or None, on_progress=advance, public=public, recursive=recursive,
            findings=findings, quality=quality)
    from esps_cli.reports.returns import unread_notes

    for note in unread_notes(batch):  # on stderr: the summary itself may be piped
        err_console.print(escape(note))
    return report_with_community(report, location, ctx.framework, ctx.units, ctx.settings,
                                 ctx.advisors, date.today()), batch


@app.command()
@handles_errors
@working_folder(network=True)
def summary(
    here: Workspace,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
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
    units_table: Annotated[bool, typer.Option(
        "--units-table", help="Also list every unit, one row each.")] = False,
    fmt: options.Format = Format.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Also write the report, in the format its suffix names: .xlsx "
        "(the Board pack, or with --compare the comparison workbook), .html (the Board pack, "
        "or with --public the public edition, as one web page), .pdf (the same, tagged, on "
        "A4), .json, .csv or .txt.")] = None,
    force: options.Force = False,
    classification: options.Classification = None,
    jobs: options.Jobs = 0,
) -> None:
    """Compliance per unit, business group and theme against the cycle's KPI.

    The KPI and the roll-ups first, then the exceptions and the units by status (one row per
    unit with --units-table); --format csv prints one row per unit; --output also writes the
    Board pack (.xlsx, printed on A4) or the report as .json, .csv or .txt.

    Example: [bold]esps summary --output board-pack.xlsx[/bold]

    Exit code 0 when the KPI is met, 1 when it is not (or there are exceptions with
    --exceptions), 2 for usage or configuration errors.
    """
    from esps_cli.reports.render import check_format, check_output, show_report, write_file
    from esps_cli.reports.summary import edition_note
    from esps_cli.reports.wording import board_title
    from esps_cli.summary.selection import falls_short, next_cycle_name, select_views
    from esps_cli.summary.sources import previous_summary

    comparing = bool(compare_cycles and all(compare_cycles))
    if comparing and compare_cycles:
        here.cycle = here.cycle or compare_cycles[0]
    ctx = here.context
    report_name = "comparison" if comparing else "summary"
    check_output(report_name, output, force)
    check_format("exceptions" if exceptions and not comparing else report_name, fmt)
    if public and (note := edition_note(fmt)):
        err_console.print(escape(note), soft_wrap=True)
    if comparing and compare_cycles:
        _compare(here, compare_cycles, returns, jobs, public, fmt, output, force,
                 classification, recursive=recursive)
        return
    # The assessment-quality page is never in a public edition.
    report, batch = _collect(here, returns, jobs, public=public, recursive=recursive,
                             quality=not public)
    previous = previous_summary(ctx.framework, ctx.cycle.id, ctx.units, ctx.advisors, batch,
                                here.location, public=public)
    views = select_views([v.value for v in by or []])
    shown = {"framework": ctx.framework, "previous": previous, "views": views,
             "units_table": units_table}
    if output:
        write_file("summary", report, output, force=force, **shown,
                   info=_info(here, board_title(public), classification, ctx.cycle.name),
                   advisor_names={} if public else {a.id: a.name for a in ctx.advisors},
                   classification=classification or ctx.settings.classification,
                   next_year=next_cycle_name(ctx.framework, ctx.cycle),
                   contact=ctx.settings.public_contact)
        _wrote(output)
    show_report("exceptions" if exceptions else "summary", report, fmt, **shown)
    raise typer.Exit(EXIT_FINDINGS if falls_short(report, exceptions=exceptions) else EXIT_OK)


def _compare(here: Workspace, cycles: tuple[str, str], returns: list[Path] | None,
             jobs: int, public: bool, fmt: Format, output: Path | None, force: bool,
             classification: str | None, *, recursive: bool = False) -> None:
    """`esps summary --compare A B`: one validation, both cycles' summaries, what changed;
    --output writes it too (.xlsx, .json or .csv)."""
    from esps_cli.reports.render import show_report, write_file
    from esps_cli.reports.wording import COMPARISON_TITLE
    from esps_cli.summary.compare import compare
    from esps_cli.summary.sources import summary_from_batch

    ctx = here.context
    before, batch = _collect(here, returns, jobs, cycles[0], public, recursive=recursive)
    after = summary_from_batch(ctx.framework, cycles[1], ctx.units, ctx.advisors, batch,
                               here.location, public=public)
    comparison = compare(before, after)
    if output:
        write_file("comparison", comparison, output, force=force, framework=ctx.framework,
                   info=_info(here, COMPARISON_TITLE, classification,
                              f"{before.organisation.cycle_name} to "
                              f"{after.organisation.cycle_name}",
                              "Public edition" if public else ""))
        _wrote(output)
    show_report("comparison", comparison, fmt)


@app.command()
@handles_errors
@working_folder(network=True)
def actions(
    here: Workspace,
    out: options.OutFolder,
    unit: options.OnlyUnits = None,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
    force: options.Force = False,
    fmt: Annotated[Format, typer.Option(
        "--format", help="text, json or csv: the gaps themselves.")] = Format.text,
    classification: options.Classification = None,
    jobs: options.Jobs = 0,
) -> None:
    """Write a next-FY business action plan workbook per unit from its gaps.

    A gap is an indicator whose evidence minimum was not met or whose combined DCFA score
    is at or below the framework's action_plan_max_score (2 by default). A unit not yet
    assessed (no return, unreadable, invalid, not fully scored) gets a plan that says so and
    what happens next; its gaps, if any, are marked provisional.

    Example: [bold]esps actions --out plans --unit TP-EK[/bold]
    """
    from esps_cli.domain.units import select_units
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.reports.unit import write_action_plans
    from esps_cli.summary.selection import next_cycle_name, unit_gaps

    check_format("action-plans", fmt)
    ctx = here.context
    chosen = {u.code for u in select_units(ctx.units, unit)}
    report, _ = _collect(here, returns, jobs, recursive=recursive)
    next_year = next_cycle_name(ctx.framework, ctx.cycle)
    info = _info(here, f"ESPS business action plan {next_year}", classification,
                 ctx.cycle.name)
    written, not_assessed = write_action_plans(
        ctx.framework, report, chosen, ctx.cycle, next_year, out, info, force=force,
        due=ctx.settings.action_plan_due, buddies=_buddies(here, report))
    show_report("action-plans", unit_gaps(report, chosen), fmt, written=len(written), out=out,
                not_assessed=not_assessed)


def _buddies(here: Workspace, report: "SummaryReport") -> "dict[str, BuddyPair]":
    """Each unit below the baseline's buddy, as `esps buddies` pairs them."""
    from esps_cli.summary.buddies import suggest_buddies

    return {p.unit_code: p for p in suggest_buddies(here.context.framework, report)}


@app.command()
@handles_errors
@working_folder(network=True)
def feedback(
    here: Workspace,
    unit_code: Annotated[str | None, typer.Argument(
        metavar="UNIT", help="Unit code (or --all).")] = None,
    all_units: Annotated[bool, typer.Option(
        "--all", help="Every unit on the list, one file each.")] = False,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Folder for the file(s).")] = Path("."),
    edition: Annotated[Format, typer.Option(
        "--format", metavar="xlsx|html|pdf", show_choices=False,
        help="xlsx (the workbook), html (one web page: the feedback and the action plan) or "
             "pdf (the same page, tagged, on A4).")] = Format.xlsx,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
    force: options.Force = False,
    classification: options.Classification = None,
    jobs: options.Jobs = 0,
) -> None:
    """Write a unit's feedback (or every unit's with --all): where it stands and what happens
    next, both advisors' scores and comments (the advisors named), its gaps shaded, when its
    action plan is due and its buddy unit, and the findings to correct; as html or pdf also
    its action plan on the same page.

    Example: [bold]esps feedback TP-EK --out feedback --format pdf[/bold]
    """
    from esps_cli.domain.units import select_units
    from esps_cli.errors import ConfigError
    from esps_cli.summary.selection import unit_findings

    if edition not in (Format.xlsx, Format.html, Format.pdf):
        raise ConfigError(f"--format {edition.value}: write xlsx, html or pdf")
    if all_units == (unit_code is not None):
        raise ConfigError("name one unit (esps feedback TP-EK) or give --all")
    ctx = here.context
    chosen = ctx.units if all_units else select_units(ctx.units, [unit_code or ""])
    report, batch = _collect(here, returns, jobs, recursive=recursive, findings=True)
    findings = {u.code: unit_findings(batch, u.code) for u in chosen}
    names = {a.id: a.name for a in ctx.advisors}
    marking = classification or ctx.settings.classification
    if edition is Format.xlsx:
        paths = _feedback_workbooks(here, report, batch, [u.code for u in chosen], names,
                                    marking, out, force)
    else:
        from esps_cli.reports.editions.page import EditionInfo
        from esps_cli.reports.editions.unit import write_unit_pages
        from esps_cli.summary.selection import next_cycle_name

        info = EditionInfo(title=f"ESPS feedback and action plan, {ctx.cycle.name}",
                           classification=marking, edition="Feedback for the unit",
                           cycle=ctx.cycle.name,
                           framework=f"{ctx.framework.meta.id} {ctx.framework.meta.version}")
        paths = write_unit_pages(ctx.framework, report, [u.code for u in chosen], findings,
                                 ctx.cycle, next_cycle_name(ctx.framework, ctx.cycle), out, info,
                                 suffix=f".{edition.value}", force=force, advisor_names=names,
                                 due=ctx.settings.action_plan_due,
                                 buddies=_buddies(here, report))
    total = sum(len(f) for f in findings.values())
    if len(paths) == 1:
        from esps_cli.summary.outcome import unit_outcome
        from esps_cli.summary.selection import next_cycle_name, standing_of

        outcome = unit_outcome(ctx.framework, standing_of(report, chosen[0].code), ctx.cycle,
                               next_cycle_name(ctx.framework, ctx.cycle))
        console.print(f"Wrote {escape(str(paths[0]))}: {outcome.headline}, {total} "
                      "finding(s).")
    else:
        console.print(f"Wrote {len(paths)} files to {escape(str(out))}: {total} finding(s).")


def _feedback_workbooks(here: Workspace, report: "SummaryReport", batch: "BatchReport",
                        codes: list[str], names: dict[str, str], marking: str, out: Path,
                        force: bool) -> list[Path]:
    """The feedback workbooks (all or none), each with the plan's due date and the buddy."""
    from esps_cli.reports.unit import write_feedback

    ctx = here.context
    info = _info(here, f"ESPS feedback {ctx.cycle.name}", marking, ctx.cycle.name)
    written = write_feedback(ctx.framework, report, batch, codes, ctx.cycle, out, info,
                             advisor_names=names, force=force,
                             due=ctx.settings.action_plan_due, buddies=_buddies(here, report))
    return [path for path, _headline, _n in written]


@app.command()
@handles_errors
@working_folder(network=True)
def buddies(
    here: Workspace,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
    fmt: options.Format = Format.text,
    jobs: options.Jobs = 0,
) -> None:
    """Suggest buddy pairs: each unit below baseline with a unit of its business group
    that meets it, strongest in the theme where the first is weakest.

    Example: [bold]esps buddies[/bold]
    """
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.summary.buddies import suggest_buddies

    check_format("buddies", fmt)
    report, _ = _collect(here, returns, jobs, recursive=recursive)
    show_report("buddies", suggest_buddies(here.context.framework, report), fmt)
