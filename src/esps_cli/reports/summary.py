"""Rendering summaries for the terminal (fit for 80 columns) and as CSV rows. The workbooks
are in reports.board (Board pack, comparison) and reports.unit (action plans, feedback)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.domain.framework import Framework, Rag
from esps_cli.io.output import Format
from esps_cli.reports.text import FittedTable
from esps_cli.reports.wording import (
    ARROW,
    board_title,
    comparison_change_text,
    formula_text,
    rag_text,
    trend_text,
)
from esps_cli.summary.buddies import BuddyPair
from esps_cli.summary.compare import NO_DATA_YET, CycleComparison, trend
from esps_cli.summary.models import STATUS_LABEL, VIEW_LABEL, Gap, Rollup, SummaryReport
from esps_cli.summary.public import PUBLIC_NOTE

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

STATUS_STYLE = {
    "meets-baseline": "green",
    "below-baseline": "red",
    "not-returned": "red",
    "invalid": "red",
    "duplicate-returns": "red",
    "unreadable": "red",
}
RAG_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}
UNIT_HEADER = (
    "unit_code", "unit_name", "business_group", "linked_dcfa", "unlinked_dcfa", "returned",
    "valid", "errors", "warnings", "evidence_completeness_pct", "indicators",
    "indicators_minimum_met", "baseline_indicators", "linked_scored", "unlinked_scored",
    "moderation_pending", "baseline_at_or_above", "mean_combined", "meets_baseline", "status",
    "review_state",
)
ADVISOR_COLUMNS = ("linked_dcfa", "unlinked_dcfa", "linked_dcfa_name")
BUDDY_HEADER = ("unit_code", "unit_name", "buddy_code", "buddy_name", "business_group",
                "weakest_theme", "unit_theme_score", "buddy_theme_score")
EXCEPTION_HEADER = ("unit_code", "unit_name", "business_group", "exception", "detail",
                    "review_state", "linked_dcfa", "linked_dcfa_name")
LISTED_CODES = 8  # units named per status in the terminal summary


def unit_header(public: bool = False) -> tuple[str, ...]:
    """The per-unit CSV columns; the public edition has no advisor columns at all."""
    return tuple(h for h in UNIT_HEADER if not (public and h in ADVISOR_COLUMNS))


def unit_rows(report: SummaryReport) -> list[list[Any]]:
    return [[getattr(s, k) for k in unit_header(report.public)] for s in report.units]


def buddy_rows(pairs: list[BuddyPair]) -> list[list[Any]]:
    return [[getattr(p, k) for k in BUDDY_HEADER] for p in pairs]


def exception_header(public: bool = False) -> tuple[str, ...]:
    return tuple(h for h in EXCEPTION_HEADER if not (public and h in ADVISOR_COLUMNS))


def exception_rows(report: SummaryReport) -> list[list[Any]]:
    values = {"exception": lambda e: e.category}
    return [[values[k](e) if k in values else getattr(e, k)
             for k in exception_header(report.public)] for e in report.exceptions]


def _table(title: str, **kwargs: Any) -> Table:
    """A compact table titled on the left, without outer edges (more room at 80 columns)."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                 pad_edge=False, show_edge=False, **kwargs)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _rag(framework: Framework, rag: Rag) -> str:
    return f"[{RAG_STYLE[rag]}]{escape(rag_text(framework, rag))}[/]"


