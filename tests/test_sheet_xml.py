"""Reading a sparse sheet straight from its XML (io/sheet_xml.py, issue 28) gives exactly the
rows python-calamine gives, value for value and type for type, or declines and leaves the sheet
to calamine: on returns as generated and as edited with openpyxl (shared strings), on every
kind of cell openpyxl writes, and on XML written the ways other programs write it."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from esps_cli.domain.framework import Framework
from esps_cli.io import sheet_xml, xlsx
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.layout import EVIDENCE
from esps_cli.workbook.samples import fill_file

from .test_hostile import CASES


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    book = xlsx.calamine_book(path)
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def sparse(path: Path, sheet: str) -> list[list[Any]] | None:
    with xlsx.XlsxFile(path, in_memory=True) as xf:
        return xf.sparse_rows(sheet)


def typed(rows: list[list[Any]]) -> list[list[tuple[type, Any]]]:
    return [[(type(v), v) for v in row] for row in rows]


def same_or_declined(path: Path, sheet: str) -> bool:
    """Asserts the sparse read is calamine's rows or None; True when it read the sheet."""
    mine = sparse(path, sheet)
    if mine is not None:
        assert typed(mine) == typed(calamine_rows(path, sheet)), sheet
    return mine is not None


@pytest.fixture
def every_sheet_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet is read from its XML, however small or full (to compare more cells)."""
    monkeypatch.setattr(sheet_xml, "MIN_SPARSE_BYTES", 0)
    monkeypatch.setattr(sheet_xml, "SPARSE_BYTES", 1)


def test_a_blank_return_is_read_sparse_only_where_the_sheet_is_mostly_empty(
        blank_workbook: Path):
    names = xlsx.calamine_book(blank_workbook).sheet_names
    read = {name: same_or_declined(blank_workbook, name) for name in names}
    # The Evidence sheet: 2,800 formatted empty cells under its header. The others are small
    # or full, and calamine reads them faster.
    assert read == {name: name == EVIDENCE.sheet for name in names}


@pytest.mark.usefixtures("every_sheet_tried")
@pytest.mark.parametrize("kind", ["blank", "incomplete", "complete", "dates-as-text"])
def test_every_sheet_of_a_generated_return_reads_as_calamine_reads_it(
        kind: str, blank_workbook: Path, framework: Framework):
    if kind != "blank":
        fill_file(blank_workbook, framework, kind)  # type: ignore[arg-type]
    names = xlsx.calamine_book(blank_workbook).sheet_names
    # Inline strings, numbers, dates in DD/MM/YYYY: nothing here is declined.
    assert all(same_or_declined(blank_workbook, name) for name in names)


def test_an_incomplete_evidence_sheet_saved_with_shared_strings_is_read_sparse(
        blank_workbook: Path, framework: Framework):
    path = as_excel_saves(fill_file(blank_workbook, framework, "incomplete"))
    with zipfile.ZipFile(path) as zf:
        assert b' t="s"' in zf.read("xl/worksheets/sheet4.xml")
    assert same_or_declined(path, EVIDENCE.sheet)


# Cells as openpyxl writes them, each in a sheet of 3,000 formatted empty cells: True where
# the sparse read reads it (and must give calamine's value), False where it must decline.
CELLS: dict[str, tuple[Any, str | None, bool]] = {
    "plain text": ("Minutes of the March meeting", None, True),
    "entities": ('Tom & Jerry <"quoted"> \'apostrophe\'', None, True),
    "unicode": ("Zoë – Ærøskøbing 東京 🙂", None, True),
    "a line break": ("first line\nsecond line", None, True),
    "spaces kept": ("  indented and trailing  ", None, True),
    "whole number": (3, None, True),
    "negative float": (-12.375, None, True),
    "exponent": (1.5e-300, None, True),
    "large": (12345678901234567890, None, True),
    "true": (True, None, True),
    "false": (False, None, True),
    "date dd/mm/yyyy": (dt.date(2010, 4, 13), "DD/MM/YYYY", True),
    "date iso": (dt.date(2010, 4, 13), "yyyy-mm-dd", True),
    "date builtin 14": (dt.date(2010, 4, 13), "mm-dd-yy", True),
    "number 0.00": (2.5, "0.00", True),
    "percent": (0.25, "0%", True),
    "text format": (7, "@", True),
    "date and time": (dt.datetime(2010, 4, 13, 9, 30), "yyyy-mm-dd h:mm", False),
    "time": (dt.time(9, 30), "h:mm", False),
    "duration": (dt.timedelta(hours=30), "[h]:mm:ss", False),
    "date before March 1900": (dt.date(1900, 1, 5), "DD/MM/YYYY", False),
    "currency format": (12.5, '"£"#,##0.00', False),
    "carriage return": ("one\r\ntwo", None, False),
    "formula, no cached value": ("=1+2", None, False),
    "error value": ("#N/A", None, False),
}


def _sheet_with(value: Any, number_format: str | None, path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    fill = openpyxl.styles.PatternFill("solid", fgColor="FFF9DB")
    for row in range(1, 431):
        for col in range(1, 8):
            ws.cell(row, col).fill = fill  # formatted and empty, as a return's Evidence
    ws["A1"] = "Header"
    cell = ws["C7"]
    if value == "#N/A":
        cell.value, cell.data_type = value, "e"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    ws["B9"] = 4.0
    wb.save(path)
    return path


@pytest.mark.parametrize("name", sorted(CELLS))
def test_each_kind_of_cell_is_read_as_calamine_reads_it_or_declined(name: str, tmp_path: Path):
    value, number_format, read = CELLS[name]
    path = _sheet_with(value, number_format, tmp_path / "cells.xlsx")
    assert same_or_declined(path, "Data") is read
    if read:
        assert calamine_rows(path, "Data")[6][2] == sparse(path, "Data")[6][2]  # type: ignore


def test_a_sheet_of_formatted_empty_cells_is_read_as_no_rows(tmp_path: Path):
    path = _sheet_with(None, None, tmp_path / "empty.xlsx")
    path = _rewrite(path, SHEET, lambda xml: re.sub(
        rb'<c r="([A-Z]+[0-9]+)" s="1" t="(?:inlineStr|n)">.*?</c>', rb'<c r="\1" s="1"/>', xml))
    assert calamine_rows(path, "Data") == []
    assert sparse(path, "Data") == []


def test_a_rich_inline_string_is_left_to_calamine(tmp_path: Path):
    path = _sheet_with(CellRichText("plain ", TextBlock(InlineFont(b=True), "bold"), " end"),
                       None, tmp_path / "rich.xlsx")
    assert calamine_rows(path, "Data")[6][2] == "plain bold end"
    assert sparse(path, "Data") is None


_INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is>(.*?)</is></c>',
                     re.S)


def _copy(path: Path, out: Path, change: Callable[[str, bytes], bytes] = lambda _, data: data,
          compression: int = zipfile.ZIP_DEFLATED, add: dict[str, bytes] | None = None) -> None:
    """Write out as path's parts, each changed by change(name, data), then the parts in add."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)


