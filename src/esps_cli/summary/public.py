"""The public edition of a summary, for community review: nothing of the advisors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from esps_cli.domain.units import Advisor
from esps_cli.summary.models import SummaryReport

PUBLIC_NOTE = (
    "Public edition for community review: the advisors (DCFAs) who assessed each unit are "
    "left out: their names, ids, e-mail addresses and comments, also where they appeared "
    "inside other text. Standings, scores and figures are the same as in the full report."
)


def advisor_redactor(advisors: Iterable[Advisor]) -> Callable[[str], str]:
    """A function that replaces every advisor's id, name and e-mail address inside a text
    (whole words, any case) with "[advisor]"."""
    terms = sorted({t for a in advisors for t in (a.id, a.name, a.email) if t and t.strip()},
                   key=len, reverse=True)
    if not terms:
        return lambda text: text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)",
                         re.IGNORECASE)
    return lambda text: pattern.sub("[advisor]", text)


def redact_all(value: object, redact: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_all(v, redact) for v in value]
    if isinstance(value, dict):
        return {k: redact_all(v, redact) for k, v in value.items()}
    return value


def make_public(report: SummaryReport, advisors: Iterable[Advisor] = ()) -> SummaryReport:
    """Fit for community review: standings and scores with nothing of the advisors: the
    fields that name them are emptied, comments dropped, and any advisor's id, name or e-mail
    left inside other text (file names, details) is replaced by "[advisor]"."""
    data = report.model_dump(mode="json")
    for s in data["units"]:
        s["linked_dcfa"], s["unlinked_dcfa"] = "", None
        for d in s["detail"]:
            d.update(linked_assessor=None, unlinked_assessor=None, linked_comment="",
                     unlinked_comment="")
    for e in data["exceptions"]:
        e.update(linked_dcfa="", linked_dcfa_name="")
    for g in data["gaps"]:
        g.update(rationale="")  # the advisors' comments, quoted
    public = redact_all(data, advisor_redactor(advisors))
    assert isinstance(public, dict)  # a dict comes back a dict
    public.update(public=True, edition_note=PUBLIC_NOTE, assessment_quality=None)
    return SummaryReport.model_validate(public)