def print_summary(console: Console, report: SummaryReport, framework: Framework, *,
                  views: Sequence[str] = ("business-group", "theme"),
                  previous: SummaryReport | None = None, units_table: bool = False) -> None:
    """The summary for a terminal of 80 columns or more: the KPI first, the roll-ups, the
    exceptions by kind, and the units grouped by status (the per-unit table on request)."""
    org = report.organisation
    title = board_title(report.public)
    console.print(f"[bold]{escape(title)}, {escape(org.cycle_name)}[/bold]")
    if report.public:
        console.print(f"[dim]{escape(report.edition_note)}[/dim]")
    console.print(
        f"KPI: {org.meeting} of {org.units} units meet the baseline "
        f"({org.compliance_pct:.1f}%); target {org.target_pct:g}%: "
        f"[bold {'green' if org.kpi == 'MET' else 'red'}]{org.kpi}[/], "
        f"{_rag(framework, org.rag)}"
        + (f"; {org.units_needed} more unit(s) needed" if org.units_needed else "")
        + f". Returned {org.returned}, valid {org.valid}."
    )
    if previous is not None:
        b = previous.organisation
        change = round(org.compliance_pct - b.compliance_pct, 1)
        console.print(f"Trend: {trend_text(change, trend(b.compliance_pct, org.compliance_pct))}"
                      f" on {escape(b.cycle_name)} ({b.compliance_pct:.1f}%).")
    console.print(f"[dim]{escape(formula_text(org.meeting, org.units, org.compliance_pct))}"
                  ".[/dim]")
    for view in views:
        rows = [r for r in report.rollups if r.view == view]
        if rows:
            console.print()
            console.print(_rollup_table(view, rows, framework, previous))
    console.print()
    _print_exception_counts(console, report)
    if units_table:
        console.print()
        console.print(_units_table(report))
    else:
        _print_units_by_status(console, report)
    console.print(f"[dim]Baseline rule: {escape(report.rule)}.[/dim]")


def _rollup_table(view: str, rows: list[Rollup], framework: Framework,
                  previous: SummaryReport | None) -> Table:
    table = _table(f"By {VIEW_LABEL.get(view, view)}")
    table.add_column("group", overflow="fold", ratio=1)
    for col in ("units", "returned", "meeting", "%"):
        table.add_column(col, justify="right", no_wrap=True)
    if previous is not None:
        table.add_column("trend", no_wrap=True)
    table.add_column("RAG", no_wrap=True)
    before = {(r.view, r.key): r for r in previous.rollups} if previous else {}
    for r in rows:
        cells = [escape(r.label), str(r.units), str(r.returned), str(r.meeting),
                 f"{r.compliance_pct:.1f}"]
        if previous is not None:
            old = before.get((r.view, r.key))
            cells.append(
                f"{ARROW[trend(old.compliance_pct, r.compliance_pct)]} "
                f"{r.compliance_pct - old.compliance_pct:+.1f}" if old else "-")
        table.add_row(*cells, _rag(framework, r.rag))
    return table


def _print_exception_counts(console: Console, report: SummaryReport) -> None:
    if not report.exceptions:
        console.print("[green]No exceptions.[/green]")
        return
    counts = Counter(e.category for e in report.exceptions)
    listed = "; ".join(f"{STATUS_LABEL[c]} {counts[c]}" for c in STATUS_LABEL if counts[c])
    console.print(f"[bold]Exceptions ({len(report.exceptions)})[/bold]: {escape(listed)}. "
                  "[dim]esps summary --exceptions lists them.[/dim]")


def _print_units_by_status(console: Console, report: SummaryReport) -> None:
    by_status: dict[str, list[str]] = {}
    for s in report.units:
        by_status.setdefault(s.status, []).append(s.unit_code)
    console.print("[bold]Units by status[/bold] [dim](one row per unit: --units-table)[/dim]")
    for status in STATUS_LABEL:
        codes = by_status.get(status)
        if not codes:
            continue
        shown = ", ".join(codes[:LISTED_CODES])
        more = f" and {len(codes) - LISTED_CODES} more" if len(codes) > LISTED_CODES else ""
        style = STATUS_STYLE.get(status, "yellow")
        console.print(f"  [{style}]{STATUS_LABEL[status]}[/] ({len(codes)}): "
                      f"{escape(shown)}{more}")


