"""The community challenge form: one workbook per community group.

It opens on the public results for the units the group covers (where each unit stands, then
every indicator's combined score), and has a Challenges sheet with a table to fill in, one
challenge per row: the unit (a drop-down of names), the theme or indicator (a drop-down), what
is challenged, what evidence the group offers, and whether it wants a reply in writing or at a
meeting. Sealed like the scoring packs: a random form id, the group and the cycle in a very
hidden sheet, repeated locked above the table, and recorded in the register when issued.
Nothing in it names an advisor or holds anyone's contact details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from esps_cli import __version__
from esps_cli.io.xlsx import XlsxReadError, open_book, sheet_rows, sniff_problem
from esps_cli.workbook.generate import (
    _header,
    _list_validation,
    _protect,
    _style_row,
    _title,
    _write_fields,
    table_print_setup,
)
from esps_cli.workbook.layout import (
    CHALLENGE_FIELDS,
    CHALLENGE_FIRST_ROW,
    CHALLENGE_LIST_COLUMNS,
    CHALLENGE_LIST_NAMES,
    CHALLENGE_MARKER,
    CHALLENGE_META_KEYS,
    CHALLENGE_TABLE,
    REPLY_CHOICES,
    RESULTS_TABLE,
    SCORES_TABLE,
    SHEET_CHALLENGE_META,
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
from esps_cli.workbook.sealed import identity_sheet, put_table_row, put_value, sealed_bytes
from esps_cli.workbook.styles import SUBTITLE


class UnitResult(BaseModel):
    unit: str
    status: str
    at_or_above: str  # "5 of 8"
    mean: str  # "3.1", or "-" when not scored


class IndicatorResult(BaseModel):
    unit: str
    indicator: str
    theme: str
    text: str
    score: str  # "3", or "-" when not scored yet
    meaning: str


class ChallengeForm(BaseModel):
    """Everything one group's form shows."""

    form_id: str
    group_id: str
    group_name: str
    cycle: str
    cycle_name: str
    response_days: int
    return_to: str
    unit_names: list[str]
    subjects: list[str]
    units: list[UnitResult]
    indicators: list[IndicatorResult]
    release: str = ""  # e.g. "version 2, published 12/10/2011"


def _page_info(form: ChallengeForm) -> PrintInfo:
    return PrintInfo(title=f"ESPS challenge form: {form.group_name}", cycle=form.cycle_name)


def _rows(ws: Worksheet, table: Table, items: list[dict[str, str]], info: PrintInfo) -> None:
    _header(ws, table)
    table_print_setup(ws, table, info)
    for offset, values in enumerate(items):
        put_table_row(ws, table, table.first_data_row + offset, values)


def _results_sheet(ws: Worksheet, form: ChallengeForm) -> None:
    ws.title = RESULTS_TABLE.sheet
    _title(ws, f"ESPS results for {form.group_name}: {form.cycle_name}",
           "Where each unit you cover stands against the Equality Standard. The Scores sheet "
           "gives every indicator's score. To question a result, fill in the Challenges sheet.")
    which = f"Published results, {form.release}" if form.release else "Draft results"
    ws["A3"] = (f"{which}. Scores: 1 "
                "Not at all satisfactory, 2 Not very satisfactory, 3 Fairly satisfactory, 4 Very "
                "satisfactory. A unit meets the baseline when every baseline indicator scores 3 "
                "or more.")
    ws["A3"].alignment = Alignment(wrap_text=False, vertical="top")
    _rows(ws, RESULTS_TABLE, [u.model_dump() for u in form.units], _page_info(form))
    _protect(ws)


def _scores_sheet(ws: Worksheet, form: ChallengeForm) -> None:
    _title(ws, f"Scores by indicator: {form.cycle_name}",
           "The combined score the two advisors' assessments gave each indicator "
           "('-' where there is none yet).")
    _rows(ws, SCORES_TABLE, [i.model_dump() for i in form.indicators], _page_info(form))
    ws.auto_filter.ref = (f"A{SCORES_TABLE.header_row}:{column_letter(len(SCORES_TABLE.columns))}"
                          f"{SCORES_TABLE.header_row + max(1, len(form.indicators))}")
    _protect(ws)


