"""A return no one else can sink (issue 25 item 3) and returns identified by content (issue 21
item 6), on both register engines, through the command line on generated workbooks: a forged or
unreadable file never displaces a unit's accepted return; the same bytes under another path are
the same return; files outside the returns folder and units not on the list are not recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from esps_cli.domain.framework import Framework
from esps_cli.register import Register, audit
from esps_cli.register.review import current_state, returns_of
from esps_cli.workbook.layout import INDICATORS
from esps_cli.workbook.samples import indicator_rows, table_columns

from .conftest import CYCLE
from .test_review_loop import (
    UNITS,
    A,
    B,
    _no_settings,  # noqa: F401  (autouse: no esps.toml, no ESPS_REGISTER)
    esps,
    generate,
    relabel,
    returned,
    validate,
)


def _by_file(result) -> dict[str, dict]:
    return {w["file"]: w for w in json.loads(result.stdout)["workbooks"]}


def _entries(register: str) -> int:
    with Register.open(register, create=False) as reg:
        return len(audit.entries(reg.database))


def test_a_forged_or_unreadable_later_file_never_displaces_the_units_return(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    real = returned(packs, tmp_path, A, framework)
    camden = returned(packs, tmp_path, B, framework)
    first = validate(real.parent, register_at, "--units", UNITS)
    assert _by_file(first)[real.name]["valid"] is True
    forged = relabel(camden, real.parent / f"{real.stem} v2.xlsx", A, "Westminster")
    (real.parent / f"{real.stem} v3.xlsx").write_text("not a workbook")
    again = _by_file(validate(real.parent, register_at, "--units", UNITS))
    kept = again[real.name]
    assert (kept["valid"], kept["superseded_by"], kept["set_aside"]) == (True, "", "")
    assert again[forged.name]["set_aside"] == (
        f"this file fails its identity check, so it does not replace the unit's return "
        f"({real.name}), however late it came")
    assert again[f"{real.stem} v3.xlsx"]["set_aside"].startswith(
        f"this file cannot be read, so it does not replace the unit's return ({real.name})")
    # Recorded as what they are, shown to DCFD; the review state is the first return's.
    with Register.open(register_at, create=False) as reg:
        recorded = [(r.file, r.errors > 0) for r in returns_of(reg, CYCLE, A)]
        state = current_state(reg, CYCLE, A)
    assert recorded == [(real.name, False), (forged.name, True), (f"{real.stem} v3.xlsx", True)]
    assert state is not None and (state.state, state.reason) == (
        "received", f"first return: {real.name}")
    # The Board's figures: Westminster's valid return counts, once.
    summary = esps("summary", "--returns", str(real.parent), "--register", register_at,
                   "--units", UNITS, "--cycle", CYCLE, "--format", "json", "--jobs", "1")
    unit = next(u for u in json.loads(summary.stdout)["units"] if u["unit_code"] == A)
    assert (unit["return_files"], unit["valid"]) == ([real.name], True)


def test_a_forged_file_alone_is_the_units_only_return_and_counts_as_what_it_is(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    camden = returned(packs, tmp_path, B, framework)
    forged = relabel(camden, tmp_path / "forged.xlsx", A, "Westminster")
    got = _by_file(validate(forged, register_at))[forged.name]
    assert (got["valid"], got["set_aside"]) == (False, "")
    with Register.open(register_at, create=False) as reg:
        assert current_state(reg, CYCLE, A) is None  # a forged file sets no review state


def test_the_same_bytes_under_another_path_are_the_same_return(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    wb = openpyxl.load_workbook(ret)  # a rating cleared: findings, so a marked-up copy is due
    ws = wb[INDICATORS.sheet]
    ws.cell(row=indicator_rows(ws)["OD1.1"], column=table_columns(ws, INDICATORS)[1]["rating"]
            ).value = None
    wb.save(ret)
    marked = tmp_path / "marked"
    assert validate(ret.parent, register_at, "--annotate", str(marked)).exit_code == 1
    assert len(list(marked.glob("*.xlsx"))) == 1
    entries = _entries(register_at)
    late = ret.parent / "late"
    late.mkdir()
    moved = late / "Westminster final.xlsx"
    shutil.move(ret, moved)
    marked_again = tmp_path / "marked2"
    result = validate(ret.parent, register_at, "--recursive", "--annotate", str(marked_again))
    got = _by_file(result)[str(Path("late") / moved.name)]
    assert got["received_as"] == ret.name
    assert "identical-resubmission" not in [f["code"] for f in got["findings"]]
    assert got["resubmission"] is None
    assert _entries(register_at) == entries  # no new return, no audit entry
    with Register.open(register_at, create=False) as reg:
        assert [r.file for r in returns_of(reg, CYCLE, A)] == [ret.name]
    assert not marked_again.exists() or not list(marked_again.glob("*.xlsx"))
    text = esps("validate", str(moved), "--cycle", CYCLE, "--register", register_at)
    assert "already received on " in text.stdout and f"as {ret.name}" in text.stdout
    # Both copies in the folder: one return, counted once, no duplicate-return.
    shutil.copy(moved, ret)
    both = validate(ret.parent, register_at, "--recursive")
    files = _by_file(both)
    assert files[ret.name]["set_aside"] == ""
    assert files[str(Path("late") / moved.name)]["set_aside"] == (
        f"the same file as {ret.name} (the same bytes): one return, counted once")
    assert "duplicate-return" not in [f["code"] for f in json.loads(both.stdout)["findings"]]


def _working_folder(tmp_path: Path, register: str) -> Path:
    folder = tmp_path / "work"
    (folder / "returns").mkdir(parents=True)
    (folder / "esps.toml").write_text(
        f'cycle = "{CYCLE}"\nunits = "{UNITS}"\nreturns = "returns"\nregister = "{register}"\n')
    return folder


def test_a_file_outside_the_returns_folder_is_recorded_only_with_record(
        register_at: str, tmp_path: Path, framework: Framework,
        monkeypatch: pytest.MonkeyPatch) -> None:
    packs = generate(tmp_path, register_at)
    elsewhere = returned(packs, tmp_path, A, framework)  # tmp_path/returns: not the folder's
    folder = _working_folder(tmp_path, register_at)
    monkeypatch.chdir(folder)
    looked = esps("validate", str(elsewhere), "--format", "json", "--jobs", "1")
    assert looked.exit_code == 0, looked.output
    notes = json.loads(looked.stdout)["notes"]
    assert notes == [f"Not recorded as returns: {elsewhere.name}: outside the returns folder "
                     f"{folder / 'returns'}; add --record to record them."]
    with Register.open(register_at, create=False) as reg:
        assert returns_of(reg, CYCLE) == []
    inside = folder / "returns" / elsewhere.name
    shutil.copy(elsewhere, inside)
    esps("validate", "--format", "json", "--jobs", "1")  # the folder: 55 units not returned
    with Register.open(register_at, create=False) as reg:
        assert [r.file for r in returns_of(reg, CYCLE)] == [elsewhere.name]
    (folder / "returns" / elsewhere.name).unlink()
    other = relabel(elsewhere, tmp_path / "other.xlsx", "TP-ZZ", "Nowhere")
    recorded = esps("validate", str(other), "--record", "--format", "json", "--jobs", "1")
    assert json.loads(recorded.stdout)["notes"][-1] == (
        "Not recorded as returns: other.xlsx: their unit is not on the units list.")
    with Register.open(register_at, create=False) as reg:
        assert [r.unit for r in returns_of(reg, CYCLE)] == [A]
