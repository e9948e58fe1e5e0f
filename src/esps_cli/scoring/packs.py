"""Issuing packs: `esps score packs` (one scoring pack per assessor and unit) and
`esps score packs --moderation` (one moderation pack per unit with disagreements).

A scoring pack is written for every unit with a readable return and an allocation: one for its
linked DCFA, one for its allocated unlinked DCFA. Each pack gets a random id recorded in the
register with who it is for and the return it was made from; import checks a pack against that
record. Packs already in the output folder are kept unless force.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write_bytes, ensure_folder, inside, safe_filename
from esps_cli.register import Register
from esps_cli.register.challenges import reopened
from esps_cli.scoring.combine import combine
from esps_cli.scoring.pack_store import PackIssue, packs_issued, record_pack
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import cell_text
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import WorkbookReport
from esps_cli.workbook.layout import PackKind
from esps_cli.workbook.reader import ReturnedWorkbook, read_workbook
from esps_cli.workbook.scoring_pack import (
    IndicatorAnswer,
    ModerationPack,
    ModerationRow,
    PackIdentity,
    ScoringPack,
    build_moderation_pack,
    build_scoring_pack,
    pack_filename,
)

ScoringRole = Literal["linked", "unlinked"]


class PackOutcome(BaseModel):
    """One pack: written (with its id), or kept because the file was already there."""

    unit: str
    kind: PackKind
    role: str
    assessor: str
    file: str
    status: Literal["written", "kept"]
    pack_id: str = ""


class PacksResult(BaseModel):
    moderation: bool = False
    packs: list[PackOutcome] = []
    no_return: list[str] = []  # units on the list with no readable return
    invalid: list[str] = []  # units whose return is invalid (no packs unless asked)
    not_allocated: list[str] = []  # units with a return but no unlinked DCFA yet
    no_disagreement: int = 0  # moderation: units whose scores need no moderation

    @property
    def written(self) -> int:
        return sum(p.status == "written" for p in self.packs)


def new_pack_id() -> str:
    return secrets.token_hex(8)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shown(value: Any) -> str:
    if isinstance(value, datetime | date):
        return f"{value:%d/%m/%Y}"
    return cell_text(value)


def unit_answers(roster: Roster, rw: ReturnedWorkbook,
                 report: WorkbookReport) -> list[IndicatorAnswer]:
    """The unit's answer to each indicator of the cycle, with its evidence and findings."""
    given: dict[str, dict[str, Any]] = {}
    if rw.indicators is not None:
        for row in rw.indicators.rows:
            given.setdefault(cell_text(row.values.get("indicator_id")).upper(), row.values)
    evidence: dict[str, list[str]] = {}
    if rw.evidence is not None:
        for row in rw.evidence.rows:
            v = {k: _shown(x) for k, x in row.values.items()}
            line = (f"- {v.get('title') or '(untitled)'} ({v.get('type') or 'no type'}, "
                    f"{v.get('date') or 'no date'}): {v.get('location') or 'no location'}")
            evidence.setdefault(v.get("indicator_id", "").upper(), []).append(line)
    findings: dict[str, list[str]] = {}
    for f in report.findings:
        if f.indicator_id:
            findings.setdefault(f.indicator_id.upper(), []).append(f"{f.severity}: {f.message}")
    answers = []
    for ind in roster.framework.cycle_indicators(roster.cycle):
        values = given.get(ind.id.upper(), {})
        answers.append(IndicatorAnswer(
            indicator=ind.id, text=ind.text, rating=cell_text(values.get("rating")),
            na_reason=cell_text(values.get("na_reason")),
            narrative=cell_text(values.get("narrative")),
            evidence=evidence.get(ind.id.upper(), []), findings=findings.get(ind.id.upper(), [])))
    return answers


def _scale(roster: Roster) -> list[tuple[int, str]]:
    return [(lvl.score, lvl.label) for lvl in roster.scale.levels]


def _advisor_name(roster: Roster, advisor: str) -> str:
    return next((a.name for a in roster.advisors if a.id == advisor), advisor)


def person_folder(out_dir: Path, assessor: str) -> Path:
    """The assessor's own folder under out_dir: a pack is for one person, so each assessor's
    packs go where only they need be given access (issue 24)."""
    return inside(out_dir, safe_filename(assessor, suffix=""))


def _issue(register: Register, out_dir: Path, name: str, data: bytes, issue: PackIssue,
           force: bool) -> None:
    """Record the pack and write its file in one transaction: a pack on disk is on record.
    name: the file's name inside its assessor's folder, which is made here if need be."""
    folder = ensure_folder(person_folder(out_dir, issue.assessor))
    with register.transaction():
        record_pack(register, issue.model_copy(update={"file": f"{folder.name}/{name}"}))
        atomic_write_bytes(inside(folder, name), data, force=force)


