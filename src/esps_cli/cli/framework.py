"""`esps init`, `esps framework check|show` and `esps generate`: setting up a working folder
and the workbooks it sends out."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_USAGE, handles_errors, load_framework_from, progress_bar
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, err_console, escape

if TYPE_CHECKING:
    from esps_cli.register import RegisterLocation
    from esps_cli.register.models import WorkbookIssue

app = typer.Typer()
framework_app = typer.Typer(help="Check and show the ESPS framework file.", no_args_is_help=True)
app.add_typer(framework_app, name="framework")

FrameworkFile = Annotated[
    Path | None,
    typer.Argument(help="Framework file; default: esps.toml's or bundled.", show_default=False),
]


@app.command()
@handles_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The working folder to set up.")] = Path("."),
    examples: Annotated[bool, typer.Option(
        "--examples/--no-examples", help="Copy the example units and advisors lists.")] = True,
    force: Annotated[bool, typer.Option("--force", help="Rewrite an existing esps.toml.")] = False,
) -> None:
    """Set up a working folder with an esps.toml every command reads when run inside it.

    Example: [bold]esps init cycle-2010[/bold] then [bold]cd cycle-2010 && esps generate[/bold]
    """
    from esps_cli.domain.config import init_folder

    created = init_folder(folder, with_examples=examples, force=force)
    for path in created:
        console.print(f"created {escape(str(path))}")
    console.print(f"Edit {escape(str(folder / 'esps.toml'))}, then run commands inside {folder}.")


@framework_app.command("check")
@handles_errors
def framework_check(file: FrameworkFile = None) -> None:
    """Validate a framework file and report every problem with its location.

    Example: [bold]esps framework check framework.yaml[/bold]
    """
    from esps_cli.domain.framework import FrameworkError

    try:
        fw = load_framework_from(file)
    except FrameworkError as exc:
        err_console.print(f"[bold red]{len(exc.problems)} problem(s)[/bold red] in {exc.path}:")
        for p in exc.problems:
            err_console.print(f"  {escape(str(p))}")
        raise typer.Exit(EXIT_USAGE) from None
    console.print(
        f"[green]OK[/green] {fw.meta.id} {fw.meta.version}: {len(fw.esps_units)} ESPS units, "
        f"{len(fw.indicators)} indicators, {len(fw.cycles)} cycles."
    )


@framework_app.command("show")
@handles_errors
def framework_show(
    file: FrameworkFile = None,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Print the framework as a tree: themes, ESPS units, indicators and their minimums.

    Example: [bold]esps framework show --format json[/bold]
    """
    from esps_cli.reports.render import check_format, show_report

    check_format("framework", fmt)
    show_report("framework", load_framework_from(file), fmt)


UnitsArgument = Annotated[Path | None, typer.Argument(
    help="Units list (CSV or XLSX); default: esps.toml's.", show_default=False)]


@app.command()
@handles_errors
@working_folder(units=UnitsArgument)
def generate(
    here: Workspace,
    out: options.Packs = None,
    unit: options.OnlyUnits = None,
    force: options.Force = False,
    jobs: options.Jobs = 0,
) -> None:
    """Write one self-assessment workbook per (B)OCU.

    Each workbook carries a random pack id; with a register (--register, ESPS_REGISTER or
    esps.toml's) the pack ids are recorded with their unit, so validate can tell a copy of
    another unit's workbook (sealed identity).

    Example: [bold]esps generate[/bold] (in a working folder: its units list, cycle and packs/)
    """
    from esps_cli.domain.config import packs_folder
    from esps_cli.domain.units import select_units
    from esps_cli.workbook.generate import generate_workbooks

    ctx = here.context
    chosen = select_units(ctx.units, unit)
    out_dir = packs_folder(ctx.settings, out)
    location = here.configured_location
    with progress_bar("Generating workbooks", len(chosen)) as progress, \
            issuing(location) as record:
        result = generate_workbooks(
            ctx.framework, chosen, ctx.advisors, out_dir, ctx.cycle, force=force,
            jobs=jobs or None, on_written=lambda _p: progress.advance(),
            before_issue=record, classification=ctx.settings.classification,
        )
    if location is None:
        err_console.print("Pack ids not recorded: no register configured (--register, or "
                          "`register` in esps.toml), so returns' identity cannot be checked.")
    console.print(
        f"[green]Wrote {len(result.written)} workbook(s)[/green] for {ctx.cycle.name} to "
        f"{escape(str(out_dir))} in {result.seconds:.1f}s "
        f"(framework {ctx.framework.meta.id} {ctx.framework.meta.version}, "
        f"{len(ctx.framework.cycle_indicators(ctx.cycle))} indicators)."
    )


@contextmanager
def issuing(location: "RegisterLocation | None"
             ) -> "Iterator[Callable[[list[WorkbookIssue]], None] | None]":
    """What records the pack ids generate issues: the register, opened once (or nothing)."""
    if location is None:
        yield None
        return
    from esps_cli.register import Register
    from esps_cli.register.review import issue_workbooks

    with Register.open(location, creates=True) as reg:
        yield lambda issues: issue_workbooks(reg, issues)
