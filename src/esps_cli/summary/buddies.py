"""Buddying: each returned unit below the baseline paired with a unit of its business group
that meets it, strongest where the first is weakest."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from esps_cli.domain.framework import Framework
from esps_cli.summary.models import SummaryReport, UnitStanding


class BuddyPair(BaseModel):
    unit_code: str
    unit_name: str
    buddy_code: str
    buddy_name: str
    business_group: str
    weakest_theme: str
    unit_theme_score: float | None
    buddy_theme_score: float | None


def _theme_means(standing: UnitStanding) -> dict[str, float]:
    by_theme: dict[str, list[int]] = {}
    for d in standing.detail:
        if d.combined is not None:
            by_theme.setdefault(d.theme, []).append(d.combined)
    return {t: sum(v) / len(v) for t, v in by_theme.items()}


def suggest_buddies(framework: Framework, report: SummaryReport) -> list[BuddyPair]:
    """Pair each returned unit below baseline with a unit of its business group that meets it,
    strongest in the theme where the first is weakest; spread buddies out (fewest pairs first).
    Units not yet returned are left out: there is nothing to compare yet."""
    themes = {t.id: t.name for t in framework.national_themes}
    meeting = [s for s in report.units if s.meets_baseline]
    load: Counter[str] = Counter()
    pairs: list[BuddyPair] = []
    for s in report.units:
        if s.meets_baseline or not s.returned:
            continue
        candidates = [m for m in meeting if m.business_group == s.business_group]
        if not candidates:
            continue
        mine = _theme_means(s)
        # weakest theme: lowest mean combined score; a theme with no scores yet counts as weakest
        weakest = min(themes, key=lambda t: (mine.get(t, 0.0), t))
        best = max(
            candidates,
            key=lambda m: (_theme_means(m).get(weakest, 0.0), -load[m.unit_code], m.unit_code),
        )
        load[best.unit_code] += 1
        pairs.append(BuddyPair(
            unit_code=s.unit_code, unit_name=s.unit_name, buddy_code=best.unit_code,
            buddy_name=best.unit_name, business_group=s.business_group,
            weakest_theme=themes[weakest],
            unit_theme_score=round(mine[weakest], 2) if weakest in mine else None,
            buddy_theme_score=round(_theme_means(best).get(weakest, 0.0), 2)
            if weakest in _theme_means(best) else None,
        ))
    return pairs