def _returns(roster: Roster, returns: Sequence[Path]) -> dict[str, WorkbookReport]:
    batch = validate_paths(list(returns), roster.framework, units=roster.units, recursive=True,
                           cycle=roster.cycle, jobs=1)
    return {code: wb for code, wb in batch.returns_by_unit(roster.cycle.id).items()
            if wb.readable}


def _chosen(units: list[Unit], only: Sequence[str]) -> list[Unit]:
    if not only:
        return units
    wanted = {u.casefold() for u in only}
    unknown = wanted - {u.code.casefold() for u in units}
    if unknown:
        raise ConfigError(f"unknown unit(s) {', '.join(sorted(unknown))} (not in the units list)")
    return [u for u in units if u.code.casefold() in wanted]


def write_packs(
    register: Register,
    roster: Roster,
    returns: Sequence[Path],
    out_dir: Path,
    *,
    units: Sequence[str] = (),
    assessors: Sequence[str] = (),
    roles: Sequence[ScoringRole] = (),
    force: bool = False,
    generated_at: datetime | None = None,
    include_invalid: bool = False,
) -> PacksResult:
    """Write the scoring packs (see the module docstring); existing files kept unless force.
    An invalid return gets none unless include_invalid (domain.status: its scores would be
    provisional, never counting towards the baseline)."""
    wanted_assessors = {roster.advisor_or_error(a) for a in assessors}
    by_unit = _returns(roster, returns)
    allocations = register.allocations(roster.cycle.id)
    result = PacksResult()
    for unit in _chosen(roster.units, units):
        report = by_unit.get(unit.code)
        if report is None:
            result.no_return.append(unit.code)
            continue
        if not report.valid and not include_invalid:
            result.invalid.append(unit.code)
            continue
        if unit.code not in allocations:
            result.not_allocated.append(unit.code)
            continue
        rw = read_workbook(Path(report.path))
        answers = unit_answers(roster, rw, report)
        sha = _sha256(Path(report.path))
        for role, assessor in (("linked", unit.linked_dcfa), ("unlinked", allocations[unit.code])):
            if (roles and role not in roles) or (wanted_assessors
                                                 and assessor not in wanted_assessors):
                continue
            name = pack_filename(unit.code, role, assessor, roster.cycle.id)
            path = person_folder(out_dir, assessor) / name
            outcome = PackOutcome(unit=unit.code, kind="scoring", role=role, assessor=assessor,
                                  file=str(path), status="kept")
            if path.exists() and not force:
                result.packs.append(outcome)
                continue
            identity = PackIdentity(
                kind="scoring", pack_id=new_pack_id(), cycle=roster.cycle.id,
                unit_code=unit.code, role=role, assessor=assessor,
                framework_id=roster.framework.meta.id,
                framework_version=roster.framework.meta.version, return_sha256=sha)
            data = build_scoring_pack(ScoringPack(
                identity=identity, unit_name=unit.name, cycle_name=roster.cycle.name,
                assessor_name=_advisor_name(roster, assessor), scale=_scale(roster),
                answers=answers), generated_at, classification=roster.classification)
            _issue(register, out_dir, name, data, PackIssue(
                pack_id=identity.pack_id, kind="scoring", cycle=roster.cycle.id,
                unit=unit.code, role=role, assessor=assessor, file=name,
                return_source=str(Path(report.path).resolve()), return_sha256=sha), force)
            result.packs.append(outcome.model_copy(update={"status": "written",
                                                           "pack_id": identity.pack_id}))
    return result


def _answers_on_record(roster: Roster, issue: PackIssue | None) -> dict[str, IndicatorAnswer]:
    """The unit's answers from the return its scoring packs were made from, while that file is
    still there unchanged (else none: the moderation pack then shows the scores alone)."""
    if issue is None or not issue.return_source:
        return {}
    path = Path(issue.return_source)
    if not path.is_file() or _sha256(path) != issue.return_sha256:
        return {}
    report = WorkbookReport(file=path.name, path=str(path))
    return {a.indicator: a for a in unit_answers(roster, read_workbook(path), report)}


def moderator_for(roster: Roster, unit: Unit, excluded: set[str], load: dict[str, int],
                  asked: str | None) -> str:
    """The third DCFA who moderates a unit: the one asked for, else the least loaded advisor
    who is neither of the unit's assessors (ties by id)."""
    if asked is not None:
        if asked in excluded:
            raise ConfigError(
                f"{asked} cannot moderate {unit.code}: they are its "
                f"{'linked' if asked == unit.linked_dcfa else 'unlinked'} DCFA; moderation is "
                "by a third DCFA")
        return asked
    free = sorted((a.id for a in roster.advisors if a.id not in excluded),
                  key=lambda a: (load.get(a, 0), a))
    if not free:
        raise ConfigError(f"no third DCFA can moderate {unit.code}: every advisor is one of "
                          "its assessors")
    return free[0]


