"""Opening .xlsx files safely, with no ESPS knowledge: what a file is, and calamine access."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import python_calamine as calamine
from zlib_ng import zlib_ng

from esps_cli.errors import ConfigError, must_propagate
from esps_cli.io.safety import utf8_safe
from esps_cli.io.sheet_xml import (
    Declined,
    SharedStrings,
    column_number,
    looks_sparse,
    sparse_rows,
    style_kinds,
)

# Bounds that stop hostile files from exhausting memory before parsing starts.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
# A file up to this size is read into memory once (a return is tens of KB); a larger one is
# read from disk at each step that needs it.
IN_MEMORY_BYTES = 64 * 1024 * 1024
# What zlib-ng raises for a part that does not inflate (its stub calls it an instance).
_INFLATE_ERROR = cast("type[Exception]", zlib_ng.error)


class XlsxFile:
    """One workbook file, its bytes read once: hashed, sniffed and scanned for far cells from
    memory, its zip directory and sheet parts read once however many sheets are scanned
    (reading a folder of returns). calamine still opens the file by its path (it
    picks its reader by the file's extension, and its errors name what is wrong); a mostly
    empty sheet is read from its XML here (sparse_rows), every other sheet by calamine.

    in_memory=False reads only what each step needs, from disk (a one-off sniff of a file).
    Use it as a context manager (or call close): it may hold the file open.
    """

    def __init__(self, path: Path, *, in_memory: bool = False):
        self.path = path
        self.data: bytes | None = None
        self._error: OSError | None = None
        self._zip: zipfile.ZipFile | None = None
        self._names: frozenset[str] | None = None
        self._parts: dict[str, str] | None = None
        self._last_sheet: tuple[str, bytes, int] | None = None  # name, XML, its zip CRC
        self._plain: bool | None = None
        self._kinds: tuple[str | None, ...] | None = None
        self._strings: SharedStrings | None = None
        self._1904: bool | None = None
        if in_memory:
            try:
                if path.stat().st_size <= IN_MEMORY_BYTES:
                    self.data = path.read_bytes()
            except OSError as exc:
                self._error = exc

    def __enter__(self) -> XlsxFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def _size(self) -> int:
        if self._error is not None:
            raise self._error
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def _head(self, n: int) -> bytes:
        if self._error is not None:
            raise self._error
        if self.data is not None:
            return self.data[:n]
        with self.path.open("rb") as fh:
            return fh.read(n)

    def archive(self) -> zipfile.ZipFile:
        """The file as a zip archive (opened once); raises what zipfile raises."""
        if self._zip is None:
            if self._error is not None:
                raise self._error
            self._zip = zipfile.ZipFile(io.BytesIO(self.data) if self.data is not None
                                        else self.path)
        return self._zip

    def sha256(self) -> str:
        """The sha256 of the file's bytes ("" if it cannot be read)."""
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        if self._error is not None:
            return ""
        try:
            with self.path.open("rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError:
            return ""

    def problem(self) -> str | None:
        """Why the file cannot be an .xlsx workbook, checked before any parsing; None if it
        may be."""
        try:
            size = self._size()
            if size == 0:
                return "the file is empty (0 bytes)"
            head = self._head(8)
            if head == OLE2_MAGIC:
                # Password-protected .xlsx files are OLE2 containers with an EncryptedPackage.
                if ENCRYPTED_MARKER in self._head(min(size, 64 * 1024)):
                    return (
                        "the workbook is encrypted (password-protected); remove the password "
                        "(File > Info > Protect Workbook) and save it again"
                    )
                return (
                    "this is a legacy Excel 97-2003 file (.xls); open it in Excel and save it "
                    "as an Excel Workbook (.xlsx)"
                )
        except OSError as exc:
            return f"cannot open the file: {exc.strerror or exc}"
        if not head.startswith(b"PK"):
            try:
                sample = self._head(4096)
            except OSError:
                sample = b""
            return _not_a_zip(head, sample)
        try:
            infos = self.archive().infolist()
        except zipfile.BadZipFile:
            return "the file is corrupt or truncated (not a complete zip archive)"
        except (OSError, ValueError) as exc:
            return f"the file is corrupt: {exc}"
        return _archive_problem(infos)

    def has_macros(self) -> bool:
        try:
            return any(n.lower().endswith("vbaproject.bin") for n in self.archive().namelist())
        except (OSError, zipfile.BadZipFile):
            return False

    def far_cell(self, sheet: str) -> str | None:
        """The first cell (or row) of a sheet that lies far outside any table, or None."""
        data = self._sheet_xml(sheet)
        return _far_in(data) if data is not None else None

    def sparse_rows(self, sheet: str) -> list[list[Any]] | None:
        """A mostly empty sheet's rows, read from its XML as calamine would read them (see
        sheet_xml); None where calamine is to read it. Only for a file held in memory, whose
        workbook part is where _sheet_parts looks for it, and a sheet whose bytes match their
        CRC (calamine checks it, and says the file is corrupt where they do not)."""
        if self.data is None:
            return None
        data = self._sheet_xml(sheet)
        if data is None or not looks_sparse(data) or not self._plain_package():
            return None
        assert self._last_sheet is not None
        if zlib_ng.crc32(data) != self._last_sheet[2]:
            return None
        try:
            return sparse_rows(data, self)
        except (Declined, UnicodeDecodeError, ValueError):
            return None

    def _sheet_xml(self, sheet: str) -> bytes | None:
        """A sheet's XML, inflated once (the far-cell scan and the sparse read share it);
        None where it cannot be found or read (calamine then says what is wrong)."""
        if self._last_sheet is not None and self._last_sheet[0] == sheet:
            return self._last_sheet[1]
        try:
            zf = self.archive()
            if self._parts is None:
                self._parts = self._sheet_parts(zf)
                self._names = frozenset(zf.namelist())
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, zlib.error,
                _INFLATE_ERROR):
            return None
        part = self._parts.get(sheet)
        read = self._part(part) if part is not None else None
        if read is None:
            return None
        self._last_sheet = (sheet, *read)
        return read[0]

    def _part(self, name: str) -> tuple[bytes, int] | None:
        """A part's bytes (inflated from the bytes in memory where it can be) and the CRC the
        archive gives for them; None if it is absent or cannot be read."""
        try:
            zf = self.archive()
            if name not in (self._names or frozenset(zf.namelist())):
                return None
            info = zf.getinfo(name)
            data = self._inflated(info) if self.data is not None else None
            return (data if data is not None else zf.read(name)), info.CRC
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, zlib.error,
                _INFLATE_ERROR):
            return None

    def _part_bytes(self, name: str) -> bytes | None:
        read = self._part(name)
        return read[0] if read is not None else None

    def _plain_package(self) -> bool:
        """Whether the package's main part is xl/workbook.xml, where calamine will look for
        the styles and shared strings this reads (xl/styles.xml, xl/sharedStrings.xml)."""
        if self._plain is None:
            rels = self._part_bytes("_rels/.rels") or b""
            self._plain = _MAIN_PART.search(rels) is not None \
                and len(_ANY_MAIN_PART.findall(rels)) == 1
        return self._plain

    # What a sparse sheet's cells refer to (sheet_xml.Book).
    def style_kind(self, style: int) -> str | None:
        if self._kinds is None:
            styles = self._part_bytes("xl/styles.xml")
            self._kinds = _style_kinds(styles) if styles is not None else ()
        return self._kinds[style] if style < len(self._kinds) else None

    def shared_string(self, index: int) -> str | None:
        if self._strings is None:
            self._strings = SharedStrings(self._part_bytes("xl/sharedStrings.xml"))
        return self._strings.get(index)

    def date1904(self) -> bool:
        if self._1904 is None:
            self._1904 = _DATE1904.search(self._part_bytes("xl/workbook.xml") or b"") is not None
        return self._1904

    def _sheet_parts(self, zf: zipfile.ZipFile) -> dict[str, str]:
        """_sheet_parts(zf), remembered across the files of a folder by what their workbook
        and relationships parts hold (as packed): returns made from one template share them,
        and each is then read, inflated and searched once, not once a file."""
        digest = self._digest(zf)
        if digest is None:
            return _sheet_parts(zf)
        parts = _PARTS.get(digest)
        if parts is None:
            parts = _sheet_parts(zf)
            if len(_PARTS) >= 64:  # a folder of many templates: start again
                _PARTS.clear()
            _PARTS[digest] = parts
        return dict(parts)

    def _digest(self, zf: zipfile.ZipFile) -> bytes | None:
        """The sha256 of the workbook and relationships parts as packed in the file (with
        how each is packed), or None where they cannot be taken from the bytes in memory."""
        if self.data is None:
            return None
        digest = hashlib.sha256()
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            try:
                info = zf.getinfo(name)
            except KeyError:
                return None
            packed = self._packed(info)
            if packed is None:
                return None
            digest.update(b"%d %d %d;" % (info.compress_type, info.file_size, len(packed)))
            digest.update(packed)
        return digest.digest()

    def _packed(self, info: zipfile.ZipInfo) -> bytes | None:
        """A part's bytes as packed in the file's bytes in memory; None for a part packed in
        a way this does not read (encrypted, or neither deflated nor stored)."""
        assert self.data is not None
        at = info.header_offset
        head = self.data[at:at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04" or info.flag_bits & 0x1 \
                or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            return None
        start = at + 30 + int.from_bytes(head[26:28], "little") \
            + int.from_bytes(head[28:30], "little")
        return self.data[start:start + info.compress_size]

    def _inflated(self, info: zipfile.ZipInfo) -> bytes | None:
        """A part's bytes inflated straight from the file's bytes in memory (what zipfile
        would give, at most its declared size, without its reader's layers and its CRC: the
        scan only looks, and calamine checks the part as it reads it); None for a part stored
        in a way this does not read (zipfile then reads it)."""
        packed = self._packed(info)
        if packed is None:
            return None
        if info.compress_type == zipfile.ZIP_STORED:
            return packed[:info.file_size]
        # zlib-ng inflates in half the time of the system's zlib (the scan runs on every
        # sheet read: inflating was a twentieth of a folder's time)
        return zlib_ng.decompressobj(-zlib_ng.MAX_WBITS).decompress(packed, info.file_size)


# Sheet name -> part, by the digest of a workbook's packed workbook and relationships parts.
_PARTS: dict[bytes, dict[str, str]] = {}
# The styles' number-format kinds, by the styles part's bytes (returns from one template
# share them).
_KINDS: dict[bytes, tuple[str | None, ...]] = {}
_MAIN_PART = re.compile(
    rb'<Relationship\b[^>]*(?:Type="[^"]*/officeDocument"[^>]*Target="/?xl/workbook\.xml"'
    rb'|Target="/?xl/workbook\.xml"[^>]*Type="[^"]*/officeDocument")')
_ANY_MAIN_PART = re.compile(rb'/officeDocument"')
_DATE1904 = re.compile(rb'\bdate1904="(?!0"|false")')


def _style_kinds(styles: bytes) -> tuple[str | None, ...]:
    kinds = _KINDS.get(styles)
    if kinds is None:
        if len(_KINDS) >= 64:
            _KINDS.clear()
        kinds = _KINDS[styles] = style_kinds(styles)
    return kinds


def sniff_problem(path: Path) -> str | None:
    """Why a file cannot be an .xlsx workbook, checked before any parsing; None if it may be."""
    with XlsxFile(path) as xf:
        return xf.problem()


def _archive_problem(infos: list[zipfile.ZipInfo]) -> str | None:
    """What makes a zip archive (by its directory) not an .xlsx workbook we may read."""
    names = {i.filename for i in infos}
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            return ("this is an Excel binary workbook (.xlsb); open it in Excel and save it as "
                    "an Excel Workbook (.xlsx)")
        if "content.xml" in names and "mimetype" in names:
            return ("this is an OpenDocument spreadsheet (.ods); in LibreOffice use File > Save "
                    "As and choose Excel 2007-365 (.xlsx)")
        if "word/document.xml" in names:
            return "this is a Word document, not an Excel workbook"
        return "the zip archive is not an Excel workbook (no xl/workbook.xml)"
    ratio = total / packed
    if total > MAX_UNCOMPRESSED_BYTES or (total > 10_000_000 and ratio > MAX_COMPRESSION_RATIO):
        return (
            f"the file would expand to {total / 1e6:,.0f} MB; refusing to read it "
            "(possible zip bomb)"
        )
    return None


def _not_a_zip(head: bytes, sample: bytes) -> str:
    """What a file that is not a zip archive (so not an .xlsx) seems to be, by its first bytes
    (head: 8, sample: up to 4096)."""
    if head.startswith(b"%PDF"):
        kind = "a PDF document"
    elif head.lstrip().lower().startswith((b"<html", b"<!doc", b"<?xml")):
        kind = "an HTML or XML document (perhaps a web page or an XML spreadsheet)"
    else:
        try:
            text = sample.decode("utf-8")
            printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
            is_text = bool(text) and printable / len(text) > 0.95
        except UnicodeDecodeError:
            is_text = False
        kind = ("plain text (an e-mail, a note or a CSV saved with a workbook's name)"
                if is_text else "not in any spreadsheet format esps-cli knows")
    return f"the file is {kind}, not an .xlsx workbook (it does not start as a zip archive)"


def has_macros(path: Path) -> bool:
    with XlsxFile(path) as xf:
        return xf.has_macros()


def workbook_sheet_names(path: Path) -> list[str]:
    """The sheet names an .xlsx declares (hidden ones too), read from its workbook part
    without loading any sheet; [] for a file that is not a readable .xlsx."""
    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read("xl/workbook.xml")[:1_000_000].decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return []
    return [_unescape(n) for n in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"',
                                                 text)]