def _units_table(report: SummaryReport) -> Table:
    table = _table("Units", caption="evid: evidence completeness; min: indicators meeting "
                   "their minimum; linked, unlinked: baseline indicators scored; mod: awaiting "
                   "moderation; mean: mean combined score")
    table.add_column("unit", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("status", overflow="fold", ratio=1)
    table.add_column("review", overflow="fold")
    for col in ("evid", "min", "linked", "unlinked", "mod", "mean"):
        table.add_column(col, justify="right", no_wrap=True)
    for s in report.units:
        table.add_row(
            escape(s.unit_code), escape(s.business_group),
            f"[{STATUS_STYLE.get(s.status, 'yellow')}]{STATUS_LABEL[s.status]}[/]",
            escape(s.review_state or "-"),
            _pct(s.evidence_completeness_pct),
            f"{s.indicators_minimum_met}/{s.indicators}" if s.returned else "-",
            f"{s.linked_scored}/{s.baseline_indicators}",
            f"{s.unlinked_scored}/{s.baseline_indicators}",
            str(s.moderation_pending) if s.moderation_pending else "",
            "-" if s.mean_combined is None else f"{s.mean_combined:.2f}",
        )
    return table


def print_exceptions(console: Console, report: SummaryReport) -> None:
    if not report.exceptions:
        console.print("[green]No exceptions.[/green]")
        return
    table = _table(f"Exceptions ({len(report.exceptions)})")
    table.add_column("unit", no_wrap=True)
    table.add_column("exception", overflow="fold", ratio=2)
    table.add_column("detail", overflow="fold", ratio=3)
    table.add_column("review", overflow="fold", ratio=1)
    if not report.public:
        table.add_column("linked DCFA", overflow="fold", ratio=2)
    for e in report.exceptions:
        cells = [escape(e.unit_code), STATUS_LABEL[e.category], escape(e.detail),
                 escape(e.review_state or "-")]
        if not report.public:
            cells.append(escape(e.linked_dcfa_name))
        table.add_row(*cells)
    console.print(table)


GAP_HEADER = ("unit_code", "indicator_id", "esps_unit", "indicator", "reason", "rating",
              "linked", "unlinked", "combined")


def gap_row(g: Gap) -> list[Any]:
    return [getattr(g, k) for k in GAP_HEADER]


def print_buddies(console: Console, pairs: list[BuddyPair]) -> None:
    if not pairs:
        console.print("No buddy pairs to suggest (no returned unit below baseline has a unit "
                      "of its business group that meets it).")
        return
    rows = [[f"{p.unit_code} {p.unit_name}", f"{p.buddy_code} {p.buddy_name}",
             p.business_group, p.weakest_theme, _score(p.unit_theme_score),
             _score(p.buddy_theme_score)] for p in pairs]
    console.print(FittedTable("Suggested buddies", ("unit", "buddy", "group", "weakest theme",
                                                    "unit score", "buddy score"), rows,
                              right=("unit score", "buddy score")))


def _score(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


COMPARISON_HEADER = ("unit_code", "unit_name", "before", "after", "before_mean", "after_mean",
                     "change")


def comparison_header() -> tuple[str, ...]:
    return COMPARISON_HEADER


def comparison_rows(comparison: CycleComparison) -> list[list[Any]]:
    """One row per unit (the CSV of --compare)."""
    return [[getattr(u, k) for k in COMPARISON_HEADER] for u in comparison.units]


CHANGE_ARROW = {"now meets": "▲", "no longer meets": "▼", "still meets": "►",
                "still below": "►", "new": "+", "gone": "-"}


def print_comparison(console: Console, comparison: CycleComparison) -> None:
    """Overall, per business group and theme, then per unit: fits 80 columns."""
    b, a = comparison.before, comparison.after
    empty = comparison.no_data_yet
    console.print(f"[bold]{escape(b.cycle_name)} to {escape(a.cycle_name)}[/bold]")
    console.print("; ".join(
        f"{o.cycle_name}: {NO_DATA_YET}" if o.cycle_name in empty else
        f"{o.cycle_name}: {o.compliance_pct:.1f}% ({o.kpi} against {o.target_pct:g}%)"
        for o in (b, a)) + f"; change: {comparison_change_text(comparison)}.")
    for view in ("business-group", "theme"):
        rows = [r for r in comparison.rollups if r.view == view]
        if not rows:
            continue
        table = _table(f"By {VIEW_LABEL[view]}")
        table.add_column("group", overflow="fold", ratio=1)
        for col in (b.cycle, a.cycle, "trend"):
            table.add_column(col, justify="right", no_wrap=True)
        for r in rows:
            table.add_row(escape(r.label),
                          NO_DATA_YET if b.cycle_name in empty else _pct1(r.before_pct),
                          NO_DATA_YET if a.cycle_name in empty else _pct1(r.after_pct),
                          escape(trend_text(r.change_pts, r.trend,
                                            missing=NO_DATA_YET if empty else
                                            "no previous figure")))
        console.print(table)
    table = _table("Units")
    table.add_column("unit", overflow="fold", ratio=2)
    table.add_column(b.cycle, overflow="fold", ratio=2)
    table.add_column(a.cycle, overflow="fold", ratio=2)
    table.add_column("change", overflow="fold", ratio=2)
    for u in comparison.units:
        table.add_row(f"{escape(u.unit_code)} {escape(u.unit_name)}",
                      STATUS_LABEL[u.before] if u.before else "-",
                      STATUS_LABEL[u.after] if u.after else "-",
                      f"{CHANGE_ARROW[u.change]} {u.change}")
    console.print(table)


def _pct1(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def edition_note(fmt: Format) -> str:
    """What the public edition leaves out, said on stderr when the output is JSON or CSV (the
    text says it itself); "" for text."""
    return "" if fmt is Format.text else PUBLIC_NOTE


def summary_text(report: SummaryReport, dest: Destination, *, framework: Framework,
                 views: Sequence[str] = ("business-group", "theme"),
                 previous: SummaryReport | None = None, units_table: bool = False,
                 **_: Any) -> None:
    print_summary(dest.console, report, framework, views=views, previous=previous,
                  units_table=units_table)


def summary_csv(report: SummaryReport, dest: Destination, **_: Any) -> None:
    dest.write_csv(unit_header(report.public), unit_rows(report))


def exceptions_text(report: SummaryReport, dest: Destination, **_: Any) -> None:
    print_exceptions(dest.console, report)


def exceptions_csv(report: SummaryReport, dest: Destination, **_: Any) -> None:
    dest.write_csv(exception_header(report.public), exception_rows(report))


def comparison_text(comparison: CycleComparison, dest: Destination, **_: Any) -> None:
    print_comparison(dest.console, comparison)


def comparison_csv(comparison: CycleComparison, dest: Destination, **_: Any) -> None:
    dest.write_csv(COMPARISON_HEADER, comparison_rows(comparison))


def buddies_text(pairs: list[BuddyPair], dest: Destination, **_: Any) -> None:
    print_buddies(dest.console, pairs)


def buddies_csv(pairs: list[BuddyPair], dest: Destination, **_: Any) -> None:
    dest.write_csv(BUDDY_HEADER, buddy_rows(pairs))


def action_plans_text(gaps: list[Gap], dest: Destination, *, written: int, out: Path,
                      not_assessed: int, **_: Any) -> None:
    """What `esps actions` wrote (the gaps themselves are its json and csv)."""
    dest.console.print(f"Wrote {written} action plan(s) to {escape(str(out))} "
                       f"({len(gaps)} gap(s) in all); {not_assessed} unit(s) not yet "
                       "assessed: their plans say why and what happens next.")


def gaps_csv(gaps: list[Gap], dest: Destination, **_: Any) -> None:
    dest.write_csv(GAP_HEADER, [gap_row(g) for g in gaps])
