"""Opening .xlsx files safely, with no ESPS knowledge: what a file is, and calamine access."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import python_calamine as calamine

from esps_cli.errors import ConfigError
from esps_cli.io.safety import utf8_safe

# Bounds that stop hostile files from exhausting memory before parsing starts.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")


def sniff_problem(path: Path) -> str | None:
    """Why a file cannot be an .xlsx workbook, checked before any parsing; None if it may be."""
    try:
        size = path.stat().st_size
        if size == 0:
            return "the file is empty (0 bytes)"
        with path.open("rb") as fh:
            head = fh.read(8)
            if head == OLE2_MAGIC:
                # Password-protected .xlsx files are OLE2 containers with an EncryptedPackage.
                fh.seek(0)
                if ENCRYPTED_MARKER in fh.read(min(size, 64 * 1024)):
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
        return _not_a_zip(path, head)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
    except zipfile.BadZipFile:
        return "the file is corrupt or truncated (not a complete zip archive)"
    except (OSError, ValueError) as exc:
        return f"the file is corrupt: {exc}"
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


def _not_a_zip(path: Path, head: bytes) -> str:
    """What a file that is not a zip archive (so not an .xlsx) seems to be."""
    if head.startswith(b"%PDF"):
        kind = "a PDF document"
    elif head.lstrip().lower().startswith((b"<html", b"<!doc", b"<?xml")):
        kind = "an HTML or XML document (perhaps a web page or an XML spreadsheet)"
    else:
        try:
            with path.open("rb") as fh:
                sample = fh.read(4096)
            text = sample.decode("utf-8")
            printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
            is_text = bool(text) and printable / len(text) > 0.95
        except (OSError, UnicodeDecodeError):
            is_text = False
        kind = ("plain text (an e-mail, a note or a CSV saved with a workbook's name)"
                if is_text else "not in any spreadsheet format esps-cli knows")
    return f"the file is {kind}, not an .xlsx workbook (it does not start as a zip archive)"


def has_macros(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return any(n.lower().endswith("vbaproject.bin") for n in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def workbook_sheet_names(path: Path) -> list[str]:
    """The sheet names an .xlsx declares (hidden ones too), read from its workbook part
    without loading any sheet; [] for a file that is not a readable .xlsx."""
    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read("xl/workbook.xml")[:1_000_000].decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return []
    return [html.unescape(n) for n in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"',
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


def open_calamine(path: Path) -> calamine.CalamineWorkbook:
    """Open a workbook with calamine, turning every failure into a ConfigError."""
    problem = sniff_problem(path)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    try:
        return calamine_book(path)
    except Exception as exc:  # calamine raises several unrelated types
        raise ConfigError(f"{path}: cannot read the workbook: {exc}") from None


