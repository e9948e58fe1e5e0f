"""batch: finding files in folders and globs, and the parallel map that never loses a batch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from esps_cli.errors import ConfigError
from esps_cli.io.batch import discover, parallel_map, resolve_jobs


def _tree(root: Path) -> Path:
    for name in ("b.xlsx", "A.xlsx", "c.XLSX", "old.xls", "notes.txt", "~$b.xlsx",
                 ".~lock.b.xlsx#", "._A.xlsx", ".hidden.xlsx", "data.ods"):
        (root / name).write_bytes(b"x")
    (root / "sub").mkdir()
    (root / "sub" / "d.xlsx").write_bytes(b"x")
    (root / ".git").mkdir()
    (root / ".git" / "e.xlsx").write_bytes(b"x")
    return root


def test_discover_folder_sorted_skipping_locks_and_ignoring_others(tmp_path):
    found = discover([_tree(tmp_path)])
    assert [f.name for f in found.files] == ["A.xlsx", "b.xlsx", "c.XLSX", "data.ods",
                                             "old.xls"]
    kinds = {s.path.name: (s.kind, s.reason) for s in found.skipped}
    assert kinds["~$b.xlsx"][0] == "lock" and "Excel" in kinds["~$b.xlsx"][1]
    assert kinds[".~lock.b.xlsx#"][0] == "lock" and "LibreOffice" in kinds[".~lock.b.xlsx#"][1]
    assert kinds["notes.txt"] == ("ignored", "not a spreadsheet file (.txt)")
    assert kinds["._A.xlsx"][0] == "ignored" and kinds[".hidden.xlsx"][0] == "ignored"


def test_discover_recursive_names_files_below_the_folder(tmp_path):
    found = discover([_tree(tmp_path)], recursive=True)
    names = [f.name for f in found.files]
    assert "sub/d.xlsx" in names and not any(".git" in n for n in names)


def test_discover_explicit_files_globs_and_exclusions(tmp_path):
    _tree(tmp_path)
    found = discover([tmp_path / "notes.txt", tmp_path / "~$b.xlsx"])
    assert [f.name for f in found.files] == ["notes.txt"]  # named: checked, whatever it is
    assert [s.kind for s in found.skipped] == ["lock"]
    found = discover([str(tmp_path / "*.xlsx")], exclude=[tmp_path / "b.xlsx"])
    assert [f.name for f in found.files] == ["A.xlsx"]  # glob: case-sensitive like the shell
    # the same file named twice is read once
    assert len(discover([tmp_path / "A.xlsx", tmp_path, tmp_path / "A.xlsx"]).files) == 5


def test_discover_two_files_with_one_name_are_told_apart(tmp_path):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "Camden.xlsx").write_bytes(b"x")
    found = discover([tmp_path / "x", tmp_path / "y"])
    assert len({f.name for f in found.files}) == 2


def test_discover_a_link_within_the_folder_is_its_target_read_once(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"x")
    (tmp_path / "b.xlsx").symlink_to(tmp_path / "a.xlsx")  # the same file under two names
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.xlsx").write_bytes(b"x")
    (tmp_path / "c.xlsx").symlink_to(tmp_path / "sub" / "c.xlsx")
    found = discover([tmp_path, tmp_path / "sub" / "c.xlsx"])
    names = [f.name for f in found.files]  # a.xlsx or b.xlsx, as the folder lists them first
    assert len(names) == 2 and names[0] in ("a.xlsx", "b.xlsx") and names[1] == "c.xlsx"
    real = tmp_path.resolve()
    assert {f.path.resolve() for f in found.files} == {real / "a.xlsx", real / "sub" / "c.xlsx"}
    assert found.skipped == []
    # excluding a link excludes its target, under either name
    assert [f.name for f in discover([tmp_path], exclude=[tmp_path / "b.xlsx"]).files] == \
        ["c.xlsx"]


def test_discover_missing_paths_are_a_usage_error(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.xlsx.*no file matches"):
        discover([tmp_path / "nope.xlsx", str(tmp_path / "*.nomatch")])


# Worker functions must be importable by the worker processes.
_STATE: dict[str, int] = {}


def _init(offset: int) -> None:
    _STATE["offset"] = offset


def _square(n: int) -> int:
    if n == 13:
        raise ValueError("unlucky")
    if n == 17:
        os._exit(3)  # the worker process dies, as on a crash in a native library
    return n * n + _STATE.get("offset", 0)


def _on_error(item: int, message: str) -> int:
    return -item if "unlucky" in message else -1000 - item


def test_parallel_map_keeps_order_and_survives_errors_and_crashes():
    items = list(range(30))
    progress: list[tuple[int, int]] = []
    out = parallel_map(_square, items, jobs=2, initializer=_init, initargs=(1,),
                       on_progress=lambda d, t: progress.append((d, t)), on_error=_on_error,
                       chunksize=4)
    expected = [n * n + 1 for n in items]
    expected[13] = -13  # raised: on_error's result
    expected[17] = -1017  # its process died: only this item is lost, the rest are redone
    assert out == expected
    assert progress[-1] == (30, 30)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_parallel_map_serial_for_small_batches():
    items = [1, 2, 3, 13]
    out = parallel_map(_square, items, jobs=4, initializer=_init, initargs=(0,),
                       on_error=_on_error)
    assert out == [1, 4, 9, -13]
    with pytest.raises(ValueError, match="unlucky"):
        parallel_map(_square, items, jobs=1)


def test_resolve_jobs():
    assert resolve_jobs(3) == 3
    assert resolve_jobs(None) >= 1 and resolve_jobs(0) == resolve_jobs(None)


def test_parallel_imap_gives_results_in_order_as_they_come():
    from esps_cli.io.batch import parallel_imap

    results = parallel_imap(_square, list(range(30)), jobs=2, initializer=_init,
                            initargs=(0,), on_error=_on_error, chunksize=3)
    assert [next(results) for _ in range(5)] == [0, 1, 4, 9, 16]
    results.close()  # a caller that stops early: the pool is stopped, nothing hangs
    out = list(parallel_imap(_square, list(range(20)), jobs=2, on_error=_on_error,
                             chunksize=2))
    assert out[12:18] == [144, -13, 196, 225, 256, -1017]
