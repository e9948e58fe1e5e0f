"""Feedback and action plans a commander can act on (issue 21, item 4), on the quick start's
register: gaps shaded where indicators are listed, each gap with the advisors' rationale, an
owner, a due date (esps.toml's action_plan_due, else the framework cycle's) and the named
buddy unit; `feedback --all`; no command or tool names in anything a unit reads."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR, default_framework_path
from esps_cli.register import Register
from esps_cli.reports.unit import DEFAULT_OWNER, GAP_FILL, PLAN_HEADER

from .packs import record_returns

runner = CliRunner()
CYCLE = "2010-11"
# Kensington & Chelsea: scored by both DCFAs in examples/scores.csv, below the baseline on
# one indicator (OD2.1, both scored 2, each with a comment); buddied with Camden.
UNIT, GAP, BUDDY = "TP-BS", "OD2.1", "Camden (TP-EK)"
COMMAND_OR_TOOL = re.compile(r"esps-cli|\besps [a-z]")


def _ok(result, *codes: int) -> None:
    assert result.exit_code in (codes or (0,)), result.output


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A working folder on the quick start's data, the plans due back on 30/04/2011."""
    root = tmp_path_factory.mktemp("feedback")
    shutil.copytree(EXAMPLES_DIR / "returned", root / "returns")
    shutil.copy(EXAMPLES_DIR / "units.csv", root / "units.csv")
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", root / "dcfas.csv")
    (root / "esps.toml").write_text(
        '[esps]\nunits = "units.csv"\nadvisors = "dcfas.csv"\ncycle = "2010-11"\n'
        'register = "esps.db"\nreturns = "returns"\naction_plan_due = 2011-04-30\n',
        encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("ESPS_CONFIG", str(root / "esps.toml"))
    try:
        _ok(runner.invoke(app, ["allocate", "--seed", "2010"]))
        with Register.open(root / "esps.db") as register:
            record_returns(register, ["TP-EK", "TP-BS"])
        _ok(runner.invoke(app, ["score", "import", str(EXAMPLES_DIR / "scores.csv"),
                                "--any-unlinked"]))
        for role, who, why in (("linked", "dcfa01", "No victim satisfaction data"),
                               ("unlinked", "dcfa05", "Flags not audited")):
            _ok(runner.invoke(app, ["score", "set", UNIT, GAP, "2", "--role", role,
                                    "--assessor", who, "--comment", why, "--any-unlinked"]))
        _ok(runner.invoke(app, ["score", "moderate", "TP-EK", "OD3.1", "3", "--assessor",
                                "dcfa03", "--comment", "Agreed at moderation panel"]))
        _ok(runner.invoke(app, ["actions", "--out", str(root / "plans")]), 0, 1)
        done = runner.invoke(app, ["feedback", "--all", "--out", str(root / "fb")])
        _ok(done)
        (root / "all.txt").write_text(done.output, encoding="utf-8")
    finally:
        mp.undo()
    return root


def _one(folder: Path, sub: str, code: str) -> Path:
    (path,) = (folder / sub).glob(f"*_{code}_*.xlsx")
    return path


def test_feedback_for_every_unit_at_once(folder: Path):
    units = len((folder / "units.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert len(list((folder / "fb").glob("feedback_*.xlsx"))) == units == 56
    said = " ".join((folder / "all.txt").read_text().split())
    assert said.startswith("Wrote 56 files to")


def test_feedback_needs_one_unit_or_all(folder: Path, monkeypatch):
    monkeypatch.setenv("ESPS_CONFIG", str(folder / "esps.toml"))
    for args in ([], ["TP-BS", "--all"]):
        result = runner.invoke(app, ["feedback", *args, "--out", str(folder / "x")])
        assert result.exit_code == 2 and "--all" in result.output
        assert not (folder / "x").exists()


def test_each_gap_carries_rationale_owner_due_date_and_buddy(folder: Path):
    ws = openpyxl.load_workbook(_one(folder, "plans", UNIT))["Action plan"]
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "Indicator")
    assert rows[top][:len(PLAN_HEADER)] == PLAN_HEADER
    (gap,) = [dict(zip(PLAN_HEADER, r, strict=False)) for r in rows[top + 1:] if r[0]]
    assert gap["Indicator"] == GAP
    assert gap["Advisors' rationale"] == ("Linked DCFA (2): No victim satisfaction data\n"
                                          "Unlinked DCFA (2): Flags not audited")
    assert gap["Owner"] == DEFAULT_OWNER
    assert gap["Due date"] == datetime(2011, 4, 30)
    assert gap["Buddy unit"] == BUDDY
    text = " ".join(str(r[0]) for r in rows[:top] if r[0])
    assert f"Return this plan to DCFD by 30/04/2011. Buddy unit: {BUDDY}" in text
    assert "buddied with Camden (TP-EK)" in text


def test_the_due_date_falls_back_on_the_frameworks_cycle(folder: Path, tmp_path: Path,
                                                         monkeypatch):
    framework = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    for cycle in framework["cycles"]:
        if cycle["id"] == CYCLE:
            cycle["action_plan_due"] = "2011-05-31"
    (tmp_path / "framework.yaml").write_text(yaml.safe_dump(framework), encoding="utf-8")
    toml = (folder / "esps.toml").read_text().replace("action_plan_due = 2011-04-30\n", "")
    (tmp_path / "esps.toml").write_text(
        toml.replace('units = "', f'units = "{folder}/').replace(
            'advisors = "', f'advisors = "{folder}/').replace(
            'register = "', f'register = "{folder}/').replace(
            'returns = "', f'returns = "{folder}/') + 'framework = "framework.yaml"\n',
        encoding="utf-8")
    monkeypatch.setenv("ESPS_CONFIG", str(tmp_path / "esps.toml"))
    _ok(runner.invoke(app, ["actions", "--out", str(tmp_path / "plans"), "--unit", UNIT]))
    ws = openpyxl.load_workbook(_one(tmp_path, "plans", UNIT))["Action plan"]
    assert any(r[PLAN_HEADER.index("Due date")] == datetime(2011, 5, 31)
               for r in ws.iter_rows(values_only=True) if r[0] == GAP)


def test_gaps_are_shaded_where_the_indicators_are_listed(folder: Path):
    wb = openpyxl.load_workbook(_one(folder, "fb", UNIT))
    ws = wb["Scores"]
    header = [c.value for c in ws[1]]
    shaded = {}
    for row in ws.iter_rows(min_row=2):
        if row[0].value and re.fullmatch(r"[A-Z]{2}\d+\.\d+", str(row[0].value)):
            shaded[row[0].value] = row[0].fill.fgColor.rgb == GAP_FILL.fgColor.rgb
            gap_text = row[header.index("Gap")].value
            assert bool(gap_text) == shaded[row[0].value]
    assert [k for k, v in shaded.items() if v] == [GAP] and len(shaded) == 54
    facts = {r[0]: r[1] for r in wb["Standing"].iter_rows(values_only=True) if r[0]}
    assert facts["Gaps for the action plan"] == 1
    assert facts["Action plan due back"] == datetime(2011, 4, 30)
    assert facts["Buddy unit"] == BUDDY


def test_no_command_or_tool_names_in_what_units_read(folder: Path):
    found = []
    for path in [*(folder / "fb").glob("*.xlsx"), *(folder / "plans").glob("*.xlsx")]:
        for ws in openpyxl.load_workbook(path).worksheets:
            for row in ws.iter_rows(values_only=True):
                found += [(path.name, v) for v in row
                          if isinstance(v, str) and COMMAND_OR_TOOL.search(v)]
    assert not found, found[:3]
