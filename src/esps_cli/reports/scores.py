"""The score register as people read it: allocation and workload tables, what a recording or
an import did, a unit's scores, an indicator's history, agreement, and the export tables
(`esps allocate`, `esps score ...`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.io.output import to_jsonable
from esps_cli.register import Marks, RegisterLocation, ScoreEvent
from esps_cli.reports.text import FittedTable, Lines, first_places, repeated, shape
from esps_cli.reports.text import table as text_table
from esps_cli.scoring.agreement import AgreementReport, AgreementStats
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.rows import SCORE_HEADER, ScoreRow, score_table

if TYPE_CHECKING:  # annotations only: importing packs would load openpyxl for every command
    from esps_cli.reports.printing import PrintInfo
    from esps_cli.reports.render import Destination
    from esps_cli.scoring.allocate import AllocationPlan
    from esps_cli.scoring.importing import ImportResult
    from esps_cli.scoring.packs import PacksResult
    from esps_cli.scoring.record import RecordResult


def say(console: Console, text: str, style: str = "") -> None:
    """One line of plain text (escaped, never wrapped), optionally styled."""
    body = escape(text)
    console.print(f"[{style}]{body}[/{style}]" if style else body, soft_wrap=True,
                  highlight=False)


def _score_cell(score: int | None, who: str | None) -> str:
    return "" if score is None else f"{score} ({who})"


# -- allocation --------------------------------------------------------------------------

ALLOC_HEADER = ("cycle", "unit", "unit_name", "linked_dcfa", "unlinked_dcfa", "status", "note")


def allocation_rows(plan: AllocationPlan) -> list[list[object]]:
    return [[plan.cycle, e.unit, e.unit_name, e.linked_dcfa, e.unlinked_dcfa, e.status, e.note]
            for e in plan.entries]


def print_allocation(console: Console, plan: AllocationPlan, cycle_name: str) -> None:
    table = Table("unit", "name", "linked DCFA", "unlinked DCFA", "status",
                  title=f"Unlinked DCFA allocation, {cycle_name}")
    for e in plan.entries:
        table.add_row(e.unit, escape(e.unit_name), e.linked_dcfa, e.unlinked_dcfa,
                      e.status + (f" ({escape(e.note)})" if e.note else ""))
    console.print(table)
    loads = Table("advisor", "name", "linked units", "unlinked units", title="Workloads")
    for w in plan.workloads:
        loads.add_row(w.advisor, escape(w.name), str(w.linked), str(w.unlinked))
    console.print(loads)


def allocation_outcome(plan: AllocationPlan, register: RegisterLocation) -> str:
    """The one-line outcome: how many new, reallocated and kept, the spread and the seed."""
    counts = Counter(e.status for e in plan.entries)
    return (f"{counts['new']} new, {counts['reallocated']} reallocated, {counts['kept']} kept; "
            f"workloads differ by at most {plan.spread}; seed {plan.seed} "
            f"(register {escape(str(register))})")


# -- recording and importing -------------------------------------------------------------


def print_recorded(console: Console, result: RecordResult, role: str) -> None:
    ev = result.event
    where = f"{ev.unit} {ev.indicator}"
    if result.recorded:
        say(console, f"recorded {role} score {ev.score} for {where} by {ev.assessor} "
                     f"(cycle {ev.cycle})", "green")
    else:
        say(console, f"unchanged: the {role} score for {where} is already {ev.score} by "
                     f"{ev.assessor} with the same comment; nothing recorded")
    c = result.combined
    shown = "-" if c.score is None else str(c.score)
    say(console, f"combined: {shown} ({c.status}: {c.reason})")


def _print_import(console: Console, r: ImportResult) -> None:
    unit = f" ({r.unit})" if r.unit else ""
    if r.status == "rejected":
        say(console, f"REJECTED {r.file}{unit}: {len(r.problems)} problem(s); nothing recorded "
                     "from this file:", "bold red")
        # The same problem on many rows (every row for another cycle) is one line with the
        # count and the first rows; --format csv lists every one.
        for p, more in repeated(r.problems, lambda p: (p.code, shape(p.message))):
            say(console, f"  - {p}")
            if more:
                rows = [f"row {m.row}" if m.row is not None else (m.cell or m.sheet)
                        for m in more]
                say(console, f"    … and {len(more)} more like it: {first_places(rows)} "
                             "(--format csv lists every one)", "dim")
    elif r.status == "already-imported":
        when = f" on {r.previously_imported_at:%Y-%m-%d %H:%M} UTC" \
            if r.previously_imported_at else ""
        say(console, f"already imported {r.file}{unit}: the same file was imported{when}; "
                     "nothing recorded")
    elif r.status == "partial":
        roles = ", ".join(f"{role} {n}" for role, n in r.by_role.items())
        say(console, f"PARTLY imported {r.file}{unit}: {r.recorded} new score(s) ({roles}), "
                     f"{r.unchanged} unchanged; {len(r.problems)} cell(s) not recorded:",
            "bold yellow")
        for p in r.problems:
            say(console, f"  - {p}")
    elif r.status == "unchanged" and not r.unchanged:
        say(console, f"nothing to record in {r.file}{unit}: no scores given in it yet")
    elif r.status == "unchanged":
        say(console, f"unchanged {r.file}{unit}: {r.unchanged} score(s), all already recorded")
    else:
        roles = ", ".join(f"{role} {n}" for role, n in r.by_role.items())
        say(console, f"imported {r.file}{unit}: {r.recorded} new score(s) ({roles}), "
                     f"{r.unchanged} unchanged", "green")
    for w in r.warnings:
        say(console, f"  warning: {w}", "yellow")


def print_imports(console: Console, results: list[ImportResult]) -> None:
    """One block per file, then the totals when there was more than one file."""
    for r in results:
        _print_import(console, r)
    if len(results) > 1:
        rejected = sum(r.rejected for r in results)
        partial = sum(r.status == "partial" for r in results)
        recorded = sum(r.recorded for r in results)
        say(console, f"{len(results)} file(s): {len(results) - rejected} accepted"
                     + (f" ({partial} in part)" if partial else "")
                     + f", {rejected} rejected; {recorded} new score(s) recorded")


# -- a unit's scores, an indicator's history ---------------------------------------------


def print_unit_scores(console: Console, rows: list[ScoreRow], title: str) -> None:
    table = Table("indicator", "linked", "unlinked", "moderated", "combined", "status",
                  title=title)
    for r in rows:
        table.add_row(r.indicator, _score_cell(r.linked_score, r.linked_assessor),
                      _score_cell(r.unlinked_score, r.unlinked_assessor),
                      _score_cell(r.moderated_score, r.moderator),
                      "" if r.combined_score is None else str(r.combined_score), r.status)
    console.print(table)
    counts = Counter(r.status for r in rows)
    say(console, ", ".join(f"{n} {status}" for status, n in counts.items()))


HISTORY_COLUMNS = ("#", "recorded at (UTC)", "role", "assessor", "entered by", "score",
                   "comment", "source")


def print_history(console: Console, events: list[ScoreEvent], title: str) -> None:
    """Fitted to the width (80 columns and up), names broken only between words: who entered
    each score (the login, or the OS user on SQLite) beside the assessor it is for, and the
    name of the file it came from (its whole path: --format json)."""
    rows = [[str(ev.id), f"{ev.recorded_at:%d/%m/%Y %H:%M:%S}", ev.role, ev.assessor,
             ev.entered_by or "-", str(ev.score), ev.comment,
             PureWindowsPath(ev.source).name or ev.source] for ev in events]
    console.print(FittedTable(title, HISTORY_COLUMNS, rows, right=("#", "score"),
                              whole=("recorded at (UTC)",)))
    say(console, f"{len(events)} event(s)")


# -- export ------------------------------------------------------------------------------

HISTORY_HEADER = ("id", "cycle", "unit", "indicator", "role", "assessor", "score", "comment",
                  "recorded_at", "source", "source_sha256")


@dataclass
class ExportTable:
    """What `esps score export` writes: a titled table, and for json the models behind it
    (None: each row as an object of the header's keys)."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[Sequence[object]]
    models: list[Any] | None = None


def history_table(events: list[ScoreEvent]) -> ExportTable:
    rows: list[list[object]] = [
        [e.id, e.cycle, e.unit, e.indicator, e.role, e.assessor, e.score, e.comment,
         e.recorded_at.isoformat(), e.source, e.source_sha256 or ""] for e in events]
    return ExportTable("Score history", HISTORY_HEADER, rows, list(events))


def scores_table(roster: Roster, current: dict[tuple[str, str], Marks], *,
                 include_unscored: bool) -> ExportTable:
    return ExportTable("Scores", SCORE_HEADER,
                       score_table(roster, current, include_unscored=include_unscored))


# -- agreement ---------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _coefficient(stats: AgreementStats, name: str) -> str:
    value = getattr(stats, name)
    if value is None:
        return "undefined"
    low, high = getattr(stats, f"{name}_ci_low"), getattr(stats, f"{name}_ci_high")
    ci = "" if low is None else f"\n[{low:.2f}, {high:.2f}]"
    band = f" ({stats.krippendorff_alpha_band})" if name == "krippendorff_alpha" else ""
    return f"{value:.3f} {getattr(stats, f'{name}_benchmark')}{band}{ci}"


COEFFICIENTS = ("kappa", "gwet_ac2", "krippendorff_alpha")


def print_agreement(console: Console, report: AgreementReport, cycle_name: str) -> None:
    table = Table("linked", "unlinked", "n", "exact", "within one", "weighted kappa",
                  "Gwet's AC2", "Krippendorff's alpha",
                  title=f"Assessor agreement, {cycle_name}")
    o = report.overall
    rows = [(s.linked_assessor or "", s.unlinked_assessor or "", s) for s in report.pairs]
    rows.append(("[bold]overall[/bold]", "", o))
    rows += [(escape(s.group or ""), "", s) for s in report.groups]
    for first, second, s in rows:
        table.add_row(first, second, str(s.n), _pct(s.exact_pct), _pct(s.within_one_pct),
                      *(_coefficient(s, c) for c in COEFFICIENTS))
    console.print(table)
    say(console, f"95% intervals: {report.bootstrap_resamples} bootstrap resamples of the "
                 f"scored indicators (seed {report.bootstrap_seed}); labels: "
                 f"{report.benchmarks}; alpha's own bands in brackets: 0.667 tentative, "
                 "0.800 reliable (Krippendorff 2004)")
    say(console, report.reading_note)
    notes = {s.kappa_note for s in [*report.pairs, o] if s.kappa_note}
    for note in sorted(notes):
        say(console, f"kappa: {note}")
    _print_queue(console, report)
    say(console, f"{report.moderated} moderated score(s) recorded")


def _print_queue(console: Console, report: AgreementReport) -> None:
    """The queue as aligned lines: thousands of rows print at once (a rich Table measures
    every cell)."""
    if not report.moderation_queue:
        say(console, "moderation queue: empty")
        return
    out = Lines()
    out.add((f"Moderation queue ({len(report.moderation_queue)})", "bold"))
    rows = [[m.unit, m.indicator, f"{m.linked_score} ({m.linked_assessor})",
             f"{m.unlinked_score} ({m.unlinked_assessor})", str(m.difference)]
            for m in report.moderation_queue]
    for line in text_table(("unit", "indicator", "linked", "unlinked", "difference"), rows,
                      right=("difference",)):
        out.add(*line)
    out.write(console)


# -- packs issued ------------------------------------------------------------------------


def print_packs(console: Console, err_console: Console, result: PacksResult, out: Path,
                title: str) -> None:
    """The packs written and kept, then the units that got none and why."""
    rows = [[p.unit, p.role, p.assessor, Path(p.file).name,
             p.status + ("" if p.status == "written" else " (exists; --force replaces)")]
            for p in result.packs]
    if rows:
        console.print(FittedTable(title, ("unit", "pack", "assessor", "file", "status"), rows))
    kept = len(result.packs) - result.written
    say(console, f"wrote {result.written} pack(s) to {out}"
                 + (f"; kept {kept} already there" if kept else ""))
    if result.moderation:
        say(console, f"{result.no_disagreement} unit(s) scored with nothing to moderate")
    for label, codes in (("no readable return", result.no_return),
                         ("an invalid return", result.invalid),
                         ("no unlinked DCFA allocated yet (esps allocate)",
                          result.not_allocated)):
        if codes:
            shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8
                                            else "")
            say(err_console, f"{len(codes)} unit(s) with {label}, so no packs: {shown}")
    if result.invalid:
        say(err_console, "--include-invalid issues packs for them anyway (scores provisional).")


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def allocation_text(plan: AllocationPlan, dest: Destination, *, cycle_name: str,
                    **_: Any) -> None:
    print_allocation(dest.console, plan, cycle_name)


