"""The `esps` command line: thin commands that parse arguments and call the library."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from esps_cli import __version__
from esps_cli.cli.common import EXIT_USAGE, handles_errors, load_context, load_framework_from
from esps_cli.domain.config import init_folder
from esps_cli.domain.framework import FrameworkError, load_framework
from esps_cli.domain.units import select_units
from esps_cli.errors import ConfigError
from esps_cli.io.output import OutputFormat, console, err_console, print_json
from esps_cli.workbook.generate import generate_workbooks

app = typer.Typer(
    name="esps",
    help="Workbooks, validation, scoring and summaries for the Equality Standard for the "
    "Police Service (ESPS) self-assessment.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
framework_app = typer.Typer(help="Check and show the ESPS framework file.", no_args_is_help=True)
app.add_typer(framework_app, name="framework")

FrameworkOpt = typer.Option(None, "--framework", "-f", help="Framework file (YAML).")
CycleOpt = typer.Option(None, "--cycle", "-c", help="Assessment cycle, e.g. 2010-11.")
AdvisorsOpt = typer.Option(None, "--advisors", help="Advisors (DCFA) list, CSV or XLSX.")


def _version(value: bool) -> None:
    if value:
        console.print(f"esps-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Run `esps COMMAND --help` for each command's options and an example."""


@app.command()
@handles_errors
def init(
    folder: Path = typer.Argument(Path("."), help="The working folder to set up."),
    examples: bool = typer.Option(True, "--examples/--no-examples",
                                  help="Copy the example units and advisors lists."),
    force: bool = typer.Option(False, "--force", help="Rewrite an existing esps.toml."),
) -> None:
    """Set up a working folder with an esps.toml every command reads when run inside it.

    Example: [bold]esps init cycle-2010[/bold] then [bold]cd cycle-2010 && esps generate[/bold]
    """
    created = init_folder(folder, with_examples=examples, force=force)
    for path in created:
        console.print(f"created {escape(str(path))}")
    console.print(f"Edit {escape(str(folder / 'esps.toml'))}, then run commands inside {folder}.")


@framework_app.command("check")
@handles_errors
def framework_check(
    file: Path = typer.Argument(None, help="Framework file; default: esps.toml's or bundled."),
) -> None:
    """Validate a framework file and report every problem with its location.

    Example: [bold]esps framework check templates/esps-framework.yaml[/bold]
    """
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
    file: Path = typer.Argument(None, help="Framework file; default: esps.toml's or bundled."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
) -> None:
    """Print the framework as a tree: themes, ESPS units, indicators and their minimums.

    Example: [bold]esps framework show --format json[/bold]
    """
    fw = load_framework_from(file)
    if fmt is OutputFormat.json:
        print_json(fw)
        return
    root = Tree(f"[bold]{escape(fw.meta.title)}[/bold] ({fw.meta.id} {fw.meta.version})")
    root.add(f"[yellow]{escape(fw.meta.status)}[/yellow]")
    for theme in fw.national_themes:
        t = root.add(f"[bold]{theme.id}[/bold] {escape(theme.name)}")
        for unit in (u for u in fw.esps_units if u.theme == theme.id):
            u = t.add(f"{unit.number}. {escape(unit.title)} [dim]({unit.strategy_theme})[/dim]")
            for ind in unit.indicators:
                node = u.add(f"[cyan]{ind.id}[/cyan] [dim]{ind.stage}[/dim] {escape(ind.text)}")
                node.add(f"[dim]{escape(ind.evidence.describe(fw.evidence_type_by_id))}[/dim]")
    cycles = Table("cycle", "name", "stage", "deadline", "KPI target", title="Cycles")
    for c in fw.cycles:
        cycles.add_row(c.id, c.name, c.stage, f"{c.submission_deadline:%d/%m/%Y}",
                       f"{c.kpi_target_pct:g}%")
    console.print(root)
    console.print(cycles)


@app.command()
@handles_errors
def generate(
    units: Path = typer.Argument(None, help="Units list (CSV or XLSX); default: esps.toml's."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder; default: esps.toml's."),
    cycle: str = CycleOpt,
    framework: Path = FrameworkOpt,
    advisors: Path = AdvisorsOpt,
    unit: list[str] = typer.Option(None, "--unit", "-u", help="Only this unit code (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace workbooks that already exist."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Processes to use (0: one per core)."),
) -> None:
    """Write one self-assessment workbook per (B)OCU.

    Example: [bold]esps generate examples/units.csv --out packs/ --cycle 2010-11[/bold]
    """
    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    chosen = select_units(ctx.units, unit)
    out_dir = out or ctx.settings.packs
    if out_dir is None:
        raise ConfigError("say where to write the workbooks: --out DIR (or `packs` in esps.toml)")
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err_console,
                  transient=True) as progress:
        task = progress.add_task("Generating workbooks", total=len(chosen))
        result = generate_workbooks(
            ctx.framework, chosen, ctx.advisors, out_dir, ctx.cycle, force=force,
            jobs=jobs or None, on_written=lambda _p: progress.advance(task),
        )
    console.print(
        f"[green]Wrote {len(result.written)} workbook(s)[/green] for {ctx.cycle.name} to "
        f"{escape(str(out_dir))} in {result.seconds:.1f}s "
        f"(framework {ctx.framework.meta.id} {ctx.framework.meta.version}, "
        f"{len(ctx.framework.cycle_indicators(ctx.cycle))} indicators)."
    )


def _register_subcommands() -> None:
    # Each area keeps its commands in its own module.
    from esps_cli.cli import score, summary, validate

    for module in (validate, score, summary):
        module.register(app)


_register_subcommands()


def main() -> None:
    app()


__all__ = ["app", "load_framework", "main"]
