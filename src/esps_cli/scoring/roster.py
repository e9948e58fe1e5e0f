"""Who may score what: the framework, the cycle, the units and advisors scores are checked
against, and the rule on which assessor may give a unit a score in which role."""

from __future__ import annotations

from dataclasses import dataclass, field

from esps_cli.domain.framework import CombinationRule, Cycle, Framework, Scale
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.findings import (
    MODERATOR_NOT_INDEPENDENT,
    SCORE_INDICATOR_NOT_ASSESSED,
    SCORE_NOT_ALLOCATED,
    SCORE_UNKNOWN_ASSESSOR,
    SCORE_UNKNOWN_INDICATOR,
    SCORE_UNKNOWN_UNIT,
    SCORE_WRONG_ASSESSOR,
)
from esps_cli.register import Role
from esps_cli.scoring.scale import ScoreProblem


@dataclass
class Roster:
    """What scores are checked against: the framework, the cycle, the units and advisors."""

    framework: Framework
    cycle: Cycle
    units: list[Unit]
    advisors: list[Advisor]
    classification: str = "OFFICIAL"  # the marking on every page of the packs written
    _units: dict[str, Unit] = field(init=False, repr=False)
    _advisors: dict[str, Advisor] = field(init=False, repr=False)
    _in_scope: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._units = {u.code.casefold(): u for u in self.units}
        self._advisors = {a.id.casefold(): a for a in self.advisors}
        self._in_scope = {i.casefold(): i for i in self.indicator_list}

    @property
    def scale(self) -> Scale:
        return self.framework.scale

    @property
    def rule(self) -> CombinationRule:
        return self.framework.rules.combination

    @property
    def indicator_list(self) -> list[str]:
        return [i.id for i in self.framework.cycle_indicators(self.cycle)]

    def unit(self, code: str) -> Unit:
        unit = self._units.get(str(code).strip().casefold())
        if unit is None:
            raise ScoreProblem(f"unknown unit {str(code).strip()!r} (not in the units list)",
                               SCORE_UNKNOWN_UNIT)
        return unit

    def indicator(self, indicator_id: str) -> str:
        text = str(indicator_id).strip()
        found = self._in_scope.get(text.casefold())
        if found:
            return found
        known = {i.id.casefold(): i for i in self.framework.indicators}
        if text.casefold() in known:
            ind = known[text.casefold()]
            raise ScoreProblem(
                f"indicator {ind.id} ({ind.stage}) is not assessed in cycle {self.cycle.id}",
                SCORE_INDICATOR_NOT_ASSESSED,
            )
        raise ScoreProblem(
            f"unknown indicator {text!r} (not in framework {self.framework.meta.id})",
            SCORE_UNKNOWN_INDICATOR,
        )

    def advisor(self, advisor_id: str) -> str:
        text = str(advisor_id).strip()
        adv = self._advisors.get(text.casefold())
        if adv is None:
            raise ScoreProblem(f"unknown assessor {text!r} (not in the advisors list)",
                               SCORE_UNKNOWN_ASSESSOR)
        return adv.id

    def unit_or_error(self, code: str) -> Unit:
        try:
            return self.unit(code)
        except ScoreProblem as exc:
            raise ConfigError(str(exc)) from None

    def advisor_or_error(self, advisor_id: str) -> str:
        try:
            return self.advisor(advisor_id)
        except ScoreProblem as exc:
            raise ConfigError(str(exc)) from None

    def indicator_or_error(self, indicator_id: str) -> str:
        try:
            return self.indicator(indicator_id)
        except ScoreProblem as exc:
            raise ConfigError(str(exc)) from None

    def assessor_problem(self, role: Role, unit: Unit, assessor: str, allocated: str | None,
                         any_unlinked: bool, unlinked_by: str | None = None
                         ) -> ScoreProblem | None:
        """Why this assessor may not give this unit a score in this role (None if they may).

        unlinked_by: who gave the current unlinked score (moderation is by a third DCFA).
        """
        if role == "moderated":
            if assessor == unit.linked_dcfa:
                return ScoreProblem(
                    f"{assessor} is the linked DCFA of {unit.code}, so cannot moderate its "
                    "scores; moderation is by a third DCFA", MODERATOR_NOT_INDEPENDENT)
            if assessor in (allocated, unlinked_by):
                return ScoreProblem(
                    f"{assessor} is the unlinked DCFA of {unit.code}, so cannot moderate its "
                    "scores; moderation is by a third DCFA", MODERATOR_NOT_INDEPENDENT)
        if role == "linked" and assessor != unit.linked_dcfa:
            return ScoreProblem(
                f"{assessor} is not the linked DCFA of {unit.code} ({unit.linked_dcfa} per the "
                "units list); linked scores come only from the unit's linked DCFA",
                SCORE_WRONG_ASSESSOR)
        if role == "unlinked":
            if assessor == unit.linked_dcfa:
                return ScoreProblem(f"{assessor} is the linked DCFA of {unit.code}, so cannot "
                                    "give its unlinked score", SCORE_WRONG_ASSESSOR)
            if not any_unlinked:
                if allocated is None:
                    return ScoreProblem(
                        f"no unlinked DCFA is allocated to {unit.code} for {self.cycle.id}: "
                        "run esps allocate, or pass --any-unlinked", SCORE_NOT_ALLOCATED)
                if assessor != allocated:
                    return ScoreProblem(
                        f"{assessor} is not the unlinked DCFA allocated to {unit.code} "
                        f"({allocated}); pass --any-unlinked to accept another",
                        SCORE_WRONG_ASSESSOR)
        return None
