"""Reading a returned workbook: values by region, found through the shared layout.

Values are read with python-calamine (a Rust reader, several times faster than openpyxl for
reading); openpyxl is kept for writing. Regions are found by their header labels and field
labels, never fixed coordinates, so inserted rows do not break reading. Problems with the
file itself or its structure come back as findings, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from esps_cli.findings import (
    LEGACY_ASSESSMENT_SHEET,
    MACRO_ENABLED,
    METADATA_UNHIDDEN,
    MISSING_FIELD,
    MISSING_HEADER,
    MISSING_SHEET,
    NOT_A_RETURN,
    NOT_ESPS_WORKBOOK,
    TOO_MANY_ROWS,
    UNREADABLE_CELL,
    UNREADABLE_FILE,
    Finding,
    finding,
)
from esps_cli.io.xlsx import XlsxFile, XlsxReadError, open_book, sheet_rows
from esps_cli.workbook.layout import (
    COVER_FIELDS,
    COVER_FIRST_ROW,
    EVIDENCE,
    HEADER_SEARCH_ROWS,
    INDICATORS,
    LEGACY_ASSESSMENT,
    META_INDICATOR_HEADER,
    META_KEYS,
    META_MARKER,
    SHEET_COVER,
    SHEET_GUIDANCE,
    SHEET_META,
    Field,
    Table,
    cell_ref,
    column_letter,
)

# Filled rows a table may hold before the sheet is reported as one finding (not row by row).
MAX_TABLE_ROWS = {INDICATORS.sheet: 1_000, EVIDENCE.sheet: 5_000}


@dataclass(slots=True)
class Row:
    """One data row of a table: its sheet row number and its values by column key."""

    row: int
    values: dict[str, Any]


@dataclass
class TableData:
    """A table as found in a sheet: the header row, the columns found, the data rows."""

    table: Table
    header_row: int
    columns: dict[str, int]  # column key -> 1-based column number
    rows: list[Row] = field(default_factory=list)

    # Column key -> its letters, as ref first needs them (a check names a cell per row).
    _letters: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                     compare=False)

    def ref(self, key: str, row: int) -> str:
        letters = self._letters.get(key)
        if letters is None:
            col = self.columns.get(key)
            if not col:
                return f"row {row}"
            letters = self._letters[key] = column_letter(col)
        return f"{letters}{row}"

    def header_ref(self, key: str) -> str:
        col = self.columns.get(key)
        return cell_ref(self.header_row, col) if col else f"row {self.header_row}"


@dataclass(slots=True)
class FieldValue:
    value: Any
    ref: str


@dataclass
class ReturnedWorkbook:
    """Everything the validator and the score importer read from one workbook."""

    path: Path
    sheet_names: list[str] = field(default_factory=list)
    sheet_visibility: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    meta_refs: dict[str, str] = field(default_factory=dict)  # meta key -> A1 of its value
    meta_indicator_hashes: list[tuple[str, str]] = field(default_factory=list)
    cover: dict[str, FieldValue] = field(default_factory=dict)
    indicators: TableData | None = None
    evidence: TableData | None = None
    legacy_scores: int | None = None  # scores typed on a layout 1 DCFA Assessment sheet
    findings: list[Finding] = field(default_factory=list)
    unreadable_sheets: list[str] = field(default_factory=list)  # present, but not readable
    sha256: str = ""  # of the bytes read ("" when the file cannot be read at all)

    @property
    def readable(self) -> bool:
        return not any(f.code == UNREADABLE_FILE.code for f in self.findings)

    @property
    def name(self) -> str:
        return self.display_name or self.path.name

    display_name: str = ""  # how findings name the file (default: the file name)


def _norm(value: Any) -> str:
    return _norm_text(str(value)) if value is not None else ""


@lru_cache(maxsize=4096)
def _norm_text(text: str) -> str:
    """Text with its whitespace runs as single spaces, casefolded (remembered: a folder's
    returns repeat the same labels and values)."""
    return " ".join(text.split()).casefold()


class _Labels:
    """Look up cell text among known labels, ignoring case and extra whitespace.

    Exact text is tried first, and text much longer than any label (an indicator's wording, a
    narrative) is not normalised at all: most cells a search passes are one or the other.
    """

    def __init__(self, labels: dict[str, Any]):
        self.exact = dict(labels)
        self.norm = {_norm(k): v for k, v in labels.items()}
        self.max_len = 2 * max((len(k) for k in labels), default=0) + 16

    def get(self, value: Any) -> Any:
        if not isinstance(value, str) or len(value) > self.max_len:
            return None
        hit = self.exact.get(value)
        return hit if hit is not None else self.norm.get(_norm_text(value))


def _field_home(fields: tuple[Field, ...], first_row: int, field: Field) -> str:
    """Where the writer put a field's label: the cell to look at when it has gone missing."""
    return cell_ref(first_row + fields.index(field), 1)


