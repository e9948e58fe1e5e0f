"""The far-cell guard everywhere a workbook is opened (issue 25 item 4) and upgrade never
dropping a sheet silently (item 5): every command that reads a workbook, run under a 3 GB
memory cap (RLIMIT_AS, set in the child) on a return of a few tens of KB with one far cell,
answers with a clear message naming the cell; a failed mark-up leaves no staging folder."""

from __future__ import annotations

import ast
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.io.safety import STAGING_PREFIX, StagedOutputs
from esps_cli.workbook.layout import SHEET_PACK_META

from .conftest import CYCLE

ESPS = [sys.executable, "-m", "esps_cli"]
CAP = 3 * 1024 ** 3
SRC = Path(__file__).resolve().parents[1] / "src" / "esps_cli"


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ESPS, *args], capture_output=True, text=True, timeout=300,
                          preexec_fn=_capped, cwd=cwd)


def _with_cell(tmp_path: Path, ref: str, sheet: str = "Evidence",
               name: str = "TP-EK_Camden_2010-11.xlsx") -> Path:
    path = tmp_path / "returns" / name
    path.parent.mkdir(exist_ok=True)
    shutil.copy(EXAMPLES_DIR / "returned" / name, path)
    wb = openpyxl.load_workbook(path)
    wb[sheet][ref] = "x"
    wb.save(path)
    assert path.stat().st_size < 100_000
    return path


