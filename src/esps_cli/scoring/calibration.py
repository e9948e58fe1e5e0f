"""Calibration before live scoring (`esps calibrate`), as exam boards calibrate markers with
seed scripts: DCFD sets one to three seed returns with definitive scores; every DCFA scores
them blind, in scoring packs written and read by the same code as any other pack; the report
gives each DCFA's mean signed deviation (negative: harsher than the definitive scores,
positive: more lenient) and mean absolute deviation, and flags a mean signed deviation beyond
the framework's tolerance (rules.quality.calibration_tolerance, 1 point by default).

Seeds, their packs and the DCFAs' calibration scores are kept in tables of their own
(register migration 7), never in score_events: no unit's standing, agreement, export or Board
figure can read them. A seed is a valid return of a unit that is not on this cycle's units
list (a made-up code and name that read like a unit's), so its packs are never confused with
a live unit's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write_bytes, ensure_folder, inside
from esps_cli.io.tables import csv_rows
from esps_cli.register import Register, audit, now_utc
from esps_cli.register.models import timestamp
from esps_cli.scoring.calibration_figures import Seed, seeds
from esps_cli.scoring.packs import (
    PackOutcome,
    PacksResult,
    _advisor_name,
    _scale,
    _sha256,
    new_pack_id,
    unit_answers,
)
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, cell_text, parse_score
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import WorkbookReport
from esps_cli.workbook.reader import read_workbook
from esps_cli.workbook.scoring_pack import (
    IndicatorAnswer,
    PackIdentity,
    ScoringPack,
    build_scoring_pack,
    pack_filename,
)

SEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$")
MAX_SEEDS = 3
# What a calibration pack says the assessor's role is: as if the seed were a unit they are
# not linked to (a pack must look like any other).
PACK_ROLE = "unlinked"


def _seed_id(seed: str) -> str:
    if not SEED_ID.match(seed):
        raise ConfigError(f"seed id {seed!r}: use 1-20 letters, digits, - or _ (e.g. S1)")
    return seed


def read_key(roster: Roster, path: Path) -> list[tuple[str, int, str]]:
    """The definitive scores in a CSV (indicator, score[, rationale]): one per indicator of the
    cycle, every one of them; every problem is listed (file, row, column) before any is kept."""
    name = str(path)
    try:
        rows = csv_rows(path.read_bytes(), name)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    if not rows:
        raise ConfigError(f"{name}: empty; expected the columns indicator, score, rationale")
    header = [h.strip().casefold() for h in rows[0]]
    if "indicator" not in header or "score" not in header:
        raise ConfigError(f"{name}: row 1 must name the columns indicator and score "
                          "(and rationale if given)")
    at = {k: header.index(k) for k in ("indicator", "score", "rationale") if k in header}
    problems: list[str] = []
    found: dict[str, tuple[str, int, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {k: row[i] if i < len(row) else "" for k, i in at.items()}
        if not any(v.strip() for v in cells.values()):
            continue
        try:
            ind = roster.indicator(cells["indicator"])
            score = parse_score(cells["score"], roster.scale)
        except ScoreProblem as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if ind in found:
            problems.append(f"row {number}: indicator {ind} is given twice")
            continue
        found[ind] = (ind, score, cell_text(cells.get("rationale", "")))
    missing = [i for i in roster.indicator_list if i not in found]
    if missing:
        problems.append(f"no definitive score for {len(missing)} indicator(s) of "
                        f"{roster.cycle.id}: {', '.join(missing[:10])}"
                        + (" ..." if len(missing) > 10 else ""))
    if problems:
        raise ConfigError(f"{name}: " + "; ".join(problems[:20]) + "; nothing was recorded")
    return [found[i] for i in roster.indicator_list]


def _seed_return(roster: Roster, path: Path) -> WorkbookReport:
    """The seed's validation: readable, no errors, a unit that is not on the units list."""
    if not path.is_file():
        raise ConfigError(f"seed return {path} not found")
    batch = validate_paths([path], roster.framework, cycle=roster.cycle, jobs=1)
    if not batch.workbooks:
        raise ConfigError(f"{path}: not a workbook esps can read (.xlsx)")
    report = batch.workbooks[0]
    errors = [f for f in report.findings if f.severity == "error"]
    if not report.readable or errors or not report.unit_code:
        shown = "; ".join(f"{f.sheet}!{f.cell}: {f.message}" if f.cell else f.message
                          for f in errors[:5])
        raise ConfigError(f"{path}: a seed must be a valid return of the cycle "
                          f"{roster.cycle.id}" + (f" ({shown})" if shown else "")
                          + "; correct it (esps validate shows every problem) and set it again")
    if any(u.code.casefold() == report.unit_code.casefold() for u in roster.units):
        raise ConfigError(
            f"{path}: its unit {report.unit_code} is on this cycle's units list, so its "
            "calibration packs would be confused with the unit's own. Use a copy for a unit "
            "that is not on the list (a code and name that read like a unit's: esps generate "
            "with a units file of its own)")
    return report