def as_excel_saves(path: Path, strings: Callable[[bytes], bytes] = lambda x: x) -> Path:
    """The workbook with its inline strings moved to a shared strings part, as Excel and
    LibreOffice save every string; strings: a change to that part's XML."""
    table: list[bytes] = []

    def shared(found: re.Match[bytes]) -> bytes:
        table.append(found.group(3))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (found.group(1), found.group(2) or b"",
                                                     len(table) - 1)

    def change(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/sheet"):
            return _INLINE.sub(shared, data)
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                b"</Types>"))
        if name == "xl/_rels/workbook.xml.rels":
            return data.replace(b"</Relationships>", (
                b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/sharedStrings" '
                b'Target="sharedStrings.xml"/></Relationships>'))
        return data

    out = path.with_name(f"shared-{path.name}")
    with zipfile.ZipFile(path) as src:  # the sheets first: they fill the table
        sheets = {n: change(n, src.read(n)) for n in src.namelist()}
    sst = b"".join(b"<si>%s</si>" % item for item in table)
    _copy(path, out, lambda name, _: sheets[name], add={"xl/sharedStrings.xml": strings(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
        b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        b"%s</sst>" % (len(table), len(table), sst))})
    return out


@pytest.mark.parametrize("name", [n for n in sorted(CELLS) if isinstance(CELLS[n][0], str)
                                  and CELLS[n][2]])
def test_shared_strings_are_read_as_calamine_reads_them(name: str, tmp_path: Path):
    path = as_excel_saves(_sheet_with(CELLS[name][0], None, tmp_path / "cells.xlsx"))
    assert b' t="s"' in zipfile.ZipFile(path).read(SHEET)
    assert same_or_declined(path, "Data")
    assert sparse(path, "Data")[6][2] == CELLS[name][0]  # type: ignore[index]


