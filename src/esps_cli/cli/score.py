"""`esps allocate` and `esps score set|moderate|import|show|history|export|agreement`: the
DCFAs' allocation and the score register. Rendering lives in reports/scores.py."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, handles_errors, progress_bar
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, err_console, escape

if TYPE_CHECKING:
    from esps_cli.reports.printing import PrintInfo

app = typer.Typer()
score_app = typer.Typer(
    help="Record, import, show and export the DCFAs' scores (the score register).",
    no_args_is_help=True,
)
app.add_typer(score_app, name="score")

AnyUnlinked = Annotated[bool, typer.Option(
    "--any-unlinked",
    help="Accept unlinked scores from any advisor other than the linked DCFA, not only the "
         "allocated one.")]


def _print_info(title: str, here: Workspace) -> "PrintInfo":
    """What every printed page of a workbook says: title, marking (esps.toml's), framework,
    cycle, when."""
    from esps_cli.reports.printing import print_info

    return print_info(title, here.context.framework, here.context.cycle,
                      classification=here.settings.classification)


UnitCode = Annotated[str, typer.Argument(help="Unit code, e.g. TP-CW.")]
IndicatorId = Annotated[str, typer.Argument(help="Indicator id, e.g. OD1.1.")]


@app.command()
@handles_errors
@working_folder()
def allocate(
    here: Workspace,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Seed for a reproducible allocation (default: a random one, printed).")
    ] = None,
    reallocate: Annotated[bool, typer.Option(
        "--reallocate", help="Allocate every unit afresh (history is kept).")] = False,
    output: options.Output = None,
    force: options.Force = False,
    fmt: options.Format = Format.text,
) -> None:
    """Give each unit an unlinked DCFA: never its linked DCFA, workloads balanced.

    Existing allocations are kept unless --reallocate. The same --seed gives the same result.
    --output also writes the allocation: as CSV, or ending .xlsx as a workbook to print.

    Example: [bold]esps allocate --seed 2010 --output allocation.csv[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, check_output, render
    from esps_cli.reports.scores import allocation_outcome
    from esps_cli.scoring.allocate import allocate as allocate_units
    from esps_cli.scoring.allocate import random_seed

    roster, reg_path = here.roster(), here.location
    check_output("allocation", output, force)
    check_format("allocation", fmt)
    with Register.open(reg_path, creates=True) as reg:
        plan = allocate_units(reg, roster.units, roster.advisors, roster.cycle.id,
                              seed=random_seed() if seed is None else seed,
                              reallocate=reallocate, rules=(
                                  (min(roster.scale.scores), max(roster.scale.scores)),
                                  roster.rule.moderation_threshold))
    render("allocation", plan, fmt, output=output, force=force, cycle_name=roster.cycle.name,
           info=_print_info("ESPS unlinked DCFA allocation", here) if output else None)
    err_console.print(allocation_outcome(plan, reg_path), soft_wrap=True, highlight=False)
    for w in plan.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    if output is not None:
        err_console.print(f"wrote {escape(str(output))}", soft_wrap=True)


@score_app.command("set")
@handles_errors
@working_folder()
def score_set(
    here: Workspace,
    unit: UnitCode,
    indicator: IndicatorId,
    score: Annotated[str, typer.Argument(help="Score on the framework's scale (1-4).")],
    role: Annotated[options.ScoreRole, typer.Option("--role", help="linked or unlinked.")],
    assessor: Annotated[str, typer.Option(
        "--assessor", help="The advisor's id, e.g. dcfa01.")],
    comment: Annotated[str, typer.Option("--comment", help="The assessor's comment.")] = "",
    any_unlinked: AnyUnlinked = False,
) -> None:
    """Record one linked or unlinked score.

    Example: [bold]esps score set TP-CW OD1.1 3 --role linked --assessor dcfa01[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.scores import print_recorded
    from esps_cli.scoring.record import record_score

    roster, reg_path = here.roster(), here.location
    with Register.open(reg_path) as reg:
        result = record_score(reg, roster, unit=unit, indicator=indicator, role=role.value,
                              score=score, assessor=assessor, comment=comment,
                              any_unlinked=any_unlinked)
    print_recorded(console.real(), result, role.value)


@score_app.command("moderate")
@handles_errors
@working_folder()
def score_moderate(
    here: Workspace,
    unit: UnitCode,
    indicator: IndicatorId,
    score: Annotated[str, typer.Argument(help="The agreed score (1-4).")],
    assessor: Annotated[str, typer.Option(
        "--assessor", help="Who moderated (an advisor id).")],
    comment: Annotated[str, typer.Option("--comment", help="How the score was agreed.")],
) -> None:
    """Record a moderated score (by a third DCFA), which overrides the linked and unlinked
    scores. The unit's linked DCFA and its unlinked DCFA are refused (exit code 2).

    Example: [bold]esps score moderate TP-CW OD1.1 3 --assessor dcfa05 --comment "agreed at
    panel"[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.scores import print_recorded
    from esps_cli.scoring.record import record_score

    roster, reg_path = here.roster(), here.location
    with Register.open(reg_path) as reg:
        result = record_score(reg, roster, unit=unit, indicator=indicator, role="moderated",
                              score=score, assessor=assessor, comment=comment)
    print_recorded(console.real(), result, "moderated")


@score_app.command("import")
@handles_errors
@working_folder()
def score_import(
    here: Workspace,
    path: Annotated[Path, typer.Argument(
        help="A filled scoring or moderation pack, a CSV "
             "(unit,indicator,role,assessor,score,comment), or a folder of them.")],
    any_unlinked: AnyUnlinked = False,
    fmt: options.Format = Format.text,
) -> None:
    """Record the scores in filled scoring packs and moderation packs (or in a CSV).

    Each file is one transaction. A pack whose identity does not match the register is refused
    whole; in a pack each bad score cell is listed and the valid scores recorded; in a CSV a
    bad row rejects the file. Files already imported, and scores already recorded, record
    nothing new. Exit code 1 if any file had a problem. --format csv prints a row per problem,
    with its code.

    Example: [bold]esps score import scoring-packs[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.pack_import import import_path

    check_format("score-import", fmt)
    roster, reg_path = here.roster(), here.location
    with Register.open(reg_path) as reg, progress_bar("Importing scores") as progress:
        results = import_path(reg, roster, path, any_unlinked=any_unlinked,
                              on_progress=progress.update)
    show_report("score-import", results, fmt)
    if any(r.rejected or r.status == "partial" for r in results):
        raise typer.Exit(EXIT_FINDINGS)


@score_app.command("show")
@handles_errors
@working_folder(network=True)
def score_show(
    here: Workspace,
    unit: Annotated[str, typer.Argument(help="Unit code.")],
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Show a unit's current scores per indicator: linked, unlinked, moderated, combined.

    Example: [bold]esps score show TP-CW[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.rows import score_rows

    check_format("unit-scores", fmt)
    roster, reg_path = here.roster(), here.location
    the_unit = roster.unit_or_error(unit)
    with Register.open(reg_path, create=False) as reg:
        current = reg.current_marks(roster.cycle.id)
    rows = score_rows(roster, current, units=[the_unit.code], include_unscored=True)
    show_report("unit-scores", rows, fmt, title=f"{the_unit.code} {escape(the_unit.name)}: "
                                                f"scores, {roster.cycle.name}")


@score_app.command("history")
@handles_errors
@working_folder(network=True)
def score_history(
    here: Workspace,
    unit: Annotated[str, typer.Argument(help="Unit code.")],
    indicator: Annotated[str, typer.Argument(help="Indicator id.")],
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Every score ever recorded for one unit's indicator, oldest first.

    Example: [bold]esps score history TP-CW OD1.1[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report

    check_format("score-history", fmt)
    roster, reg_path = here.roster(), here.location
    the_unit = roster.unit_or_error(unit)
    ind = roster.indicator_or_error(indicator)
    with Register.open(reg_path, create=False) as reg:
        events = reg.history(roster.cycle.id, the_unit.code, ind)
    show_report("score-history", events, fmt,
                title=f"{the_unit.code} {ind}: score history, {roster.cycle.name}")


@score_app.command("export")
@handles_errors
@working_folder(network=True)
def score_export(
    here: Workspace,
    fmt: options.FormatExport = Format.csv,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write instead of standard output, in the format its "
                               "suffix names: .csv, .json or .xlsx.")] = None,
    force: options.Force = False,
    history: Annotated[bool, typer.Option(
        "--history", help="Every event, not the current scores.")] = False,
    include_all: Annotated[bool, typer.Option(
        "--all", help="Include every unit and indicator, scored or not.")] = False,
) -> None:
    """Export the current scores (linked, unlinked, moderated, combined, status) or the history.

    Text a spreadsheet would run as a formula is escaped in CSV and XLSX.

    Example: [bold]esps score export --format xlsx --output scores.xlsx[/bold]
    """
    import hashlib

    from esps_cli.register import Register
    from esps_cli.reports import scores as show
    from esps_cli.reports.render import check_format, check_output, show_report, write_file

    roster, reg_path = here.roster(), here.location
    if output is None:
        check_format("score-export", fmt)
    check_output("score-export", output, force)
    with Register.open(reg_path, create=False) as reg:
        table = (show.history_table(reg.history(roster.cycle.id)) if history else
                 show.scores_table(roster, reg.current_marks(roster.cycle.id),
                                   include_unscored=include_all))
    if output is None:
        show_report("score-export", table, fmt)
        return
    written = write_file("score-export", table, output, force=force,
                         sheet=f"{table.title} {roster.cycle.id}",
                         info=_print_info(f"ESPS {table.title.lower()}", here))
    with Register.open(reg_path, create=False) as reg:
        reg.log_event("export", cycle=roster.cycle.id, detail={
            "what": "score history" if history else "scores", "format": written.value,
            "file": str(output.resolve()), "rows": len(table.rows),
            "sha256": hashlib.sha256(output.read_bytes()).hexdigest()})
    err_console.print(f"wrote {len(table.rows)} row(s) to {escape(str(output))}", soft_wrap=True)


@score_app.command("agreement")
@handles_errors
@working_folder(network=True)
def score_agreement(
    here: Workspace,
    fmt: options.Format = Format.text,
    by: Annotated[options.AgreementBy | None, typer.Option(
        "--by", help="Also per indicator, theme or business-group.")] = None,
) -> None:
    """Agreement between linked and unlinked scores (exact, within one, weighted kappa, Gwet's
    AC2, Krippendorff's alpha with 95% intervals), per assessor pair and overall, and the
    moderation queue.

    Example: [bold]esps score agreement --by theme --format json[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.agreement import agreement

    check_format("agreement", fmt)
    roster, reg_path = here.roster(), here.location
    with Register.open(reg_path, create=False) as reg:
        report = agreement(roster, reg.current_marks(roster.cycle.id),
                           by=by.value if by else None)
    show_report("agreement", report, fmt, cycle_name=roster.cycle.name)


@score_app.command("decisions")
@handles_errors
@working_folder(network=True)
def score_decisions(
    here: Workspace,
    fmt: options.Format = Format.text,
    output: options.Output = None,
    force: options.Force = False,
) -> None:
    """Agreement on the decision: do both DCFAs' scores lead to the same verdict?

    For how many units the linked DCFA's scores alone and the unlinked DCFA's alone lead to
    the same meets-baseline verdict (the framework's rule), per assessor pair and overall,
    with a 95% Wilson interval; Krippendorff's alpha in its bands (0.667 tentative, 0.800
    reliable); the pairs below the framework's level (rules.quality.min_decision_agreement_pct);
    each pair's trend over the cycles. --output writes .xlsx (to print), .json, .csv or .txt.

    Exit code 0, or 1 when a pair is below the level; 2 for usage or configuration errors.

    Example: [bold]esps score decisions --output decisions.xlsx[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, check_output, render
    from esps_cli.summary.decisions import decision_agreement

    check_output("decisions", output, force)
    check_format("decisions", fmt)
    roster = here.roster()
    with Register.open(here.location, create=False) as reg:
        history = {c.id: reg.current_marks(c.id) for c in roster.framework.cycles
                   if c.id != roster.cycle.id}
        report = decision_agreement(roster.framework, roster.cycle.id, roster.units,
                                    reg.current_marks(roster.cycle.id), history=history)
    render("decisions", report, fmt, output=output, force=force,
           names={a.id: a.name for a in roster.advisors},
           info=_print_info("ESPS agreement on the decision", here) if output else None)
    if output is not None:
        err_console.print(f"wrote {escape(str(output))}", soft_wrap=True)
    if report.flagged:
        raise typer.Exit(EXIT_FINDINGS)
