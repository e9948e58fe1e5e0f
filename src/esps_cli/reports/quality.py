"""Assessment quality as people read it: agreement on the decision (`esps score decisions`),
and the sentences the Board pack's assessment-quality page prints. Text and xlsx round the
figures; json and csv (printed from the models) do not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.scoring.quality import (
    ALPHA_WORDS,
    AssessmentQuality,
    CalibrationReport,
    DecisionReport,
    DecisionStats,
    PairTrend,
)

if TYPE_CHECKING:  # openpyxl only when a workbook is written
    from openpyxl import Workbook

    from esps_cli.reports.printing import PrintInfo
    from esps_cli.reports.render import Destination

ARROW = {"up": "▲", "down": "▼", "same": "►", "one cycle": ""}


def pct(value: float | None, places: int = 0) -> str:
    return "-" if value is None else f"{value:.{places}f}%"


def interval(stats: DecisionStats) -> str:
    if stats.ci_low_pct is None or stats.ci_high_pct is None:
        return "-"
    return f"{stats.ci_low_pct:.0f}% to {stats.ci_high_pct:.0f}%"


def alpha_text(stats: DecisionStats) -> str:
    a = stats.krippendorff_alpha
    return "undefined" if a is None else f"{a:.3f} {stats.alpha_band}"


def name(names: dict[str, str], code: str | None) -> str:
    return names.get(code, code) if code else ""


def decision_sentence(stats: DecisionStats) -> str:
    """The overall decision agreement in one sentence a Board member understands."""
    if not stats.units:
        return ("No unit has been scored in full by both of its DCFAs yet, so agreement on "
                "the decision cannot be measured.")
    return (f"Scored separately, the two DCFAs reached the same decision on whether the unit "
            f"meets the baseline for {stats.agreed} of {stats.units} units "
            f"({pct(stats.agreement_pct)}; 95% interval {interval(stats)}).")


def flagged_sentence(report: DecisionReport, names: dict[str, str]) -> str:
    if not report.flagged:
        return (f"No pair of DCFAs falls below the {report.level_pct:g}% level of agreement "
                "on the decision.")
    listed = "; ".join(f"{name(names, p.linked_assessor)} with "
                       f"{name(names, p.unlinked_assessor)} ({p.agreed} of {p.units} "
                       f"unit{'' if p.units == 1 else 's'}, {pct(p.agreement_pct)})"
                       for p in report.flagged)
    return (f"{len(report.flagged)} pair(s) of DCFAs agree on the decision for fewer than "
            f"{report.level_pct:g}% of their units and should be reviewed: {listed}.")


def alpha_sentence(stats: DecisionStats) -> str:
    if stats.krippendorff_alpha is None:
        return "Krippendorff's alpha on the indicator scores is " + ALPHA_WORDS["undefined"] + "."
    return (f"Indicator by indicator, the scores' Krippendorff's alpha is "
            f"{stats.krippendorff_alpha:.3f}, {ALPHA_WORDS[stats.alpha_band]}.")


def trend_text(t: PairTrend) -> str:
    points = ", ".join(f"{p.cycle_name} {pct(p.agreement_pct)} ({p.agreed}/{p.units})"
                       for p in t.cycles)
    change = "" if t.change_pts is None else (
        f" {ARROW[t.direction]} {t.change_pts:+.0f} points")
    return points + change


def print_decisions(console: Console, report: DecisionReport, names: dict[str, str]) -> None:
    table = Table("linked", "unlinked", "units", "same decision", "95% interval",
                  "indicators exact", "Krippendorff's alpha",
                  title=f"Agreement on the decision, {report.cycle_name}")
    for s in [*report.pairs, report.overall]:
        first = (escape(name(names, s.linked_assessor)) if s.linked_assessor
                 else "[bold]all pairs[/bold]")
        flag = " [bold]below level[/bold]" if s.below_level else ""
        table.add_row(first, escape(name(names, s.unlinked_assessor)), str(s.units),
                      f"{s.agreed} ({pct(s.agreement_pct)}){flag}", interval(s),
                      pct(s.indicator_exact_pct), alpha_text(s))
    console.print(table)
    for line in (decision_sentence(report.overall), flagged_sentence(report, names),
                 alpha_sentence(report.overall)):
        console.print(escape(line), soft_wrap=True, highlight=False)
    if report.units_incomplete:
        console.print(f"{report.units_incomplete} unit(s) not yet scored in full by both "
                      "assessors are left out.", soft_wrap=True, highlight=False)
    console.print(f"Intervals: {report.interval}. Alpha: ordinal, on the same units' "
                  "baseline indicators; bands 0.667 (tentative) and 0.800 (reliable), "
                  "Krippendorff (2004).", soft_wrap=True, highlight=False)
    if any(len(t.cycles) > 1 for t in report.trend):
        console.print("[bold]Trend per pair[/bold]")
        for t in report.trend:
            console.print(escape(f"{name(names, t.linked_assessor)} with "
                                 f"{name(names, t.unlinked_assessor)}: {trend_text(t)}"),
                          soft_wrap=True, highlight=False)


DECISION_XLSX_HEADER = ["Linked DCFA", "Unlinked DCFA", "Units", "Same decision",
                        "Agreement %", "95% interval", "Both meet", "Both below",
                        "Only linked meets", "Only unlinked meets", "Indicators exact %",
                        "Krippendorff's alpha", "Alpha band", "Below level"]


def _xlsx_row(s: DecisionStats, names: dict[str, str]) -> list[object]:
    return [name(names, s.linked_assessor) or "All pairs", name(names, s.unlinked_assessor),
            s.units, s.agreed, None if s.agreement_pct is None else round(s.agreement_pct, 1),
            interval(s), s.both_meet, s.both_below, s.only_linked_meets, s.only_unlinked_meets,
            None if s.indicator_exact_pct is None else round(s.indicator_exact_pct, 1),
            None if s.krippendorff_alpha is None else round(s.krippendorff_alpha, 3),
            s.alpha_band, "yes" if s.below_level else ""]


def decisions_workbook(report: DecisionReport, info: PrintInfo,
                       names: dict[str, str]) -> Workbook:
    """`esps score decisions --output x.xlsx`: the pairs and the trend, rounded, to print."""
    from esps_cli.reports.printing import single_table_workbook, table_sheet

    rows = [_xlsx_row(s, names) for s in [*report.pairs, report.overall]]
    wb = single_table_workbook(
        f"Decision agreement {report.cycle}", DECISION_XLSX_HEADER, rows, info,
        notes=[decision_sentence(report.overall), flagged_sentence(report, names),
               alpha_sentence(report.overall),
               f"Same decision: units where the linked DCFA's scores alone and the unlinked "
               f"DCFA's alone both meet, or both miss, the baseline rule. Intervals: "
               f"{report.interval}. Level: {report.level_pct:g}%."],
        formats={"Agreement %": "0.0", "Indicators exact %": "0.0",
                 "Krippendorff's alpha": "0.000"})
    trend_rows = [[name(names, t.linked_assessor), name(names, t.unlinked_assessor),
                   p.cycle_name, p.units, p.agreed,
                   None if p.agreement_pct is None else round(p.agreement_pct, 1)]
                  for t in report.trend for p in t.cycles]
    table_sheet(wb, "Trend per pair", ["Linked DCFA", "Unlinked DCFA", "Cycle", "Units",
                                       "Same decision", "Agreement %"], trend_rows, info,
                empty="No pair has been scored in full yet.")
    return wb


# -- calibration -------------------------------------------------------------------------


def deviation(value: float | None) -> str:
    if value is None:
        return "-"
    shown = f"{value:+.2f}"
    return shown[1:] if shown in ("+0.00", "-0.00") else shown


def calibration_sentence(report: CalibrationReport, names: dict[str, str]) -> str:
    """The calibration result in one sentence a Board member understands."""
    scored = [a for a in report.assessors if a.indicators]
    if not report.seeds:
        return (f"No calibration was run for {report.cycle_name}: no seed returns were set.")
    if not scored:
        return (f"{len(report.seeds)} seed return(s) were sent to the DCFAs to score before "
                "live scoring; none has come back yet.")
    head = (f"Before live scoring, {len(scored)} DCFA(s) scored {len(report.seeds)} seed "
            f"return(s) with known answers; ")
    if not report.flagged:
        return head + (f"all were within {report.tolerance:g} point of the agreed scores on "
                       "average.")
    who = "; ".join(
        f"{name(names, a.assessor)} {abs(a.mean_signed_deviation or 0):.1f} point(s) "
        f"{'harsher' if a.leaning == 'harsher' else 'more lenient'}"
        for a in report.assessors if a.flagged)
    return head + (f"{len(report.flagged)} scored more than {report.tolerance:g} point away "
                   f"from them on average: {who}.")


def print_calibration(console: Console, report: CalibrationReport,
                      names: dict[str, str]) -> None:
    seeds = ", ".join(f"{s.seed} ({s.unit}, {s.indicators} indicators)" for s in report.seeds)
    console.print(escape(f"Seed returns for {report.cycle_name}: {seeds or 'none'}"),
                  soft_wrap=True, highlight=False)
    earlier = [c for c in report.cycles if c.cycle != report.cycle]
    headings = ["assessor", "seeds", "indicators", "mean signed", "mean absolute", "leaning",
                *(f"{c.cycle_name} mean signed" for c in earlier)]
    table = Table(*headings, title=f"Calibration against the seed returns, "
                                   f"{report.cycle_name}")
    before = {c.cycle: {a.assessor: a for a in c.assessors} for c in earlier}
    for a in report.assessors:
        flag = " [bold]FLAGGED[/bold]" if a.flagged else ""
        old = [before[c.cycle].get(a.assessor) for c in earlier]
        table.add_row(escape(name(names, a.assessor)), str(a.seeds), str(a.indicators),
                      deviation(a.mean_signed_deviation),
                      "-" if a.mean_absolute_deviation is None
                      else f"{a.mean_absolute_deviation:.2f}", a.leaning + flag,
                      *(deviation(o.mean_signed_deviation) if o else "-" for o in old))
    console.print(table)
    console.print(escape(calibration_sentence(report, names)), soft_wrap=True, highlight=False)
    if report.awaiting:
        console.print(escape("Not scored yet: " + ", ".join(name(names, a)
                                                            for a in report.awaiting)),
                      soft_wrap=True, highlight=False)
    console.print(f"Deviation = the DCFA's score less the definitive score: negative is "
                  f"harsher, positive more lenient. Flagged: a mean signed deviation beyond "
                  f"{report.tolerance:g} point either way (rules.quality.calibration_tolerance)."
                  , soft_wrap=True, highlight=False)


CALIBRATION_XLSX_HEADER = ["Cycle", "DCFA", "Seeds", "Indicators", "Mean signed deviation",
                           "Mean absolute deviation", "Leaning", "Flagged"]


def calibration_workbook(report: CalibrationReport, info: PrintInfo,
                         names: dict[str, str]) -> Workbook:
    """`esps calibrate report --output x.xlsx`: every cycle's figures, rounded, to print."""
    from esps_cli.reports.printing import single_table_workbook

    others = [c for c in report.cycles if c.cycle != report.cycle]
    rows = [[cycle_name, name(names, a.assessor), a.seeds, a.indicators,
             None if a.mean_signed_deviation is None else round(a.mean_signed_deviation, 2),
             None if a.mean_absolute_deviation is None
             else round(a.mean_absolute_deviation, 2), a.leaning, "yes" if a.flagged else ""]
            for cycle_name, assessors in ((report.cycle_name, report.assessors),
                                          *((c.cycle_name, c.assessors) for c in others))
            for a in assessors]
    return single_table_workbook(
        f"Calibration {report.cycle}", CALIBRATION_XLSX_HEADER, rows, info,
        notes=[calibration_sentence(report, names),
               "Deviation = the DCFA's score less the seed's definitive score (negative: "
               f"harsher). Flagged beyond {report.tolerance:g} point either way."],
        formats={"Mean signed deviation": "+0.00;-0.00;0.00",
                 "Mean absolute deviation": "0.00"},
        empty="No calibration scores yet.")


