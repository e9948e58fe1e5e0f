"""Importing filled scoring packs and moderation packs (`esps score import`), and choosing the
files an import covers (packs, CSVs, or a folder holding both).

A pack's scores are recorded under the identity the register issued it with (unit, role,
assessor, cycle), with the pack's file and sha256 as their source. A pack whose identity does
not match the register (an unknown pack id, another unit, role, assessor or cycle, an edited
identity cell) is refused whole. Otherwise each bad score cell is a problem with its cell and
the valid scores are recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from esps_cli.errors import ConfigError
from esps_cli.findings import (
    MISSING_SHEET,
    NOT_ESPS_WORKBOOK,
    PACK_IDENTITY_EDITED,
    PACK_IDENTITY_MISMATCH,
    PACK_IS_CALIBRATION,
    PACK_UNKNOWN_ID,
    PACK_UNSCORED,
    SCORE_COMMENT_WITHOUT_SCORE,
    SCORE_DUPLICATE,
    SCORE_FILE_UNREADABLE,
    SCORE_MISSING_COLUMN,
    SCORE_NOT_A_PACK,
    SCORE_RATIONALE_MISSING,
    SCORE_WRONG_CYCLE,
    UNREADABLE_FILE,
)
from esps_cli.register import Register, Role
from esps_cli.scoring.csv_import import import_csv
from esps_cli.scoring.importing import (
    Candidate,
    ImportProblem,
    ImportResult,
    commit,
    problem_at,
    problem_with,
    sha256_of,
)
from esps_cli.scoring.pack_store import PackIssue, find_calibration_pack, find_pack
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, cell_text, parse_score, reason_problem
from esps_cli.workbook.layout import (
    MODERATION_FIELDS,
    PACK_FIELDS,
    PACK_META_KEYS,
    RATIONALE_REQUIRED_BELOW,
    SHEET_PACK_META,
)

if TYPE_CHECKING:  # reading a workbook loads openpyxl: only when a pack is imported, not a CSV
    from esps_cli.workbook.scoring_pack import PackRead

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# The identity the register holds for a pack, and the pack's hidden key for each part.
_IDENTITY = (("cycle", "cycle"), ("unit", "unit_code"), ("role", "role"),
             ("assessor", "assessor"), ("kind", "pack_kind"))


def _meta_cell(key: str) -> str:
    return f"B{PACK_META_KEYS.index(key) + 1}"


def _not_a_pack(path: Path, name: str) -> list[ImportProblem]:
    """Why a workbook that is not a pack cannot be imported: a unit's return holds no scores."""
    from esps_cli.workbook.reader import read_workbook

    rw = read_workbook(path)
    fatal = {UNREADABLE_FILE.code, NOT_ESPS_WORKBOOK.code}
    problems = [ImportProblem(file=name, sheet=f.sheet, cell=f.cell, code=f.code,
                              message=f.message.removeprefix(f"cannot read {rw.name}: "))
                for f in rw.findings if f.code in fatal]
    if problems:
        return problems
    unit = rw.meta.get("unit_code", "")
    legacy = (f"; its DCFA Assessment sheet (an older pack) holds {rw.legacy_scores} score(s), "
              "which are not imported" if rw.legacy_scores else "")
    return [ImportProblem(
        file=name, code=SCORE_NOT_A_PACK.code,
        message=f"this is {unit or 'a unit'}'s return, not a scoring pack: scores are given in "
                f"scoring packs, one per assessor (esps score packs){legacy}")]