def _challenge_sheet(ws: Worksheet, form: ChallengeForm) -> None:
    _title(ws, f"Your challenges: {form.group_name}",
           "One challenge per row, in the yellow cells. Choose the unit and the theme or "
           "indicator from the lists; say what you question and what evidence you can offer.")
    ws["A2"].alignment = Alignment(wrap_text=False, vertical="top")
    values = {"group_name": form.group_name, "cycle": form.cycle_name,
              "reply_within": f"{form.response_days} days of receiving your form",
              "return_to": form.return_to or "the Diversity and Citizen Focus Directorate",
              "form_id": form.form_id}
    _write_fields(ws, CHALLENGE_FIRST_ROW, CHALLENGE_FIELDS, values, {})
    width = CHALLENGE_TABLE.columns[1].width
    for offset, f in enumerate(CHALLENGE_FIELDS):
        lines = -(-len(str(values[f.key])) // max(1, int(width * 1.05)))
        ws.row_dimensions[CHALLENGE_FIRST_ROW + offset].height = 15 * max(1, lines) + 2
    note = ws.cell(row=CHALLENGE_FIRST_ROW + len(CHALLENGE_FIELDS) - 1, column=3,
                   value="Identifies this form; please leave the grey cells as they are. "
                         "Do not write anyone's phone number or e-mail address here.")
    note.font = SUBTITLE
    table = CHALLENGE_TABLE
    _header(ws, table)
    first, last = table.first_data_row, table.first_data_row + table.input_rows - 1
    for row in range(first, last + 1):
        _style_row(ws, table, row)
        ws.row_dimensions[row].height = 60
    lists = {"unit": ("units", "Unit", "Choose the unit from the list."),
             "subject": ("subjects", "Theme or indicator",
                         "Choose a theme (the whole area) or one indicator from the list."),
             "reply": ("replies", "Reply", "Choose In writing or At a meeting.")}
    for key, (name, title, prompt) in lists.items():
        dv = _list_validation(CHALLENGE_LIST_NAMES[name], title, prompt, prompt)
        ws.add_data_validation(dv)
        letter = column_letter(table.columns.index(table.column(key)) + 1)
        dv.add(f"{letter}{first}:{letter}{last}")
    table_print_setup(ws, table, _page_info(form))
    _protect(ws)


def _meta_sheet(wb: Workbook, form: ChallengeForm, generated_at: datetime) -> None:
    values = {"esps_challenge_form": CHALLENGE_MARKER, "form_id": form.form_id,
              "cycle": form.cycle, "group_id": form.group_id,
              "generator": f"esps-cli {__version__}", "generated_at": generated_at.isoformat()}
    meta = identity_sheet(wb, SHEET_CHALLENGE_META, CHALLENGE_META_KEYS, values)
    lists = {"units": form.unit_names, "subjects": form.subjects,
             "replies": list(REPLY_CHOICES)}
    for key, items in lists.items():
        letter = CHALLENGE_LIST_COLUMNS[key]
        put_value(meta, 1, ord(letter) - 64, key)
        for row, item in enumerate(items or ["(none)"], start=2):
            put_value(meta, row, ord(letter) - 64, item)
        ref = f"'{SHEET_CHALLENGE_META}'!${letter}$2:${letter}${max(1, len(items)) + 1}"
        name = CHALLENGE_LIST_NAMES[key]
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    meta.protection.sheet = True


def build_challenge_form(form: ChallengeForm, generated_at: datetime | None = None) -> bytes:
    """One group's challenge form, as .xlsx bytes."""
    generated_at = generated_at or datetime.now().replace(microsecond=0)
    wb = Workbook()
    results = wb.active
    assert results is not None
    _results_sheet(results, form)
    _scores_sheet(wb.create_sheet(SCORES_TABLE.sheet), form)
    _challenge_sheet(wb.create_sheet(CHALLENGE_TABLE.sheet), form)
    _meta_sheet(wb, form, generated_at)
    return sealed_bytes(wb, f"ESPS challenge form: {form.group_name} ({form.cycle})",
                        generated_at)


# -- reading ------------------------------------------------------------------------------


@dataclass
class FormRead:
    """What a returned form holds: its hidden identity, the visible identity cells, the
    challenge table, and why it could not be read (empty when it could)."""

    path: Path
    identity: dict[str, str] = field(default_factory=dict)
    shown: dict[str, FieldValue] = field(default_factory=dict)
    table: TableData | None = None
    problem: str = ""
    is_form: bool = False


def read_challenge_form(path: Path) -> FormRead:
    """Read a filled form; never raises for a bad file (problem says what is wrong)."""
    out = FormRead(path=path)
    problem = sniff_problem(path)
    if problem:
        out.problem = problem
        return out
    try:
        book = open_book(path)
        names = list(book.sheet_names)
        out.is_form = SHEET_CHALLENGE_META in names
        if not out.is_form:
            return out
        out.identity = read_identity(book, path, SHEET_CHALLENGE_META, CHALLENGE_META_KEYS)
        if CHALLENGE_TABLE.sheet not in names:
            out.problem = f"the form's {CHALLENGE_TABLE.sheet!r} sheet is missing"
            return out
        rows = sheet_rows(book, path, CHALLENGE_TABLE.sheet)
    except XlsxReadError as exc:
        out.problem = unreadable_problem(exc)
        return out
    out.shown, _missing = _find_fields(rows, CHALLENGE_FIELDS)
    out.table, missing = find_table(rows, CHALLENGE_TABLE)
    if out.table is None or missing:
        out.problem = (f"the {CHALLENGE_TABLE.sheet} sheet's column heading(s) "
                       f"{', '.join(repr(h) for h in missing)} are missing")
    return out