# -- the Board's page, for every edition -------------------------------------------------


class Statement(BaseModel):
    """One finding of the assessment-quality page: the sentence a Board member reads, the
    figure printed beside it, and the table (if any) that follows it."""

    heading: str
    sentence: str
    figure: str
    table: Literal["", "flagged", "calibration"] = ""


QUALITY_TITLE = "Assessment quality: can the Board rely on the assessments?"
DECISION_HEADING = "Do the two DCFAs reach the same decision?"
PAIRS_HEADING = "Assessor pairs below the level"
CALIBRATION_HEADING = "Were the DCFAs calibrated before scoring?"


def _decision_statements(d: DecisionReport, names: dict[str, str]) -> list[Statement]:
    o = d.overall
    figure = ("not yet measured" if not o.units else
              f"{pct(o.agreement_pct)}\n{o.agreed} of {o.units} units\n95%: {interval(o)}")
    alpha = ("alpha undefined" if o.krippendorff_alpha is None
             else f"alpha {o.krippendorff_alpha:.2f}\n{o.alpha_band}")
    flagged = "none" if not d.flagged else f"{len(d.flagged)} of {len(d.pairs)} pairs"
    return [Statement(heading=DECISION_HEADING, sentence=decision_sentence(o), figure=figure),
            Statement(heading=DECISION_HEADING, sentence=alpha_sentence(o), figure=alpha),
            Statement(heading=PAIRS_HEADING, sentence=flagged_sentence(d, names),
                      figure=flagged, table="flagged" if d.flagged else "")]