def calamine_book(path: Path) -> calamine.CalamineWorkbook:
    """calamine's workbook for path, whatever the encoding of its name.

    calamine takes UTF-8 paths only; a name in another encoding (from an old file server,
    say) is read through Python's own file handling instead.
    """
    name = str(path)
    if utf8_safe(name):
        return calamine.CalamineWorkbook.from_path(name)
    with path.open("rb") as fh:
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))


class XlsxReadError(ConfigError):
    """A workbook, or one sheet of it, that cannot be read; names the file, the sheet and the
    cells to look at where they could be found."""

    def __init__(self, path: Path, reason: str, *, sheet: str = "",
                 cells: tuple[str, ...] = (), fix: str = ""):
        self.path = path
        self.reason = reason
        self.sheet = sheet
        self.cells = cells
        self.fix = fix  # how to mend the cells, where the reason alone does not say
        if cells:  # the reason says what the cells hold
            where = f"sheet {sheet!r} cell{'s' if len(cells) > 1 else ''} {', '.join(cells)}"
            super().__init__(f"{path}: {where} {reason}")
        else:
            super().__init__(f"{path}: cannot read {f'sheet {sheet!r}' if sheet else 'it'}: "
                             f"{reason}")


def open_calamine(path: Path) -> calamine.CalamineWorkbook:
    """Open a workbook with calamine, turning every failure into an XlsxReadError."""
    problem = sniff_problem(path)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    return open_book(path)


