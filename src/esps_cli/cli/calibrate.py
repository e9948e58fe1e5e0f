"""`esps calibrate seed|packs|import|report`: calibrating the DCFAs on seed returns before live
scoring. The decisions live in scoring/calibration.py and scoring/calibration_import.py,
rendering in reports/quality.py (on the renderer table)."""

from pathlib import Path
from typing import Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, handles_errors, progress_bar
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, err_console, escape

app = typer.Typer()
calibrate_app = typer.Typer(
    help="Calibrate the DCFAs before live scoring: seed returns with definitive scores, "
         "scored blind in ordinary-looking packs; each DCFA's deviation.",
    no_args_is_help=True,
)
app.add_typer(calibrate_app, name="calibrate")


@calibrate_app.command("seed")
@handles_errors
@working_folder()
def calibrate_seed(
    here: Workspace,
    return_file: Annotated[Path, typer.Argument(
        metavar="RETURN", help="The seed: a valid return of a unit not on the units list.")],
    seed: Annotated[str, typer.Option("--seed", help="The seed's id, e.g. S1 (1 to 3 a cycle).")],
    scores: Annotated[Path, typer.Option(
        "--scores", help="CSV of the definitive scores: indicator, score, rationale; one row "
                         "per indicator of the cycle.")],
    by: Annotated[str, typer.Option(
        "--by", help="Who set the definitive scores (a name, or an advisor id: that advisor "
                     "gets no pack for this seed).")],
) -> None:
    """Set a seed return and its definitive scores (one to three seeds a cycle).

    Setting a seed again replaces its definitive scores; it keeps its return.

    Example: [bold]esps calibrate seed seeds/TP-ZZ.xlsx --seed S1 --scores key.csv --by
    "DCFD lead"[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.scoring.calibration import set_seed

    roster, location = here.roster(), here.location
    with Register.open(location) as reg:
        found = set_seed(reg, roster, seed, return_file, scores, by)
    console.print(escape(f"seed {found.seed}: {found.unit} {found.unit_name}, "
                         f"{len(found.scores)} definitive score(s) set by {found.set_by} for "
                         f"{roster.cycle.name}"), soft_wrap=True, highlight=False)


@calibrate_app.command("packs")
@handles_errors
@working_folder()
def calibrate_packs(
    here: Workspace,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the packs into.")],
    assessor: Annotated[list[str] | None, typer.Option(
        "--assessor", help="Only this advisor's packs (repeatable).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace packs already in --out (they get new pack ids).")] = False,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Write a calibration pack for every advisor and seed, like any scoring pack.

    Each shows the seed's answers and a score table for that advisor alone; only the
    register knows it is calibration. The advisor who set a seed's scores gets none for it.

    Example: [bold]esps calibrate packs --out calibration/[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.calibration import issue_calibration_packs

    check_format("scoring-packs", fmt)
    roster, location = here.roster(), here.location
    with Register.open(location) as reg:
        result = issue_calibration_packs(reg, roster, out, assessors=assessor or [],
                                         force=force)
    show_report("scoring-packs", result, fmt, out=out,
                title=f"Calibration packs, {roster.cycle.name}")


@calibrate_app.command("import")
@handles_errors
@working_folder()
def calibrate_import(
    here: Workspace,
    path: Annotated[Path, typer.Argument(help="A filled calibration pack, or a folder of them.")],
    fmt: options.Format = Format.text,
) -> None:
    """Record the scores in filled calibration packs; they never count towards a unit.

    Each pack is checked as any pack is (identity, score cells, rationale below 3). Exit code
    1 when a file was refused or only partly recorded.

    Example: [bold]esps calibrate import returned-calibration/[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.calibration_import import import_calibration

    check_format("score-import", fmt)
    roster, location = here.roster(), here.location
    with Register.open(location, create=False) as reg, \
            progress_bar("Importing calibration scores") as progress:
        results = import_calibration(reg, roster, path, on_progress=progress.update)
    show_report("score-import", results, fmt)
    if any(r.rejected or r.status == "partial" for r in results):
        raise typer.Exit(EXIT_FINDINGS)


@calibrate_app.command("report")
@handles_errors
@working_folder(network=True)
def calibrate_report(
    here: Workspace,
    fmt: options.Format = Format.text,
    output: options.Output = None,
    force: options.Force = False,
) -> None:
    """Each DCFA's deviation from the seed returns' definitive scores; who is flagged.

    Mean signed deviation (negative: harsher, positive: more lenient) and mean absolute
    deviation; flagged beyond the framework's tolerance (rules.quality.calibration_tolerance,
    1 point); earlier cycles beside, to compare.

    Exit code 0, or 1 when a DCFA is flagged; 2 for usage or configuration errors.

    Example: [bold]esps calibrate report --output calibration.xlsx[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.printing import print_info
    from esps_cli.reports.render import check_format, check_output, render
    from esps_cli.scoring.calibration_figures import calibration_report

    check_output("calibration", output, force)
    check_format("calibration", fmt)
    roster, location = here.roster(), here.location
    with Register.open(location, create=False) as reg:
        report = calibration_report(reg, roster)
    info = print_info("ESPS calibration of the DCFAs", roster.framework, roster.cycle,
                      classification=here.settings.classification) if output else None
    render("calibration", report, fmt, output=output, force=force, info=info,
           names={a.id: a.name for a in roster.advisors})
    if output is not None:
        err_console.print(f"wrote {escape(str(output))}", soft_wrap=True)
    if report.flagged:
        raise typer.Exit(EXIT_FINDINGS)