def set_seed(register: Register, roster: Roster, seed: str, return_path: Path,
             key_path: Path, set_by: str) -> Seed:
    """Record a seed return and its definitive scores (setting a seed again replaces its
    scores; it keeps its return). The database refuses a fourth seed in a cycle."""
    seed = _seed_id(seed)
    if not set_by.strip():
        raise ConfigError("--by: say who set the definitive scores (a name or advisor id)")
    known = {a.id.casefold(): a.id for a in roster.advisors}
    by = known.get(set_by.strip().casefold(), set_by.strip())
    report = _seed_return(roster, return_path)
    key = read_key(roster, key_path)
    sha = _sha256(return_path)
    unit_name = str(read_workbook(return_path).meta.get("unit_name") or report.unit_code)
    rows = [{"cycle": roster.cycle.id, "seed": seed, "unit": report.unit_code,
             "unit_name": unit_name, "return_source": str(return_path.resolve()),
             "return_sha256": sha, "indicator": ind, "score": score, "rationale": why,
             "set_by": by, "set_at": timestamp(now_utc())} for ind, score, why in key]
    with register.transaction():
        first = None
        for row in rows:
            new_id = register.database.insert("calibration_seeds", row)
            first = first or new_id
        assert first is not None
        audit.log_rows(register.database, "calibration_seeds", first, new_id)
    return seeds(register, roster.cycle.id)[seed]


def seed_unit(seed: Seed) -> Unit:
    """The seed as a unit its pack can name (on no list: it never counts as one)."""
    return Unit(code=seed.unit, name=seed.unit_name, business_group="", linked_dcfa="")


def _answers_of(roster: Roster, seed: Seed) -> tuple[Path, list[IndicatorAnswer]]:
    path = Path(seed.return_source)
    if not path.is_file() or _sha256(path) != seed.return_sha256:
        raise ConfigError(f"seed {seed.seed}'s return {path} has moved or changed since it was "
                          "set: put it back, or set the seed again (esps calibrate seed)")
    report = validate_paths([path], roster.framework, cycle=roster.cycle, jobs=1).workbooks[0]
    return path, unit_answers(roster, read_workbook(path), report)


def issue_calibration_packs(register: Register, roster: Roster, out_dir: Path, *,
                            assessors: Sequence[str] = (), force: bool = False,
                            generated_at: datetime | None = None) -> PacksResult:
    """A calibration pack for every advisor (or those named) and every seed of the cycle,
    except the advisor who set a seed's scores; a pack already in out_dir is kept unless
    force."""
    wanted = {roster.advisor_or_error(a) for a in assessors}
    found = seeds(register, roster.cycle.id)
    if not found:
        raise ConfigError(f"no seed returns for {roster.cycle.id} yet: set one with "
                          "esps calibrate seed RETURN --seed S1 --scores KEY.csv --by NAME")
    ensure_folder(out_dir)
    result = PacksResult()
    for seed in found.values():
        _path, answers = _answers_of(roster, seed)
        for advisor in roster.advisors:
            if (wanted and advisor.id not in wanted) or advisor.id == seed.set_by:
                continue
            name = pack_filename(seed.unit, PACK_ROLE, advisor.id, roster.cycle.id)
            outcome = PackOutcome(unit=seed.unit, kind="scoring", role=PACK_ROLE,
                                  assessor=advisor.id, file=str(out_dir / name), status="kept")
            if (out_dir / name).exists() and not force:
                result.packs.append(outcome)
                continue
            identity = PackIdentity(
                kind="scoring", pack_id=new_pack_id(), cycle=roster.cycle.id,
                unit_code=seed.unit, role=PACK_ROLE, assessor=advisor.id,
                framework_id=roster.framework.meta.id,
                framework_version=roster.framework.meta.version,
                return_sha256=seed.return_sha256)
            data = build_scoring_pack(ScoringPack(
                identity=identity, unit_name=seed.unit_name, cycle_name=roster.cycle.name,
                assessor_name=_advisor_name(roster, advisor.id), scale=_scale(roster),
                answers=answers), generated_at)
            with register.transaction():
                new_id = register.database.insert("calibration_packs", {
                    "pack_id": identity.pack_id, "cycle": roster.cycle.id, "seed": seed.seed,
                    "assessor": advisor.id, "file": name, "issued_at": timestamp(now_utc())})
                audit.log_rows(register.database, "calibration_packs", new_id)
                atomic_write_bytes(inside(out_dir, name), data, force=force)
            result.packs.append(outcome.model_copy(update={"status": "written",
                                                           "pack_id": identity.pack_id}))
    return result


