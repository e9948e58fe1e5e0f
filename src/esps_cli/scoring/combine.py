"""Combining an indicator's linked, unlinked and moderated scores into the one score it gets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from esps_cli.domain.framework import CombinationRule
from esps_cli.register import Marks, ScorePair

Status = Literal[
    "agreed", "lower-stands", "mean-stands", "linked-stands", "needs-moderation", "moderated",
    "awaiting-linked", "awaiting-unlinked", "awaiting-both",
]


class CombinedScore(BaseModel):
    """The one score an indicator gets from its linked, unlinked and moderated scores."""

    model_config = ConfigDict(frozen=True)
    score: int | None
    status: Status
    reason: str


def combine(pair: ScorePair, rule: CombinationRule) -> CombinedScore:
    """Combine per the framework's rule (see combine_scores)."""
    m = pair.moderated
    return combine_scores(pair.linked.score if pair.linked else None,
                          pair.unlinked.score if pair.unlinked else None,
                          (m.score, m.assessor) if m else None, rule)


class Combiner:
    """combine for many (unit, indicator)s' marks at once: the outcomes repeat (a handful of
    score combinations), so each is worked out once and shared."""

    def __init__(self, rule: CombinationRule):
        self.rule = rule
        self._seen: dict[tuple[int | None, int | None, tuple[int, str] | None],
                         CombinedScore] = {}

    def __call__(self, marks: Marks) -> CombinedScore:
        linked, unlinked, moderated = marks
        key: tuple[int | None, int | None, tuple[int, str] | None] = (
            linked.score if linked else None, unlinked.score if unlinked else None,
            (moderated.score, moderated.assessor) if moderated else None)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = combine_scores(*key, self.rule)
        return found


def combine_scores(linked: int | None, unlinked: int | None,
                   moderated: tuple[int, str] | None, rule: CombinationRule) -> CombinedScore:
    """Combine an indicator's linked and unlinked scores and its moderated (score, moderator).

    A moderated score overrides. Otherwise both scores are needed; a difference of
    ``moderation_threshold`` or more needs moderation (no score yet); equal scores are agreed;
    else the method decides: ``lower`` (the lower stands), ``mean_round_down`` or ``linked``.
    """
    if moderated is not None:
        score, moderator = moderated
        both = f"linked {linked if linked is not None else '-'}, unlinked " \
               f"{unlinked if unlinked is not None else '-'}"
        return CombinedScore(score=score, status="moderated",
                             reason=f"moderated score {score} by {moderator} overrides {both}")
    if linked is None and unlinked is None:
        return CombinedScore(score=None, status="awaiting-both",
                             reason="no linked or unlinked score yet")
    if linked is None:
        return CombinedScore(score=None, status="awaiting-linked",
                             reason=f"unlinked score {unlinked}; waiting for the linked DCFA")
    if unlinked is None:
        return CombinedScore(score=None, status="awaiting-unlinked",
                             reason=f"linked score {linked}; waiting for the unlinked DCFA")
    diff = abs(linked - unlinked)
    if diff >= rule.moderation_threshold:
        return CombinedScore(
            score=None, status="needs-moderation",
            reason=f"linked {linked} and unlinked {unlinked} differ by {diff} (moderation "
                   f"needed at {rule.moderation_threshold} or more)",
        )
    if diff == 0:
        return CombinedScore(score=linked, status="agreed",
                             reason=f"linked and unlinked both {linked}")
    if rule.method == "lower":
        return CombinedScore(score=min(linked, unlinked), status="lower-stands",
                             reason=f"linked {linked}, unlinked {unlinked}: the lower stands")
    if rule.method == "mean_round_down":
        mean = (linked + unlinked) // 2
        return CombinedScore(
            score=mean, status="mean-stands",
            reason=f"linked {linked}, unlinked {unlinked}: the mean rounded down ({mean}) stands",
        )
    return CombinedScore(score=linked, status="linked-stands",
                         reason=f"linked {linked}, unlinked {unlinked}: the linked score stands")
