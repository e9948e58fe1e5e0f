"""One bad cell never crashes the tool: a date cell holding -1e20 makes python-calamine panic
(pyo3's PanicException, a BaseException). It must come out as one clear finding naming the
sheet and cell (unreadable-cell; the rest of the workbook is still checked), alone, in a
folder checked in parallel, and through `esps score import`; and every boundary that turns an
exception into a finding or an exit code catches a panic.

The commands run in a subprocess, as a user runs them, so that anything the native library
prints (a Rust backtrace under RUST_BACKTRACE=1) would be seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import typer

from esps_cli.cli.common import EXIT_INTERNAL, handles_errors
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.errors import ConfigError
from esps_cli.findings import CHECK_FAILED, METADATA_INCOMPLETE
from esps_cli.io.batch import parallel_map
from esps_cli.io.tables import read_rows
from esps_cli.validation.checks import CHECKS
from esps_cli.validation.context import WorkbookCheck
from esps_cli.validation.runner import Check, run_checks
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import EVIDENCE, PACK_TABLE, SHEET_META
from esps_cli.workbook.reader import read_workbook
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE

SRC = Path(__file__).resolve().parents[1] / "src"


class Panic(BaseException):
    """Stands in for pyo3_runtime.PanicException: a BaseException, not an Exception."""


def _date_cell(path: Path, sheet: str, label: str, below: bool) -> str:
    """The cell below a column heading (below) or beside a field label, found by its text."""
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                return (f"{cell.column_letter}{cell.row + 1}" if below
                        else f"{chr(ord(cell.column_letter) + 1)}{cell.row}")
    raise AssertionError(f"no {label!r} on {sheet}")


def put_bad_date(path: Path, sheet: str = EVIDENCE.sheet) -> str:
    """Type -1e20 into a date cell (the first evidence date), as a user or a broken export
    might, or (on a scoring pack) into the first score cell formatted as a date, as a paste
    from elsewhere brings; the cell's reference."""
    below = EVIDENCE.column("date").header if sheet == EVIDENCE.sheet else "Score (1-4)"
    cell = _date_cell(path, sheet, below, below=True)
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    if sheet != EVIDENCE.sheet:
        ws[cell].number_format = "DD/MM/YYYY"
    assert ws[cell].number_format.upper().startswith("DD"), ws[cell].number_format
    ws[cell] = -1e20
    wb.save(path)
    return cell


def esps(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "RUST_BACKTRACE": "1", "COLUMNS": "200"}
    env.pop("ESPS_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "esps_cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def bad_return(tmp_path: Path, pristine_pack: Path, units: list[Unit],
               framework: Framework) -> tuple[Path, str]:
    src = pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE))
    path = tmp_path / "returns" / src.name
    path.parent.mkdir()
    shutil.copy(src, path)
    fill_file(path, framework, "complete")
    return path, put_bad_date(path)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text and "panicked" not in text, text


