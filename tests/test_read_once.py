"""Validating a folder fast (issue 16) without changing what is found: each return's bytes are
read once (hashed, sniffed and scanned from memory), the far-cell scan has a quick first
look, answers are read only when the register's history compares them, and the process pool
pauses the parent's garbage collector only while it runs."""

from __future__ import annotations

import gc
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esps_cli.domain.framework import Framework
from esps_cli.io import xlsx
from esps_cli.io.batch import parallel_map
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.samples import fill_file

from .test_hostile import CASES


@pytest.fixture(scope="module")
def good_return(tmp_path_factory, pristine_pack, units, framework) -> Path:
    from esps_cli.workbook.generate import workbook_filename

    src = pristine_pack / workbook_filename(units[1], framework.cycle("2010-11"))
    path = tmp_path_factory.mktemp("good") / src.name
    shutil.copy(src, path)
    return fill_file(path, framework, "complete")


@pytest.mark.parametrize("name", [*sorted(CASES), "good.xlsx"])
def test_reading_from_memory_or_from_disk_finds_the_same(name, tmp_path, good_return,
                                                         framework: Framework, monkeypatch):
    path = tmp_path / name
    if name == "good.xlsx":
        shutil.copy(good_return, path)
    else:
        CASES[name][0](path, good_return)
    from_memory = validate_workbook(path, framework)
    monkeypatch.setattr(xlsx, "IN_MEMORY_BYTES", 0)  # every file larger: read from disk
    from_disk = validate_workbook(path, framework)
    assert from_disk.model_dump() == from_memory.model_dump()
    # The report's hash is of the bytes that were read, readable or not.
    assert from_memory.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [f.code for f in from_memory.findings] == \
        ([] if name == "good.xlsx" else [CASES[name][1]])


def test_a_file_that_cannot_be_opened_has_no_hash(tmp_path, framework: Framework):
    folder = tmp_path / "not-a-file.xlsx"
    folder.mkdir()  # named as a workbook, but a folder: cannot be read at all
    report = validate_workbook(folder, framework)
    assert report.sha256 == ""
    assert [f.code for f in report.findings] == ["unreadable-file"]
    assert "cannot open the file" in report.findings[0].message


# The far-cell rule as it was written first: two full scans, a cell before a row.
def _reference_far(data: bytes) -> str | None:
    cell = xlsx._FAR_CELL.search(data)
    if cell is not None:
        return cell.group(1).decode("ascii")
    row = xlsx._FAR_ROW.search(data)
    return f"A{row.group(1).decode('ascii')}" if row is not None else None


_refs = st.tuples(st.text("ABCDEFGHXYZ", max_size=4),
                  st.integers(min_value=0, max_value=3_000_000)).map(lambda t: f"{t[0]}{t[1]}")


@given(st.lists(st.tuples(_refs, st.booleans()), max_size=12))
def test_the_quick_first_look_never_misses_a_far_cell(cells):
    # rows (r="123" on a <row>) and cells (r="B7" on a <c>) in any order
    xml = "".join(f'<row r="{re.sub("[A-Z]", "", ref) or 1}"/>' if is_row
                  else f'<c r="{ref}" t="n"><v>1</v></c>' for ref, is_row in cells)
    data = f"<sheetData>{xml}</sheetData>".encode()
    assert xlsx._far_in(data) == _reference_far(data)


def test_answers_are_read_only_for_the_registers_history(good_return, framework: Framework):
    plain = validate_paths([good_return], framework)
    assert plain.workbooks[0].answers is None  # no register: nothing compares them
    hooked = validate_paths([good_return], framework, history=lambda reports: reports)
    answers = hooked.workbooks[0].answers
    assert answers is not None and "OD1.1" in answers["indicators"]
    assert validate_paths([good_return], framework, answers=True).workbooks[0].answers == answers
    assert validate_workbook(good_return, framework).answers == answers
    # everything else is the same either way
    assert plain.model_dump() == hooked.model_dump()


def _collector_on(_item: int) -> bool:
    return gc.isenabled()


def _inherited_frozen(_item: int) -> bool:
    return gc.get_freeze_count() > 1000  # the modules and objects the worker was forked with


def test_a_worker_never_walks_what_it_inherited():
    assert gc.get_freeze_count() == 0
    assert parallel_map(_inherited_frozen, list(range(20)), jobs=2, chunksize=2) == [True] * 20
    assert gc.get_freeze_count() == 0  # the parent's own collector is untouched


def test_the_pool_pauses_only_the_parents_garbage_collector():
    assert gc.isenabled()
    assert parallel_map(_collector_on, list(range(20)), jobs=2, chunksize=2) == [True] * 20
    assert gc.isenabled()  # as it was
    gc.disable()
    try:
        parallel_map(_collector_on, list(range(20)), jobs=2, chunksize=2)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()



def test_only_a_recording_history_has_the_answers_read(good_return, framework: Framework,
                                                       tmp_path):
    from esps_cli.register.location import locate
    from esps_cli.validation.returns import review_loop

    where = locate(tmp_path / "esps.db")
    for record, expected in ((True, True), (False, False)):  # recording makes the register
        with review_loop(where, record=record, cycle="2010-11") as loop:
            assert loop.history is not None and loop.history.needs_answers is record
            batch = validate_paths([good_return], framework, issued=loop.issued,
                                   history=loop.history)
        assert (batch.workbooks[0].answers is not None) is expected
        assert batch.workbooks[0].received_at is not None  # recorded, then looked up


def test_a_folder_checked_in_parallel_reports_as_one_checked_serially(good_return, tmp_path):
    import json
    import os
    import subprocess
    import sys

    folder = tmp_path / "returns"
    folder.mkdir()
    for i in range(10):  # enough for the process pool (8 or more)
        shutil.copy(good_return, folder / f"copy{i:02d}.xlsx")
    (folder / "broken.xlsx").write_text("not a workbook")

    def report(jobs: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "esps_cli", "validate", str(folder), "--format", "json",
             "--jobs", jobs, "--as-of", "01/01/2011"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
        assert done.returncode == 1, done.stderr  # the broken file is invalid
        data: dict[str, object] = json.loads(done.stdout)
        return data

    parallel, serial = report("2"), report("1")
    assert parallel == serial
    assert [w["file"] for w in parallel["workbooks"]] == \
        ["broken.xlsx", *[f"copy{i:02d}.xlsx" for i in range(10)]]
