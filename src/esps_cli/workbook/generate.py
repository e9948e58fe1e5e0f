"""`esps generate`: one self-explaining workbook per (B)OCU.

Everything but a handful of unit-specific strings is the same in every workbook of a cycle, so
the workbook is built once with openpyxl as a template holding placeholders, and each unit's
file is that template with its placeholders replaced inside the .xlsx's XML parts. That makes a
workbook cost a few milliseconds instead of a full openpyxl build; the work is spread over
processes for large batches.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from esps_cli import __version__
from esps_cli.domain.framework import Cycle, Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.io.batch import parallel_map
from esps_cli.io.safety import (
    StagedOutputs,
    clean_text,
    distinct_names,
    safe_filename,
    write_error,
)
from esps_cli.register.models import WorkbookIssue
from esps_cli.workbook.layout import (
    COVER_FIELDS,
    COVER_FIRST_ROW,
    EVIDENCE,
    INDICATORS,
    LAYOUT_VERSION,
    LIST_NAMES,
    META_INDICATOR_HEADER,
    META_KEYS,
    META_LIST_COLUMNS,
    META_MARKER,
    NA,
    SHEET_COVER,
    SHEET_GUIDANCE,
    SHEET_META,
    Field,
    Table,
    column_letter,
    expected_indicator_hashes,
    indicator_locked_cells,
    rating_options,
    workbook_fingerprint,
)
from esps_cli.workbook.pages import PrintInfo, print_info, print_setup, row_height
from esps_cli.workbook.styles import (
    BOLD,
    BOX,
    DATE_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    INPUT_FILL,
    LOCKED_FILL,
    SUBTITLE,
    TITLE,
    TOP,
    UNLOCKED,
    WRAP_TOP,
)

# Placeholders replaced per unit. They appear only inside strings of the template.
UNIT_FIELDS = ("unit_code", "unit_name", "business_group", "linked_dcfa", "linked_dcfa_name",
               "unit_name_hf")
# The page header names the unit: "&" starts a code there, so its name is given doubled.
PAGE_TITLE = "ESPS self-assessment: {{esps:unit_name_hf}}"
# Row heights the unit's typing may grow: a row without customHeight is resized by Excel and
# Calc as text is typed into it, while the height written still holds when Calc prints.
_CUSTOM_HEIGHT = re.compile(rb' customHeight="(?:1|true)"')


def placeholder(key: str) -> str:
    return "{{esps:" + key + "}}"


@dataclass
class GenerateResult:
    written: list[Path] = field(default_factory=list)
    issued: list[WorkbookIssue] = field(default_factory=list)  # each workbook's pack id
    skipped_existing: list[Path] = field(default_factory=list)
    seconds: float = 0.0


# -- the template -------------------------------------------------------------------------


def build_template(
    framework: Framework,
    cycle: Cycle,
    advisors: list[Advisor],
    generated_at: datetime | None = None,
    *,
    classification: str | None = None,
) -> bytes:
    """The cycle's workbook with placeholders for the unit, as .xlsx bytes; every page
    carries the protective marking (`classification`, default OFFICIAL)."""
    generated_at = generated_at or datetime.now().replace(microsecond=0)
    info = print_info("ESPS self-assessment", framework, cycle,
                      classification=classification, run_at=generated_at)
    indicators = framework.cycle_indicators(cycle)
    hashes = expected_indicator_hashes(framework, indicators)

    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = SHEET_COVER
    guidance = wb.create_sheet(SHEET_GUIDANCE)
    ind_ws = wb.create_sheet(INDICATORS.sheet)
    ev_ws = wb.create_sheet(EVIDENCE.sheet)
    meta = wb.create_sheet(SHEET_META)

    _write_meta(meta, framework, cycle, indicators, advisors, hashes, generated_at, wb)
    _write_cover(cover, framework, cycle, info)
    _write_guidance(guidance, framework, cycle, info)
    _write_indicators(ind_ws, framework, cycle, info)
    _write_evidence(ev_ws, framework, info)

    _text_not_formulas(wb)
    meta.sheet_state = "veryHidden"
    for ws in (cover, guidance, ind_ws, ev_ws):
        _protect(ws, allow_rows=ws is ev_ws)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    props = wb.properties
    props.title = f"ESPS self-assessment: {placeholder('unit_name')} ({cycle.name})"
    props.subject = "Equality Standard for the Police Service"
    props.creator = f"esps-cli {__version__}"
    props.keywords = f"ESPS {placeholder('unit_code')} {cycle.id}"
    props.created = generated_at
    props.modified = generated_at

    buf = io.BytesIO()
    wb.save(buf)
    return heights_grow_with_text(buf.getvalue())


def heights_grow_with_text(data: bytes) -> bytes:
    """The workbook with no row height marked custom, so Excel and Calc grow a row as the
    unit types into it (openpyxl marks every height it writes as custom)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for item in src.infolist():
            part = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                part = _CUSTOM_HEIGHT.sub(b"", part)
            dst.writestr(item, part, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _text_not_formulas(wb: Workbook) -> None:
    """Every cell the template holds is text or a number, never a formula.

    openpyxl stores any string that starts with "=" as a formula; framework wording such as
    "=100% of staff" must reach the unit as the words DCFD wrote, not as something Excel runs.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _protect(ws: Worksheet, allow_rows: bool = False) -> None:
    p = ws.protection
    p.sheet = True
    # Resizing rows and columns is harmless and people in a hurry need it.
    p.formatColumns = False
    p.formatRows = False
    p.autoFilter = False
    p.sort = True
    if allow_rows:
        p.insertRows = False
        p.deleteRows = False


def _title(ws: Worksheet, title: str, subtitle: str) -> None:
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = subtitle
    ws["A2"].font = SUBTITLE
    ws["A2"].alignment = Alignment(wrap_text=False, vertical="top")


def _write_fields(ws: Worksheet, first_row: int, fields: tuple[Field, ...],
                  values: Mapping[str, str | date], dv_for: dict[str, DataValidation]) -> None:
    for offset, f in enumerate(fields):
        row = first_row + offset
        label = ws.cell(row=row, column=1, value=f.label)
        label.font = BOLD
        label.alignment = TOP
        cell = ws.cell(row=row, column=2, value=values.get(f.key))
        cell.border = BOX
        cell.alignment = WRAP_TOP
        if f.is_input:
            cell.fill = INPUT_FILL
            cell.protection = UNLOCKED
            if f.kind in dv_for:
                dv_for[f.kind].add(cell)
        else:
            cell.fill = LOCKED_FILL
        if f.kind == "date" or isinstance(values.get(f.key), date):
            cell.number_format = DATE_FORMAT
        if f.help:
            h = ws.cell(row=row, column=3, value=f.help)
            h.font = SUBTITLE
            h.alignment = WRAP_TOP


def _date_validation(where: str) -> DataValidation:
    # 1 Jan 2000 .. 31 Dec 2099 as Excel serial numbers.
    dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73050",
                        allow_blank=True, showErrorMessage=True, showInputMessage=True)
    dv.errorTitle = "Not a date"
    dv.error = f"{where}: enter a date as dd/mm/yyyy, for example 13/04/2010."
    dv.promptTitle = "Date"
    dv.prompt = "Type the date as dd/mm/yyyy."
    return dv


def _list_validation(source: str, title: str, error: str, prompt: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=source, allow_blank=True,
                        showErrorMessage=True, showInputMessage=True)
    dv.errorTitle = title
    dv.error = error
    dv.promptTitle = title
    dv.prompt = prompt
    return dv


def _write_cover(ws: Worksheet, framework: Framework, cycle: Cycle, info: PrintInfo) -> None:
    _title(ws, "Equality Standard for the Police Service: self-assessment workbook",
           f"{placeholder('unit_name')} ({placeholder('unit_code')}), {cycle.name}. "
           f"Return this workbook to DCFD by {cycle.submission_deadline:%d/%m/%Y}.")
    date_dv = _date_validation("Cover")
    ws.add_data_validation(date_dv)
    values: dict[str, str | date] = {
        "unit_code": placeholder("unit_code"),
        "unit_name": placeholder("unit_name"),
        "business_group": placeholder("business_group"),
        "linked_dcfa": f"{placeholder('linked_dcfa_name')} ({placeholder('linked_dcfa')})",
        "cycle": f"{cycle.name} ({cycle.id})",
        "deadline": cycle.submission_deadline,
    }
    _write_fields(ws, COVER_FIRST_ROW, COVER_FIELDS, values, {"date": date_dv})
    row = COVER_FIRST_ROW + len(COVER_FIELDS) + 1
    ws.cell(row=row, column=1, value="How to complete this workbook").font = BOLD
    steps = [
        "1. Fill in the yellow cells on this sheet: who completed the workbook and the "
        "commander's sign-off.",
        "2. On the Indicators sheet, give each indicator a self-assessment (1-4, or N/A where "
        "allowed, with a reason) and a narrative.",
        "3. On the Evidence sheet, list each piece of evidence: which indicator it supports, "
        "what it is, its type, where it is kept in your local storage, its date and owner.",
        "4. Read the Guidance sheet for the scale and what counts as evidence. Grey cells are "
        "locked; do not rename or delete sheets.",
        f"5. Return the workbook to DCFD by {cycle.submission_deadline:%d/%m/%Y}. Two DCFAs "
        "then assess it, each in a scoring pack of their own; nothing in this workbook is "
        "for them to fill in.",
    ]
    for i, step in enumerate(steps, start=1):
        c = ws.cell(row=row + i, column=1, value=step)
        ws.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=3)
        c.alignment = WRAP_TOP
        ws.row_dimensions[row + i].height = 30
    note_row = row + len(steps) + 2
    c = ws.cell(row=note_row, column=1,
                value=f"Framework {framework.meta.id} version {framework.meta.version}: "
                      f"{framework.meta.status}")
    c.font = SUBTITLE
    c.alignment = WRAP_TOP
    ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=3)
    ws.row_dimensions[note_row].height = 45
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 42
    ws.column_dimensions["C"].width = 60
    print_setup(ws, info, title=PAGE_TITLE)


def _write_guidance(ws: Worksheet, framework: Framework, cycle: Cycle,
                    info: PrintInfo) -> None:
    _title(ws, "Guidance", f"How to complete the ESPS self-assessment for {cycle.name}.")
    row = 4

    def para(text: str, font: Font | None = None, height: float | None = None) -> None:
        nonlocal row
        c = ws.cell(row=row, column=1, value=text)
        c.alignment = WRAP_TOP
        if font:
            c.font = font
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        if height:
            ws.row_dimensions[row].height = height
        row += 1

    for text in framework.guidance:
        para(text, height=max(15.0, 15.0 * (len(text) // 110 + 1)))
    row += 1
    para(f"The assessment scale ({framework.scale.name})", BOLD)
    for lvl in framework.scale.levels:
        ws.cell(row=row, column=1, value=lvl.score).alignment = TOP
        ws.cell(row=row, column=2, value=lvl.label)
        row += 1
    ws.cell(row=row, column=1, value=NA)
    ws.cell(row=row, column=2, value="Not applicable: only where the indicator allows it; "
                                     "give the reason in the N/A reason column.")
    row += 2
    para("Types of evidence", BOLD)
    for t in framework.evidence_types:
        ws.cell(row=row, column=1, value=t.label).alignment = TOP
        c = ws.cell(row=row, column=2, value=t.description)
        c.alignment = WRAP_TOP
        row += 1
    row += 1
    if framework.contacts:
        para("Contacts", BOLD)
        for contact in framework.contacts:
            ws.cell(row=row, column=1, value=contact.role)
            ws.cell(row=row, column=2, value=contact.name)
            reach = " ".join(x for x in (contact.email, contact.phone) if x)
            ws.cell(row=row, column=3, value=reach)
            row += 1
        row += 1
    para("About this framework", BOLD)
    para(f"{framework.meta.title}, {framework.meta.id} version {framework.meta.version}.")
    para(framework.meta.status, height=45)
    para(f"Source: {framework.meta.source}", height=30)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 40
    print_setup(ws, info, title=PAGE_TITLE)


def _header(ws: Worksheet, table: Table) -> None:
    """The table's heading row, styled and frozen (the caller sets up its printing)."""
    for col, column in enumerate(table.columns, start=1):
        c = ws.cell(row=table.header_row, column=col, value=column.header)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
        c.border = BOX
        ws.column_dimensions[column_letter(col)].width = column.width
    ws.row_dimensions[table.header_row].height = 32
    ws.freeze_panes = ws.cell(row=table.first_data_row, column=2).coordinate


def table_print_setup(ws: Worksheet, table: Table, info: PrintInfo, *,
                      title: str | None = None) -> None:
    """A wide table prints at a readable size (never shrunk below 8 pt) across as many pages
    as it takes, its heading row and first column on every page."""
    print_setup(ws, info, landscape=True, title_rows=f"{table.header_row}:{table.header_row}",
                title_columns="A:A", readable=True, title=title)


def _style_row(ws: Worksheet, table: Table, row: int) -> None:
    for col, column in enumerate(table.columns, start=1):
        c = ws.cell(row=row, column=col)
        c.border = BOX
        c.alignment = WRAP_TOP if column.wrap else TOP
        if column.is_input:
            c.fill = INPUT_FILL
            c.protection = UNLOCKED
            if column.kind == "date":
                c.number_format = DATE_FORMAT
        else:
            c.fill = LOCKED_FILL


def fit_table_row(ws: Worksheet, table: Table, row: int, values: Mapping[str, object]) -> None:
    """Set a row's height to show all its wrapped text, from the text and the columns'
    widths (spreadsheet apps do not size rows themselves when they open an .xlsx)."""
    texts = [values.get(c.key) if c.wrap else None for c in table.columns]
    ws.row_dimensions[row].height = row_height(texts, [c.width for c in table.columns])


def _col_range(table: Table, key: str, first: int, last: int) -> str:
    letter = column_letter(table.columns.index(table.column(key)) + 1)
    return f"{letter}{first}:{letter}{last}"


def _write_indicators(ws: Worksheet, framework: Framework, cycle: Cycle,
                      info: PrintInfo) -> None:
    _title(ws, f"Indicators: {placeholder('unit_name')}",
           "Give each indicator a self-assessment and a narrative in the yellow cells. "
           "Grey cells are locked. The evidence minimum says what the return must show.")
    _header(ws, INDICATORS)
    table_print_setup(ws, INDICATORS, info, title=PAGE_TITLE)
    indicators = framework.cycle_indicators(cycle)
    first = INDICATORS.first_data_row
    for offset, ind in enumerate(indicators):
        row = first + offset
        locked = indicator_locked_cells(framework, ind)
        for col, column in enumerate(INDICATORS.columns, start=1):
            if not column.is_input:
                ws.cell(row=row, column=col, value=locked[column.key])
        _style_row(ws, INDICATORS, row)
        fit_table_row(ws, INDICATORS, row, locked)
    last = first + len(indicators) - 1
    labels = "; ".join(f"{lvl.score} = {lvl.label}" for lvl in framework.scale.levels)
    dv = _list_validation(
        f"={LIST_NAMES['ratings']}", "Self-assessment",
        f"Choose 1, 2, 3, 4 or N/A. {labels}.",
        f"{labels}. N/A only where the indicator allows it, with a reason.",
    )
    ws.add_data_validation(dv)
    dv.add(_col_range(INDICATORS, "rating", first, last))


def _write_evidence(ws: Worksheet, framework: Framework, info: PrintInfo) -> None:
    _title(ws, f"Evidence: {placeholder('unit_name')}",
           "One row per piece of evidence. The evidence stays in your local storage: say where "
           "it is kept (a path or reference), not the document itself.")
    _header(ws, EVIDENCE)
    table_print_setup(ws, EVIDENCE, info, title=PAGE_TITLE)
    first = EVIDENCE.first_data_row
    last = first + EVIDENCE.input_rows - 1
    for row in range(first, last + 1):
        _style_row(ws, EVIDENCE, row)
    ids = _list_validation(
        f"={LIST_NAMES['indicator_ids']}", "Indicator ID",
        "Choose an indicator ID from the list (see the Indicators sheet).",
        "The indicator this evidence supports.",
    )
    types = _list_validation(
        f"={LIST_NAMES['evidence_types']}", "Evidence type",
        "Choose an evidence type from the list (see the Guidance sheet).",
        "What kind of evidence this is.",
    )
    when = _date_validation("Evidence")
    for dv, key in ((ids, "indicator_id"), (types, "type"), (when, "date")):
        ws.add_data_validation(dv)
        dv.add(_col_range(EVIDENCE, key, first, last))
    ws.auto_filter.ref = f"A{EVIDENCE.header_row}:{column_letter(len(EVIDENCE.columns))}{last}"


def _write_meta(
    ws: Worksheet,
    framework: Framework,
    cycle: Cycle,
    indicators: list,
    advisors: list[Advisor],
    hashes: list[tuple[str, str]],
    generated_at: datetime,
    wb: Workbook,
) -> None:
    values = {
        "esps_workbook": META_MARKER,
        "layout_version": LAYOUT_VERSION,
        "framework_id": framework.meta.id,
        "framework_version": framework.meta.version,
        "framework_digest": framework.digest,
        "cycle": cycle.id,
        "unit_code": placeholder("unit_code"),
        "unit_name": placeholder("unit_name"),
        "linked_dcfa": placeholder("linked_dcfa"),
        "generator": f"esps-cli {__version__}",
        "generated_at": generated_at.isoformat(),
        "fingerprint": workbook_fingerprint(hashes),
        "pack_id": placeholder("pack_id"),
    }
    for row, key in enumerate(META_KEYS, start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=values[key])
    header_row = len(META_KEYS) + 2
    ws.cell(row=header_row, column=1, value=META_INDICATOR_HEADER[0])
    ws.cell(row=header_row, column=2, value=META_INDICATOR_HEADER[1])
    for offset, (ind_id, ind_hash) in enumerate(hashes, start=1):
        ws.cell(row=header_row + offset, column=1, value=ind_id)
        ws.cell(row=header_row + offset, column=2, value=ind_hash)
    lists = {
        "indicator_ids": [i.id for i in indicators],
        "evidence_types": [t.label for t in framework.evidence_types],
        "advisors": [a.id for a in advisors] or ["(none)"],
        "ratings": rating_options(framework),
    }
    for key, items in lists.items():
        letter = META_LIST_COLUMNS[key]
        ws[f"{letter}1"] = key
        for row, item in enumerate(items, start=2):
            ws[f"{letter}{row}"] = item
        ref = f"'{SHEET_META}'!${letter}$2:${letter}${len(items) + 1}"
        wb.defined_names[LIST_NAMES[key]] = DefinedName(LIST_NAMES[key], attr_text=ref)


# -- per unit -----------------------------------------------------------------------------


def unit_values(unit: Unit, framework: Framework, advisors: dict[str, Advisor]) -> dict[str, str]:
    group = next((g.name for g in framework.business_groups if g.id == unit.business_group),
                 unit.business_group)
    dcfa = advisors.get(unit.linked_dcfa)
    return {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "business_group": group,
        "linked_dcfa": unit.linked_dcfa,
        "linked_dcfa_name": dcfa.name if dcfa else unit.linked_dcfa,
        "unit_name_hf": unit.name.replace("&", "&&"),
        "pack_id": new_pack_id(),
    }


def new_pack_id() -> str:
    """A new workbook's random pack id (128 bits: never guessed, never repeated)."""
    return secrets.token_hex(16)


def render_workbook(template: bytes, values: dict[str, str]) -> bytes:
    """The template with each placeholder replaced by the unit's (XML-escaped) value.

    One pass over each part: a value that itself looks like a placeholder (a unit named
    "{{esps:linked_dcfa}}") is written as typed, never expanded.
    """
    replacements = {
        k.encode(): escape(clean_text(v)).encode("utf-8") for k, v in values.items()
    }

    def _value(match: re.Match[bytes]) -> bytes:
        return replacements.get(match.group(1), match.group(0))

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for info in src.infolist():
            data = src.read(info)
            if b"{{esps:" in data:
                data = _PLACEHOLDER.sub(_value, data)
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_PLACEHOLDER = re.compile(rb"\{\{esps:([a-z_]+)\}\}")


def workbook_filename(unit: Unit, cycle: Cycle) -> str:
    return safe_filename(unit.code, unit.name, cycle.id)


def unit_filenames(units: list[Unit], cycle: Cycle) -> dict[str, str]:
    """Each unit's workbook file name, distinct for every unit (see distinct_names)."""
    return distinct_names({u.code: workbook_filename(u, cycle) for u in units})


# Worker state for process pools: the template is sent once per process, not per unit.
_TEMPLATE: bytes = b""


def _init_worker(template: bytes) -> None:
    global _TEMPLATE
    _TEMPLATE = template


def _render_to(job: tuple[dict[str, str], str]) -> str:
    values, path = job
    Path(path).write_bytes(render_workbook(_TEMPLATE, values))
    return path


def generate_workbooks(
    framework: Framework,
    units: list[Unit],
    advisors: list[Advisor],
    out_dir: Path,
    cycle: Cycle,
    *,
    force: bool = False,
    jobs: int | None = None,
    on_written: Callable[[Path], None] | None = None,
    before_issue: Callable[[list[WorkbookIssue]], None] | None = None,
    classification: str | None = None,
) -> GenerateResult:
    """Write one workbook per unit into out_dir; refuse to overwrite anything unless force.

    Packs are rendered into a hidden staging folder inside out_dir and moved into place only
    when every one is ready, so an interrupted or failed run leaves out_dir as it was.
    before_issue: called with every workbook's pack id once all are rendered and before any is
    moved into place (to record them in the register: if that fails, nothing is sent out).
    """
    started = datetime.now()
    names = unit_filenames(units, cycle)
    with StagedOutputs(out_dir, [names[u.code] for u in units], force=force,
                       what="workbook") as staged:
        template = build_template(framework, cycle, advisors, classification=classification)
        by_id = {a.id: a for a in advisors}
        work = [(unit_values(u, framework, by_id), str(staged.path(names[u.code])))
                for u in units]
        try:
            _render_all(work, template, jobs or os.cpu_count() or 1, on_written)
        except OSError as exc:
            raise write_error(out_dir, exc) from None
        issued = [WorkbookIssue(pack_id=values["pack_id"], cycle=cycle.id, unit=u.code,
                                framework_id=framework.meta.id,
                                framework_version=framework.meta.version, file=names[u.code])
                  for u, (values, _) in zip(units, work, strict=True)]
        if before_issue is not None:
            before_issue(issued)  # inside the staging: if recording fails, nothing is moved
    result = GenerateResult(written=staged.targets, issued=issued)
    result.seconds = (datetime.now() - started).total_seconds()
    return result


def _render_all(work: list[tuple[dict[str, str], str]], template: bytes, jobs: int,
                on_written: Callable[[Path], None] | None) -> None:
    def progress(done: int, _total: int) -> None:
        while on_written and len(reported) < done:
            on_written(Path(work[len(reported)][1]))
            reported.append(1)

    reported: list[int] = []
    parallel_map(_render_to, work, jobs=jobs, initializer=_init_worker, initargs=(template,),
                 on_progress=progress, min_parallel=16)
