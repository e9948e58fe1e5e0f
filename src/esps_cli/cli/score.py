"""CLI commands for scoring: `esps allocate` and `esps score ...` (registered on the main app).

Thin: parse arguments, call the library (register, scoring, allocate), render the result.
"""

from __future__ import annotations

import json
import random
from enum import StrEnum
from pathlib import Path

import typer
from openpyxl import Workbook
from rich.markup import escape
from rich.table import Table

from esps_cli.cli.common import EXIT_FINDINGS, handles_errors, load_context
from esps_cli.errors import ConfigError
from esps_cli.io.output import (
    add_table_sheet,
    console,
    csv_text,
    err_console,
    print_json,
    save_workbook,
    to_jsonable,
    write_csv,
)
from esps_cli.io.safety import atomic_write_text, check_can_write
from esps_cli.scoring.agreement import (
    AGREEMENT_TABLE_HEADER,
    AgreementReport,
    AgreementStats,
    agreement,
    agreement_table,
)
from esps_cli.scoring.allocate import AllocationPlan
from esps_cli.scoring.allocate import allocate as allocate_units
from esps_cli.scoring.importing import (
    IMPORT_TABLE_HEADER,
    ImportResult,
    import_path,
    import_table,
)
from esps_cli.scoring.record import RecordResult, record_score
from esps_cli.scoring.register import Register, ScoreEvent, default_register_path
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.rows import ScoreRow, score_rows

score_app = typer.Typer(
    help="Record, import, show and export the DCFAs' scores (the score register).",
    no_args_is_help=True,
)

FrameworkOpt = typer.Option(None, "--framework", "-f", help="Framework file (YAML).")
UnitsOpt = typer.Option(None, "--units", help="Units list (CSV or XLSX); default: esps.toml's.")
AdvisorsOpt = typer.Option(None, "--advisors", help="Advisors (DCFA) list, CSV or XLSX.")
CycleOpt = typer.Option(None, "--cycle", "-c", help="Assessment cycle, e.g. 2010-11.")
RegisterOpt = typer.Option(
    None, "--register", help="Score register (SQLite); default: esps.toml's, else ./esps.db."
)
AnyUnlinkedOpt = typer.Option(
    False, "--any-unlinked",
    help="Accept unlinked scores from any advisor other than the linked DCFA, not only the "
         "allocated one.",
)


class Fmt(StrEnum):
    text = "text"
    json = "json"