def test_a_rich_shared_string_is_read_as_its_runs_joined(tmp_path: Path):
    path = as_excel_saves(_sheet_with("x", None, tmp_path / "rich.xlsx"), lambda sst: sst.replace(
        b"<si><t>x</t></si>",
        b'<si><r><t xml:space="preserve">plain </t></r><r><rPr><b/><sz val="11"/>'
        b'<rFont val="Calibri"/></rPr><t>bold</t></r><r><t xml:space="preserve"> end</t></r>'
        b"</si>"))
    assert calamine_rows(path, "Data")[6][2] == "plain bold end"
    assert same_or_declined(path, "Data")


def test_a_shared_string_with_a_phonetic_reading_is_left_to_calamine(tmp_path: Path):
    path = as_excel_saves(_sheet_with("x", None, tmp_path / "ph.xlsx"), lambda sst: sst.replace(
        b"<si><t>x</t></si>", b'<si><t>x</t><rPh sb="0" eb="1"><t>X</t></rPh></si>'))
    assert calamine_rows(path, "Data")[6][2] == "x"
    assert sparse(path, "Data") is None


def _rewrite(path: Path, part: str, change: Callable[[bytes], bytes]) -> Path:
    """The workbook with one part's XML changed, as another program might have written it."""
    out = path.with_name(f"changed-{path.name}")
    _copy(path, out, lambda name, data: change(data) if name == part else data)
    return out


SHEET = "xl/worksheets/sheet1.xml"
B9 = b'<c r="B9" s="1" t="n"><v>4</v></c>'


def _b9(new: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(B9, new)


# XML written otherwise than the sparse read reads it: each must be declined (and calamine
# then reads the sheet), never read differently.
WRITTEN_OTHERWISE: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "type before style": (SHEET, _b9(b'<c r="B9" t="n" s="1"><v>4</v></c>')),
    "another attribute": (SHEET, _b9(b'<c r="B9" s="1" t="n" cm="1"><v>4</v></c>')),
    "one cell twice": (SHEET, _b9(B9 + b'<c r="B9"><v>5</v></c>')),
    "cells out of order": (SHEET, _b9(B9 + b'<c r="A9"><v>5</v></c>')),
    "an error value": (SHEET, _b9(b'<c r="B9" t="e"><v>#DIV/0!</v></c>')),
    "an ISO date": (SHEET, _b9(b'<c r="B9" t="d"><v>2010-04-13</v></c>')),
    "a shared formula": (SHEET, _b9(b'<c r="B9"><f t="shared" si="0"/><v>4</v></c>')),
    "a numeric entity": (SHEET, _b9(b'<c r="B9" t="inlineStr"><is><t>a&#10;b</t></is></c>')),
    "an escaped character": (SHEET, _b9(
        b'<c r="B9" t="inlineStr"><is><t>a_x000D_b</t></is></c>')),
    "untrimmed text": (SHEET, _b9(b'<c r="B9" t="inlineStr"><is><t> padded</t></is></c>')),
    "an empty string": (SHEET, _b9(b'<c r="B9" t="inlineStr"><is><t></t></is></c>')),
    "a namespace prefix": (SHEET, _b9(b'<x:c r="B9"><x:v>4</x:v></x:c>')),
    "a prefixed value": (SHEET, _b9(b'<c r="B9"><x:v>4</x:v></c>')),
    "a cell in a comment": (SHEET, _b9(b'<!-- <c r="B9"><v>5</v></c> -->')),
    "a CDATA section": (SHEET, _b9(
        b'<c r="B9" t="inlineStr"><is><t><![CDATA[a]]></t></is></c>')),
    "a processing instruction": (SHEET, _b9(b'<?esps note?>' + B9)),
    "a style calamine has not got": (SHEET, _b9(b'<c r="B9" s="99"><v>4</v></c>')),
    "a number it cannot parse": (SHEET, _b9(b'<c r="B9" t="n"><v>4,5</v></c>')),
    "a number too large for a float": (SHEET, _b9(b'<c r="B9" t="n"><v>1e999</v></c>')),
    "another encoding": (SHEET, lambda x: b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                         + x[x.index(b"<worksheet"):]),
    "dates counted from 1904": ("xl/workbook.xml", lambda x: re.sub(
        rb"<workbookPr\b[^>]*/>", b'<workbookPr date1904="1"/>', x)),
    "a duration format": ("xl/styles.xml", lambda x: x.replace(
        b'formatCode="DD/MM/YYYY"', b'formatCode="[h]:mm"')),
    "a format whose meaning versions differ on": ("xl/styles.xml", lambda x: x.replace(
        b'formatCode="DD/MM/YYYY"', b'formatCode="[$-409]DD/MM/YYYY"')),
}


