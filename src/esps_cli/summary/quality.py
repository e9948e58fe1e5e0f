"""The Board pack's assessment-quality page, from the register: agreement on the decision
(summary.decisions) and the DCFAs' calibration (scoring.calibration_figures) for one cycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.io.collector import collector_paused
from esps_cli.register import Marks, Register, RegisterLocation, RegisterNotFound
from esps_cli.scoring.calibration_figures import calibration_report
from esps_cli.scoring.quality import AssessmentQuality
from esps_cli.scoring.roster import Roster
from esps_cli.summary.decisions import decision_agreement


def assessment_quality(framework: Framework, cycle_id: str, units: Sequence[Unit],
                       advisors: Sequence[Advisor],
                       location: RegisterLocation | None, *,
                       current: Mapping[tuple[str, str], Marks] | None = None
                       ) -> AssessmentQuality:
    """The page's figures; empty (both parts None) when there is no register yet. current:
    the cycle's current marks, when already read (the summary's own)."""
    if location is None:
        return AssessmentQuality(cycle=cycle_id)
    try:
        with Register.open(location, create=False) as reg, collector_paused():
            history = {c.id: reg.current_marks(c.id) for c in framework.cycles
                       if c.id != cycle_id}
            if current is None:
                current = reg.current_marks(cycle_id)
            roster = Roster(framework, framework.cycle(cycle_id), list(units), list(advisors))
            decision = decision_agreement(framework, cycle_id, units, current, history=history)
            calibration = calibration_report(reg, roster)
    except RegisterNotFound:
        return AssessmentQuality(cycle=cycle_id)
    return AssessmentQuality(
        cycle=cycle_id, decision=decision if decision.units or decision.trend else None,
        calibration=calibration if calibration.seeds else None)
