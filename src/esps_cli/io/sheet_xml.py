"""A sparse sheet's values straight from its XML: the rows python-calamine's
to_python(skip_empty_area=False) gives, for a sheet that is mostly empty formatted cells.

Why: a return's Evidence sheet is 2,800 formatted cells, most of them empty until a unit fills
them in. calamine parses every one (0.8 ms a sheet, a fifth of the time a blank return takes
to validate); only a cell with content ends in "</c>", so splitting the XML there reaches the
few cells with content in C, and only those are read here in Python. A sheet with many cells
with content is left to calamine, which reads those faster than Python can.

The rule is to decline rather than guess: a cell of a kind not read here (an error, a rich or
phonetic string, a time, a date in the 1904 system, a number format whose meaning could differ
between calamine's versions, text with whitespace calamine may trim, an escape such as
_x000D_ or &#13;, a tag with a namespace prefix, attributes in another order) raises Declined,
and the sheet goes to calamine, which reads it as before. tests/test_sheet_xml.py holds the
two readers to the same rows on workbooks written by openpyxl, LibreOffice and by hand.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from typing import Any, Protocol

# Smaller sheets, and sheets with a cell with content every SPARSE_BYTES bytes or more often,
# are left to calamine: the Python here takes about 2 us a cell with content, calamine about
# 10 ns a byte of XML whatever the cells hold.
MIN_SPARSE_BYTES = 32 * 1024
# A sheet larger than a return's ever is goes to calamine (which does not copy it first).
MAX_SPARSE_BYTES = 16 * 1024 * 1024
SPARSE_BYTES = 400
_SAMPLES, _SAMPLE_BYTES = 16, 512

# A cell up to its "</c>", its attributes as Excel, LibreOffice and openpyxl write them (r,
# then s, then t; any other attribute declines), holding one plain inline string, or a value
# (after a formula, if any), or nothing.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="(0|[1-9][0-9]{0,4})")?'
    rb'(?: t="([a-zA-Z]{1,9})")?>'
    rb'(?:<is><t( xml:space="preserve")?>([^<]+)</t></is>'
    rb'|(?:<f(?: [^>/]*)?>[^<]*</f>)?<v>([^<]+)</v>)?')
_COLUMNS = {chr(64 + n).encode(): n for n in range(1, 27)}
_AWKWARD = re.compile(rb'[\r&]|_x')
_NAME_ENDS = re.compile(rb'[\s/="]')
# An XML declaration naming an encoding other than UTF-8 (the text is decoded as UTF-8 here).
_OTHER_ENCODING = re.compile(rb'(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=["\'](?![uU][tT][fF]-?8["\'])')
_NUMBER = re.compile(rb'-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?')
_ENTITY = re.compile(r'&(amp|lt|gt|quot|apos);')
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_EDGE_BYTES = b" \t\r\n"

# The first and last serial days read here as dates: 1 March 1900 (before it Excel counts a
# 29 February 1900 that never was) and 31 December 9999 (Python's last date).
_FIRST_DAY, _LAST_DAY = 61, 2_958_465
_EPOCH = date(1899, 12, 30)


class Declined(Exception):
    """The XML holds something this reader does not read as calamine does."""


class Book(Protocol):
    """What a sheet's cells refer to in the rest of the workbook."""

    def style_kind(self, style: int) -> str | None:
        """A cell style's number format: "date", "number", or None (not known here)."""

    def shared_string(self, index: int) -> str | None:
        """The shared string at index, or None where it is not read here."""

    def date1904(self) -> bool:
        """Whether the workbook counts its dates from 1904."""


