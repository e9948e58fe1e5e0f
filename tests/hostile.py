"""Builders for hostile and broken files, made from real generated returns at test time
(no binary blobs in the repository)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _rezip(src: Path, dst: Path, replace: dict[str, bytes], add: dict[str, bytes] | None = None
           ) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info))
            zout.writestr(info, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def zero_byte(dst: Path) -> Path:
    dst.write_bytes(b"")
    return dst


def text_named_xlsx(dst: Path) -> Path:
    dst.write_text("unit,score\nTP-EK,3\n", encoding="utf-8")
    return dst


def pdf_named_xlsx(dst: Path) -> Path:
    dst.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return dst


def truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def zip_bomb(dst: Path, megabytes: int = 300) -> Path:
    """A small zip whose sheet expands to hundreds of megabytes."""
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(chunk)
    return dst


def entity_bomb(src: Path, dst: Path) -> Path:
    """A real return whose Cover sheet XML carries a 'billion laughs' entity definition."""
    lol = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = f"&lol{i - 1};" if i > 1 else "&lol;"
        lol.append(f'<!ENTITY lol{i} "{prev * 10}">')
    bomb = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [' + "".join(lol) + "]>\n"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return _rezip(src, dst, {"xl/worksheets/sheet1.xml": bomb})


def encrypted(dst: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE2 file with an
    EncryptedPackage stream."""
    body = bytearray(OLE2_MAGIC + b"\x00" * 504)
    body += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50
    body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 4000
    dst.write_bytes(bytes(body))
    return dst


def legacy_xls(dst: Path) -> Path:
    body = bytearray(OLE2_MAGIC + b"\x00" * 504)
    body += "Workbook".encode("utf-16-le") + b"\x00" * 4000
    dst.write_bytes(bytes(body))
    return dst


def macro_enabled(src: Path, dst: Path) -> Path:
    """A real return saved as .xlsm with a VBA project."""
    with zipfile.ZipFile(src) as zf:
        types = zf.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return _rezip(src, dst, {"[Content_Types].xml": types.encode()},
                  add={"xl/vbaProject.bin": OLE2_MAGIC + b"\x00" * 1024})


def many_rows(src: Path, dst: Path, rows: int = 100_000) -> Path:
    """A real return with a hundred thousand rows pasted into the Evidence sheet."""
    wb = openpyxl.load_workbook(src)
    ws = wb["Evidence"]
    start = ws.max_row + 1
    for r in range(start, start + rows):
        ws.cell(row=r, column=3, value="pasted")
    buf = io.BytesIO()
    wb.save(buf)
    dst.write_bytes(buf.getvalue())
    return dst


def metadata_deleted(src: Path, dst: Path) -> Path:
    wb = openpyxl.load_workbook(src)
    del wb["_esps_meta"]
    wb.save(dst)
    return dst


def metadata_unhidden_and_edited(src: Path, dst: Path) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb["_esps_meta"]
    ws.sheet_state = "visible"
    for row in ws.iter_rows(min_row=1, max_row=15):
        if row[0].value == "framework_version":
            row[1].value = "2009.9"
    wb.save(dst)
    return dst