def open_book(path: Path) -> calamine.CalamineWorkbook:
    """Open a workbook with calamine (not sniffed first); every failure, a panic in the native
    reader included, is an XlsxReadError."""
    try:
        with _quiet_native_stderr():
            return calamine_book(path)
    except BaseException as exc:  # calamine raises several unrelated types, and may panic
        if must_propagate(exc):
            raise
        reason = _first_line(exc)
        if "password" in reason.lower() or "encrypt" in reason.lower():
            reason = "the workbook is encrypted (password-protected)"
        raise XlsxReadError(path, f"the file is corrupt ({reason})") from None


def sheet_rows(book: calamine.CalamineWorkbook, path: Path, sheet: str | int, *,
               file: XlsxFile | None = None) -> list[list[Any]]:
    """A sheet's values from A1 as a list of rows (row 1 first), by name or 0-based index.
    file: the file already open (its far-cell scan reuses its bytes and zip directory).

    Raises XlsxReadError naming the file and sheet when calamine cannot read it. A cell holding
    a number far outside Excel's dates in a date format (-1e20) makes python-calamine panic
    (pyo3's PanicException, a BaseException); that becomes an XlsxReadError naming the cell.
    """
    name = sheet if isinstance(sheet, str) else f"#{sheet + 1}"
    real_name = sheet if isinstance(sheet, str) else (
        book.sheet_names[sheet] if 0 <= sheet < len(book.sheet_names) else "")
    far = None
    if real_name:
        far = file.far_cell(real_name) if file is not None else far_cell(path, real_name)
    if far is not None:
        raise XlsxReadError(
            path, "is far outside anything a table here holds, and reading the sheet up to it "
            "would take more memory than the machine has", sheet=real_name, cells=(far,),
            fix=f"Clear {real_name}!{far} (select it, press Delete; or delete the rows and "
                "columns beyond the table), save the workbook and check it again.")
    if file is not None and real_name:
        sparse = file.sparse_rows(real_name)
        if sparse is not None:
            return sparse
    try:
        with _quiet_native_stderr():
            data = (book.get_sheet_by_name(sheet) if isinstance(sheet, str)
                    else book.get_sheet_by_index(sheet))
            name = data.name
            rows: list[list[Any]] = data.to_python(skip_empty_area=False)
            return rows
    except BaseException as exc:
        if must_propagate(exc):
            raise
        cells = _bad_date_cells(path, name)
        reason = (f"{'holds' if len(cells) == 1 else 'hold'} a number in a date format that is "
                  f"not a date Excel can show (python-calamine: {_first_line(exc)})" if cells
                  else f"the file is corrupt ({_first_line(exc)})")
        raise XlsxReadError(path, reason, sheet=name, cells=cells) from None


