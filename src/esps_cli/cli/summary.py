"""CLI commands for compliance summaries, action plans, feedback and buddying."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from esps_cli.cli.common import EXIT_FINDINGS, EXIT_OK, Context, handles_errors, load_context
from esps_cli.domain.units import select_units
from esps_cli.errors import ConfigError
from esps_cli.io.output import (
    OutputFormat,
    console,
    err_console,
    print_csv,
    print_json,
    save_workbook,
)
from esps_cli.reports.summary import (
    GAP_HEADER,
    UNIT_HEADER,
    action_plan_workbook,
    board_workbook,
    feedback_workbook,
    gap_row,
    print_buddies,
    print_comparison,
    print_exceptions,
    print_summary,
    unit_rows,
    write_unit_workbook,
)
from esps_cli.scoring.register import default_register_path
from esps_cli.summary.compliance import (
    VIEWS,
    BatchReport,
    SummaryReport,
    collect_summary,
    compare,
    suggest_buddies,
)


class ByView(StrEnum):
    business_group = "business-group"
    theme = "theme"
    strategy = "strategy"
    strand = "strand"
    hmic = "hmic"


UnitsOpt = typer.Option(None, "--units", help="Units list; default: esps.toml's.")
ReturnsOpt = typer.Option(None, "--returns", "-r",
                          help="Returned workbooks folder (repeatable); default: esps.toml's.")
RegisterOpt = typer.Option(None, "--register", help="Score register; default: esps.toml's.")
CycleOpt = typer.Option(None, "--cycle", "-c", help="Assessment cycle, e.g. 2010-11.")
FrameworkOpt = typer.Option(None, "--framework", "-f", help="Framework file (YAML).")
AdvisorsOpt = typer.Option(None, "--advisors", help="Advisors (DCFA) list.")
JobsOpt = typer.Option(0, "--jobs", "-j", help="Processes for validation (0: one per core).")


def _returns(ctx: Context, returns: list[Path] | None) -> list[Path]:
    paths = returns or ([ctx.settings.returns] if ctx.settings.returns else [])
    if not paths:
        raise ConfigError("say where the returned workbooks are: --returns FOLDER "
                          "(or `returns` in esps.toml)")
    for p in paths:
        if not p.exists():
            raise ConfigError(f"returns folder {p} not found")
    return paths


def _collect(ctx: Context, returns: list[Path] | None, register: Path | None, jobs: int,
             cycle_id: str | None = None, public: bool = False
             ) -> tuple[SummaryReport, BatchReport]:
    paths = _returns(ctx, returns)
    cycle = ctx.framework.cycle(cycle_id) if cycle_id else ctx.cycle
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task(f"Validating returns for {cycle.name}", total=None)

        def advance(done: int | None = None, total: int | None = None, *_: object) -> None:
            progress.update(task, completed=done, total=total)

        return collect_summary(
            ctx.framework, cycle.id, ctx.units, ctx.advisors, paths,
            default_register_path(register, ctx.settings.register_path),
            jobs=jobs or None, on_progress=advance, public=public,
        )


def register(app: typer.Typer) -> None:
    """Add the summary, actions, feedback and buddies commands to the main app."""

    @app.command()
    @handles_errors
    def summary(
        cycle: str = CycleOpt,
        returns: list[Path] = ReturnsOpt,
        register_path: Path = RegisterOpt,
        units: Path = UnitsOpt,
        advisors: Path = AdvisorsOpt,
        framework: Path = FrameworkOpt,
        by: list[ByView] = typer.Option(
            None, "--by", help="Roll-ups to show: business-group, theme, strategy, strand, "
            "hmic (repeatable; default business-group and theme)."),
        exceptions: bool = typer.Option(False, "--exceptions",
                                        help="List only the exceptions, to chase."),
        public: bool = typer.Option(False, "--public", help="Leave out advisors' names and "
                                    "comments, for community review."),
        compare_cycles: tuple[str, str] | None = typer.Option(
            None, "--compare", help="Compare two cycles: --compare 2010-11 2011-12."),
        fmt: OutputFormat = typer.Option(OutputFormat.text, "--format",
                                         help="text, json or csv (csv: one row per unit)."),
        output: Path = typer.Option(None, "--output", "-o",
                                    help="Also write the Board report workbook (.xlsx)."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --output."),
        jobs: int = JobsOpt,
    ) -> None:
        """Compliance per unit, business group and theme against the cycle's KPI.

        Example: [bold]esps summary --returns returns/ --register esps.db --output board.xlsx[/bold]

        Exit code 0 when the KPI is met, 1 when it is not (or there are exceptions with
        --exceptions), 2 for usage or configuration errors.
        """
        ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
        if compare_cycles and all(compare_cycles):
            before, _ = _collect(ctx, returns, register_path, jobs, compare_cycles[0], public)
            after, _ = _collect(ctx, returns, register_path, jobs, compare_cycles[1], public)
            comparison = compare(before, after)
            if fmt is OutputFormat.json:
                print_json(comparison)
            elif fmt is OutputFormat.csv:
                print_csv(("unit_code", "unit_name", "before", "after", "before_mean",
                           "after_mean", "change"),
                          [[u.unit_code, u.unit_name, u.before, u.after, u.before_mean,
                            u.after_mean, u.change] for u in comparison.units])
            else:
                print_comparison(console, comparison)
            return
        report, _ = _collect(ctx, returns, register_path, jobs, public=public)
        if output:
            save_workbook(board_workbook(report, ctx.framework), output, force=force)
            err_console.print(f"wrote {escape(str(output))}")
        if fmt is OutputFormat.json:
            print_json(report)
        elif fmt is OutputFormat.csv:
            if exceptions:
                print_csv(("unit_code", "unit_name", "business_group", "exception", "detail",
                           "linked_dcfa", "linked_dcfa_name"),
                          [[e.unit_code, e.unit_name, e.business_group, e.category, e.detail,
                            e.linked_dcfa, e.linked_dcfa_name] for e in report.exceptions])
            else:
                print_csv(UNIT_HEADER, unit_rows(report))
        elif exceptions:
            print_exceptions(console, report)
        else:
            views = [v.value for v in by] if by else ["business-group", "theme"]
            print_summary(console, report, views=[v for v in VIEWS if v in views])
        failed = report.exceptions if exceptions else report.organisation.kpi != "MET"
        raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)

    @app.command()
    @handles_errors
    def actions(
        out: Path = typer.Option(..., "--out", "-o", help="Folder for the action plans."),
        unit: list[str] = typer.Option(None, "--unit", "-u", help="Only this unit (repeatable)."),
        cycle: str = CycleOpt,
        returns: list[Path] = ReturnsOpt,
        register_path: Path = RegisterOpt,
        units: Path = UnitsOpt,
        advisors: Path = AdvisorsOpt,
        framework: Path = FrameworkOpt,
        force: bool = typer.Option(False, "--force", help="Replace existing action plans."),
        fmt: OutputFormat = typer.Option(OutputFormat.text, "--format",
                                         help="text, json or csv: the gaps themselves."),
        jobs: int = JobsOpt,
    ) -> None:
        """Write a next-FY business action plan workbook per unit from its gaps.

        A gap is an indicator whose evidence minimum was not met or whose combined DCFA score
        is at or below the framework's action_plan_max_score (2 by default).

        Example: [bold]esps actions --returns returns/ --out plans/ --unit TP-EK[/bold]
        """
        ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
        chosen = {u.code for u in select_units(ctx.units, unit)}
        report, _ = _collect(ctx, returns, register_path, jobs)
        next_year = _next_cycle_name(ctx)
        written = []
        gaps = [g for g in report.gaps if g.unit_code in chosen]
        for standing in report.units:
            if standing.unit_code not in chosen:
                continue
            wb = action_plan_workbook(ctx.framework, standing, ctx.cycle.name, next_year)
            written.append(write_unit_workbook(wb, out, "action-plan", standing, ctx.cycle.id,
                                               force=force))
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
        unit_code: str = typer.Argument(..., metavar="UNIT", help="Unit code."),
        out: Path = typer.Option(Path("."), "--out", "-o", help="Folder for the workbook."),
        cycle: str = CycleOpt,
        returns: list[Path] = ReturnsOpt,
        register_path: Path = RegisterOpt,
        units: Path = UnitsOpt,
        advisors: Path = AdvisorsOpt,
        framework: Path = FrameworkOpt,
        force: bool = typer.Option(False, "--force", help="Replace an existing workbook."),
        jobs: int = JobsOpt,
    ) -> None:
        """Write a feedback workbook for one unit: findings, both advisors' scores and
        comments, and its standing against the baseline.

        Example: [bold]esps feedback TP-EK --returns returns/ --out feedback/[/bold]
        """
        ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
        (chosen,) = select_units(ctx.units, [unit_code])
        report, batch = _collect(ctx, returns, register_path, jobs)
        standing = next(s for s in report.units if s.unit_code == chosen.code)
        findings = [f for w in batch.workbooks
                    if w.unit_code and w.unit_code.casefold() == chosen.code.casefold()
                    for f in w.findings]
        wb = feedback_workbook(ctx.framework, standing, findings, ctx.cycle.name)
        path = write_unit_workbook(wb, out, "feedback", standing, ctx.cycle.id, force=force)
        console.print(f"Wrote {escape(str(path))}: {standing.status}, "
                      f"{len(findings)} finding(s).")

    @app.command()
    @handles_errors
    def buddies(
        cycle: str = CycleOpt,
        returns: list[Path] = ReturnsOpt,
        register_path: Path = RegisterOpt,
        units: Path = UnitsOpt,
        advisors: Path = AdvisorsOpt,
        framework: Path = FrameworkOpt,
        fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text, json, csv."),
        jobs: int = JobsOpt,
    ) -> None:
        """Suggest buddy pairs: each unit below baseline with a unit of its business group
        that meets it, strongest in the theme where the first is weakest.

        Example: [bold]esps buddies --returns returns/[/bold]
        """
        ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
        report, _ = _collect(ctx, returns, register_path, jobs)
        pairs = suggest_buddies(ctx.framework, report)
        if fmt is OutputFormat.json:
            print_json(pairs)
        elif fmt is OutputFormat.csv:
            header = ("unit_code", "unit_name", "buddy_code", "buddy_name", "business_group",
                      "weakest_theme", "unit_theme_score", "buddy_theme_score")
            print_csv(header, [[getattr(p, k) for k in header] for p in pairs])
        else:
            print_buddies(console, pairs)


def _next_cycle_name(ctx: Context) -> str:
    ids = [c.id for c in ctx.framework.cycles]
    i = ids.index(ctx.cycle.id)
    if i + 1 < len(ids):
        return ctx.framework.cycles[i + 1].name
    start = int(ctx.cycle.id[:4]) + 1
    return f"FY{start}/{(start + 1) % 100:02d}"