def quality_statements(q: AssessmentQuality, names: dict[str, str]) -> list[Statement]:
    """The page's findings in order, for the xlsx, HTML and PDF editions alike."""
    none = DecisionStats(linked_assessor=None, unlinked_assessor=None, units=0, agreed=0,
                         agreement_pct=None, ci_low_pct=None, ci_high_pct=None, both_meet=0,
                         both_below=0, only_linked_meets=0, only_unlinked_meets=0, indicators=0,
                         indicator_exact_pct=None)
    out = (_decision_statements(q.decision, names) if q.decision is not None else [Statement(
        heading=DECISION_HEADING, figure="not yet measured", sentence=decision_sentence(none))])
    c = q.calibration
    if c is None:
        out.append(Statement(heading=CALIBRATION_HEADING, figure="not run", sentence=(
            "No calibration was run for this cycle: no seed returns were set "
            "(esps calibrate).")))
    else:
        scored = [a for a in c.assessors if a.indicators]
        out.append(Statement(
            heading=CALIBRATION_HEADING, sentence=calibration_sentence(c, names),
            figure=(f"{len(c.flagged)} of {len(scored)} DCFAs\noutside ±{c.tolerance:g} point"
                    if scored else "not scored yet"), table="calibration" if scored else ""))
    return out


