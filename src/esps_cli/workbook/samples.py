"""Filling a generated workbook as a unit would: the sample returns of `esps demo`, the
bundled examples, the tests and the benchmarks.

These functions edit an openpyxl Workbook opened from a workbook `esps generate` wrote (or the
template it renders from), finding cells through the shared layout, the way a user fills the
yellow cells: ratings from the drop-down, narratives, evidence rows, the Cover's sign-off.

- `make_complete`: a return that meets every evidence minimum (one custody indicator N/A with a
  reason, where the framework allows N/A);
- `make_incomplete`: a return stopped half-way: no sign-off, indicators unanswered, short
  narratives, too little evidence, a date that is not a date;
- `make_dates_as_text`: a complete return whose dates and one rating were typed as text, as
  they are when cells are pasted from elsewhere (valid, with warnings).

`fill_file(path, framework, kind)` opens, fills and saves a file in place;
`write_sample_returns` turns the packs `esps generate` issued into the six documented sample
returns (SAMPLES), so they carry the pack ids the register issued.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli.domain.framework import Cycle, Framework, Indicator
from esps_cli.domain.normalise import uk
from esps_cli.domain.units import Unit
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import (
    COVER_FIELDS,
    EVIDENCE,
    INDICATORS,
    NA,
    SHEET_COVER,
    SHEET_META,
    Table,
)

Kind = Literal["complete", "incomplete", "dates-as-text", "tampered", "truncated", "email"]

COMPLETED = date(2010, 7, 28)
SIGNED_OFF = date(2010, 7, 30)


def workbook_cycle(wb: Workbook, framework: Framework) -> Cycle:
    """The cycle a generated workbook is for (from its hidden metadata)."""
    if SHEET_META in wb.sheetnames:
        for row in wb[SHEET_META].iter_rows(min_col=1, max_col=2, values_only=True):
            if row[0] == "cycle" and row[1]:
                return framework.cycle(str(row[1]))
    return framework.cycles[0]


def _cover_cells(ws: Worksheet) -> dict[str, str]:
    """Cover field key -> the A1 reference of its value cell, found by label."""
    labels = {f.label: f.key for f in COVER_FIELDS}
    out: dict[str, str] = {}
    for row in ws.iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if isinstance(cell.value, str) and cell.value in labels:
            out[labels[cell.value]] = f"B{cell.row}"
    return out


def table_columns(ws: Worksheet, table: Table) -> tuple[int, dict[str, int]]:
    """The header row of a table and its columns (key -> 1-based index), found by label."""
    wanted = {c.header: c.key for c in table.columns}
    for row in ws.iter_rows(min_row=1, max_row=40):
        cols = {wanted[c.value]: int(c.column or 0) for c in row
                if isinstance(c.value, str) and c.value in wanted}
        if table.columns[0].key in cols:
            return int(row[0].row or 0), cols
    raise ValueError(f"no {table.sheet} header row found")


def indicator_rows(ws: Worksheet) -> dict[str, int]:
    header, cols = table_columns(ws, INDICATORS)
    out: dict[str, int] = {}
    for r in range(header + 1, ws.max_row + 1):
        value = ws.cell(row=r, column=cols["indicator_id"]).value
        if isinstance(value, str) and value.strip():
            out.setdefault(value.strip(), r)
    return out


def fill_cover(
    wb: Workbook,
    *,
    completed_by: str | None = "Ch Insp Asha Patel",
    role: str | None = "Chief Inspector, Partnership",
    completed: date | str | None = COMPLETED,
    commander: str | None = "Ch Supt Robert Hughes",
    signed: date | str | None = SIGNED_OFF,
) -> None:
    """Fill the Cover's yellow cells (None leaves a cell blank)."""
    ws = wb[SHEET_COVER]
    cells = _cover_cells(ws)
    values = {"completed_by": completed_by, "completed_role": role,
              "completed_date": completed, "commander": commander, "signoff_date": signed}
    for key, value in values.items():
        if key in cells:
            ws[cells[key]] = value