# calamine reads a sheet into one dense grid sized by its furthest cell: a single cell at
# XFD1048576 in a 40 KB file would need 512 GB, and the process aborts. A sheet is refused
# before calamine sees it when a cell lies beyond column CZ (104), beyond row 199,999, or
# beyond column Z (26) from row 100,000: far outside any table of ours (or of a units list),
# while a sheet with 100,000 pasted rows is still read and reported as too many rows. The grid
# that can pass stays under about 10 million cells. The scan is a byte search of the XML.
_FAR_CELL = re.compile(
    rb' r="((?:[A-Z]{3}|[D-Z][A-Z])\d+|[A-Z]{1,2}(?:[2-9]\d{5}|\d{7,})|[A-Z]{2}1\d{5})"')
_FAR_ROW = re.compile(rb' r="((?:[2-9]\d{5}|\d{7,}))"')
_SHEET = re.compile(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(r'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_ALT = re.compile(r'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


# openpyxl holds every cell of a workbook it loads as an object (~0.5 KB with its style):
# a workbook it is to copy (a marked-up copy, an upgrade) may expand to this much XML.
MAX_EDIT_BYTES = 48 * 1024 * 1024


def load_for_edit(source: Path | bytes, *, keep_vba: bool = False, data_only: bool = False,
                  rich_text: bool = False) -> Any:
    """A workbook as openpyxl holds it, to copy and change (never write over the source).

    The one way esps opens a workbook whole with openpyxl: like every reader it is sniffed
    first (not a workbook, encrypted, a zip bomb) and refused if any sheet has a far cell
    (openpyxl would be asked for the grid up to it) or the workbook would expand past
    MAX_EDIT_BYTES; an XlsxReadError names the file, sheet and cell. source: a file, or the
    bytes of a workbook esps made (an upgrade's new workbook)."""
    import openpyxl  # only here: reading values is calamine's job

    path = source if isinstance(source, Path) else Path("<generated workbook>")
    with XlsxFile(path, in_memory=True) if isinstance(source, Path) else \
            _bytes_file(source) as xf:
        problem = xf.problem()
        if problem:
            raise XlsxReadError(path, problem)
        size = sum(i.file_size for i in xf.archive().infolist())
        if size > MAX_EDIT_BYTES:
            raise XlsxReadError(path, f"it would expand to {size / 1e6:,.0f} MB, more than a "
                                      f"copy can be made of ({MAX_EDIT_BYTES / 1e6:,.0f} MB)")
        try:
            sheets = list(_sheet_parts(xf.archive()))
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise XlsxReadError(path, f"the file is corrupt ({_first_line(exc)})") from None
        for sheet in sheets:
            far = xf.far_cell(sheet)
            if far is not None:
                raise XlsxReadError(
                    path, "is far outside anything a table here holds, and copying the sheet "
                    "would take more memory than the machine has", sheet=sheet, cells=(far,),
                    fix=f"Clear {sheet}!{far} (select it, press Delete; or delete the rows and "
                        "columns beyond the table), save the workbook and try again.")
        data = xf.data if xf.data is not None else path.read_bytes()
    return openpyxl.load_workbook(io.BytesIO(data), keep_vba=keep_vba, data_only=data_only,
                                  rich_text=rich_text)


def _bytes_file(data: bytes) -> XlsxFile:
    xf = XlsxFile(Path("<generated workbook>"))
    xf.data = data
    return xf


def far_cell(path: Path, sheet: str) -> str | None:
    """The first cell (or row) of a sheet that lies far outside any table, or None."""
    with XlsxFile(path) as xf:
        return xf.far_cell(sheet)


# The quick look, one pass over the cells and one over the rows: a cell or row that does not
# plainly say it is near (r="..." first, at most one letter and five digits). Every
# reference _FAR_CELL or _FAR_ROW matches is not near. Nor is a cell or row with no
# reference, or one written otherwise than Excel, LibreOffice and openpyxl write it: calamine
# places a cell or row without a reference after the one before (a row of 3,000 such cells
# far down sizes the grid as a far reference would), and it reads r='XFD1', or a reference
# after a line break, as it reads r="XFD1". Those, and tags with a namespace prefix, are
# placed one by one (_far_by_position).
# One pattern for both, one pass over the XML (possessive: a near reference is never
# re-tried shorter; the reference looked at before the character after the name, which a near
# cell then need not be tested for: a tenth faster).
_MAYBE_FAR = re.compile(
    rb'<(?:c(?! r="[A-Z]?+\d{1,5}+")[\s>/]|row(?! r="\d{1,5}+")[\s>/])')
_UNPLACED_CELL = re.compile(rb'<c(?=[\s>/])(?! r="[A-Z]*\d+")')
_UNPLACED_ROW = re.compile(rb'<row(?=[\s>/])(?! r="\d+")')
_PREFIXED = re.compile(rb':(?:c|row)[\s>/]')


def _far_in(data: bytes) -> str | None:
    """The first far cell of a sheet's XML (a cell before a row), or None."""
    prefixed = _PREFIXED.search(data) is not None
    if not prefixed and _MAYBE_FAR.search(data) is None:
        return None
    if prefixed or _UNPLACED_CELL.search(data) or _UNPLACED_ROW.search(data):
        return _far_by_position(data)
    cell = _FAR_CELL.search(data)
    if cell is not None:
        return cell.group(1).decode("ascii")
    row = _FAR_ROW.search(data)  # an empty row far down still sizes the grid
    return f"A{row.group(1).decode('ascii')}" if row is not None else None


_PLACE = re.compile(rb'<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>')
_R_ATTR = re.compile(rb'\sr\s*=\s*(["\'])\s*\$?([A-Za-z]*)\$?(\d*)\s*\1')


def _far_by_position(data: bytes) -> str | None:
    """The first far cell (else far row) of a sheet whose rows or cells do not all plainly
    say where they are, each placed as calamine places it: where its reference says, else
    the row or column after the one before. Far: beyond column CZ, beyond row 199,999, or
    beyond column Z from row 100,000."""
    row, col, far_row = 0, 0, None
    for tag in _PLACE.finditer(data):
        place = _R_ATTR.search(tag.group(2))
        letters, digits = (place.group(2), place.group(3)) if place else (b"", b"")
        if tag.group(1) == b"row":
            row, col = (int(digits) if digits else row + 1), 0
            if row >= 200_000 and far_row is None:
                far_row = f"A{row}"
            continue
        if digits:
            row = int(digits)
        col = column_number(letters.upper()) if letters else col + 1
        if col > 104 or row >= 200_000 or (row >= 100_000 and col > 26):
            return f"{_column_letters(col)}{row}"
    return far_row


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in the archive."""
    workbook = zf.read("xl/workbook.xml")[:2_000_000].decode("utf-8", "replace")
    rels_text = zf.read("xl/_rels/workbook.xml.rels")[:2_000_000].decode("utf-8", "replace")
    rels = dict(_REL.findall(rels_text))
    rels.update({rid: target for target, rid in _REL_ALT.findall(rels_text)})
    parts = {}
    for name, rid in _SHEET.findall(workbook):
        target = rels.get(rid, "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts[_unescape(name)] = target
    return parts


def _unescape(text: str) -> str:
    """XML text's entities (&amp; and the like) as characters; the html module (and its table
    of entities) is imported only for a name that has one."""
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


_BAD_DATE = re.compile(r"^Cell (\$?[A-Z]{1,3}\$?\d+) is marked as a date")


def _bad_date_cells(path: Path, sheet: str) -> tuple[str, ...]:
    """The cells of a sheet holding a date serial outside the range of dates, as openpyxl
    finds them (it warns about each); () if none can be found. Only run after a failure."""
    import openpyxl  # only here: reading values is calamine's job

    found: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for _row in wb[sheet].iter_rows(values_only=True):
                    pass
            finally:
                wb.close()
        for w in caught:
            m = _BAD_DATE.match(str(w.message))
            if m:
                found.append(m.group(1).replace("$", ""))
    except Exception:  # a best effort to say where: the error is reported either way
        return ()
    return tuple(dict.fromkeys(found))


_SCRATCH: dict[int, IO[bytes]] = {}  # by process id: a forked worker makes its own


def _scratch() -> IO[bytes]:
    """This process's scratch file for fd 2 (one per process: creating one per read costs
    more than the read of a small sheet)."""
    pid = os.getpid()
    scratch = _SCRATCH.get(pid)
    if scratch is None or scratch.closed:
        _SCRATCH.clear()
        # Kept open for the life of the process, closed (and so deleted) when it ends.
        scratch = _SCRATCH[pid] = tempfile.TemporaryFile()  # noqa: SIM115
        atexit.register(scratch.close)
    return scratch


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Keep a native library's panic report (a Rust backtrace under RUST_BACKTRACE) off the
    terminal: file descriptor 2 goes to a scratch file while calamine runs, and what was
    written is passed on unless calamine failed (then the error says it clearly instead).
    Single-threaded use only: the descriptor is process-wide."""
    try:
        scratch = _scratch()
        saved = os.dup(2)
    except OSError:
        yield
        return
    os.dup2(scratch.fileno(), 2)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        written = os.lseek(scratch.fileno(), 0, os.SEEK_CUR)
        if written:
            os.lseek(scratch.fileno(), 0, os.SEEK_SET)
            data = os.read(scratch.fileno(), written)
            os.lseek(scratch.fileno(), 0, os.SEEK_SET)
            os.ftruncate(scratch.fileno(), 0)
            if not failed:  # calamine did not fail: pass on what it wrote
                os.write(2, data)