@pytest.mark.parametrize("name", sorted(WRITTEN_OTHERWISE))
def test_xml_written_otherwise_is_left_to_calamine(name: str, tmp_path: Path):
    base = _sheet_with(dt.date(2010, 4, 13), "DD/MM/YYYY", tmp_path / "base.xlsx")
    assert same_or_declined(base, "Data")  # as openpyxl writes it: read
    part, change = WRITTEN_OTHERWISE[name]
    path = _rewrite(base, part, change)
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(base) as zb:
        assert zf.read(part) != zb.read(part), "the change must apply"
    assert sparse(path, "Data") is None


def test_a_custom_format_over_a_builtin_date_id_is_read_by_its_code(tmp_path: Path):
    """numFmtId 14 is a date in Excel, but a workbook may define 14 itself as "0.00"."""
    base = _sheet_with(40281, "mm-dd-yy", tmp_path / "base.xlsx")
    assert sparse(base, "Data")[6][2] == dt.date(2010, 4, 13)  # type: ignore[index]

    path = _rewrite(base, "xl/styles.xml", lambda styles: styles.replace(
        b'<numFmts count="0" />', b'<numFmts count="1"><numFmt numFmtId="14" formatCode="0.00"/>'
                                  b"</numFmts>"))
    assert calamine_rows(path, "Data")[6][2] == 40281.0
    assert same_or_declined(path, "Data")
    assert sparse(path, "Data")[6][2] == 40281.0  # type: ignore[index]


def test_validating_reads_the_same_with_and_without_the_sparse_read(
        blank_workbook: Path, framework: Framework, monkeypatch: pytest.MonkeyPatch):
    path = as_excel_saves(fill_file(blank_workbook, framework, "incomplete"))
    with_sparse = validate_workbook(path, framework)
    assert sparse(path, EVIDENCE.sheet) is not None
    monkeypatch.setattr(xlsx, "IN_MEMORY_BYTES", 0)  # from disk: calamine reads every sheet
    without = validate_workbook(path, framework)
    assert with_sparse.model_dump(exclude={"path", "file"}) == \
        without.model_dump(exclude={"path", "file"})
    assert [f.code for f in with_sparse.findings] == [f.code for f in without.findings]
    assert with_sparse.findings  # a half-filled return has findings to compare


def test_a_sheet_whose_bytes_do_not_match_their_crc_is_left_to_calamine(tmp_path: Path):
    """A bit changed in a stored part still reads as XML; calamine checks the part's CRC and
    the file is reported corrupt, so the sparse read must not read it either."""
    base = _sheet_with("Minutes", None, tmp_path / "base.xlsx")
    stored = tmp_path / "stored.xlsx"
    _copy(base, stored, compression=zipfile.ZIP_STORED)
    assert sparse(stored, "Data") is not None  # stored and intact: read
    damaged = tmp_path / "damaged.xlsx"
    data = stored.read_bytes()
    assert data.count(b"<t>Minutes</t>") == 1
    damaged.write_bytes(data.replace(b"<t>Minutes</t>", b"<t>Minutez</t>"))
    assert sparse(damaged, "Data") is None
    with pytest.raises(Exception, match=r"Invalid checksum"):
        calamine_rows(damaged, "Data")


@pytest.mark.parametrize(("serial", "read"), [
    (60, False),  # 29 February 1900, a day that never was
    (61, True),  # 1 March 1900
    (2_958_465, True),  # 31 December 9999
    (2_958_466, False),  # after Python's last date
])
def test_dates_are_read_at_the_edges_of_what_python_holds(serial: int, read: bool,
                                                          tmp_path: Path):
    path = _sheet_with(serial, "DD/MM/YYYY", tmp_path / "edge.xlsx")
    assert same_or_declined(path, "Data") is read


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_files_made_from_a_blank_return_validate_as_calamine_reads_them(
        name: str, blank_workbook: Path, framework: Framework, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):
    """The hostile files of test_hostile, made from a blank return (whose Evidence sheet is
    read from its XML): the same report with the sparse read as with calamine alone."""
    path = tmp_path / name
    CASES[name][0](path, blank_workbook)
    with_sparse = validate_workbook(path, framework)
    monkeypatch.setattr(xlsx, "IN_MEMORY_BYTES", 0)  # from disk: calamine reads every sheet
    without = validate_workbook(path, framework)
    assert with_sparse.model_dump() == without.model_dump()
    assert CASES[name][1] in {f.code for f in with_sparse.findings}
