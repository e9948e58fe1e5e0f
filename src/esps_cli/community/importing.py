"""`esps challenge import`: filled challenge forms and CSVs of challenges raised at meetings.

Each good row becomes a challenge in the register (group, unit, indicator or theme, what is
challenged, the evidence offered, the reply wanted, the date received) with an audit entry;
each bad row is a finding naming the file, sheet and cell, and is left out. A file never stops
the batch. Importing the same rows again records nothing (each row has a key: its group, unit,
subject and texts, and the form id or the meeting date). Contact details a group wrote into
its texts are taken out before anything is recorded (privacy.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from esps_cli.community.groups import group_by_id_or_name
from esps_cli.community.privacy import contact_redactor
from esps_cli.domain.community import REPLY_LABEL, CommunityGroup
from esps_cli.domain.framework import Framework
from esps_cli.domain.normalise import parse_date
from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.findings import (
    CHALLENGE_BAD_DATE,
    CHALLENGE_BAD_REPLY,
    CHALLENGE_FILE_UNREADABLE,
    CHALLENGE_FORM_NOT_ISSUED,
    CHALLENGE_MISSING_COLUMN,
    CHALLENGE_MISSING_TEXT,
    CHALLENGE_NOT_A_FORM,
    CHALLENGE_TOO_LONG,
    CHALLENGE_UNIT_NOT_COVERED,
    CHALLENGE_UNKNOWN_GROUP,
    CHALLENGE_UNKNOWN_SUBJECT,
    CHALLENGE_UNKNOWN_UNIT,
    Code,
    Finding,
    finding,
)
from esps_cli.io.output import plain
from esps_cli.io.tables import csv_rows, map_columns
from esps_cli.register import Register
from esps_cli.register.challenges import add_challenges, find_form
from esps_cli.workbook.challenge_form import read_challenge_form
from esps_cli.workbook.layout import (
    CHALLENGE_TABLE,
    CHALLENGE_TEXT_MAX,
    THEME_PREFIX,
    column_letter,
)

MEETING_COLUMNS = {
    "group": ("group", "group id", "group name"),
    "unit": ("unit", "unit code", "unit name"),
    "subject": ("subject", "indicator", "theme", "theme or indicator"),
    "challenged": ("challenged", "challenge", "what is challenged", "what are you challenging?"),
    "evidence": ("evidence", "evidence offered", "what evidence can you offer?"),
    "reply": ("reply", "reply by", "reply in writing or at a meeting?"),
    "date": ("date", "date raised", "received", "meeting date"),
}
MAX_CSV_BYTES = 20 * 1024 * 1024


class FileOutcome(BaseModel):
    file: str
    kind: str  # form, meeting, or "" when the file could not be read as either
    group: str = ""
    rows: int = 0
    recorded: list[int] = []
    already: int = 0
    left_out: int = 0  # bad rows


class ChallengeImport(BaseModel):
    cycle: str
    files: list[FileOutcome] = []
    findings: list[Finding] = []

    @property
    def recorded(self) -> int:
        return sum(len(f.recorded) for f in self.files)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")


@dataclass
class Lookup:
    """What a row's texts are checked against."""

    framework: Framework
    cycle: str
    units: list[Unit]
    groups: list[CommunityGroup]
    today: date
    redact: Callable[[str], str]

    def unit(self, text: str) -> Unit | None:
        wanted = " ".join(text.split()).casefold()
        for u in self.units:
            if wanted in (u.code.casefold(), u.name.casefold()):
                return u
        return None

    def subject(self, text: str) -> tuple[str, str] | None:
        """(indicator id, "") or ("", theme id) from the drop-down's text, an indicator id or
        a theme's id or name; None when it names neither."""
        raw = " ".join(text.split())
        if not raw:
            return None
        themes = self.framework.national_themes
        name = raw[len(THEME_PREFIX):] if raw.casefold().startswith(
            THEME_PREFIX.casefold()) else raw
        for t in themes:
            if name.casefold() in (t.id.casefold(), t.name.casefold()):
                return "", t.id
        head = raw.split(":", 1)[0].strip().casefold()
        for ind in self.framework.cycle_indicators(self.framework.cycle(self.cycle)):
            if ind.id.casefold() == head:
                return ind.id, ""
        return None