@pytest.fixture(scope="module")
def far(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _with_cell(tmp_path_factory.mktemp("far"), "XFD1048576")


def test_annotate_refuses_the_copy_naming_the_cell_and_leaves_no_staging_folder(
        far: Path, tmp_path: Path) -> None:
    marked = tmp_path / "marked"
    done = run("validate", str(far), "--annotate", str(marked), "--format", "json",
               cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    said = " ".join(done.stderr.split())
    assert (f"No marked-up copy for {far.name}: cannot copy {far.name}: sheet 'Evidence' cell "
            "XFD1048576 is far outside anything a table here holds") in said
    assert "Traceback" not in done.stderr
    assert list(marked.iterdir()) == []


def test_upgrade_stops_on_a_sheet_it_cannot_read_naming_it(far: Path, tmp_path: Path) -> None:
    done = run("upgrade", str(far), "--cycle", "2011-12", "--out", str(tmp_path / "new"),
               cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert (f"not upgraded: {far.name}: sheet 'Evidence' cannot be read (Evidence!XFD1048576 "
            "is far outside anything a table here holds") in said
    assert "its answers cannot be carried; nothing was written. Clear Evidence!XFD1048576" \
        in said
    assert not (tmp_path / "new").exists() or list((tmp_path / "new").iterdir()) == []


def test_upgrade_stops_when_the_evidence_sheet_is_gone(tmp_path: Path) -> None:
    path = _with_cell(tmp_path, "A1", sheet="Cover")
    wb = openpyxl.load_workbook(path)
    del wb["Evidence"]
    wb.save(path)
    done = run("upgrade", str(path), "--cycle", "2011-12", "--out", str(tmp_path / "new"),
               cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert (f"{path.name}: the Evidence sheet or its table header is missing, so its evidence "
            "rows cannot be carried; nothing was written") in " ".join(done.stderr.split())


def test_score_packs_and_score_import_refuse_a_far_cell(far: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "esps.db")
    units = ["--cycle", CYCLE, "--units", str(EXAMPLES_DIR / "units.csv"), "--register", db]
    assert run("allocate", "--seed", "1", *units, cwd=tmp_path).returncode == 0
    packs = run("score", "packs", "--returns", str(far.parent), "--out",
                str(tmp_path / "packs"), "--unit", "TP-EK", *units, cwd=tmp_path)
    assert packs.returncode == 0, packs.stderr  # the return's other sheets are read
    assert "Traceback" not in packs.stderr
    # (packs go to valid returns only: this one, with its unreadable cell, gets none)
    pack = tmp_path / "pack.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = SHEET_PACK_META
    wb[SHEET_PACK_META]["A1"] = "pack_id"
    wb[SHEET_PACK_META]["XFD1048576"] = "x"
    wb.save(pack)
    imported = run("score", "import", str(pack), *units,
                   cwd=tmp_path)
    assert imported.returncode in (1, 2), imported.stderr
    assert "Traceback" not in imported.stderr
    assert f"{SHEET_PACK_META}!XFD1048576 is far outside anything a table here holds" in " ".join(
        (imported.stdout + imported.stderr).split())


def test_a_cell_just_inside_the_guard_is_marked_up_within_the_cap(tmp_path: Path) -> None:
    """CZ99999 passes the guard (10 million cells of grid): the mark-up walks only the cells
    the sheet holds, never the rectangle up to it."""
    path = _with_cell(tmp_path, "CZ99999", name="Westminster ESPS return v2.xlsx")  # invalid
    marked = tmp_path / "marked"
    done = run("validate", str(path), "--annotate", str(marked), "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert [p.name for p in marked.iterdir()] == ["Westminster ESPS return v2_marked-up.xlsx"]


def test_a_staging_folder_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    abandoned = tmp_path / f"{STAGING_PREFIX}{dead}-x1"
    abandoned.mkdir()
    (abandoned / "half.xlsx").write_bytes(b"PK")
    alive = tmp_path / f"{STAGING_PREFIX}1-x2"  # pid 1 runs: another run's, left alone
    alive.mkdir()
    with StagedOutputs(tmp_path, ["a.txt"]) as staged:
        staged.path("a.txt").write_text("a")
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "a.txt"]


def test_no_module_but_io_xlsx_opens_a_workbook_itself() -> None:
    """One way to open a workbook (io/xlsx.py: sniffed, far cells refused, bounded): a new
    command cannot forget the guard by calling openpyxl or calamine directly."""
    # The sample makers fill in workbooks esps has just generated, as a user would in Excel:
    # never a file someone sent.
    allowed = {SRC / "io" / "xlsx.py", SRC / "workbook" / "samples.py",
               SRC / "workbook" / "sample_packs.py"}
    offenders = []
    for path in SRC.rglob("*.py"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in (
                    "load_workbook", "from_path", "from_filelike", "CalamineWorkbook"):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module in ("openpyxl",
                                                                    "python_calamine"):
                names = {a.name for a in node.names}
                if names & {"load_workbook", "CalamineWorkbook"}:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} import")
    assert offenders == []


def test_each_part_inflated_from_memory_is_what_zipfile_reads(tmp_path: Path) -> None:
    """The far-cell scan inflates a sheet's part straight from the bytes already read (issue
    28): the same bytes as zipfile's reader, for deflated and stored parts alike."""
    import zipfile

    from esps_cli.io.xlsx import XlsxFile

    source = EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx"
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, zin.read(info))
    for path in (source, stored):
        with XlsxFile(path, in_memory=True) as xf, zipfile.ZipFile(path) as zf:
            parts = [i for i in zf.infolist() if i.filename.startswith("xl/worksheets/")]
            assert len(parts) >= 4
            for info in parts:
                assert xf._inflated(info) == zf.read(info)


@pytest.mark.parametrize("ref, refused", [
    ("CZ10", False), ("DA10", True),              # columns up to CZ (104)
    ("Z150000", False), ("AA150000", True),       # from row 100,000 only up to column Z
    ("A199999", False), ("A200000", True),        # rows up to 199,999
])
def test_validate_reads_up_to_the_far_cell_bound_and_refuses_beyond_it(
        tmp_path: Path, ref: str, refused: bool) -> None:
    """The bound as validation reads a return (the scan inside its one pass over the sheets),
    at its exact edges: a cell just inside is read (and is only a stray cell), one just
    beyond is an unreadable-cell finding naming it."""
    from esps_cli.domain.framework import load_framework
    from esps_cli.validation.validate import validate_workbook

    path = _with_cell(tmp_path, ref)
    report = validate_workbook(path, load_framework())
    far = [f for f in report.findings if f.code == "unreadable-cell"]
    if refused:
        assert [(f.sheet, f.cell) for f in far] == [("Evidence", ref)]
        assert "far outside anything a table here holds" in far[0].message
    else:
        assert far == [] and report.readable


def _with_xml(tmp_path: Path, name: str, rows: bytes) -> Path:
    """Camden's return with rows written into its Evidence sheet's XML as some other program
    (or an attacker) might write them, after the rows that are there."""
    import re
    import zipfile

    from esps_cli.io.xlsx import _sheet_parts

    source = EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx"
    path = tmp_path / name
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        part = _sheet_parts(zin)["Evidence"]
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                data = re.sub(rb"</sheetData>", rows + b"</sheetData>", data)
            z.writestr(info, data)
    return path


# Cells and rows that do not plainly say where they are, each far (or just inside the bound):
# calamine places a cell without a reference after the one before, and reads single quotes,
# a line break before r= and spaces around = as it reads r="...".
_UNPLACED = {
    "3,000 cells without a reference on row 150,000": (
        b'<row r="150000"><c r="A150000"><v>1</v></c>' + b"<c><v>1</v></c>" * 3000
        + b"</row>", "AA150000"),
    "25 such cells: up to column Z on row 150,000": (
        b'<row r="150000"><c r="A150000"><v>1</v></c>' + b"<c><v>1</v></c>" * 25
        + b"</row>", None),
    "26 such cells: column AA on row 150,000": (
        b'<row r="150000"><c r="A150000"><v>1</v></c>' + b"<c><v>1</v></c>" * 26
        + b"</row>", "AA150000"),
    "103 empty cells closed at once (<c/>): up to column CZ": (
        b'<row r="500"><c r="A500"><v>1</v></c>' + b"<c/>" * 103 + b"</row>", None),
    "104 empty cells closed at once (<c/>): column DA on a near row": (
        b'<row r="500"><c r="A500"><v>1</v></c>' + b"<c/>" * 104 + b"</row>", "DA500"),
    "single quotes": (b"<row r='99000'><c r='XFD99000'><v>1</v></c></row>", "XFD99000"),
    "a line break before r=": (b'<row r="99000"><c\nr="XFD99000"><v>1</v></c></row>',
                               "XFD99000"),
    "spaces around =": (b'<row r="99000"><c r = "XFD99000"><v>1</v></c></row>',
                        "XFD99000"),
    "r after another attribute": (b'<row r="99000"><c t="n" r="XFD99000"><v>1</v></c></row>',
                                  "XFD99000"),
    "a row far down in single quotes": (b"<row r='300000'><c><v>1</v></c></row>", "A300000"),
}


@pytest.mark.parametrize("case", sorted(_UNPLACED))
def test_cells_placed_without_a_plain_reference_are_bound_too(tmp_path: Path,
                                                              case: str) -> None:
    from esps_cli.domain.framework import load_framework
    from esps_cli.validation.validate import validate_workbook

    rows, far = _UNPLACED[case]
    path = _with_xml(tmp_path, "TP-EK_Camden_2010-11.xlsx", rows)
    report = validate_workbook(path, load_framework())
    refused = [(f.sheet, f.cell) for f in report.findings if f.code == "unreadable-cell"]
    assert refused == ([("Evidence", far)] if far else [])


def test_a_row_of_cells_without_references_far_down_is_refused_under_a_memory_cap(
        tmp_path: Path) -> None:
    """Without the bound, calamine asks for 14 GB for this 30 KB file and the process aborts
    (a Rust allocation failure): with it, validate names the cell, within a 3 GB cap."""
    rows, far = _UNPLACED["3,000 cells without a reference on row 150,000"]
    path = _with_xml(tmp_path, "TP-EK_Camden_2010-11.xlsx", rows)
    done = run("validate", str(path), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"Evidence!{far}" in done.stdout and "Traceback" not in done.stderr


def test_a_sheet_part_that_does_not_inflate_is_left_to_calamine_to_name(tmp_path: Path) -> None:
    """A sheet part whose deflated bytes are damaged (the zip's directory intact): the far-cell
    scan finds nothing to say (no traceback from the inflater) and validation names the file
    as unreadable, as calamine finds it."""
    import zipfile

    from esps_cli.domain.framework import load_framework
    from esps_cli.io.xlsx import XlsxFile
    from esps_cli.validation.validate import validate_workbook

    source = EXAMPLES_DIR / "returned" / "TP-EK_Camden_2010-11.xlsx"
    path = tmp_path / "damaged.xlsx"
    data = bytearray(source.read_bytes())
    with XlsxFile(source, in_memory=True) as xf:
        part = xf._sheet_parts(xf.archive())["Indicators"]
        info = xf.archive().getinfo(part)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    at = info.header_offset
    start = at + 30 + int.from_bytes(data[at + 26:at + 28], "little") \
        + int.from_bytes(data[at + 28:at + 30], "little")
    data[start:start + 64] = b"\xff" * 64  # not a deflate stream any more
    path.write_bytes(bytes(data))
    with XlsxFile(path, in_memory=True) as xf:
        assert xf.far_cell("Indicators") is None
    report = validate_workbook(path, load_framework())
    assert not report.readable
    assert [f.code for f in report.findings] == ["unreadable-file"]
    assert report.findings[0].message.startswith("cannot read damaged.xlsx: the file is corrupt")