def _find_fields(
    rows: list[list[Any]], fields: tuple[Field, ...]
) -> tuple[dict[str, FieldValue], list[Field]]:
    """Labelled values: a label in any of the first columns, its value in the next cell."""
    wanted = _Labels({f.label: f for f in fields})
    found: dict[str, FieldValue] = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row[:4], start=1):
            if isinstance(value, str):
                f = wanted.get(value)
                if f and f.key not in found:
                    v = row[c] if c < len(row) else ""
                    found[f.key] = FieldValue(v, cell_ref(r, c + 1))
        if len(found) == len(fields):
            break
    missing = [f for f in fields if f.key not in found]
    return found, missing


def read_identity(book: Any, path: Path, sheet: str, keys: Any) -> dict[str, str]:
    """The key/value rows of a sealed workbook's hidden identity sheet (keys not listed are
    ignored; a blank value is an empty text)."""
    identity: dict[str, str] = {}
    for row in sheet_rows(book, path, sheet):
        if len(row) > 1 and isinstance(row[0], str) and row[0] in keys:
            identity[row[0]] = "" if row[1] is None else str(row[1]).strip()
    return identity


def unreadable_problem(exc: XlsxReadError) -> str:
    """What to tell the person importing a filled workbook whose cell cannot be read."""
    where = f"{exc.sheet}!{', '.join(exc.cells)} " if exc.cells else ""
    return f"{where}{exc.reason}; put the cell back as it was and import again"