def test_the_bad_date_alone_is_one_finding_naming_the_cell(bad_return, tmp_path):
    path, cell = bad_return
    before = path.read_bytes()
    result = esps("validate", str(path), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    (wb,) = json.loads(result.stdout)["workbooks"]
    # The complete return had no findings: the bad cell is its one finding, and the rest of
    # the workbook was still read and checked (its evidence minimums cannot be shown met).
    (f,) = wb["findings"]
    assert (f["code"], f["sheet"], f["cell"]) == ("unreadable-cell", EVIDENCE.sheet, cell)
    assert f"{EVIDENCE.sheet}!{cell} holds a number in a date format" in f["message"]
    assert "type a real date" in f["hint"]
    assert wb["readable"] and not wb["valid"] and wb["unit_code"] and wb["cycle"] == CYCLE
    assert path.read_bytes() == before
    text = esps("validate", str(path), cwd=tmp_path)
    assert text.returncode == 1 and "unreadable-cell" in text.stdout
    _no_traceback(text)


def test_the_bad_date_in_a_folder_checked_in_parallel(bad_return, tmp_path, pristine_pack):
    path, cell = bad_return
    others = sorted(pristine_pack.glob("*.xlsx"))[1:9]  # enough for the process pool
    for other in others:
        shutil.copy(other, path.parent / other.name)
    result = esps("validate", str(path.parent), "-j", "2", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    by_file = {w["file"]: w for w in json.loads(result.stdout)["workbooks"]}
    assert sorted(by_file) == sorted([path.name, *(o.name for o in others)])
    assert [(f["code"], f["cell"]) for f in by_file[path.name]["findings"]] == [
        ("unreadable-cell", cell)]
    for other in others:  # the blank returns were still checked, every one
        checked = by_file[other.name]
        assert checked["readable"] and checked["indicators_total"] == 54
        assert "too-few-evidence" in {f["code"] for f in checked["findings"]}


def import_scores(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    from esps_cli.register import Register

    Register.open(tmp_path / "scores.db").close()  # --register names an existing register
    return esps("score", "import", str(path), "--register", str(tmp_path / "scores.db"),
                "--cycle", CYCLE, "--units", str(EXAMPLES_DIR / "units.csv"), cwd=tmp_path)


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")  # openpyxl, reading it back
def test_the_bad_date_in_a_scoring_pack_through_score_import(tmp_path, framework, units,
                                                              advisors):
    from esps_cli.register import Register
    from esps_cli.scoring.packs import write_packs
    from esps_cli.scoring.roster import Roster

    (tmp_path / "packs").mkdir()
    with Register.open(tmp_path / "scores.db") as reg:
        reg.allocate(CYCLE, {"TP-EK": "dcfa05"}, seed=None)
        write_packs(reg, Roster(framework, framework.cycle(CYCLE), units, advisors),
                    [EXAMPLES_DIR / "returned"], tmp_path / "packs", units=["TP-EK"],
                    roles=["linked"])
    [path] = (tmp_path / "packs").glob("*/*.xlsx")  # in its assessor's folder
    cell = put_bad_date(path, PACK_TABLE.sheet)
    result = import_scores(path, tmp_path)
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    said = " ".join((result.stdout + result.stderr).split())
    assert f"REJECTED {path}" in said
    assert f"{PACK_TABLE.sheet}!{cell} holds a number in a date format" in said


def test_the_bad_date_on_the_evidence_sheet_does_not_stop_score_import(bad_return, tmp_path):
    path, _ = bad_return  # a return is no pack: refused as such, the bad cell no obstacle
    result = import_scores(path, tmp_path)
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    said = " ".join((result.stdout + result.stderr).split())
    assert "TP-CW's return, not a scoring pack" in said  # units[0], the first example unit


def test_the_reader_names_the_cell_and_reads_the_other_sheets(bad_return):
    path, cell = bad_return
    rw = read_workbook(path)
    assert rw.readable and rw.unreadable_sheets == [EVIDENCE.sheet]
    assert [(f.code, f.sheet, f.cell) for f in rw.findings] == [
        ("unreadable-cell", EVIDENCE.sheet, cell)]
    assert rw.evidence is None and rw.indicators is not None and rw.meta["cycle"] == CYCLE


def test_a_list_with_the_bad_date_is_a_clear_usage_error(tmp_path):
    path = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Units"
    ws.append(["code", "name", "business_group", "linked_dcfa", "joined"])
    ws.append(["TP-ZZ", "Nowhere", "TP", "DCFA1", -1e20])
    ws["E2"].number_format = "DD/MM/YYYY"
    wb.save(path)
    with pytest.raises(ConfigError, match=r"sheet 'Units' cell E2 holds a number in a date"):
        read_rows(path)


# -- the boundaries themselves -------------------------------------------------------------


def _panics_on_seven(n: int) -> int:
    if n == 7:
        raise Panic("TimeDelta::milliseconds out of bounds")
    return n + 1


def _failed(item: int, message: str) -> int:
    assert message == "Panic: TimeDelta::milliseconds out of bounds"
    return -item


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_process_pool_turns_a_panic_into_that_items_error(jobs):
    items = list(range(12))
    out = parallel_map(_panics_on_seven, items, jobs=jobs, on_error=_failed, min_parallel=2)
    assert out == [-7 if n == 7 else n + 1 for n in items]


def test_the_runner_turns_a_failing_check_into_one_finding_and_runs_the_rest(
        bad_return, tmp_path, pristine_pack, units, framework):
    path = tmp_path / "blank.xlsx"
    shutil.copy(pristine_pack / workbook_filename(units[0], framework.cycle(CYCLE)), path)
    wb = openpyxl.load_workbook(path)
    meta = wb[SHEET_META]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "unit_code":
            row[1].value = None  # metadata-incomplete, from the check after the failing one
    wb.save(path)

    def explode(ctx: WorkbookCheck, _: None) -> None:
        raise Panic("out of bounds")

    ctx = WorkbookCheck(read_workbook(path), framework, today=date(2026, 1, 1),
                        expected_cycle=None, check_evidence=False)
    run_checks(ctx, (Check("exploding", (), explode), *CHECKS))
    codes = [f.code for f in ctx.findings]
    assert codes[0] == CHECK_FAILED.code
    assert ctx.findings[0].message == "the exploding check failed: Panic: out of bounds"
    assert METADATA_INCOMPLETE.code in codes and "too-few-evidence" in codes


def test_handles_errors_turns_a_panic_into_exit_3(capsys):
    @handles_errors
    def command() -> None:
        raise Panic("TimeDelta::milliseconds out of bounds")

    with pytest.raises(typer.Exit) as exit_info:
        command()
    assert exit_info.value.exit_code == EXIT_INTERNAL
    err = " ".join(capsys.readouterr().err.split())
    assert "internal error (Panic: TimeDelta::milliseconds out of bounds)" in err
    assert "Traceback" not in err

    @handles_errors
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as exit_info:
        interrupted()
    assert exit_info.value.exit_code == 130