class TableFmt(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class ExportFmt(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class AllocFmt(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class ScoreRole(StrEnum):
    linked = "linked"
    unlinked = "unlinked"


def _setup(framework: Path | None, units: Path | None, advisors: Path | None,
           cycle: str | None, register: Path | None) -> tuple[Roster, Path]:
    ctx = load_context(framework=framework, units=units, advisors=advisors, cycle=cycle)
    roster = Roster(ctx.framework, ctx.cycle, ctx.units, ctx.advisors)
    return roster, default_register_path(register, ctx.settings.register_path)


def _say(text: str, style: str = "") -> None:
    body = escape(text)
    console.print(f"[{style}]{body}[/{style}]" if style else body, soft_wrap=True,
                  highlight=False)


def _score_cell(score: int | None, who: str | None) -> str:
    return "" if score is None else f"{score} ({who})"


# -- allocate ----------------------------------------------------------------------------

ALLOC_HEADER = ("cycle", "unit", "unit_name", "linked_dcfa", "unlinked_dcfa", "status", "note")


def _alloc_rows(plan: AllocationPlan) -> list[list[object]]:
    return [[plan.cycle, e.unit, e.unit_name, e.linked_dcfa, e.unlinked_dcfa, e.status, e.note]
            for e in plan.entries]


@handles_errors
def allocate(
    seed: int = typer.Option(None, "--seed", help="Seed for a reproducible allocation "
                                                  "(default: a random one, printed)."),
    reallocate: bool = typer.Option(False, "--reallocate",
                                    help="Allocate every unit afresh (history is kept)."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the allocation as CSV."),
    force: bool = typer.Option(False, "--force", help="Replace --output if it exists."),
    fmt: AllocFmt = typer.Option(AllocFmt.text, "--format", help="text, json or csv."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Give each unit an unlinked DCFA: never its linked DCFA, workloads balanced.

    Existing allocations are kept unless --reallocate. The same --seed gives the same result.

    Example: [bold]esps allocate --seed 2010 --output allocation.csv[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    if output is not None:
        check_can_write(output, force)
    if seed is None:
        seed = random.SystemRandom().randrange(1_000_000)
    with Register.open(reg_path) as reg:
        plan = allocate_units(reg, roster.units, roster.advisors, roster.cycle.id, seed=seed,
                              reallocate=reallocate)
    if output is not None:
        write_csv(output, ALLOC_HEADER, _alloc_rows(plan), force=force)
    if fmt is AllocFmt.json:
        print_json(plan)
    elif fmt is AllocFmt.csv:
        print(csv_text(ALLOC_HEADER, _alloc_rows(plan)), end="")
    else:
        table = Table("unit", "name", "linked DCFA", "unlinked DCFA", "status",
                      title=f"Unlinked DCFA allocation, {roster.cycle.name}")
        for e in plan.entries:
            table.add_row(e.unit, escape(e.unit_name), e.linked_dcfa, e.unlinked_dcfa,
                          e.status + (f" ({escape(e.note)})" if e.note else ""))
        console.print(table)
        loads = Table("advisor", "name", "linked units", "unlinked units", title="Workloads")
        for w in plan.workloads:
            loads.add_row(w.advisor, escape(w.name), str(w.linked), str(w.unlinked))
        console.print(loads)
    counts = {s: sum(1 for e in plan.entries if e.status == s)
              for s in ("new", "reallocated", "kept")}
    err_console.print(
        f"{counts['new']} new, {counts['reallocated']} reallocated, {counts['kept']} kept; "
        f"workloads differ by at most {plan.spread}; seed {plan.seed} "
        f"(register {escape(str(reg_path))})", soft_wrap=True, highlight=False)
    for w in plan.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=True)
    if output is not None:
        err_console.print(f"wrote {escape(str(output))}", soft_wrap=True)


# -- set and moderate --------------------------------------------------------------------


def _report_recorded(result: RecordResult, role: str) -> None:
    ev = result.event
    where = f"{ev.unit} {ev.indicator}"
    if result.recorded:
        _say(f"recorded {role} score {ev.score} for {where} by {ev.assessor} "
             f"(cycle {ev.cycle})", "green")
    else:
        _say(f"unchanged: the {role} score for {where} is already {ev.score} by {ev.assessor} "
             "with the same comment; nothing recorded")
    c = result.combined
    shown = "-" if c.score is None else str(c.score)
    _say(f"combined: {shown} ({c.status}: {c.reason})")


@score_app.command("set")
@handles_errors
def score_set(
    unit: str = typer.Argument(..., help="Unit code, e.g. TP-CW."),
    indicator: str = typer.Argument(..., help="Indicator id, e.g. OD1.1."),
    score: str = typer.Argument(..., help="Score on the framework's scale (1-4)."),
    role: ScoreRole = typer.Option(..., "--role", help="linked or unlinked."),
    assessor: str = typer.Option(..., "--assessor", help="The advisor's id, e.g. dcfa01."),
    comment: str = typer.Option("", "--comment", help="The assessor's comment."),
    any_unlinked: bool = AnyUnlinkedOpt,
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Record one linked or unlinked score.

    Example: [bold]esps score set TP-CW OD1.1 3 --role linked --assessor dcfa01[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    with Register.open(reg_path) as reg:
        result = record_score(reg, roster, unit=unit, indicator=indicator, role=role.value,
                              score=score, assessor=assessor, comment=comment,
                              any_unlinked=any_unlinked)
    _report_recorded(result, role.value)


@score_app.command("moderate")
@handles_errors
def score_moderate(
    unit: str = typer.Argument(..., help="Unit code."),
    indicator: str = typer.Argument(..., help="Indicator id."),
    score: str = typer.Argument(..., help="The agreed score (1-4)."),
    assessor: str = typer.Option(..., "--assessor", help="Who moderated (an advisor id)."),
    comment: str = typer.Option(..., "--comment", help="How the score was agreed."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Record a moderated score, which overrides the linked and unlinked scores.

    Example: [bold]esps score moderate TP-CW OD1.1 3 --assessor dcfa05 --comment "agreed at
    panel"[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    with Register.open(reg_path) as reg:
        result = record_score(reg, roster, unit=unit, indicator=indicator, role="moderated",
                              score=score, assessor=assessor, comment=comment)
    _report_recorded(result, "moderated")


# -- import ------------------------------------------------------------------------------


def _report_import(r: ImportResult) -> None:
    unit = f" ({r.unit})" if r.unit else ""
    if r.status == "rejected":
        _say(f"REJECTED {r.file}{unit}: {len(r.problems)} problem(s); nothing recorded from "
             "this file:", "bold red")
        for p in r.problems:
            _say(f"  - {p}")
    elif r.status == "already-imported":
        when = f" on {r.previously_imported_at:%Y-%m-%d %H:%M} UTC" \
            if r.previously_imported_at else ""
        _say(f"already imported {r.file}{unit}: the same file was imported{when}; "
             "nothing recorded")
    elif r.status == "unchanged":
        _say(f"unchanged {r.file}{unit}: {r.unchanged} score(s), all already recorded")
    else:
        roles = ", ".join(f"{role} {n}" for role, n in r.by_role.items())
        _say(f"imported {r.file}{unit}: {r.recorded} new score(s) ({roles}), "
             f"{r.unchanged} unchanged", "green")
    for w in r.warnings:
        _say(f"  warning: {w}", "yellow")


@score_app.command("import")
@handles_errors
def score_import(
    path: Path = typer.Argument(..., help="A returned workbook, a folder of them, or a CSV "
                                          "(unit,indicator,role,assessor,score,comment)."),
    any_unlinked: bool = AnyUnlinkedOpt,
    fmt: TableFmt = typer.Option(TableFmt.text, "--format", help="text, json or csv (a row "
                                                                "per problem, with its code)."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Record the scores on returned workbooks' DCFA Assessment sheets (or in a CSV).

    Each file is one transaction: a bad cell rejects that file, listing every problem. Files
    already imported, and scores already recorded, record nothing new. Exit code 1 if any
    file was rejected.

    Example: [bold]esps score import returns/[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    with Register.open(reg_path) as reg:
        results = import_path(reg, roster, path, any_unlinked=any_unlinked)
    rejected = sum(r.rejected for r in results)
    if fmt is TableFmt.json:
        print_json(results)
    elif fmt is TableFmt.csv:
        print(csv_text(IMPORT_TABLE_HEADER, import_table(results)), end="")
    else:
        for r in results:
            _report_import(r)
        if len(results) > 1:
            recorded = sum(r.recorded for r in results)
            _say(f"{len(results)} file(s): {len(results) - rejected} accepted, {rejected} "
                 f"rejected; {recorded} new score(s) recorded")
    if rejected:
        raise typer.Exit(EXIT_FINDINGS)


# -- show, history, export ---------------------------------------------------------------


@score_app.command("show")
@handles_errors
def score_show(
    unit: str = typer.Argument(..., help="Unit code."),
    fmt: Fmt = typer.Option(Fmt.text, "--format", help="text or json."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Show a unit's current scores per indicator: linked, unlinked, moderated, combined.

    Example: [bold]esps score show TP-CW[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    the_unit = roster.unit_or_error(unit)
    with Register.open(reg_path, create=False) as reg:
        current = reg.current_scores(roster.cycle.id)
    rows = score_rows(roster, current, units=[the_unit.code], include_unscored=True)
    if fmt is Fmt.json:
        print_json(rows)
        return
    table = Table("indicator", "linked", "unlinked", "moderated", "combined", "status",
                  title=f"{the_unit.code} {escape(the_unit.name)}: scores, {roster.cycle.name}")
    for r in rows:
        table.add_row(r.indicator, _score_cell(r.linked_score, r.linked_assessor),
                      _score_cell(r.unlinked_score, r.unlinked_assessor),
                      _score_cell(r.moderated_score, r.moderator),
                      "" if r.combined_score is None else str(r.combined_score), r.status)
    console.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    _say(", ".join(f"{n} {status}" for status, n in counts.items()))


@score_app.command("history")
@handles_errors
def score_history(
    unit: str = typer.Argument(..., help="Unit code."),
    indicator: str = typer.Argument(..., help="Indicator id."),
    fmt: Fmt = typer.Option(Fmt.text, "--format", help="text or json."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Every score ever recorded for one unit's indicator, oldest first.

    Example: [bold]esps score history TP-CW OD1.1[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    the_unit = roster.unit_or_error(unit)
    ind = roster.indicator_or_error(indicator)
    with Register.open(reg_path, create=False) as reg:
        events = reg.history(roster.cycle.id, the_unit.code, ind)
    if fmt is Fmt.json:
        print_json(events)
        return
    table = Table("#", "recorded at (UTC)", "role", "assessor", "score", "comment", "source",
                  title=f"{the_unit.code} {ind}: score history, {roster.cycle.name}")
    for ev in events:
        table.add_row(str(ev.id), f"{ev.recorded_at:%Y-%m-%d %H:%M:%S}", ev.role, ev.assessor,
                      str(ev.score), escape(ev.comment), escape(ev.source))
    console.print(table)
    _say(f"{len(events)} event(s)")


HISTORY_HEADER = ("id", "cycle", "unit", "indicator", "role", "assessor", "score", "comment",
                  "recorded_at", "source", "source_sha256")


def _history_rows(events: list[ScoreEvent]) -> list[list[object]]:
    return [[e.id, e.cycle, e.unit, e.indicator, e.role, e.assessor, e.score, e.comment,
             e.recorded_at.isoformat(), e.source, e.source_sha256 or ""] for e in events]


SCORE_HEADER = tuple(ScoreRow.model_fields)


def _score_table(rows: list[ScoreRow]) -> list[list[object]]:
    return [[getattr(r, k) for k in SCORE_HEADER] for r in rows]


@score_app.command("export")
@handles_errors
def score_export(
    fmt: ExportFmt = typer.Option(ExportFmt.csv, "--format", help="csv, json or xlsx."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="File to write (default: stdout; required for xlsx)."),
    force: bool = typer.Option(False, "--force", help="Replace --output if it exists."),
    history: bool = typer.Option(False, "--history", help="Every event, not the current scores."),
    include_all: bool = typer.Option(False, "--all",
                                     help="Include every unit and indicator, scored or not."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Export the current scores (linked, unlinked, moderated, combined, status) or the history.

    Text a spreadsheet would run as a formula is escaped in CSV and XLSX.

    Example: [bold]esps score export --format xlsx --output scores.xlsx[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    if fmt is ExportFmt.xlsx and output is None:
        raise ConfigError("--format xlsx needs --output FILE")
    if output is not None:
        check_can_write(output, force)
    with Register.open(reg_path, create=False) as reg:
        if history:
            events = reg.history(roster.cycle.id)
        else:
            current = reg.current_scores(roster.cycle.id)
    if history:
        header, rows, models = HISTORY_HEADER, _history_rows(events), events
        title = "Score history"
    else:
        score_models = score_rows(roster, current, include_unscored=include_all)
        header, rows, models = SCORE_HEADER, _score_table(score_models), score_models
        title = "Scores"
    if fmt is ExportFmt.csv:
        if output is None:
            print(csv_text(header, rows), end="")
        else:
            write_csv(output, header, rows, force=force)
    elif fmt is ExportFmt.json:
        text = json.dumps(to_jsonable(models), indent=2, default=str) + "\n"
        if output is None:
            print(text, end="")
        else:
            atomic_write_text(output, text, force=force)
    else:
        wb = Workbook()
        add_table_sheet(wb, f"{title} {roster.cycle.id}", header, rows)
        assert output is not None
        save_workbook(wb, output, force=force)
    if output is not None:
        err_console.print(f"wrote {len(rows)} row(s) to {escape(str(output))}", soft_wrap=True)


# -- agreement ---------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _coefficient(stats: AgreementStats, name: str) -> str:
    value = getattr(stats, name)
    if value is None:
        return "undefined"
    low, high = getattr(stats, f"{name}_ci_low"), getattr(stats, f"{name}_ci_high")
    ci = "" if low is None else f"\n[{low:.2f}, {high:.2f}]"
    return f"{value:.3f} {getattr(stats, f'{name}_benchmark')}{ci}"


COEFFICIENTS = ("kappa", "gwet_ac2", "krippendorff_alpha")


class AgreementBy(StrEnum):
    indicator = "indicator"
    theme = "theme"
    business_group = "business-group"


@score_app.command("agreement")
@handles_errors
def score_agreement(
    fmt: TableFmt = typer.Option(TableFmt.text, "--format", help="text, json or csv."),
    by: AgreementBy = typer.Option(None, "--by", help="Also per indicator, theme or "
                                                      "business-group."),
    cycle: str = CycleOpt,
    units: Path = UnitsOpt,
    advisors: Path = AdvisorsOpt,
    framework: Path = FrameworkOpt,
    register: Path = RegisterOpt,
) -> None:
    """Agreement between linked and unlinked scores (exact, within one, weighted kappa, Gwet's
    AC2, Krippendorff's alpha with 95% intervals), per assessor pair and overall, and the
    moderation queue.

    Example: [bold]esps score agreement --by theme --format json[/bold]
    """
    roster, reg_path = _setup(framework, units, advisors, cycle, register)
    with Register.open(reg_path, create=False) as reg:
        report: AgreementReport = agreement(roster, reg.current_scores(roster.cycle.id),
                                            by=by.value if by else None)
    if fmt is TableFmt.json:
        print_json(report)
        return
    if fmt is TableFmt.csv:
        print(csv_text(AGREEMENT_TABLE_HEADER, agreement_table(report)), end="")
        return
    table = Table("linked", "unlinked", "n", "exact", "within one", "weighted kappa",
                  "Gwet's AC2", "Krippendorff's alpha",
                  title=f"Assessor agreement, {roster.cycle.name}")
    o = report.overall
    rows = [(s.linked_assessor or "", s.unlinked_assessor or "", s) for s in report.pairs]
    rows.append(("[bold]overall[/bold]", "", o))
    rows += [(escape(s.group or ""), "", s) for s in report.groups]
    for first, second, s in rows:
        table.add_row(first, second, str(s.n), _pct(s.exact_pct), _pct(s.within_one_pct),
                      *(_coefficient(s, c) for c in COEFFICIENTS))
    console.print(table)
    _say(f"95% intervals: {report.bootstrap_resamples} bootstrap resamples of the scored "
         f"indicators (seed {report.bootstrap_seed}); labels: {report.benchmarks}")
    notes = {s.kappa_note for s in [*report.pairs, o] if s.kappa_note}
    for note in sorted(notes):
        _say(f"kappa: {note}")
    if report.moderation_queue:
        queue = Table("unit", "indicator", "linked", "unlinked", "difference",
                      title=f"Moderation queue ({len(report.moderation_queue)})")
        for m in report.moderation_queue:
            queue.add_row(m.unit, m.indicator, f"{m.linked_score} ({m.linked_assessor})",
                          f"{m.unlinked_score} ({m.unlinked_assessor})", str(m.difference))
        console.print(queue)
    else:
        _say("moderation queue: empty")
    _say(f"{report.moderated} moderated score(s) recorded")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the main app."""
    app.command("allocate")(allocate)
    app.add_typer(score_app, name="score")