def find_table(
    rows: list[list[Any]], table: Table
) -> tuple[TableData | None, list[str]]:
    """Locate a table by its header labels; return it and the headers not found."""
    wanted = _Labels({c.header: c.key for c in table.columns})
    best_row = 0
    best_cols: dict[str, int] = {}
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        cols: dict[str, int] = {}
        for c, value in enumerate(row, start=1):
            key = wanted.get(value)
            if key and key not in cols:
                cols[key] = c
        if len(cols) > len(best_cols):
            best_row, best_cols = r, cols
            if len(cols) == len(table.columns):
                break
    missing = [c.header for c in table.columns if c.key not in best_cols]
    first_key = table.columns[0].key
    if not best_cols or first_key not in best_cols:
        return None, missing
    data = TableData(table=table, header_row=best_row, columns=best_cols)
    keys = list(best_cols)
    indexes = [best_cols[k] - 1 for k in keys]
    width = max(indexes) + 1
    pick = itemgetter(*indexes)
    single = len(indexes) == 1
    if table.input_rows:
        # A row of a table filled in freely (evidence, challenges) counts if any input cell
        # holds something.
        check = [best_cols[k] - 1 for k in best_cols if table.column(k).is_input] or indexes
    else:
        check = [best_cols[first_key] - 1]
    append = data.rows.append
    for r in range(best_row, len(rows)):  # rows[r] is sheet row r + 1
        row = rows[r]
        if row.count("") == len(row):  # an empty row (most of a blank table), at C speed
            continue
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        for i in check:
            v = row[i]
            if v != "" and v is not None and not (v.__class__ is str and v.isspace()):
                break
        else:
            continue
        append(Row(r + 1, {keys[0]: pick(row)} if single
                   else dict(zip(keys, pick(row), strict=True))))
    return data, missing


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_meta(
    rows: list[list[Any]], refs: dict[str, str] | None = None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    meta: dict[str, str] = {}
    hashes: list[tuple[str, str]] = []
    in_hashes = False
    for r, row in enumerate(rows, start=1):
        a = row[0] if row else ""
        b = row[1] if len(row) > 1 else ""
        if in_hashes:
            if _blank(a):
                break
            hashes.append((str(a).strip(), str(b).strip()))
        elif a == META_INDICATOR_HEADER[0]:
            in_hashes = True
        elif isinstance(a, str) and a in META_KEYS:
            meta[a] = "" if b is None else str(b)
            if refs is not None:
                refs[a] = f"B{r}"
    return meta, hashes


# The sheets read (others are listed by name only).
_READ = (SHEET_META, SHEET_COVER, INDICATORS.sheet, EVIDENCE.sheet, LEGACY_ASSESSMENT.sheet)


def read_workbook(path: Path, *, name: str | None = None) -> ReturnedWorkbook:
    """Read a returned workbook. Never raises for a bad file: problems become findings.

    name: how findings name the file (default: the file's name).
    """
    wb = ReturnedWorkbook(path=path, display_name=name or "")
    sheets = _open(wb)
    if sheets is None:
        return wb
    if not any(n in _READ for n in wb.sheet_names):
        # Another spreadsheet in the returns folder (a budget, a rota): one finding saying
        # so, not one per sheet a return would have.
        wb.findings.append(_not_a_return(wb))
        return wb
    _read_metadata(wb, sheets)
    fname = wb.name
    for sheet_name in (SHEET_COVER, INDICATORS.sheet, EVIDENCE.sheet):
        if sheet_name not in sheets and sheet_name not in wb.unreadable_sheets:
            # The sheets a renamed one may be among: not those read, nor the pack's own
            # Guidance (never read, but expected: naming it would mislead).
            similar = [n for n in wb.sheet_names if n not in sheets
                       and n not in wb.unreadable_sheets and n != SHEET_GUIDANCE]
            extra = (
                f" (sheets found that are not expected: {', '.join(similar)})" if similar else ""
            )
            wb.findings.append(finding(
                MISSING_SHEET, fname, f"sheet {sheet_name!r} is missing{extra}",
                sheet=sheet_name,
                hint=f"Rename the sheet back to {sheet_name!r}, or start from the original "
                     "workbook DCFD sent.",
            ))
    if SHEET_COVER in sheets:
        wb.cover, missing = _find_fields(sheets[SHEET_COVER], COVER_FIELDS)
        for f in missing:
            wb.findings.append(finding(
                MISSING_FIELD, fname, f"the Cover field labelled {f.label!r} is missing",
                sheet=SHEET_COVER, cell=_field_home(COVER_FIELDS, COVER_FIRST_ROW, f),
                hint=f"Restore the label {f.label!r} in column A with its value beside it.",
            ))
    for table, attr in ((INDICATORS, "indicators"), (EVIDENCE, "evidence")):
        if table.sheet in sheets:
            setattr(wb, attr, _read_table(wb, sheets[table.sheet], table))
    if LEGACY_ASSESSMENT.sheet in sheets:
        _legacy_assessment(wb, sheets[LEGACY_ASSESSMENT.sheet])
    return wb


def _legacy_assessment(wb: ReturnedWorkbook, rows: list[list[Any]]) -> None:
    """A layout 1 return's DCFA Assessment sheet: count the scores typed on it, import none."""
    data, _missing = find_table(rows, LEGACY_ASSESSMENT)
    keys = ("linked_score", "unlinked_score")
    typed = sum(1 for row in (data.rows if data else []) for k in keys
                if not _blank(row.values.get(k)))
    wb.legacy_scores = typed
    held = (f"it holds {typed} score(s), which are not imported" if typed
            else "it holds no scores")
    wb.findings.append(finding(
        LEGACY_ASSESSMENT_SHEET, wb.name,
        f"the workbook has a {LEGACY_ASSESSMENT.sheet!r} sheet from an older pack; {held}: "
        "each DCFA scores the return in a scoring pack of their own (esps score packs), so "
        "neither sees the other's scores and the unit cannot type them",
        sheet=LEGACY_ASSESSMENT.sheet,
    ))


def _open(wb: ReturnedWorkbook) -> dict[str, list[list[Any]]] | None:
    """The rows of the sheets read, by sheet name; None (and an unreadable-file finding) when
    the file cannot be read. A sheet that cannot be read because of cells the reader cannot
    convert is left out, with an unreadable-cell finding naming them, and the other sheets
    are still read. The file's bytes are read once: hashed, sniffed and scanned from memory."""
    with XlsxFile(wb.path, in_memory=True) as xf:
        wb.sha256 = xf.sha256()
        return _sheets(wb, xf)


def _sheets(wb: ReturnedWorkbook, xf: XlsxFile) -> dict[str, list[list[Any]]] | None:
    fname, path = wb.name, wb.path
    problem = xf.problem()
    if problem:
        wb.findings.append(finding(UNREADABLE_FILE, fname, f"cannot read {fname}: {problem}"))
        return None
    if xf.has_macros():
        wb.findings.append(finding(
            MACRO_ENABLED, fname,
            f"{fname} contains macros (a VBA project); they were not run, only the values read",
        ))
    try:
        book = open_book(path)
    except XlsxReadError as exc:
        wb.findings.append(finding(UNREADABLE_FILE, fname, f"cannot read {fname}: {exc.reason}"))
        return None
    wb.sheet_names = list(book.sheet_names)
    wb.sheet_visibility = {m.name: str(m.visible).split(".")[-1].lower()
                           for m in book.sheets_metadata}
    sheets: dict[str, list[list[Any]]] = {}
    for name in wb.sheet_names:
        if name in _READ:
            try:
                sheets[name] = sheet_rows(book, path, name, file=xf)
            except XlsxReadError as exc:
                if not exc.cells:  # the sheet itself is broken: so is the file
                    wb.findings.append(finding(UNREADABLE_FILE, fname,
                                               f"cannot read {fname}: {exc.reason}"))
                    return None
                wb.unreadable_sheets.append(name)
                wb.findings.append(_unreadable_cells(fname, name, exc))
    return sheets


def _not_a_return(wb: ReturnedWorkbook, shown: int = 10) -> Finding:
    names = ", ".join(repr(n) for n in wb.sheet_names[:shown])
    more = f" and {len(wb.sheet_names) - shown} more" if len(wb.sheet_names) > shown else ""
    return finding(
        NOT_A_RETURN, wb.name,
        f"{wb.name} is not an ESPS workbook: none of its sheets is one a return has (it has "
        f"{names}{more}; a return has {SHEET_COVER!r}, {INDICATORS.sheet!r} and "
        f"{EVIDENCE.sheet!r})",
    )


def _unreadable_cells(fname: str, sheet: str, exc: XlsxReadError) -> Finding:
    """The finding for a sheet the reader could not read because of the cells named."""
    where = ", ".join(f"{sheet}!{c}" for c in exc.cells)
    return finding(
        UNREADABLE_CELL, fname,
        f"{where} {exc.reason}; the rest of the {sheet} sheet was not checked",
        sheet=sheet, cell=exc.cells[0],
        hint=exc.fix or f"Clear {where} or type a real date in it (dd/mm/yyyy), save the "
                        "workbook and validate it again.",
    )


def _read_metadata(wb: ReturnedWorkbook, sheets: dict[str, list[list[Any]]]) -> None:
    fname = wb.name
    if SHEET_META in wb.unreadable_sheets:
        return  # already a finding: what the sheet says cannot be known
    if SHEET_META not in sheets:
        wb.findings.append(finding(
            NOT_ESPS_WORKBOOK, fname,
            f"{fname} has no {SHEET_META} sheet, so it is not a workbook made by esps generate "
            "(or the hidden sheet was deleted)",
            sheet=SHEET_META,
        ))
        return
    wb.meta, wb.meta_indicator_hashes = _read_meta(sheets[SHEET_META], wb.meta_refs)
    if wb.meta.get("esps_workbook") != META_MARKER:
        wb.findings.append(finding(
            NOT_ESPS_WORKBOOK, fname,
            f"the {SHEET_META} sheet does not identify an ESPS workbook (B1 is "
            f"{wb.meta.get('esps_workbook', '')!r}, expected {META_MARKER!r})",
            sheet=SHEET_META, cell="B1",
        ))
    if wb.sheet_visibility.get(SHEET_META) == "visible":
        wb.findings.append(finding(
            METADATA_UNHIDDEN, fname, f"the hidden {SHEET_META} sheet has been unhidden",
            sheet=SHEET_META,
        ))


def _read_table(wb: ReturnedWorkbook, rows: list[list[Any]], table: Table) -> TableData | None:
    """A table found in its sheet's rows, with a finding for each heading missing; None if it
    cannot be found or holds far more rows than a return can."""
    fname = wb.name
    data, missing = find_table(rows, table)
    limit = MAX_TABLE_ROWS[table.sheet]
    if data is not None and len(data.rows) > limit:
        # Rows pasted by the thousand: one finding, not one per row; the table is not read.
        wb.findings.append(finding(
            TOO_MANY_ROWS, fname,
            f"the {table.sheet} sheet has {len(data.rows):,} filled rows below its header; "
            f"a return holds at most {limit:,}, so the sheet was not checked",
            sheet=table.sheet, cell=data.ref(table.columns[0].key, data.rows[limit].row),
        ))
        data = None
    where = data.header_row if data else None
    for header in missing:
        # Point at where the writer put the heading: its column in the header row.
        column = table.headers.index(header) + 1
        wb.findings.append(finding(
            MISSING_HEADER, fname,
            f"column heading {header!r} is missing"
            + (f" from the header row ({where})" if where else ""),
            sheet=table.sheet,
            cell=cell_ref(where or table.header_row, column),
            hint=f"Restore the heading {header!r} exactly as it was in the original workbook.",
        ))
    return data
