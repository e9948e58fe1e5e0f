"""A unit's status in a cycle: one set of words, defined once, for every output.

Every output that says where a unit stands (the terminal summary, JSON and CSV, the Board pack,
the public edition, a unit's feedback and action plan, the HTML/PDF editions, challenge forms)
takes the status id, its label and its meaning from here, so they cannot disagree.

A unit can have several reasons not to meet the baseline (an invalid return that is also half
scored); its status is the most blocking of them (STATUS_ORDER), and that is the one it is
listed under as an exception, with the others as detail.

What an invalid return means for scoring: scoring packs are issued only for valid returns
(`esps score packs --include-invalid` issues them anyway); scores recorded for a unit whose
return is not valid (invalid, unreadable, more than one, none) are provisional: they are shown
as such and never count towards the baseline, the mean score or any figure of the report.
"""

from __future__ import annotations

from typing import Literal, get_args

# Most blocking first: a unit's status is the first of its reasons in this order.
UnitStatus = Literal[
    "not-returned",
    "duplicate-returns",
    "unreadable",
    "invalid",
    "awaiting-linked",
    "awaiting-unlinked",
    "awaiting-moderation",
    "below-baseline",
    "meets-baseline",
]
STATUS_ORDER: tuple[UnitStatus, ...] = get_args(UnitStatus)

# What people read for each status (terminal, workbooks, editions); JSON and CSV keep the ids.
STATUS_LABEL: dict[UnitStatus, str] = {
    "not-returned": "Not returned",
    "duplicate-returns": "More than one return",
    "unreadable": "Unreadable return",
    "invalid": "Invalid return",
    "awaiting-linked": "Awaiting linked DCFA's scores",
    "awaiting-unlinked": "Awaiting unlinked DCFA's scores",
    "awaiting-moderation": "Awaiting moderation",
    "below-baseline": "Below the baseline",
    "meets-baseline": "Meets the baseline",
}

# The statuses of a unit with one valid return: its scores are the assessment's and count.
SCORES_COUNT: frozenset[UnitStatus] = frozenset((
    "awaiting-linked", "awaiting-unlinked", "awaiting-moderation", "below-baseline",
    "meets-baseline",
))

PROVISIONAL = ("provisional: the return is not valid, so these scores do not count towards "
               "the baseline")
INVALID_RETURN_RULE = (
    "Scoring packs are issued only for valid returns; scores recorded for a unit whose return "
    "is not valid are provisional and never count towards the baseline or the report's "
    "figures.")


def governing(reasons: list[UnitStatus] | tuple[UnitStatus, ...] | set[UnitStatus]
              ) -> UnitStatus:
    """The status a unit is listed under: the most blocking of its reasons (meets the
    baseline when it has none)."""
    for status in STATUS_ORDER:
        if status in reasons:
            return status
    return "meets-baseline"


def scores_count(status: UnitStatus) -> bool:
    """Whether a unit's recorded scores count (towards the baseline and every figure)."""
    return status in SCORES_COUNT


def status_text(status: UnitStatus, also: list[UnitStatus] | None = None) -> str:
    """'Invalid return (also: awaiting linked DCFA's scores)': the status in words, with the
    unit's other reasons as detail."""
    rest = [STATUS_LABEL[s][0].lower() + STATUS_LABEL[s][1:] for s in also or []
            if s != status]
    return STATUS_LABEL[status] + (f" (also: {', '.join(rest)})" if rest else "")
