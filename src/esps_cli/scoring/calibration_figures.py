"""The calibration figures (`esps calibrate report`, the Board pack's assessment-quality page):
the seeds, the DCFAs' calibration scores and each one's deviation, read from the register. Kept
apart from scoring/calibration.py (seeds set, packs issued), which loads the workbook code: a
summary reads these figures and writes no workbook."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from esps_cli.register import Register
from esps_cli.scoring.pack_store import CalibrationPack
from esps_cli.scoring.quality import (
    AssessorCalibration,
    CalibrationCycle,
    CalibrationReport,
    SeedSummary,
    assessor_calibration,
)
from esps_cli.scoring.roster import Roster


class Seed(BaseModel):
    """A seed return and its definitive scores (the latest set for each indicator)."""

    cycle: str
    seed: str
    unit: str
    unit_name: str
    return_source: str
    return_sha256: str
    set_by: str
    set_at: datetime
    scores: dict[str, int]


def seeds(register: Register, cycle: str) -> dict[str, Seed]:
    """The cycle's seeds by id, each with its latest definitive score per indicator."""
    out: dict[str, Seed] = {}
    for r in register.database.query(
            "SELECT * FROM calibration_seeds WHERE cycle = ? ORDER BY id", (cycle,)):
        s = out.get(r["seed"])
        if s is None:
            s = out[r["seed"]] = Seed(
                cycle=cycle, seed=r["seed"], unit=r["unit"], unit_name=r["unit_name"],
                return_source=r["return_source"], return_sha256=r["return_sha256"],
                set_by=r["set_by"], set_at=datetime.fromisoformat(r["set_at"]), scores={})
        s.scores[r["indicator"]] = int(r["score"])
        s.set_at = datetime.fromisoformat(r["set_at"])
    return out


def calibration_packs(register: Register, cycle: str | None = None) -> list[CalibrationPack]:
    sql = "SELECT * FROM calibration_packs" + (" WHERE cycle = ?" if cycle else "")
    rows = register.database.query(sql + " ORDER BY id", (cycle,) if cycle else ())
    return [CalibrationPack(**{k: r[k] for k in CalibrationPack.model_fields}) for r in rows]


def calibration_scores(register: Register, cycle: str) -> dict[tuple[str, str, str], int]:
    """(seed, indicator, assessor) -> the assessor's latest calibration score."""
    out: dict[tuple[str, str, str], int] = {}
    for r in register.database.query(
            "SELECT seed, indicator, assessor, score FROM calibration_scores WHERE cycle = ? "
            "ORDER BY id", (cycle,)):
        out[(r["seed"], r["indicator"], r["assessor"])] = int(r["score"])
    return out


def _cycle_figures(register: Register, roster: Roster, cycle: str, tolerance: float
                   ) -> tuple[dict[str, Seed], list[AssessorCalibration]]:
    found = seeds(register, cycle)
    deviations: dict[str, list[tuple[str, int]]] = {}
    for (seed, ind, assessor), score in calibration_scores(register, cycle).items():
        definitive = found[seed].scores.get(ind) if seed in found else None
        if definitive is not None:
            deviations.setdefault(assessor, []).append((seed, score - definitive))
    issued = {p.assessor for p in calibration_packs(register, cycle)}
    order = [a.id for a in roster.advisors if a.id in issued or a.id in deviations]
    order += sorted(set(deviations) - set(order))
    return found, [assessor_calibration(a, deviations.get(a, []), tolerance) for a in order]


def calibration_report(register: Register, roster: Roster) -> CalibrationReport:
    """Each DCFA's deviation from the definitive scores in the roster's cycle, who is beyond
    the framework's tolerance, who has not scored yet, and the same for every earlier cycle
    with seeds (to compare)."""
    tolerance = roster.framework.rules.quality.calibration_tolerance
    found, assessors = _cycle_figures(register, roster, roster.cycle.id, tolerance)
    order = [c.id for c in roster.framework.cycles]
    cycles = []
    for cycle_id in order[: order.index(roster.cycle.id) + 1]:
        if cycle_id == roster.cycle.id:
            figures, n = assessors, len(found)
        else:
            earlier, figures = _cycle_figures(register, roster, cycle_id, tolerance)
            n = len(earlier)
        if n:
            cycles.append(CalibrationCycle(cycle=cycle_id,
                                           cycle_name=roster.framework.cycle(cycle_id).name,
                                           seeds=n, assessors=figures))
    return CalibrationReport(
        cycle=roster.cycle.id, cycle_name=roster.cycle.name, tolerance=tolerance,
        seeds=[SeedSummary(seed=s.seed, unit=s.unit, unit_name=s.unit_name,
                           indicators=len(s.scores), set_by=s.set_by) for s in found.values()],
        assessors=assessors, flagged=[a.assessor for a in assessors if a.flagged],
        awaiting=[a.assessor for a in assessors if not a.indicators], cycles=cycles)