def allocation_csv(plan: AllocationPlan, dest: Destination, **_: Any) -> None:
    dest.write_csv(ALLOC_HEADER, allocation_rows(plan), bom=dest.path is not None)


def allocation_xlsx(plan: AllocationPlan, dest: Destination, *, info: PrintInfo | None = None,
                    **_: Any) -> None:
    """A workbook set up to print."""
    from esps_cli.reports.printing import PrintInfo, single_table_workbook

    info = info or PrintInfo(title="ESPS unlinked DCFA allocation")
    dest.save_workbook(single_table_workbook(f"Allocation {plan.cycle}", ALLOC_HEADER,
                                             allocation_rows(plan), info))


def imports_text(results: list[ImportResult], dest: Destination, **_: Any) -> None:
    print_imports(dest.console, results)


def imports_csv(results: list[ImportResult], dest: Destination, **_: Any) -> None:
    from esps_cli.scoring.importing import IMPORT_TABLE_HEADER, import_table

    dest.write_csv(IMPORT_TABLE_HEADER, import_table(results))


def unit_scores_text(rows: list[ScoreRow], dest: Destination, *, title: str,
                     **_: Any) -> None:
    print_unit_scores(dest.console, rows, title)


def history_text(events: list[ScoreEvent], dest: Destination, *, title: str,
                 **_: Any) -> None:
    print_history(dest.console, events, title)