def narrative_for(ind: Indicator, length: int | None = None) -> str:
    """A plausible narrative for an indicator, at least its minimum length (or `length`)."""
    text = (
        f"{ind.text.rstrip('.')}: this is in place and owned by the senior leadership team. "
        "It is reviewed quarterly at the diversity and confidence meeting, where progress, "
        "gaps and actions are recorded, and the evidence listed on the Evidence sheet shows "
        "what was done and when."
    )
    target = ind.evidence.min_narrative_chars + 10 if length is None else length
    while len(text) < target:
        text += " Actions from the last review have been completed and checked by the lead."
    return text if length is None else text[:length]


def fill_indicators(
    wb: Workbook,
    framework: Framework,
    *,
    ratings: Callable[[int, Indicator], int | str | None] | None = None,
    narratives: Callable[[int, Indicator], str | None] | None = None,
    na_reasons: dict[str, str] | None = None,
) -> None:
    """Give each indicator a rating, a narrative and (for N/A) a reason.

    ratings/narratives: functions of (position, indicator) returning the value to type (None
    leaves the cell blank); by default a 2-4 rating and a long enough narrative.
    """
    ws = wb[INDICATORS.sheet]
    _header, cols = table_columns(ws, INDICATORS)
    rows = indicator_rows(ws)
    cycle = workbook_cycle(wb, framework)
    for i, ind in enumerate(framework.cycle_indicators(cycle)):
        r = rows.get(ind.id)
        if r is None:
            continue
        rating = ratings(i, ind) if ratings else (3, 4, 3, 2)[i % 4]
        narrative = narratives(i, ind) if narratives else narrative_for(ind)
        ws.cell(row=r, column=cols["rating"]).value = rating
        ws.cell(row=r, column=cols["narrative"]).value = narrative
        if na_reasons and ind.id in na_reasons:
            ws.cell(row=r, column=cols["na_reason"]).value = na_reasons[ind.id]


EvidenceRow = dict[str, str | date | None]


def evidence_rows_for(
    framework: Framework, cycle: Cycle, *, as_of: date = COMPLETED, skip: set[str] | None = None,
    unit_code: str = "UNIT",
) -> list[EvidenceRow]:
    """Evidence rows meeting every indicator's minimum: enough items, the required types,
    dated within the maximum age of as_of; locations are paths in the unit's local storage."""
    fill_types = ("report", "minutes", "action-plan", "policy")
    rows: list[EvidenceRow] = []
    for i, ind in enumerate(framework.cycle_indicators(cycle)):
        if skip and ind.id in skip:
            continue
        mins = ind.evidence
        types = list(mins.required_types)
        while len(types) < max(1, mins.min_items):
            types.append(fill_types[(i + len(types)) % len(fill_types)])
        for j, type_id in enumerate(types):
            etype = framework.evidence_type_by_id[type_id]
            when = as_of - timedelta(days=20 + 7 * ((i + j) % 20))
            slug = etype.label.split()[0].lower()
            rows.append({
                "indicator_id": ind.id,
                "title": f"{ind.id} {etype.label.lower()} ({when:%B %Y})",
                "description": f"{etype.label} supporting {ind.id}, reviewed at the diversity "
                               "and confidence meeting.",
                "type": etype.label,
                "location": f"S:\\ESPS\\{cycle.id}\\{unit_code}\\{ind.id}\\{slug}-{j + 1}.pdf",
                "date": when,
                "owner": "Management Information Team",
            })
    return rows


def fill_evidence(wb: Workbook, rows: list[EvidenceRow], *, first: int | None = None) -> int:
    """Type evidence rows into the Evidence sheet from its first empty row; returns the first
    sheet row written."""
    ws = wb[EVIDENCE.sheet]
    header, cols = table_columns(ws, EVIDENCE)
    r = first or header + 1
    if first is None:
        while any(ws.cell(row=r, column=c).value not in (None, "") for c in cols.values()):
            r += 1
    start = r
    for values in rows:
        for key, value in values.items():
            if key in cols:
                ws.cell(row=r, column=cols[key]).value = value
        r += 1
    return start