def write_moderation_packs(
    register: Register,
    roster: Roster,
    out_dir: Path,
    *,
    units: Sequence[str] = (),
    moderator: str | None = None,
    force: bool = False,
    generated_at: datetime | None = None,
) -> PacksResult:
    """One moderation pack per unit whose linked and unlinked scores need moderation, or
    that an upheld (or partly upheld) community challenge sent back to moderation."""
    asked = roster.advisor_or_error(moderator) if moderator else None
    cycle = roster.cycle.id
    current = register.current_scores(cycle)
    issued = packs_issued(register, cycle)
    on_record = {p.unit: p for p in issued if p.kind == "scoring"}
    load: dict[str, int] = {}
    for p in issued:
        if p.kind == "moderation":
            load[p.assessor] = load.get(p.assessor, 0) + 1
    result = PacksResult(moderation=True)
    texts = {i.id: i.text for i in roster.framework.cycle_indicators(roster.cycle)}
    allocations = register.allocations(cycle)
    # Indicators an upheld community challenge sent back to moderation, scores agreed or not.
    challenged = reopened(register, cycle)
    for unit in _chosen(roster.units, units):
        rows = []
        answers = _answers_on_record(roster, on_record.get(unit.code))
        assessors = {unit.linked_dcfa, *([allocations[unit.code]]
                                         if unit.code in allocations else [])}
        for ind in roster.indicator_list:
            pair = current.get((unit.code, ind))
            if pair is None or pair.linked is None or pair.unlinked is None or (
                    combine(pair, roster.rule).status != "needs-moderation"
                    and (unit.code, ind) not in challenged):
                continue
            assessors |= {pair.linked.assessor, pair.unlinked.assessor}
            said = answers.get(ind)
            rows.append(ModerationRow(
                indicator=ind, text=texts[ind], rating=said.rating if said else "",
                narrative=said.narrative if said else "", linked_score=pair.linked.score,
                linked_rationale=pair.linked.comment, unlinked_score=pair.unlinked.score,
                unlinked_rationale=pair.unlinked.comment))
        if not rows:
            if any((unit.code, ind) in current for ind in roster.indicator_list):
                result.no_disagreement += 1
            continue
        who = moderator_for(roster, unit, assessors, load, asked)
        name = pack_filename(unit.code, "moderation", who, cycle)
        path = person_folder(out_dir, who) / name
        outcome = PackOutcome(unit=unit.code, kind="moderation", role="moderator",
                              assessor=who, file=str(path), status="kept")
        if path.exists() and not force:
            result.packs.append(outcome)
            continue
        source = on_record.get(unit.code)
        identity = PackIdentity(
            kind="moderation", pack_id=new_pack_id(), cycle=cycle, unit_code=unit.code,
            role="moderator", assessor=who, framework_id=roster.framework.meta.id,
            framework_version=roster.framework.meta.version,
            return_sha256=source.return_sha256 if source else "")
        data = build_moderation_pack(ModerationPack(
            identity=identity, unit_name=unit.name, cycle_name=roster.cycle.name,
            assessor_name=_advisor_name(roster, who), scale=_scale(roster), rows=rows),
            generated_at, classification=roster.classification)
        _issue(register, out_dir, name, data, PackIssue(
            pack_id=identity.pack_id, kind="moderation", cycle=cycle, unit=unit.code,
            role="moderator", assessor=who, file=name,
            return_source=source.return_source if source else "",
            return_sha256=identity.return_sha256), force)
        load[who] = load.get(who, 0) + 1
        result.packs.append(outcome.model_copy(update={"status": "written",
                                                       "pack_id": identity.pack_id}))
    return result


def issue_packs(
    register: Register,
    roster: Roster,
    out_dir: Path,
    *,
    returns: Sequence[Path] = (),
    units: Sequence[str] = (),
    assessors: Sequence[str] = (),
    roles: Sequence[ScoringRole] = (),
    moderation: bool = False,
    force: bool = False,
    include_invalid: bool = False,
) -> PacksResult:
    """`esps score packs`: the scoring packs, or with moderation the moderation packs (where
    assessors names at most one advisor: the moderator), into out_dir (created if needed)."""
    if moderation:
        if len(assessors) > 1 or roles:
            raise ConfigError("--moderation takes at most one --assessor (the moderator) and "
                              "no --role")
        ensure_folder(out_dir)
        return write_moderation_packs(register, roster, out_dir, units=units,
                                      moderator=assessors[0] if assessors else None,
                                      force=force)
    if not returns:
        raise ConfigError("say where the returned workbooks are: --returns FOLDER (or `returns` "
                          "in esps.toml)")
    for path in returns:
        if not path.exists():
            raise ConfigError(f"returns folder {path} not found")
    ensure_folder(out_dir)
    return write_packs(register, roster, returns, out_dir, units=units, assessors=assessors,
                       roles=roles, force=force, include_invalid=include_invalid)