def _identity_problems(pack: PackRead, issue: PackIssue | None, roster: Roster,
                       name: str) -> list[ImportProblem]:
    """The pack against the register's record of it, and its shown cells against both."""
    hidden = pack.identity
    meta = ImportProblem(file=name, sheet=SHEET_PACK_META, message="")
    if issue is None:
        pid = hidden.get("pack_id", "")
        return [problem_with(meta.model_copy(update={"cell": _meta_cell("pack_id")}),
                    f"pack id {pid!r} was never issued by this register: the pack was made "
                    "against another register, or its hidden identity was edited"
                    if pid else "the pack has no pack id: its hidden identity was edited",
                    PACK_UNKNOWN_ID)]
    problems: list[ImportProblem] = []
    issued = issue.model_dump()
    for part, key in _IDENTITY:
        if hidden.get(key, "") != issued[part]:
            problems.append(problem_with(meta.model_copy(update={"cell": _meta_cell(key)}), (
                f"the pack's {part} is {hidden.get(key, '')!r} but pack {issue.pack_id} was "
                f"issued for {part} {issued[part]!r} ({issue.unit}, {issue.role}, "
                f"{issue.assessor}): nothing from this pack is recorded"),
                PACK_IDENTITY_MISMATCH))
    shown_as = {"unit_code": issue.unit, "role": issue.role, "assessor": issue.assessor,
                "cycle": issue.cycle, "pack_id": issue.pack_id}
    fields = MODERATION_FIELDS if pack.kind == "moderation" else PACK_FIELDS
    for f in fields:
        if f.key not in shown_as:
            continue
        fv = pack.shown.get(f.key)
        value = cell_text(fv.value) if fv else None
        if value != shown_as[f.key]:
            where = ImportProblem(file=name, sheet=pack.sheet, cell=fv.ref if fv else "",
                                  message="")
            problems.append(problem_with(where, (
                f"the identity cell {f.label!r} was edited: it says {value!r}, but this pack "
                f"was issued with {shown_as[f.key]!r}; nothing from this pack is recorded"
                if fv else f"the identity cell {f.label!r} is missing; nothing from this pack "
                           "is recorded"), PACK_IDENTITY_EDITED))
    if issue.cycle != roster.cycle.id and not problems:
        problems.append(problem_with(ImportProblem(file=name, message=""), (
            f"the pack is for cycle {issue.cycle}, not {roster.cycle.id} (pass --cycle "
            f"{issue.cycle} to import it into that cycle)"), SCORE_WRONG_CYCLE))
    return problems


def _pack_rows(pack: PackRead, issue: PackIssue, roster: Roster, name: str
               ) -> tuple[list[Candidate], list[ImportProblem], list[ImportProblem]]:
    """The scores in the pack's table: candidates, bad cells (problems), warnings."""
    table = pack.table
    assert table is not None
    moderation = issue.kind == "moderation"
    comment_key = "reason" if moderation else "rationale"
    role: Role = "moderated" if moderation else issue.role  # type: ignore[assignment]
    unit = roster.unit(issue.unit)  # known: its identity was checked
    candidates: list[Candidate] = []
    problems: list[ImportProblem] = []
    warnings: list[ImportProblem] = []
    seen: dict[str, int] = {}
    unscored = 0
    for row in table.rows:
        at = ImportProblem(file=name, sheet=pack.sheet, message="",
                           cell=table.ref("indicator", row.row))
        try:
            ind = roster.indicator(cell_text(row.values.get("indicator")))
        except ScoreProblem as exc:
            problems.append(problem_at(at, exc))
            continue
        if ind in seen:
            problems.append(problem_with(
                at, f"indicator {ind} appears twice (first at row {seen[ind]})",
                                SCORE_DUPLICATE))
            continue
        seen[ind] = row.row
        raw = row.values.get("score")
        comment = cell_text(row.values.get(comment_key))
        score_at = at.model_copy(update={"cell": table.ref("score", row.row)})
        comment_at = at.model_copy(update={"cell": table.ref(comment_key, row.row)})
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            unscored += 1
            if comment:
                warnings.append(problem_with(
                    comment_at, f"{ind}: a {comment_key} without a score is not "
                                                "recorded", SCORE_COMMENT_WITHOUT_SCORE))
            continue
        try:
            value = parse_score(raw, roster.scale)
        except ScoreProblem as exc:
            problems.append(problem_at(score_at, exc, f"{ind}: "))
            continue
        if moderation and (short := reason_problem(comment)):
            problems.append(problem_at(comment_at, short, f"{ind}: "))
            continue
        if not moderation and value < RATIONALE_REQUIRED_BELOW and not comment:
            problems.append(problem_with(comment_at, f"{ind}: a score of {value} needs a rationale "
                                            "saying why; the score was not recorded",
                                SCORE_RATIONALE_MISSING))
            continue
        candidates.append(Candidate(unit=unit, indicator=ind, role=role,
                                     assessor=issue.assessor, score=value, comment=comment,
                                     where=score_at))
    if unscored:
        warnings.append(problem_with(ImportProblem(file=name, sheet=pack.sheet, message=""),
                            f"{unscored} indicator(s) have no score yet", PACK_UNSCORED))
    return candidates, problems, warnings