def _unit_code(wb: Workbook) -> str:
    if SHEET_META in wb.sheetnames:
        for row in wb[SHEET_META].iter_rows(min_col=1, max_col=2, values_only=True):
            if row[0] == "unit_code" and row[1]:
                return str(row[1])
    return "UNIT"


def _na_choice(framework: Framework, cycle: Cycle) -> dict[str, str]:
    """One indicator that allows N/A, with a reason (a unit without a custody suite)."""
    for ind in framework.cycle_indicators(cycle):
        if ind.evidence.na_allowed and "custody" in ind.text.lower():
            return {ind.id: "The unit has no custody suite; detainees are taken to the "
                            "neighbouring borough's suite."}
    return {}


def make_complete(wb: Workbook, framework: Framework) -> None:
    """A complete return: every minimum met, one custody indicator N/A with a reason."""
    cycle = workbook_cycle(wb, framework)
    na = _na_choice(framework, cycle)
    fill_cover(wb)
    fill_indicators(wb, framework, ratings=lambda i, ind: NA if ind.id in na
                    else (3, 4, 3, 2)[i % 4], na_reasons=na)
    fill_evidence(wb, evidence_rows_for(framework, cycle, skip=set(na),
                                        unit_code=_unit_code(wb)))


def make_dates_as_text(wb: Workbook, framework: Framework) -> None:
    """A complete return with dates typed as text (dd/mm/yyyy and "1 April 2010" forms) and
    one rating typed as text: valid, with date-as-text and number-as-text warnings."""
    make_complete(wb, framework)
    fill_cover(wb, completed=uk(COMPLETED), signed="30 July 2010")
    ws = wb[EVIDENCE.sheet]
    header, cols = table_columns(ws, EVIDENCE)
    for offset, r in enumerate(range(header + 1, header + 4)):
        value = ws.cell(row=r, column=cols["date"]).value
        if isinstance(value, date):
            text = uk(value) if offset % 2 == 0 else f"{value.day} {value:%B %Y}"
            ws.cell(row=r, column=cols["date"], value=text)
    ind_ws = wb[INDICATORS.sheet]
    _h, icols = table_columns(ind_ws, INDICATORS)
    first_row = min(indicator_rows(ind_ws).values())
    ind_ws.cell(row=first_row, column=icols["rating"], value="3")