def looks_sparse(xml: bytes) -> bool:
    """Whether a sheet's XML is large and, by a sample of it, mostly empty cells: a look that
    costs a fiftieth of reading it, so a sheet filled in is handed to calamine at once."""
    if not MIN_SPARSE_BYTES <= len(xml) <= MAX_SPARSE_BYTES:
        return False
    step = max(1, len(xml) // _SAMPLES)
    found = sum(xml.count(b"</c>", at, at + _SAMPLE_BYTES) for at in range(0, len(xml), step))
    return found * SPARSE_BYTES <= _SAMPLES * _SAMPLE_BYTES


def sparse_rows(xml: bytes, book: Book) -> list[list[Any]] | None:
    """The sheet's rows from A1, as calamine's to_python(skip_empty_area=False) gives them;
    None for a sheet that is not sparse (calamine reads it faster). Raises Declined where the
    XML holds anything read otherwise than calamine reads it."""
    if not MIN_SPARSE_BYTES <= len(xml) <= MAX_SPARSE_BYTES:
        return None
    start = xml.find(b"<sheetData>")
    end = xml.find(b"</sheetData>", start)
    if start < 0 or end < 0 or xml.find(b"<worksheet ", 0, start) < 0 \
            or _OTHER_ENCODING.match(xml) or not _plain_markup(xml, start, end):
        return None
    pieces = xml[start:end].split(b"</c>")
    if len(pieces) * SPARSE_BYTES > end - start:
        return None
    return _grid(_cells(pieces, book))


def _plain_markup(xml: bytes, start: int, end: int) -> bool:
    """Whether the sheet data holds elements only: no comment, CDATA section or processing
    instruction (calamine skips a comment; a cell written inside one must not be read here),
    and no element name with a namespace prefix (calamine reads <x:c> as a cell). Each is
    looked for by a character rare in sheet data first (a search for "<!" itself takes 60 us
    of a sheet's 150)."""
    for mark, opening in ((b"!", b"<!"), (b"?", b"<?")):
        if xml.find(mark, start, end) >= 0 and xml.find(opening, start, end) >= 0:
            return False
    colon = xml.find(b":", start, end)
    while colon >= 0:
        tag = xml.rfind(b"<", start, colon)
        if tag > xml.rfind(b">", start, colon):  # inside a tag: in its name, or after it?
            name = xml[tag + 1:colon].removeprefix(b"/")
            if not _NAME_ENDS.search(name):
                return False  # in the element's name: a prefix
        colon = xml.find(b":", colon + 1, end)
    return True


def _cells(pieces: list[bytes], book: Book) -> list[tuple[int, int, Any]]:
    """(row, column, value) of each cell with content: each piece but the last ends with one."""
    cells: list[tuple[int, int, Any]] = []
    columns = _COLUMNS
    for piece in pieces[:-1]:
        found = _CELL.fullmatch(piece, piece.rfind(b"<c "))
        if found is None:
            raise Declined
        letters, row, style, kind, preserve, inline, raw = found.groups()
        if inline is not None:
            if kind != b"inlineStr":
                raise Declined
            value: Any = text(inline, preserve is not None)
        elif raw is not None:
            value = _typed(kind, raw, style, book)
        elif kind == b"inlineStr":
            raise Declined  # <is> holding anything but one plain <t>
        else:
            continue  # <c r="A1"></c>: nothing in it
        column = columns.get(letters) or column_number(letters)
        cells.append((int(row), column, value))
    return cells


def _grid(cells: list[tuple[int, int, Any]]) -> list[list[Any]]:
    if not cells:
        return []
    width = max(col for _, col, _ in cells)
    rows: list[list[Any]] = [[""] * width for _ in range(max(row for row, _, _ in cells))]
    before = (0, 0)
    for row, col, value in cells:
        if (row, col) <= before:
            raise Declined  # out of order, or one cell twice: calamine decides which is kept
        before = (row, col)
        rows[row - 1][col - 1] = value
    return rows


def _typed(kind: bytes | None, raw: bytes, style: bytes | None, book: Book) -> Any:
    """The value of a cell's <v> by its type (t)."""
    if kind is None or kind == b"n":
        return _number(raw, style, book)
    if kind == b"s" and raw.isdigit():
        shared = book.shared_string(int(raw))
        if shared is None:
            raise Declined
        return shared
    if kind == b"str":
        return text(raw, True)
    if kind == b"b" and raw in (b"0", b"1"):
        return raw == b"1"
    raise Declined  # an error value, an ISO date, or a type calamine refuses


def _number(raw: bytes, style: bytes | None, book: Book) -> Any:
    if _NUMBER.fullmatch(raw) is None:
        raise Declined
    number = float(raw)
    if not math.isfinite(number):
        raise Declined  # 1e999: how each version's parser overflows is its own business
    if style is None:
        return number
    kind = book.style_kind(int(style))
    if kind == "number":
        return number
    if kind == "date" and not book.date1904() and number.is_integer() \
            and _FIRST_DAY <= number <= _LAST_DAY:
        return _EPOCH + timedelta(days=int(number))
    raise Declined  # a time, a date and time, a duration, or a format not known here


def text(raw: bytes, preserve: bool) -> str:
    """The text of a <t> or <v> element as calamine gives it; Declined where its versions
    could differ (whitespace it may trim, a line end it may change, an escape it may read)."""
    if _AWKWARD.search(raw) is None:
        decoded = raw.decode("utf-8")
    elif b"\r" in raw or b"&#" in raw or b"_x" in raw:
        raise Declined
    else:
        decoded = unescape(raw.decode("utf-8"))
    if not preserve and (raw[0] in _EDGE_BYTES or raw[-1] in _EDGE_BYTES):
        raise Declined
    return decoded


def unescape(value: str) -> str:
    """The five XML entities as characters; Declined for any other."""
    if "&" not in value:
        return value
    if "&" in _ENTITY.sub("", value):
        raise Declined
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], value)


