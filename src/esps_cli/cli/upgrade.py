"""`esps upgrade`: carry units' answers into fresh workbooks for another cycle or version."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_OK, EXIT_USAGE, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.errors import EspsError
from esps_cli.io.output import Format, err_console, escape

if TYPE_CHECKING:
    from esps_cli.workbook.upgrade import UpgradeReport

app = typer.Typer()


CurrentUnits = Annotated[Path | None, typer.Option(
    "--units", "-u", help="Units list, for each unit's current name, group and linked DCFA "
                          "(default: as the return says).")]


@app.command()
@handles_errors
@working_folder(cycle=None, units=CurrentUnits, need_units=False)
def upgrade(
    here: Workspace,
    returns: Annotated[list[Path], typer.Argument(help="Returned workbooks to upgrade.")],
    cycle: Annotated[str, typer.Option("--cycle", "-c",
                                       help="The cycle of the new workbooks, e.g. 2011-12.")],
    out: options.OutFolder,
    force: options.Force = False,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Carry units' answers into fresh workbooks for another cycle or framework version.

    Cover names, ratings, N/A reasons, narratives and evidence rows are carried and shaded
    blue for the unit to re-confirm; what could not be carried (removed or reworded
    indicators) is listed. The returns are never changed. Exit code 2 if any return could not
    be upgraded (an unknown framework version, an unreadable file). With a register, each
    new workbook's pack id is recorded with its unit, as esps generate does.

    Example: [bold]esps upgrade returns/TP-EK_Camden_2010-11.xlsx --cycle 2011-12
    --out packs-2011/[/bold]
    """
    from esps_cli.cli.framework import issuing
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.workbook.generate import build_template
    from esps_cli.workbook.upgrade import upgrade_return

    check_format("upgrade", fmt)
    here.cycle = cycle
    ctx = here.context
    template = build_template(ctx.framework, ctx.cycle, ctx.advisors,
                              classification=ctx.settings.classification)
    done: list[UpgradeReport] = []
    refused = 0
    with issuing(here.configured_location) as record:
        for path in returns:
            try:
                if not path.is_file():
                    raise EspsError(f"{path}: file not found")
                done.append(upgrade_return(
                    path, ctx.framework, ctx.cycle, ctx.advisors, out, units=ctx.units,
                    force=force, template=template,
                    before_issue=None if record is None else lambda w: record([w])))
            except EspsError as exc:
                refused += 1
                err_console.print(f"[bold red]not upgraded:[/bold red] {escape(str(exc))}")
    show_report("upgrade", done, fmt)
    raise typer.Exit(EXIT_USAGE if refused else EXIT_OK)