def _key(*parts: object) -> str:
    text = json.dumps([" ".join(str(p).split()).casefold() for p in parts],
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _reply(text: str) -> str | None:
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return "writing"
    for key, label in REPLY_LABEL.items():
        if wanted in (key, label.casefold(), label.casefold().removeprefix("at a ").strip(),
                      label.casefold().removeprefix("in ").strip()):
            return key
    return None


@dataclass
class RowRead:
    """One row's cells as texts, with where each is (sheet and cell)."""

    file: str
    sheet: str
    values: dict[str, Any]
    refs: dict[str, str]


def _text(value: Any) -> str:
    """A cell as text, without control characters (an escape sequence typed into a cell
    cannot reach a terminal or a log)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return plain(str(value)).strip()


def check_row(row: RowRead, group: CommunityGroup, look: Lookup, received: date,
              source: str, sha: str, form_id: str = "",
              found: list[Finding] | None = None) -> dict[str, Any] | None:
    """The challenge a row holds, as a register row; None (and findings) when it is bad."""
    problems: list[Finding] = []

    def bad(code: Code, key: str, message: str) -> None:
        problems.append(finding(code, row.file, message, sheet=row.sheet,
                                cell=row.refs.get(key, "")))

    texts = {k: _text(v) for k, v in row.values.items()}
    said = {k: look.redact(v[:200]) for k, v in texts.items()}  # as findings quote them
    for key in ("challenged", "evidence", "unit", "subject"):
        if len(texts.get(key, "")) > CHALLENGE_TEXT_MAX:
            bad(CHALLENGE_TOO_LONG, key, f"{len(texts[key]):,} characters (at most "
                f"{CHALLENGE_TEXT_MAX:,})")
            texts[key] = ""
    unit = look.unit(texts.get("unit", ""))
    if unit is None:
        bad(CHALLENGE_UNKNOWN_UNIT, "unit",
            f"unit {said.get('unit', '')!r} is not on the units list" if texts.get("unit")
            else "no unit given")
    subject = look.subject(texts.get("subject", ""))
    if subject is None:
        bad(CHALLENGE_UNKNOWN_SUBJECT, "subject",
            f"{said.get('subject', '')!r} is not a theme or one of the cycle's indicators"
            if texts.get("subject") else "no theme or indicator given")
    if not texts.get("challenged"):
        bad(CHALLENGE_MISSING_TEXT, "challenged", "what is challenged is blank")
    reply = _reply(texts.get("reply", ""))
    if reply is None:
        bad(CHALLENGE_BAD_REPLY, "reply", f"{said['reply']!r} is not In writing or At a meeting")
    if received > look.today:
        bad(CHALLENGE_BAD_DATE, "date", f"{received.isoformat()} is after today")
    if unit is not None and not group.covers(unit.code):
        problems.append(finding(CHALLENGE_UNIT_NOT_COVERED, row.file,
                                f"{group.name} challenges {unit.name} ({unit.code}), a unit "
                                "outside the area groups.csv gives it", sheet=row.sheet,
                                cell=row.refs.get("unit", "")))
    if found is not None:
        found.extend(problems)
    if any(p.severity == "error" for p in problems) or unit is None or subject is None:
        return None
    assert reply is not None
    indicator, theme = subject
    challenged, evidence = look.redact(texts["challenged"]), look.redact(texts.get("evidence",
                                                                                   ""))
    key = _key(look.cycle, group.id, unit.code, indicator, theme, challenged, evidence,
               form_id or received.isoformat())
    return {"cycle": look.cycle, "challenge_key": key, "group_id": group.id,
            "group_name": group.name, "unit": unit.code, "indicator": indicator,
            "theme": theme, "challenged": challenged, "evidence": evidence,
            "reply_by": reply, "received_on": received.isoformat(), "source": source,
            "source_sha256": sha, "form_id": form_id}


def _form_rows(register: Register, path: Path, look: Lookup, received: date,
               out: ChallengeImport) -> tuple[FileOutcome, list[dict[str, Any]]]:
    outcome = FileOutcome(file=str(path), kind="form")
    read = read_challenge_form(path)
    name = path.name
    if not read.is_form:
        code = CHALLENGE_FILE_UNREADABLE if read.problem else CHALLENGE_NOT_A_FORM
        out.findings.append(finding(code, name, read.problem or "no challenge form identity "
                                    "sheet: this is not a form esps issued"))
        return outcome.model_copy(update={"kind": ""}), []
    form_id, group_id = read.identity.get("form_id", ""), read.identity.get("group_id", "")
    issued = find_form(register, form_id) if form_id else None
    shown = read.shown.get("form_id")
    if (issued is None or issued["group_id"] != group_id or issued["cycle"] != look.cycle
            or read.identity.get("cycle") != look.cycle
            or (shown is not None and _text(shown.value) != form_id)):
        why = ("its form id is not on record" if issued is None else
               f"it was issued for {issued['group_id']} ({issued['cycle']}), not "
               f"{group_id} ({read.identity.get('cycle')})" if issued["group_id"] != group_id
               or issued["cycle"] != read.identity.get("cycle") else
               f"it is for cycle {issued['cycle']}, not {look.cycle}"
               if issued["cycle"] != look.cycle else "the form id shown above the table was "
               "changed")
        out.findings.append(finding(CHALLENGE_FORM_NOT_ISSUED, name, f"not imported: {why}",
                                    sheet=CHALLENGE_TABLE.sheet,
                                    cell=shown.ref if shown else ""))
        return outcome, []
    group = group_by_id_or_name(look.groups, group_id)
    if group is None:
        out.findings.append(finding(CHALLENGE_UNKNOWN_GROUP, name, f"the form's group "
                                    f"{group_id!r} is not on the groups list"))
        return outcome, []
    if read.problem or read.table is None:
        out.findings.append(finding(CHALLENGE_MISSING_COLUMN, name, read.problem,
                                    sheet=CHALLENGE_TABLE.sheet))
        return outcome, []
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = []
    table = read.table
    for r in table.rows:
        refs = {k: table.ref(k, r.row) for k in r.values}
        got = check_row(RowRead(name, CHALLENGE_TABLE.sheet, r.values, refs), group, look,
                        received, name, sha, form_id, out.findings)
        if got is not None:
            rows.append(got)
    return outcome.model_copy(update={"group": group.id, "rows": len(table.rows)}), rows


def _meeting_rows(path: Path, look: Lookup, received: date,
                  out: ChallengeImport) -> tuple[FileOutcome, list[dict[str, Any]]]:
    outcome = FileOutcome(file=str(path), kind="meeting")
    name = path.name
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise ConfigError(f"{path.stat().st_size:,} bytes is far too large for a CSV of "
                              "challenges")
        table = csv_rows(path.read_bytes(), name)
    except (OSError, ConfigError) as exc:
        out.findings.append(finding(CHALLENGE_FILE_UNREADABLE, name, str(exc)))
        return outcome, []
    if not table:
        out.findings.append(finding(CHALLENGE_MISSING_COLUMN, name, "the file is empty"))
        return outcome, []
    cols, problems = map_columns(table[0], MEETING_COLUMNS,
                                 ("group", "unit", "subject", "challenged"))
    if problems:
        out.findings.append(finding(CHALLENGE_MISSING_COLUMN, name, "; ".join(problems)))
        return outcome, []
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = []
    for rownum, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        outcome.rows += 1
        values = {k: cells[i].strip() if i < len(cells) else "" for k, i in cols.items()}
        refs = {k: f"{column_letter(i + 1)}{rownum}" for k, i in cols.items()}
        row = RowRead(name, "", values, refs)
        group = group_by_id_or_name(look.groups, values["group"])
        when = _meeting_date(values.get("date", ""), received)
        if group is None or when is None:
            quoted = {k: look.redact(_text(values.get(k, ""))[:200]) for k in ("group", "date")}
            if group is None:
                out.findings.append(finding(
                    CHALLENGE_UNKNOWN_GROUP, name,
                    f"group {quoted['group']!r} is not on the groups list", cell=refs["group"]))
            if when is None:
                out.findings.append(finding(
                    CHALLENGE_BAD_DATE, name, f"{quoted['date']!r} is not a date (dd/mm/yyyy)",
                    cell=refs.get("date", "")))
            continue
        got = check_row(row, group, look, when, name, sha, found=out.findings)
        if got is not None:
            rows.append(got)
    return outcome, rows


def _meeting_date(text: str, default: date) -> date | None:
    if not text.strip():
        return default
    parsed = parse_date(text)
    return parsed.value if parsed.usable else None


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file()
                              and f.suffix.lower() in (".xlsx", ".csv")
                              and not f.name.startswith(("~$", ".~lock"))))
        else:
            out.append(p)
    return out


def import_challenges(register: Register, paths: Sequence[Path], look: Lookup,
                      received: date) -> ChallengeImport:
    """Import every form (.xlsx) and meeting CSV (.csv) among paths (folders: their files)."""
    result = ChallengeImport(cycle=look.cycle)
    for path in _files(paths):
        if not path.is_file():
            result.findings.append(finding(CHALLENGE_FILE_UNREADABLE, path.name,
                                           f"{path}: file not found"))
            continue
        if path.suffix.lower() == ".csv":
            outcome, rows = _meeting_rows(path, look, received, result)
        else:
            outcome, rows = _form_rows(register, path, look, received, result)
        ids = add_challenges(register, rows) if rows else []
        result.files.append(outcome.model_copy(update={
            "recorded": ids, "already": len(rows) - len(ids),
            "left_out": outcome.rows - len(rows)}))
    return result


def lookup(framework: Framework, cycle: str, units: list[Unit], groups: list[CommunityGroup],
           today: date) -> Lookup:
    return Lookup(framework, cycle, units, groups, today, contact_redactor(groups))