def make_incomplete(wb: Workbook, framework: Framework) -> None:
    """A return stopped half-way, as often arrives before the deadline:

    no commander sign-off; the first two thirds of the indicators answered, of which some
    have no rating or a short narrative; evidence for only some of them, one row without a
    location and one with a date that does not exist (31/06/2010).
    """
    cycle = workbook_cycle(wb, framework)
    indicators = framework.cycle_indicators(cycle)
    answered = len(indicators) * 2 // 3
    fill_cover(wb, commander=None, signed=None)

    def rating(i: int, ind: Indicator) -> int | None:
        if i >= answered or i % 9 == 4:
            return None
        return (3, 2, 4)[i % 3]

    def narrative(i: int, ind: Indicator) -> str | None:
        if i >= answered:
            return None
        if i % 7 == 3:
            return "See evidence."
        return narrative_for(ind)

    fill_indicators(wb, framework, ratings=rating, narratives=narrative)
    rows = evidence_rows_for(framework, cycle, unit_code=_unit_code(wb))
    half = {ind.id for ind in indicators[: answered // 2]}
    rows = [row for row in rows if row["indicator_id"] in half]
    if rows:
        rows[1 if len(rows) > 1 else 0]["location"] = None
        rows[-1]["date"] = "31/06/2010"
    fill_evidence(wb, rows)


def make_tampered(wb: Workbook, framework: Framework) -> None:
    """A complete return whose author "improved" an indicator's wording and deleted a row
    they thought did not apply (OD2.1 and PC9.2 where the workbook has them)."""
    make_complete(wb, framework)
    ws = wb[INDICATORS.sheet]
    _header, cols = table_columns(ws, INDICATORS)
    rows = indicator_rows(ws)
    if not rows:
        return
    edited = rows.get("OD2.1", min(rows.values()))
    cell = ws.cell(row=edited, column=cols["text"])
    cell.value = str(cell.value).rstrip(".") + " where resources allow."
    ws.delete_rows(rows.get("PC9.2", max(rows.values())))


MAKERS: dict[str, Callable[[Workbook, Framework], None]] = {
    "complete": make_complete,
    "incomplete": make_incomplete,
    "dates-as-text": make_dates_as_text,
    "tampered": make_tampered,
}

EMAIL = (
    b"From: Management Information Team, Islington\r\n"
    b"Subject: RE: ESPS workbook\r\n\r\n"
    b"Hi, sorry, the workbook is still with the Superintendent. We will send it next week.\r\n"
)


def fill_file(path: Path, framework: Framework, kind: Kind = "complete") -> Path:
    """Open a generated workbook, fill it as a unit would (see MAKERS), and save it in place."""
    path.write_bytes(sample_bytes(path.read_bytes(), framework, kind))
    return path


def fill_bytes(data: bytes, framework: Framework, kind: Kind = "complete") -> bytes:
    """The same as fill_file for a workbook (or template) held in memory."""
    return sample_bytes(data, framework, kind)


def sample_bytes(data: bytes, framework: Framework, kind: Kind) -> bytes:
    """A generated workbook made into a sample return of the given kind: filled (MAKERS), cut
    to a third of its bytes ("truncated"), or replaced by an e-mail ("email")."""
    if kind == "truncated":
        return data[: len(data) // 3]
    if kind == "email":
        return EMAIL
    wb = openpyxl.load_workbook(io.BytesIO(data))
    MAKERS[kind](wb, framework)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Sample:
    """One sample return: the unit it comes from, what was done to it, the file name the unit
    gave it (None: the pack's own) and what validation makes of it."""

    unit: str
    kind: Kind
    name: str | None
    shows: str


SAMPLES: tuple[Sample, ...] = (
    Sample("TP-EK", "complete", None, "a complete return: valid"),
    Sample("TP-BS", "dates-as-text", None,
           "dates and a rating typed as text: valid, with warnings"),
    Sample("TP-CW", "incomplete", "Westminster ESPS return v2.xlsx",
           "renamed by the unit and only half done: invalid"),
    Sample("TP-FH", "tampered", None, "an indicator's wording edited, a row deleted: invalid"),
    Sample("TP-RP", "truncated", None, "cut short in transfer (a truncated file): unreadable"),
    Sample("TP-NI", "email", None, "an e-mail saved with a workbook's name: unreadable"),
)


def write_sample_returns(packs: Path, returns: Path, framework: Framework, cycle: Cycle,
                         units: list[Unit]) -> list[tuple[Path, Sample]]:
    """Make SAMPLES from the packs `esps generate` wrote to `packs` (so each carries the pack id
    the register issued to its unit) and write them to `returns`, as if the units had sent
    them back. A sample whose unit is not on the list, or whose pack is missing, is left out;
    a file already in `returns` is never replaced."""
    by_code = {u.code.casefold(): u for u in units}
    returns.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Sample]] = []
    for sample in SAMPLES:
        unit = by_code.get(sample.unit.casefold())
        pack = packs / workbook_filename(unit, cycle) if unit else None
        if pack is None or not pack.is_file():
            continue
        target = returns / (sample.name or pack.name)
        try:
            with target.open("xb") as fh:
                fh.write(sample_bytes(pack.read_bytes(), framework, sample.kind))
        except FileExistsError:
            continue
        written.append((target, sample))
    return written