FLAGGED_COLUMNS = ("Linked DCFA", "Unlinked DCFA", "Units", "Same decision", "Agreement %",
                   "Trend")
CALIBRATION_COLUMNS = ("DCFA", "Seeds scored", "Indicators", "Mean deviation",
                       "Mean absolute deviation", "Leaning")


Cell = str | int | float | None


def flagged_rows(d: DecisionReport, names: dict[str, str]) -> list[list[Cell]]:
    """The pairs below the level with their trend (figures unrounded)."""
    trends = {(t.linked_assessor, t.unlinked_assessor): t for t in d.trend}
    rows: list[list[Cell]] = []
    for p in d.flagged:
        t = trends.get((p.linked_assessor or "", p.unlinked_assessor or ""))
        rows.append([name(names, p.linked_assessor), name(names, p.unlinked_assessor),
                     p.units, p.agreed, p.agreement_pct,
                     trend_text(t) if t and len(t.cycles) > 1 else "first cycle"])
    return rows


def calibration_shown_rows(c: CalibrationReport, names: dict[str, str]
                           ) -> list[list[Cell]]:
    """Each DCFA who scored the seeds (figures unrounded)."""
    return [[name(names, a.assessor), a.seeds, a.indicators, a.mean_signed_deviation,
             a.mean_absolute_deviation, a.leaning + (" (flagged)" if a.flagged else "")]
            for a in c.assessors if a.indicators]


def quality_notes(q: AssessmentQuality) -> list[str]:
    notes = ["Same decision: the unit meets, or misses, the baseline both on the linked DCFA's "
             "scores alone and on the unlinked DCFA's alone (the framework's rule)."]
    if q.decision is not None:
        notes.append(f"Intervals: {q.decision.interval}. Pairs are listed below "
                     f"{q.decision.level_pct:g}% agreement. Krippendorff's alpha: reliable at "
                     "0.800 or more, tentative from 0.667.")
    notes.append("Calibration: each DCFA scored seed returns whose scores DCFD set in advance; "
                 "deviation is their score less the agreed one (negative: harsher). Seed "
                 "scores never count towards any unit.")
    return notes


# -- writers on the renderer table (reports.render) --------------------------------------


def decisions_text(report: DecisionReport, dest: Destination, *, names: dict[str, str],
                   **_: Any) -> None:
    print_decisions(dest.console, report, names)


def decisions_csv(report: DecisionReport, dest: Destination, **_: Any) -> None:
    from esps_cli.scoring.quality import DECISION_HEADER, decision_rows

    dest.write_csv(DECISION_HEADER, decision_rows(report))


def decisions_xlsx(report: DecisionReport, dest: Destination, *, info: PrintInfo,
                   names: dict[str, str], **_: Any) -> None:
    dest.save_workbook(decisions_workbook(report, info, names))


def calibration_text(report: CalibrationReport, dest: Destination, *, names: dict[str, str],
                     **_: Any) -> None:
    print_calibration(dest.console, report, names)


def calibration_csv(report: CalibrationReport, dest: Destination, **_: Any) -> None:
    from esps_cli.scoring.quality import CALIBRATION_HEADER, calibration_rows

    dest.write_csv(CALIBRATION_HEADER, calibration_rows(report))


def calibration_xlsx(report: CalibrationReport, dest: Destination, *, info: PrintInfo,
                     names: dict[str, str], **_: Any) -> None:
    dest.save_workbook(calibration_workbook(report, info, names))
