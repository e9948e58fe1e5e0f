"""Whether an indicator may be moderated: only where its linked and unlinked scores differ by
the cycle's moderation threshold or more, or a community challenge to it was upheld (or partly
upheld). The database holds every score to this rule (register/migrations.py, schema 8);
esps says so first, naming the scores and how to fix it, instead of the database's one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from esps_cli.findings import SCORE_MODERATION_NOT_NEEDED
from esps_cli.register import Register
from esps_cli.register.challenges import upheld
from esps_cli.register.facts import moderation_threshold
from esps_cli.scoring.scale import ScoreProblem


@dataclass(frozen=True)
class ModerationNeed:
    """The cycle's rule as the register holds it: its threshold (None: no rules recorded, so
    none checked) and the (unit, indicator) pairs with an upheld challenge."""

    threshold: int | None
    challenged: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, register: Register, cycle: str) -> ModerationNeed:
        threshold = moderation_threshold(register, cycle)
        return cls(threshold, frozenset(upheld(register, cycle)) if threshold else frozenset())

    def problem(self, unit: str, indicator: str, linked: int, unlinked: int
                ) -> ScoreProblem | None:
        """Why a moderated score for these two scores is refused (None if it may be given)."""
        apart = abs(linked - unlinked)
        if self.threshold is None or apart >= self.threshold \
                or (unit, indicator) in self.challenged:
            return None
        scores = (f"agree (both {linked})" if apart == 0 else
                  f"differ by {apart} (linked {linked}, unlinked {unlinked})")
        return ScoreProblem(
            f"nothing to moderate: {unit} {indicator}'s linked and unlinked scores {scores}, "
            f"less than the moderation threshold of {self.threshold}, so they combine without "
            "moderation; drop this moderated score (only an upheld community challenge to "
            "the indicator allows moderating it)", SCORE_MODERATION_NOT_NEEDED)
