"""Importing filled calibration packs (`esps calibrate import`): the same reading and the same
checks as a live scoring pack (scoring.pack_import: its identity against the register's record,
each score cell, a rationale below 3), but the scores go to calibration_scores, where no unit
can read them. A live pack given here, or a calibration pack given to `esps score import`, is
refused whole with a message saying which command takes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from esps_cli.findings import (
    MISSING_SHEET,
    PACK_IS_LIVE,
    PACK_UNKNOWN_ID,
    SCORE_FILE_UNREADABLE,
    SCORE_MISSING_COLUMN,
    SCORE_NOT_A_PACK,
    Code,
)
from esps_cli.register import Register, audit, now_utc
from esps_cli.register.models import timestamp
from esps_cli.scoring.calibration import PACK_ROLE, seed_unit, seeds
from esps_cli.scoring.importing import (
    Candidate,
    ImportProblem,
    ImportResult,
    problem_with,
    sha256_of,
)
from esps_cli.scoring.pack_import import (
    WORKBOOK_SUFFIXES,
    _identity_problems,
    _pack_rows,
    import_files,
)
from esps_cli.scoring.pack_store import (
    CalibrationPack,
    PackIssue,
    find_calibration_pack,
    find_pack,
)
from esps_cli.scoring.roster import Roster


def _refused(result: ImportResult, message: str, code: Code) -> ImportResult:
    problem = problem_with(ImportProblem(file=result.file, message=""), message, code)
    return result.model_copy(update={"problems": [problem]})


def import_calibration_pack(register: Register, roster: Roster, path: Path) -> ImportResult:
    """Record the calibration scores in one filled calibration pack (never modifies it)."""
    from esps_cli.workbook.scoring_pack import read_pack

    name = str(path)
    result = ImportResult(file=name, kind="pack", status="rejected")
    try:
        sha = sha256_of(path.read_bytes())
    except OSError as exc:
        return _refused(result, f"cannot read the file: {exc.strerror or exc}",
                        SCORE_FILE_UNREADABLE)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return _refused(result, "calibration scores come back in calibration packs (.xlsx), "
                                "not in a CSV", SCORE_NOT_A_PACK)
    pack = read_pack(path)
    if not pack.is_pack:
        return _refused(result, "this workbook is not a scoring pack: calibration scores are "
                                "given in the calibration packs (esps calibrate packs)",
                        SCORE_NOT_A_PACK)
    if pack.problem:
        code = MISSING_SHEET if "sheet is missing" in pack.problem else SCORE_MISSING_COLUMN
        return _refused(result, pack.problem, code)
    pack_id = pack.identity.get("pack_id", "")
    issued = find_calibration_pack(register, pack_id)
    if issued is None:
        live = find_pack(register, pack_id)
        if live is not None:
            return _refused(result, f"this is {live.unit}'s {live.role} scoring pack for "
                                    f"{live.assessor}, not a calibration pack: import it with "
                                    "esps score import", PACK_IS_LIVE)
        return _refused(result, f"pack id {pack_id!r} was never issued by this register as a "
                                "calibration pack", PACK_UNKNOWN_ID)
    seed = seeds(register, issued.cycle).get(issued.seed)
    assert seed is not None  # the database refuses a pack for a seed that does not exist
    issue = PackIssue(pack_id=issued.pack_id, kind="scoring", cycle=issued.cycle,
                      unit=seed.unit, role=PACK_ROLE, assessor=issued.assessor,
                      file=issued.file, return_source=seed.return_source,
                      return_sha256=seed.return_sha256)
    on_seed = Roster(roster.framework, roster.cycle, [seed_unit(seed)], roster.advisors)
    result = result.model_copy(update={"unit": seed.unit})
    refused = _identity_problems(pack, issue, on_seed, name)
    if refused:
        return result.model_copy(update={"problems": refused})
    candidates, cells, warnings = _pack_rows(pack, issue, on_seed, name)
    return _record(register, result, issued, str(path.resolve()), sha, candidates, cells,
                   warnings)


def _record(register: Register, result: ImportResult, issued: CalibrationPack, source: str,
            sha: str, candidates: list[Candidate], cells: list[ImportProblem],
            warnings: list[ImportProblem]) -> ImportResult:
    """Record the scores that differ from the assessor's current ones, in one transaction."""
    pack_id = issued.pack_id
    with register.transaction():
        current = {(r["indicator"]): (int(r["score"]), r["comment"])
                   for r in register.database.query(
                       "SELECT indicator, score, comment FROM calibration_scores "
                       "WHERE pack_id = ? ORDER BY id", (pack_id,))}
        new = [c for c in candidates if current.get(c.indicator) != (c.score, c.comment)]
        first = last = None
        for c in new:
            last = register.database.insert("calibration_scores", {
                "cycle": issued.cycle, "seed": issued.seed, "indicator": c.indicator,
                "assessor": c.assessor, "score": c.score, "comment": c.comment,
                "pack_id": pack_id, "source": source, "source_sha256": sha,
                "recorded_at": timestamp(now_utc())})
            first = first or last
        if first is not None:
            audit.log_rows(register.database, "calibration_scores", first, last)
    status = "partial" if cells else ("imported" if new else "unchanged")
    return result.model_copy(update={
        "status": status, "recorded": len(new), "unchanged": len(candidates) - len(new),
        "by_role": {"calibration": len(new)} if new else {}, "problems": cells,
        "warnings": warnings})


def import_calibration(register: Register, roster: Roster, path: Path, *,
                       on_progress: Callable[[int, int], None] | None = None
                       ) -> list[ImportResult]:
    """Import a calibration pack or every pack in a folder (each file its own transaction)."""
    files = [f for f in import_files(path) if f.suffix.lower() in WORKBOOK_SUFFIXES] \
        if path.is_dir() else import_files(path)
    results = []
    for done, file in enumerate(files, start=1):
        results.append(import_calibration_pack(register, roster, file))
        if on_progress is not None and len(files) > 1:
            on_progress(done, len(files))
    return results
