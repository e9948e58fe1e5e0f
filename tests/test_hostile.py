"""Hostile and broken files: each gets exactly one clear finding, alone or in a folder with good
returns; the batch completes and nothing is printed as a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.samples import fill_file

from . import hostile

runner = CliRunner()


@pytest.fixture(scope="module")
def good_return(tmp_path_factory, pristine_pack, units, framework) -> Path:
    from esps_cli.workbook.generate import workbook_filename

    folder = tmp_path_factory.mktemp("good")
    src = pristine_pack / workbook_filename(units[1], framework.cycle("2010-11"))
    path = folder / src.name
    shutil.copy(src, path)
    fill_file(path, framework, "complete")
    assert validate_workbook(path, framework).findings == []
    return path


# name -> (builder(target, good return), expected code, severity, words the message must contain)
CASES = {
    "zero.xlsx": (lambda p, g: hostile.zero_byte(p), "unreadable-file", "error",
                  "empty (0 bytes)"),
    "notes.xlsx": (lambda p, g: hostile.text_named_xlsx(p), "unreadable-file", "error",
                   "does not start as a zip archive"),
    "scan.xlsx": (lambda p, g: hostile.pdf_named_xlsx(p), "unreadable-file", "error",
                  "PDF document"),
    "truncated.xlsx": (lambda p, g: hostile.truncated(g, p), "unreadable-file", "error",
                       "truncated"),
    "bomb.xlsx": (lambda p, g: hostile.zip_bomb(p), "unreadable-file", "error",
                  "possible zip bomb"),
    "entities.xlsx": (lambda p, g: hostile.entity_bomb(g, p), "unreadable-file", "error", "entity"),
    "locked.xlsx": (lambda p, g: hostile.encrypted(p), "unreadable-file", "error",
                    "encrypted (password-protected)"),
    "old.xls": (lambda p, g: hostile.legacy_xls(p), "unreadable-file", "error",
                "legacy Excel 97-2003"),
    "macros.xlsm": (lambda p, g: hostile.macro_enabled(g, p), "macro-enabled", "warning", "macros"),
    "pasted.xlsx": (lambda p, g: hostile.many_rows(g, p), "too-many-rows", "error", "100,"),
    "nometa.xlsx": (lambda p, g: hostile.metadata_deleted(g, p), "not-esps-workbook", "error",
                    "_esps_meta"),
    "unhidden.xlsx": (lambda p, g: hostile.metadata_unhidden_and_edited(g, p),
                      "wrong-framework-version", "error",
                      "unhidden"),
}


def _build(name: str, folder: Path, good: Path) -> Path:
    """Make the hostile file `name` in folder (builders take the target and a good return)."""
    path = folder / name
    CASES[name][0](path, good)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_file_gets_exactly_one_clear_finding(name, tmp_path, good_return,
                                                          framework):
    path = _build(name, tmp_path, good_return)
    before = path.read_bytes()
    report = validate_workbook(path, framework)
    _, code, severity, words = CASES[name]
    assert [(f.code, f.severity) for f in report.findings] == [(code, severity)], [
        (f.code, f.cell, f.message) for f in report.findings
    ]
    finding = report.findings[0]
    assert finding.file == name
    assert words in finding.message
    assert finding.hint
    assert path.read_bytes() == before


def test_a_folder_of_hostile_files_with_good_returns(tmp_path, good_return, framework):
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(good_return, folder / "good.xlsx")
    for name in CASES:
        _build(name, folder, good_return)
    (folder / "~$good.xlsx").write_bytes(b"lock")
    batch = validate_paths([folder], framework, jobs=2)
    by_file = {w.file: w for w in batch.workbooks}
    assert by_file["good.xlsx"].valid
    for name, (_, code, _, _) in CASES.items():
        assert [f.code for f in by_file[name].findings] == [code], name
    assert [s.kind for s in batch.skipped] == ["lock"]


def test_cli_on_hostile_folder_no_traceback(tmp_path, good_return):
    folder = tmp_path / "returns"
    folder.mkdir()
    for name in ("zero.xlsx", "locked.xlsx", "entities.xlsx"):
        _build(name, folder, good_return)
    result = runner.invoke(app, ["validate", str(folder), "--format", "json", "--jobs", "1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert sorted(w["file"] for w in data["workbooks"]) == [
        "entities.xlsx", "locked.xlsx", "zero.xlsx",
    ]
