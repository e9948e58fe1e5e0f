"""The public edition, written for residents and community groups (modelled on Ethnicity facts
and figures): the main facts first, things you need to know, what the figures measure, each
police unit by name with its result in words and what happens next, a glossary, how to
contact the force and how to challenge a result.

It is built from a public SummaryReport (summary.public.make_public) and copies only what
a resident needs into its own model: no file names, error counts, review or workflow states,
no advisor roles and nothing of any advisor."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from esps_cli.domain.framework import Framework
from esps_cli.errors import ConfigError
from esps_cli.reports.editions.community import PublicCommunity, public_community
from esps_cli.reports.editions.page import Bar, BarChart, EditionInfo, Table, cols
from esps_cli.summary.models import SummaryReport, UnitStanding, UnitStatus

IN_PROGRESS = "Assessment in progress"
# A unit's result in words and what happens next, as the public reads them.
PUBLIC_RESULT: dict[UnitStatus, tuple[str, str]] = {
    "not-returned": ("Self-assessment not received", "Send its self-assessment"),
    "duplicate-returns": (IN_PROGRESS, "Being assessed"),
    "unreadable": (IN_PROGRESS, "Being assessed"),
    "invalid": (IN_PROGRESS, "Being assessed"),
    "awaiting-linked": (IN_PROGRESS, "Being assessed"),
    "awaiting-unlinked": (IN_PROGRESS, "Being assessed"),
    "awaiting-moderation": (IN_PROGRESS, "Being assessed"),
    "below-baseline": ("Did not meet the baseline", "Improve, with an action plan"),
    "meets-baseline": ("Met the baseline", "Keep its evidence up to date"),
}
# What each result means and what happens next, in the order a resident reads them.
RESULT_MEANING: dict[str, str] = {
    "Met the baseline": "The unit was assessed and reached the baseline on every part of the "
    "standard. It keeps its evidence up to date for next year's assessment.",
    "Did not meet the baseline": "The unit was assessed and did not reach the baseline on at "
    "least one part of the standard. It puts what it must improve into its action plan for "
    "next year, and may be paired with a unit that met the baseline.",
    IN_PROGRESS: "The unit has sent its self-assessment and it is being checked and scored. "
    "The result will be published when the assessment is finished.",
    "Self-assessment not received": "The unit has not sent its self-assessment. It has been "
    "asked to, and until it does it counts as not meeting the baseline.",
}


class PublicEdition(BaseModel):
    info: EditionInfo
    period: str  # "April 2010 to March 2011"
    headline: str
    facts: list[str]
    need_to_know: list[str]
    measures: list[str]
    chart: BarChart
    chart_table: Table
    themes: Table
    units: Table
    results: Table
    glossary: list[tuple[str, str]]
    contact: str
    # Community review: which release this is, how to challenge, "You said, we did".
    community: PublicCommunity = PublicCommunity()


def period_of(cycle_id: str) -> str:
    """A cycle as a resident says it: 2010-11 -> "April 2010 to March 2011"."""
    start = int(cycle_id[:4])
    return f"April {start} to March {start + 1}"


def unit_label(s: UnitStanding) -> str:
    """A unit by its name, the code in brackets."""
    return f"{s.unit_name} ({s.unit_code})" if s.unit_name else s.unit_code


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _facts(report: SummaryReport, period: str) -> tuple[str, list[str]]:
    org = report.organisation
    results = [PUBLIC_RESULT[s.status][0] for s in report.units]
    target_units = org.meeting + org.units_needed
    headline = (f"{org.meeting} of {org.units} police units ({org.compliance_pct:.1f}%) met "
                "the baseline of the Equality Standard for the Police Service.")
    facts = [headline,
             f"The force's target for {period} is that {org.target_pct:g}% of units meet "
             + ("the baseline. The target has been met."
                if org.kpi == "MET" else
                f"the baseline ({target_units} of {org.units}). The target has not been met: "
                f"{_count(org.units_needed, 'more unit needs', 'more units need')} to meet "
                "it.")]
    for words, one, many in (
            ("Self-assessment not received", "unit has not sent its self-assessment yet",
             "units have not sent their self-assessment yet"),
            (IN_PROGRESS, "unit's assessment is in progress",
             "units' assessments are in progress"),
            ("Did not meet the baseline", "unit was assessed and did not meet the baseline",
             "units were assessed and did not meet the baseline")):
        n = results.count(words)
        if n:
            facts.append(f"{_count(n, one, many)}.")
    return headline, facts


def _tables(report: SummaryReport) -> tuple[BarChart, Table, Table]:
    org = report.organisation
    groups = [r for r in report.rollups if r.view == "business-group"]
    chart = BarChart(
        id="chart-groups", title="Police units meeting the baseline, by area of policing",
        summary=(f"Bar chart: the percentage of police units in each area of policing that met "
                 f"the baseline, against the target of {org.target_pct:g}%. "
                 + " ".join(f"{r.label}: {r.compliance_pct:.1f}%." for r in groups)),
        bars=[Bar(label=r.label, value=r.compliance_pct) for r in groups],
        target=org.target_pct, layout="stacked")
    header = cols("Area of policing", "Police units", "Met the baseline", "Percentage met",
                  numeric=(1, 2, 3))
    chart_table = Table(
        id="by-area", caption="Police units meeting the baseline, by area of policing",
        columns=header, rows=[[r.label, r.units, r.meeting, r.compliance_pct] for r in groups],
        total=["All police units", org.units, org.meeting, org.compliance_pct])
    themes = Table(
        id="by-theme", caption="Police units meeting the baseline in each theme of the "
        "standard", columns=cols("Theme of the standard", "Police units", "Met the baseline",
                                 "Percentage met", numeric=(1, 2, 3)),
        rows=[[r.label, r.units, r.meeting, r.compliance_pct]
              for r in report.rollups if r.view == "theme"])
    return chart, chart_table, themes


def _unit_tables(report: SummaryReport, framework: Framework) -> tuple[Table, Table]:
    """Every unit by name (alphabetical, as a resident looks for their borough) with its
    result and next step; and what each result means, with how many units have it."""
    names = {g.id: g.name for g in framework.business_groups}
    units = Table(
        id="units", caption=f"Result for each police unit ({len(report.units)} units, "
        "in alphabetical order)",
        columns=cols("Police unit", "Area of policing", "Result", "Next step"),
        rows=[[unit_label(s), names.get(s.business_group, s.business_group),
               *PUBLIC_RESULT[s.status]]
              for s in sorted(report.units, key=lambda s: s.unit_name.casefold())])
    counts = Counter(PUBLIC_RESULT[s.status][0] for s in report.units)
    results = Table(
        id="results", caption="What each result means and what happens next",
        columns=cols("Result", "Police units", "What it means and what happens next",
                     numeric=(1,)),
        rows=[[words, counts[words], meaning] for words, meaning in RESULT_MEANING.items()])
    return units, results


def _measures(framework: Framework) -> list[str]:
    scale = framework.scale
    need = framework.rules.baseline.min_combined_score
    return [
        "The Equality Standard for the Police Service is a national standard. It asks each "
        "police force whether its services are fair to everyone it serves and whether it "
        "treats its own staff fairly, whatever their age, disability, sex, race, religion or "
        "belief, sexual orientation, or gender reassignment.",
        "Each police unit collects evidence of what it does and scores itself on every part "
        "of the standard. This is its self-assessment.",
        "Two trained assessors then check the evidence, each on their own. One of them does "
        "not work with that unit, so the check is independent. They score each part from "
        f"{scale.scores[0]} ({scale.label(scale.scores[0]).lower()}) to {scale.scores[-1]} "
        f"({scale.label(scale.scores[-1]).lower()}). Where they disagree, a third assessor "
        "decides.",
        f"A unit meets the baseline when every part of the standard it is assessed on has a "
        f"final score of {need} ({scale.label(need).lower()}) or more.",
    ]


GLOSSARY = [
    ("Baseline", "The minimum level every police unit is expected to reach on every part of "
     "the standard."),
    ("Self-assessment", "A police unit's own account of what it does for each part of the "
     "standard, with the evidence behind it."),
    ("Assessment", "Two trained assessors checking a unit's self-assessment and its evidence, "
     "and scoring it."),
    ("Police unit", "A borough police command, or a specialist command."),
    ("Area of policing", "A group of police units doing similar work, for example "
     "Territorial Policing (the borough commands)."),
    ("Theme of the standard", "The standard is in three parts: the service the public gets "
     "(Operational Delivery), the workforce and how it is treated (People and Culture), and "
     "how the force is run (Organisational Processes)."),
    ("Target", "The share of police units the force aims to have meeting the baseline by the "
     "end of the year."),
]


def public_edition(report: SummaryReport, framework: Framework, info: EditionInfo, *,
                   contact: str | None) -> PublicEdition:
    """The public edition's content, from a public summary."""
    if not report.public:
        raise ConfigError("the public edition is made from the public summary (--public)")
    period = period_of(report.organisation.cycle)
    headline, facts = _facts(report, period)
    chart, chart_table, themes = _tables(report)
    units, results = _unit_tables(report, framework)
    return PublicEdition(
        info=info, period=period, headline=headline, facts=facts,
        need_to_know=[
            f"These figures are the position on {info.made_at:%-d %B %Y}. Results marked "
            f"“{IN_PROGRESS}” may change as assessments finish.",
            "A police unit that has not sent its self-assessment counts as not meeting the "
            "baseline.",
            "The figures cover every police unit on the force's list, not a sample.",
            "No information about individual officers, staff or assessors is published.",
        ],
        measures=_measures(framework), chart=chart, chart_table=chart_table, themes=themes,
        units=units, results=results, glossary=GLOSSARY,
        contact=contact or "the force's equality and diversity team",
        community=public_community(report.community))
