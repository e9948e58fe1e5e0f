"""Scoring packs and moderation packs: the workbooks DCFAs score in, one per assessor and unit.

A scoring pack shows one unit's answers read-only (self-assessment, N/A reason, narrative, the
evidence it listed, the validation findings per indicator) beside a `Score (1-4)` drop-down and
a `Rationale` column for that assessor alone: it never shows or names the other assessor. A
moderation pack shows a third DCFA both scores and rationales of each disagreement beside a
`Moderated score (1-4)` and a `Reason`. Each pack carries its identity (kind, pack id, unit,
role, assessor, cycle) in a very hidden sheet and, locked, above its table; import checks both
against the register. Geometry and styles come from `layout`, the one definition of both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from esps_cli import __version__
from esps_cli.io.safety import safe_filename
from esps_cli.io.xlsx import XlsxReadError, open_book, sheet_rows, sniff_problem
from esps_cli.workbook.generate import (
    _header,
    _list_validation,
    _protect,
    _title,
    _write_fields,
    heights_grow_with_text,
    table_print_setup,
)
from esps_cli.workbook.layout import (
    MODERATION_FIELDS,
    MODERATION_TABLE,
    PACK_FIELDS,
    PACK_FIRST_ROW,
    PACK_MARKER,
    PACK_META_KEYS,
    PACK_TABLE,
    RATIONALE_REQUIRED_BELOW,
    SHEET_PACK_META,
    Field,
    PackKind,
    Table,
    column_letter,
)
from esps_cli.workbook.pages import PrintInfo
from esps_cli.workbook.reader import (
    FieldValue,
    TableData,
    _find_fields,
    find_table,
    read_identity,
    unreadable_problem,
)
from esps_cli.workbook.sealed import identity_sheet, put_table_row, sealed_bytes
from esps_cli.workbook.styles import (
    BOLD,
    SUBTITLE,
)


class PackIdentity(BaseModel):
    """Who a pack is for: checked against the register when the pack comes back."""

    kind: PackKind
    pack_id: str
    cycle: str
    unit_code: str
    role: str  # linked, unlinked or moderator
    assessor: str
    framework_id: str = ""
    framework_version: str = ""
    return_sha256: str = ""


class IndicatorAnswer(BaseModel):
    """What the unit said about one indicator, as the pack shows it."""

    indicator: str
    text: str
    rating: str = ""
    na_reason: str = ""
    narrative: str = ""
    evidence: list[str] = []
    findings: list[str] = []


class ScoringPack(BaseModel):
    identity: PackIdentity
    unit_name: str
    cycle_name: str
    assessor_name: str
    scale: list[tuple[int, str]]  # (score, label)
    answers: list[IndicatorAnswer]


class ModerationRow(BaseModel):
    indicator: str
    text: str
    rating: str = ""
    narrative: str = ""
    linked_score: int
    linked_rationale: str = ""
    unlinked_score: int
    unlinked_rationale: str = ""


class ModerationPack(BaseModel):
    identity: PackIdentity
    unit_name: str
    cycle_name: str
    assessor_name: str
    scale: list[tuple[int, str]]
    rows: list[ModerationRow]


def pack_filename(unit_code: str, role: str, assessor: str, cycle: str) -> str:
    """`<UNIT>_linked_<ASSESSOR>_<CYCLE>.xlsx` (or unlinked, or moderation)."""
    return safe_filename(unit_code, role, assessor, cycle)


# -- writing ------------------------------------------------------------------------------


def _page_info(title: str, ident: PackIdentity, cycle_name: str, generated_at: datetime,
               classification: str | None) -> PrintInfo:
    framework = " ".join(p for p in (ident.framework_id, ident.framework_version) if p)
    return PrintInfo(title=title, classification=classification or "OFFICIAL",
                     framework=framework, cycle=cycle_name, run_at=generated_at)


def _write_meta(wb: Workbook, identity: PackIdentity, generated_at: datetime) -> None:
    values = {**identity.model_dump(), "esps_pack": PACK_MARKER, "pack_kind": identity.kind,
              "generator": f"esps-cli {__version__}", "generated_at": generated_at.isoformat()}
    identity_sheet(wb, SHEET_PACK_META, PACK_META_KEYS, values)


def _identity_values(identity: PackIdentity, unit_name: str) -> dict[str, str]:
    return {"unit_code": identity.unit_code, "unit_name": unit_name, "role": identity.role,
            "assessor": identity.assessor, "cycle": identity.cycle,
            "pack_id": identity.pack_id}


def _write_identity(ws: Worksheet, fields: tuple[Field, ...], values: dict[str, str],
                    notes: dict[str, str]) -> None:
    _write_fields(ws, PACK_FIRST_ROW, fields, values, {})
    for offset, f in enumerate(fields):
        if f.key in notes:
            # Not wrapped: the note runs on across the empty cells to its right.
            c = ws.cell(row=PACK_FIRST_ROW + offset, column=3, value=notes[f.key])
            c.font = SUBTITLE
            c.alignment = Alignment(vertical="top")
        cell = ws.cell(row=PACK_FIRST_ROW + offset, column=2)
        cell.data_type = "s"


def _score_dropdown(ws: Worksheet, table: Table, scale: list[tuple[int, str]], first: int,
                    last: int, title: str) -> None:
    labels = "; ".join(f"{s} = {label}" for s, label in scale)
    options = ",".join(str(s) for s, _ in scale)
    dv = _list_validation(f'"{options}"', title, f"Choose a score from the list. {labels}.",
                          labels)
    ws.add_data_validation(dv)
    letter = column_letter(table.columns.index(table.column("score")) + 1)
    dv.add(f"{letter}{first}:{letter}{max(first, last)}")


def _finish(wb: Workbook, ws: Worksheet, table: Table, title: str,
            generated_at: datetime, info: PrintInfo) -> bytes:
    _header(ws, table)
    table_print_setup(ws, table, info)
    ws.freeze_panes = ws.cell(row=table.first_data_row, column=2).coordinate
    _protect(ws)
    return heights_grow_with_text(sealed_bytes(wb, title, generated_at))


def build_scoring_pack(pack: ScoringPack, generated_at: datetime | None = None, *,
                       classification: str | None = None) -> bytes:
    """One assessor's scoring pack for one unit, as .xlsx bytes; every page carries the
    protective marking (it holds a named advisor's assessment)."""
    generated_at = generated_at or datetime.now().replace(microsecond=0)
    ident = pack.identity
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = PACK_TABLE.sheet
    needs = " or ".join(str(s) for s, _ in pack.scale if s < RATIONALE_REQUIRED_BELOW)
    _title(ws, f"ESPS scoring pack: {pack.unit_name} ({ident.unit_code}), {pack.cycle_name}",
           f"Your assessment as the unit's {ident.role} DCFA, for you alone. Score each "
           f"indicator in the yellow cells; a score of {needs} needs a rationale. Grey cells "
           "are the unit's answers (read-only).")
    ws["A2"].alignment = Alignment(wrap_text=False, vertical="top")
    _write_identity(ws, PACK_FIELDS, _identity_values(ident, pack.unit_name),
                    {"assessor": pack.assessor_name, "cycle": pack.cycle_name,
                     "pack_id": "Identifies this pack; do not change any grey cell."})
    first = PACK_TABLE.first_data_row
    for offset, ans in enumerate(pack.answers):
        row = first + offset
        values = {"indicator": ans.indicator, "text": ans.text, "rating": ans.rating,
                  "na_reason": ans.na_reason, "narrative": ans.narrative,
                  "evidence": "\n".join(ans.evidence) or "(none listed)",
                  "findings": "\n".join(ans.findings) or "none"}
        put_table_row(ws, PACK_TABLE, row, values)
    last = first + len(pack.answers) - 1
    _score_dropdown(ws, PACK_TABLE, pack.scale, first, last, "Score")
    _scale_note(ws, pack.scale, PACK_TABLE.columns.index(PACK_TABLE.column("narrative")) + 1)
    _write_meta(wb, ident, generated_at)
    title = f"ESPS scoring pack: {ident.unit_code} {ident.role} ({ident.cycle})"
    return _finish(wb, ws, PACK_TABLE, title, generated_at,
                   _page_info(f"ESPS scoring pack: {ident.unit_code} {ident.role}, "
                              f"{ident.assessor}", ident, pack.cycle_name, generated_at,
                              classification))


def _scale_note(ws: Worksheet, scale: list[tuple[int, str]], column: int) -> None:
    """The scale, beside the identity block (never below the table, where it would be read as
    rows of it)."""
    ws.cell(row=PACK_FIRST_ROW, column=column, value="The scale").font = BOLD
    for i, (score, label) in enumerate(scale, start=1):
        ws.cell(row=PACK_FIRST_ROW + i, column=column, value=f"{score} = {label}")


def build_moderation_pack(pack: ModerationPack, generated_at: datetime | None = None, *,
                          classification: str | None = None) -> bytes:
    """A third DCFA's moderation pack for one unit's disagreements, as .xlsx bytes."""
    generated_at = generated_at or datetime.now().replace(microsecond=0)
    ident = pack.identity
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = MODERATION_TABLE.sheet
    _title(ws, f"ESPS moderation pack: {pack.unit_name} ({ident.unit_code}), {pack.cycle_name}",
           "The linked and the unlinked DCFA disagree on these indicators (or a community "
           "challenge to the score was upheld). As a third DCFA, give the moderated score and "
           "say why in the yellow cells.")
    _write_identity(ws, MODERATION_FIELDS, _identity_values(ident, pack.unit_name),
                    {"assessor": pack.assessor_name, "cycle": pack.cycle_name,
                     "pack_id": "Identifies this pack; do not change any grey cell."})
    first = MODERATION_TABLE.first_data_row
    for offset, item in enumerate(pack.rows):
        row = first + offset
        values: dict[str, Any] = item.model_dump()
        values["indicator"] = item.indicator
        put_table_row(ws, MODERATION_TABLE, row, values)
    last = first + len(pack.rows) - 1
    _score_dropdown(ws, MODERATION_TABLE, pack.scale, first, last, "Moderated score")
    _scale_note(ws, pack.scale, MODERATION_TABLE.columns.index(
        MODERATION_TABLE.column("narrative")) + 2)
    _write_meta(wb, ident, generated_at)
    return _finish(wb, ws, MODERATION_TABLE,
                   f"ESPS moderation pack: {ident.unit_code} ({ident.cycle})", generated_at,
                   _page_info(f"ESPS moderation pack: {ident.unit_code}, {ident.assessor}",
                              ident, pack.cycle_name, generated_at, classification))


# -- reading ------------------------------------------------------------------------------


@dataclass
class PackRead:
    """What a returned pack holds: its hidden identity, the visible identity cells (with where
    they are), the table, and why it could not be read (empty when it could)."""

    path: Path
    identity: dict[str, str] = field(default_factory=dict)
    shown: dict[str, FieldValue] = field(default_factory=dict)
    table: TableData | None = None
    problem: str = ""
    is_pack: bool = False

    @property
    def kind(self) -> str:
        return self.identity.get("pack_kind", "")

    @property
    def sheet(self) -> str:
        return MODERATION_TABLE.sheet if self.kind == "moderation" else PACK_TABLE.sheet


def is_pack(sheet_names: list[str]) -> bool:
    return SHEET_PACK_META in sheet_names


def read_pack(path: Path) -> PackRead:
    """Read a filled pack; never raises for a bad file (problem says what is wrong)."""
    out = PackRead(path=path)
    problem = sniff_problem(path)
    if problem:
        out.problem = problem
        return out
    try:
        book = open_book(path)
        names = list(book.sheet_names)
        out.is_pack = is_pack(names)
        if not out.is_pack:
            return out
        out.identity = read_identity(book, path, SHEET_PACK_META, PACK_META_KEYS)
        table = MODERATION_TABLE if out.kind == "moderation" else PACK_TABLE
        fields = MODERATION_FIELDS if out.kind == "moderation" else PACK_FIELDS
        if table.sheet not in names:
            out.problem = f"the pack's {table.sheet!r} sheet is missing"
            return out
        rows = sheet_rows(book, path, table.sheet)
    except XlsxReadError as exc:
        out.problem = unreadable_problem(exc)
        return out
    out.shown, _missing = _find_fields(rows, fields)
    out.table, missing = find_table(rows, table)
    needed = [c.header for c in table.columns if c.is_input or c.key == "indicator"]
    lost = [h for h in missing if h in needed]
    if out.table is None or lost:
        out.problem = (f"the {table.sheet} sheet's column heading(s) "
                       f"{', '.join(repr(h) for h in lost or needed)} are missing")
    return out
