"""Findings grouped as people read them: the one grouping the terminal report and the marked-up
copy's Findings sheet share.

Within a return, by indicator in the return's order: one group for the indicators not started
(no rating, no narrative, no evidence), one for those answered but with no evidence listed
(when COLLAPSE_AT or more), and findings alike (one code, one message but for the row, cell or
value) on COLLAPSE_AT or more rows gathered into one group. Each group keeps every finding it
stands for, so a reader can still reach each one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from esps_cli.findings.catalogue import (
    MISSING_RATING,
    NARRATIVE_TOO_SHORT,
    REQUIRED_TYPE_MISSING,
    TOO_FEW_EVIDENCE,
)
from esps_cli.findings.model import Finding

T = TypeVar("T")
# From this many findings alike, one line stands for them all.
COLLAPSE_AT = 4
# An indicator whose only findings are these, with no rating, narrative or usable evidence,
# has not been started: one line says so instead of its three or four findings.
NOT_STARTED_CODES = frozenset(c.code for c in (MISSING_RATING, NARRATIVE_TOO_SHORT,
                                                 TOO_FEW_EVIDENCE, REQUIRED_TYPE_MISSING))
# An indicator rated and explained whose only findings are these lists no evidence at all.
NO_EVIDENCE_CODES = frozenset(c.code for c in (TOO_FEW_EVIDENCE, REQUIRED_TYPE_MISSING))
NOT_STARTED = "not started: no rating, no narrative, no evidence"
NOT_STARTED_HINT = ("Fill in the indicator's rating, its narrative and its evidence rows "
                    "(each is listed under this line).")
NO_EVIDENCE = "answered, but no evidence listed"
GroupKind = Literal["finding", "alike", "not-started", "no-evidence"]
_VARIES = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")


class IndicatorState(Protocol):
    """What the grouping needs to know of an indicator (a validation IndicatorStatus)."""

    indicator_id: str
    rating: int | None
    na: bool
    narrative_chars: int
    evidence_items: int


@dataclass
class FindingGroup:
    """One line of a report: a finding, or many said in one line (`findings`, first shown)."""

    kind: GroupKind
    findings: list[Finding]
    indicators: list[str] = field(default_factory=list)  # gathered groups: the indicators

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def severity(self) -> str:
        return "error" if self.kind in ("not-started", "no-evidence") else self.first.severity

    @property
    def code(self) -> str:
        return self.first.code if self.kind in ("finding", "alike") else ""

    @property
    def hint(self) -> str:
        if self.kind == "not-started":
            return NOT_STARTED_HINT
        if self.kind == "no-evidence":
            return TOO_FEW_EVIDENCE.hint
        return self.first.hint

    def says(self, *, of: int) -> str:
        """The line's words (`of`: how many indicators the return has)."""
        if self.kind == "not-started":
            if len(self.indicators) == 1:
                return f"{self.indicators[0]} {NOT_STARTED}"
            if len(self.indicators) == of:
                return f"none of the {of} indicators started: no rating, no narrative, no evidence"
            return (f"{len(self.indicators)} indicators not started (no rating, no narrative, "
                    f"no evidence): {', '.join(self.indicators)}")
        if self.kind == "no-evidence":
            return f"{len(self.indicators)} indicators {NO_EVIDENCE}: {', '.join(self.indicators)}"
        return self.first.message


def shape(message: str) -> str:
    """A message with what varies from row to row (numbers, quoted values) taken out: two
    findings with one shape say the same thing about different rows."""
    return _VARIES.sub("#", message)


def repeated(items: Sequence[T], key: Callable[[T], Hashable], *,
             at: int = COLLAPSE_AT) -> list[tuple[T, list[T]]]:
    """The items in order, each with the later items of its key when there are at least `at`
    of them (then only the first appears, standing for the rest); otherwise alone."""
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    out: list[tuple[T, list[T]]] = []
    for item in items:
        group = groups[key(item)]
        if len(group) < at:
            out.append((item, []))
        elif group[0] is item:
            out.append((item, group[1:]))
    return out


def by_indicator(findings: Sequence[Finding], indicators: Sequence[IndicatorState]
                 ) -> tuple[list[Finding], dict[str, list[Finding]]]:
    """The findings about no indicator, and those of each indicator in the return's order
    (an evidence row naming an indicator in other letter case counts as that indicator)."""
    order = {s.indicator_id.casefold(): s.indicator_id for s in indicators}
    general: list[Finding] = []
    found: dict[str, list[Finding]] = {}
    for f in findings:
        if not f.indicator_id:
            general.append(f)
            continue
        ind = order.get(f.indicator_id.casefold(), f.indicator_id)
        found.setdefault(ind, []).append(f)
    ranked = {ind: i for i, ind in enumerate(order.values())}
    keys = sorted(found, key=lambda k: ranked.get(k, len(ranked)))
    return general, {k: found[k] for k in keys}


def lacks(status: IndicatorState | None, findings: Sequence[Finding], codes: frozenset[str],
          *, started: bool) -> bool:
    """Whether an indicator has no usable evidence and only findings with these codes; and,
    started or not, a rating or narrative (or neither)."""
    if status is None or status.evidence_items or not all(f.code in codes for f in findings):
        return False
    answered = status.rating is not None or status.na or status.narrative_chars > 0
    return answered == started


def alike(findings: Sequence[Finding]) -> list[FindingGroup]:
    """Each finding alone, except findings alike on COLLAPSE_AT or more rows: one group."""
    return [FindingGroup("alike" if more else "finding", [f, *more])
            for f, more in repeated(findings, lambda f: (f.severity, f.code, f.sheet,
                                                         shape(f.message)))]


def group_findings(findings: Sequence[Finding], indicators: Sequence[IndicatorState]
                   ) -> list[FindingGroup]:
    """A return's findings as the lines a reader sees (see the module docstring)."""
    general, found = by_indicator(findings, indicators)
    out = alike(general)
    status_of = {s.indicator_id: s for s in indicators}
    not_started = [ind for ind, fs in found.items()
                   if lacks(status_of.get(ind), fs, NOT_STARTED_CODES, started=False)]
    gathered: list[str] = []
    if not_started:
        if len(not_started) < COLLAPSE_AT:
            out.extend(FindingGroup("not-started", _evidence_first(found[ind]), [ind])
                       for ind in not_started)
        else:
            out.append(FindingGroup("not-started", [f for ind in not_started
                                                    for f in found[ind]], not_started))
        gathered.extend(not_started)
    no_evidence = [ind for ind, fs in found.items()
                   if lacks(status_of.get(ind), fs, NO_EVIDENCE_CODES, started=True)]
    if len(no_evidence) >= COLLAPSE_AT:
        out.append(FindingGroup("no-evidence", [f for ind in no_evidence for f in found[ind]],
                                no_evidence))
        gathered.extend(no_evidence)
    for ind, fs in found.items():
        if ind not in gathered:
            out.extend(alike(fs))
    return out


def _evidence_first(findings: list[Finding]) -> list[Finding]:
    """An indicator's findings with its too-few-evidence finding first (the one shown)."""
    first = next((f for f in findings if f.code == TOO_FEW_EVIDENCE.code), findings[0])
    return [first, *(f for f in findings if f is not first)]