def export_csv(table: ExportTable, dest: Destination, **_: Any) -> None:
    """A file gets the BOM Excel needs to read UTF-8; standard output does not."""
    dest.write_csv(table.header, table.rows, bom=dest.path is not None)


def export_json(table: ExportTable, dest: Destination, **_: Any) -> None:
    """The models behind the table, else each row as an object of the header's keys."""
    objects = (to_jsonable(table.models) if table.models is not None else
               [dict(zip(table.header, row, strict=True)) for row in table.rows])
    dest.write_text(json.dumps(objects, indent=2, default=str) + "\n")


def export_xlsx(table: ExportTable, dest: Destination, *, sheet: str,
                info: PrintInfo | None = None, **_: Any) -> None:
    """An xlsx sheet named `sheet`, set up to print (reports.printing) with `info` on every
    page."""
    from esps_cli.reports.printing import PrintInfo, single_table_workbook

    info = info or PrintInfo(title=f"ESPS {table.title.lower()}")
    dest.save_workbook(single_table_workbook(sheet, table.header, table.rows, info))


def agreement_text(report: AgreementReport, dest: Destination, *, cycle_name: str,
                   **_: Any) -> None:
    print_agreement(dest.console, report, cycle_name)


def agreement_csv(report: AgreementReport, dest: Destination, **_: Any) -> None:
    from esps_cli.scoring.agreement import AGREEMENT_TABLE_HEADER, agreement_table

    dest.write_csv(AGREEMENT_TABLE_HEADER, agreement_table(report))


def packs_text(result: PacksResult, dest: Destination, *, out: Path, title: str,
               **_: Any) -> None:
    from esps_cli.io.output import err_console

    print_packs(dest.console, err_console.real(), result, out, title)