def import_pack(register: Register, roster: Roster, path: Path, *,
                any_unlinked: bool = False) -> ImportResult:
    """Record the scores in a filled scoring pack or moderation pack (never modifies it).

    A workbook that is not a pack (a unit's return) is refused with a problem saying so.
    """
    name = str(path)
    result = ImportResult(file=name, kind="pack", status="rejected")
    whole = ImportProblem(file=name, message="")
    try:
        sha = sha256_of(path.read_bytes())
    except OSError as exc:
        return result.model_copy(update={"problems": [
            problem_with(whole, f"cannot read the file: {exc.strerror or exc}",
                         SCORE_FILE_UNREADABLE)]})
    from esps_cli.workbook.scoring_pack import read_pack

    pack = read_pack(path)
    if not pack.is_pack:
        return result.model_copy(update={"kind": "workbook",
                                         "problems": _not_a_pack(path, name)})
    if pack.problem:
        code = MISSING_SHEET if "sheet is missing" in pack.problem else SCORE_MISSING_COLUMN
        return result.model_copy(update={"problems": [problem_with(whole, pack.problem, code)]})
    issue = find_pack(register, pack.identity.get("pack_id", ""))
    if issue is None and find_calibration_pack(register, pack.identity.get("pack_id", "")):
        return result.model_copy(update={"problems": [problem_with(whole, (
            "this is a calibration pack (a seed return, scored before live scoring), not a "
            "unit's scoring pack: import it with esps calibrate import; nothing recorded"),
            PACK_IS_CALIBRATION)]})
    if issue is not None:
        result = result.model_copy(update={"unit": issue.unit})
    refused = _identity_problems(pack, issue, roster, name)
    if refused or issue is None:
        return result.model_copy(update={"problems": refused})
    source = str(path.resolve())
    candidates, cells, warnings = _pack_rows(pack, issue, roster, name)
    result = result.model_copy(update={"warnings": warnings})
    return commit(register, roster, result, source=source, sha256=sha, candidates=candidates,
                   problems=[], any_unlinked=any_unlinked, cell_problems=cells)


# -- files and folders -------------------------------------------------------------------


def import_files(path: Path) -> list[Path]:
    """The files an import of path covers: the file itself, or a folder's packs and CSVs
    (with those in its folders, one level down: each assessor's)."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder")
    if path.is_dir():
        # The folder's own files and those of its folders one level down (each assessor's
        # packs are in a folder of their own: esps score packs).
        entries = [*path.iterdir(), *(p for sub in path.iterdir()
                                      if sub.is_dir() and not sub.name.startswith(".")
                                      for p in sub.iterdir())]
        files = sorted(
            p for p in entries
            if p.is_file() and p.suffix.lower() in (*WORKBOOK_SUFFIXES, ".csv")
            and not p.name.startswith(("~$", ".", ".~lock."))
        )
        if not files:
            raise ConfigError(f"{path}: no scoring packs (.xlsx) or CSVs of scores in this "
                              "folder")
        return files
    if path.suffix.lower() not in (*WORKBOOK_SUFFIXES, ".csv"):
        raise ConfigError(f"{path}: expected a scoring pack (.xlsx), a CSV of scores or a "
                          "folder")
    return [path]


def import_path(register: Register, roster: Roster, path: Path, *,
                any_unlinked: bool = False,
                on_progress: Callable[[int, int], None] | None = None) -> list[ImportResult]:
    """Import a pack, a CSV or every pack and CSV in a folder (each file its own transaction).
    on_progress(done, total) is called as each file of a folder is done."""
    results = []
    files = import_files(path)
    for done, file in enumerate(files, start=1):
        if file.suffix.lower() == ".csv":
            results.append(import_csv(register, roster, file, any_unlinked=any_unlinked))
        else:
            results.append(import_pack(register, roster, file, any_unlinked=any_unlinked))
        if on_progress is not None and len(files) > 1:
            on_progress(done, len(files))
    return results