def column_number(letters: bytes) -> int:
    """A column's number from its letters (b"A" 1, b"CZ" 104)."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# Number formats, by what calamine makes of a number in them.
_BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
_BUILTIN_DURATION = 46
_DATE_START = frozenset("dmyhsDMYHS")
_NOT_NUMBER = frozenset("dDmMhHyYsSaApPeE[]\\_*\";")


def format_kind(code: str) -> str | None:
    """What calamine makes of a number in a custom format: "date" when the code begins with a
    date or time letter (every version reads that as a date), "number" when it holds none of
    the letters or marks that could make it a date or a duration, None otherwise."""
    if code in ("General", "@"):
        return "number"
    if code[:1] in _DATE_START:
        return "date"
    if not _NOT_NUMBER & set(code):
        return "number"
    return None


_XF = re.compile(rb'<xf\b([^>]*)>')
_NUM_FMT = re.compile(rb'<numFmt numFmtId="(0|[1-9][0-9]{0,4})" formatCode="([^"]*)"\s*/>')
_FMT_ID = re.compile(rb'\snumFmtId="([^"]*)"')


def style_kinds(styles_xml: bytes) -> tuple[str | None, ...]:
    """Each cell style's number-format kind ("date", "number" or None), by style index: the
    cell formats (cellXfs) in order, each by its custom format if it has one, else by Excel's
    built-in formats (14-22, 45 and 47 dates; 46 a duration, not read here)."""
    custom = _custom_formats(styles_xml)
    if custom is None:
        return ()
    start = styles_xml.find(b"<cellXfs")
    end = styles_xml.find(b"</cellXfs>", start)
    if start < 0 or end < 0:
        return ()
    kinds: list[str | None] = []
    for attrs in _XF.findall(styles_xml, start, end):
        found = _FMT_ID.search(attrs)
        number = found.group(1) if found else None
        if number is None:
            kinds.append("number")
        elif number in custom:
            kinds.append(custom[number])
        elif not number.isdigit() or (number != b"0" and number.startswith(b"0")):
            kinds.append(None)
        elif int(number) in _BUILTIN_DATES:
            kinds.append("date")
        else:
            kinds.append(None if int(number) == _BUILTIN_DURATION else "number")
    return tuple(kinds)


def _custom_formats(styles_xml: bytes) -> dict[bytes, str | None] | None:
    """The custom number formats' kinds by id, as calamine reads them: only those inside
    <numFmts>...</numFmts>. None where a format is written anywhere else or otherwise."""
    start = styles_xml.find(b"<numFmts")
    end = styles_xml.find(b"</numFmts>", start) if start >= 0 else -1
    formats = _NUM_FMT.findall(styles_xml, start, end) if end >= 0 else []
    if styles_xml.count(b"<numFmt ") != len(formats):
        return None
    custom: dict[bytes, str | None] = {}
    for number, code in formats:
        try:
            custom[number] = format_kind(unescape(code.decode("utf-8")))
        except (Declined, UnicodeDecodeError):
            custom[number] = None
    return custom


_PLAIN_SI = re.compile(rb'<t( xml:space="preserve")?>([^<]+)</t></si>')
_RICH_SI = re.compile(
    rb'(?:<r>(?:<rPr>(?:(?!</rPr>)[^&])*</rPr>)?<t(?: xml:space="preserve")?>[^<]+</t></r>)+'
    rb'</si>', re.S)
_RUN_TEXT = re.compile(rb'<t( xml:space="preserve")?>([^<]+)</t></r>')


class SharedStrings:
    """A workbook's shared strings, each read when first asked for (a sparse sheet uses a
    few of a table of thousands)."""

    def __init__(self, xml: bytes | None):
        # Only "<si>" opens an item; with any other spelling of it no string is read here.
        self._items: list[bytes] = [] if not xml or b"<si " in xml or b"<si/>" in xml \
            else xml.split(b"<si>")[1:]
        self._read: dict[int, str | None] = {}

    def get(self, index: int) -> str | None:
        if index in self._read:
            return self._read[index]
        item = self._items[index] if index < len(self._items) else None
        value = None
        if item is not None:
            try:
                value = _shared_string(item)
            except (Declined, UnicodeDecodeError):
                value = None
        self._read[index] = value
        return value


def _shared_string(item: bytes) -> str | None:
    end = item.find(b"</si>")
    item = item[:end + 5]
    plain = _PLAIN_SI.fullmatch(item)
    if plain is not None:
        return text(plain.group(2), plain.group(1) is not None)
    if _RICH_SI.fullmatch(item):
        return "".join(text(t, p != b"") for p, t in _RUN_TEXT.findall(item))
    return None
