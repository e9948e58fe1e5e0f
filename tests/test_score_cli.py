"""`esps allocate` and `esps score ...` through the real CLI, on real workbooks and registers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.register import Register

from .conftest import CYCLE
from .packs import record_returns

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db(tmp_path: Path, units: list[Unit]) -> Path:
    """A register where every example unit has a readable return on record."""
    path = tmp_path / "scores.db"
    with Register.open(path) as reg:
        record_returns(reg, [u.code for u in units])
    return path


def run(db: Path, *args: str):
    return runner.invoke(app, [*args, "--register", str(db), "--cycle", CYCLE,
                               "--units", str(EXAMPLES_DIR / "units.csv")])


def flat(text: str) -> str:
    """Output with line wrapping undone (rich wraps long lines at the terminal width)."""
    return " ".join(text.split())


def allocated_to(db: Path, unit: Unit) -> str:
    with Register.open(db) as reg:
        return reg.allocations(CYCLE)[unit.code]


# -- allocate ----------------------------------------------------------------------------


def test_allocate_shows_records_and_exports(db: Path, tmp_path: Path, units: list[Unit]) -> None:
    out = tmp_path / "alloc.csv"
    result = run(db, "allocate", "--seed", "2010", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Unlinked DCFA allocation, FY2010/11" in result.stdout
    assert flat(result.stderr).startswith(
        f"{len(units)} new, 0 reallocated, 0 kept; workloads differ by at most 1; seed 2010")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(units)
    linked = {u.code: u.linked_dcfa for u in units}
    assert all(r["unlinked_dcfa"] != linked[r["unit"]] for r in rows)
    with Register.open(db) as reg:
        assert reg.allocations(CYCLE) == {r["unit"]: r["unlinked_dcfa"] for r in rows}

    # Run again: kept; the same seed afresh gives the same allocation.
    again = run(db, "allocate", "--seed", "1", "--format", "json")
    assert again.exit_code == 0
    plan = json.loads(again.stdout)
    assert {e["status"] for e in plan["entries"]} == {"kept"}
    redo = run(db, "allocate", "--seed", "2010", "--reallocate", "--format", "csv")
    assert redo.exit_code == 0
    redone = list(csv.DictReader(io.StringIO(redo.stdout)))
    assert [r["unlinked_dcfa"] for r in redone] == [r["unlinked_dcfa"] for r in rows]


def test_allocate_refuses_to_overwrite_output_and_records_nothing(
    db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "alloc.csv"
    out.write_text("keep me")
    result = run(db, "allocate", "--seed", "1", "--output", str(out))
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {out} already exists; use --force to replace it"
    assert out.read_text() == "keep me"
    with Register.open(db) as reg:
        assert reg.allocations(CYCLE) == {}
    assert run(db, "allocate", "--seed", "1", "--output", str(out), "--force").exit_code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("cycle,unit,")


# -- set and moderate --------------------------------------------------------------------


def test_score_set_records_and_reports(db: Path, units: list[Unit]) -> None:
    unit = units[0]
    result = run(db, "score", "set", unit.code, "OD1.1", "3.0", "--role", "linked",
                 "--assessor", unit.linked_dcfa, "--comment", "plan in place")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"recorded linked score 3 for {unit.code} OD1.1 by {unit.linked_dcfa} (cycle {CYCLE})",
        "combined: - (awaiting-unlinked: linked score 3; waiting for the unlinked DCFA)",
    ]
    same = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "linked",
               "--assessor", unit.linked_dcfa, "--comment", "plan in place")
    assert same.exit_code == 0
    assert same.stdout.startswith(f"unchanged: the linked score for {unit.code} OD1.1 is "
                                  f"already 3 by {unit.linked_dcfa}")
    with Register.open(db) as reg:
        assert reg.event_count() == 1


@pytest.mark.parametrize(
    ("score", "message"),
    [("5", "score 5 is not on the scale 1-4"),
     ("three", "score 'three' is not a whole number on the scale 1-4"),
     ("0", "score 0 is not on the scale 1-4"),
     ("2.5", "score '2.5' is not a whole number on the scale 1-4")],
)
def test_score_set_refuses_bad_scores(db: Path, units: list[Unit], score: str,
                                      message: str) -> None:
    unit = units[0]
    result = run(db, "score", "set", unit.code, "OD1.1", score, "--role", "linked",
                 "--assessor", unit.linked_dcfa)
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {message}; nothing recorded"
    with Register.open(db) as reg:
        assert reg.event_count() == 0


def test_score_set_assessor_rules(db: Path, units: list[Unit]) -> None:
    unit = units[0]
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "linked",
                 "--assessor", "dcfa09")
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        f"error: dcfa09 is not the linked DCFA of {unit.code} ({unit.linked_dcfa} per the units "
        "list); linked scores come only from the unit's linked DCFA; nothing recorded")
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "unlinked",
                 "--assessor", unit.linked_dcfa)
    assert result.exit_code == 2
    assert "so cannot give its unlinked score" in flat(result.stderr)
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "unlinked",
                 "--assessor", "dcfa09")
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        f"error: no unlinked DCFA is allocated to {unit.code} for {CYCLE}: run esps allocate, "
        "or pass --any-unlinked; nothing recorded")
    assert run(db, "allocate", "--seed", "3").exit_code == 0
    allocated = allocated_to(db, unit)
    other = next(a for a in ("dcfa09", "dcfa10", "dcfa08")
                 if a not in (allocated, unit.linked_dcfa))
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "unlinked",
                 "--assessor", other)
    assert result.exit_code == 2
    assert f"is not the unlinked DCFA allocated to {unit.code} ({allocated})" in flat(
        result.stderr)
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "unlinked",
                 "--assessor", other, "--any-unlinked")
    assert result.exit_code == 0, result.output
    result = run(db, "score", "set", "NOPE", "XX1.1", "3", "--role", "linked",
                 "--assessor", "ghost")
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        "error: 3 problems; nothing recorded: - unknown unit 'NOPE' (not in the units list) "
        "- unknown indicator 'XX1.1' (not in framework esps-mps) - unknown assessor 'ghost' "
        "(not in the advisors list)")
    result = run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "boss",
                 "--assessor", unit.linked_dcfa)
    assert result.exit_code == 2
    with Register.open(db) as reg:
        assert reg.event_count() == 1


def test_moderate(db: Path, units: list[Unit]) -> None:
    unit = units[0]
    assert run(db, "allocate", "--seed", "3").exit_code == 0
    allocated = allocated_to(db, unit)
    no_comment = run(db, "score", "moderate", unit.code, "OD1.1", "3", "--assessor", "dcfa10")
    assert no_comment.exit_code == 2  # --comment is required
    third = next(a for a in ("dcfa10", "dcfa09", "dcfa08")
                 if a not in (allocated, unit.linked_dcfa))
    early = run(db, "score", "moderate", unit.code, "OD1.1", "3", "--assessor", third,
                "--comment", "agreed at panel")
    assert early.exit_code == 2
    assert flat(early.stderr) == (
        f"error: nothing to moderate yet: {unit.code} OD1.1 needs both a linked and an "
        "unlinked score first; nothing recorded")
    run(db, "score", "set", unit.code, "OD1.1", "4", "--role", "linked",
        "--assessor", unit.linked_dcfa)
    run(db, "score", "set", unit.code, "OD1.1", "1", "--role", "unlinked",
        "--assessor", allocated)
    agreement = json.loads(run(db, "score", "agreement", "--format", "json").stdout)
    assert [(m["unit"], m["indicator"], m["difference"])
            for m in agreement["moderation_queue"]] == [(unit.code, "OD1.1", 3)]
    text = run(db, "score", "agreement")
    assert "Moderation queue (1)" in text.stdout
    done = run(db, "score", "moderate", unit.code, "OD1.1", "2", "--assessor", third,
               "--comment", "agreed at panel")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[1] == (
        f"combined: 2 (moderated: moderated score 2 by {third} overrides linked 4, unlinked 1)")
    agreement = json.loads(run(db, "score", "agreement", "--format", "json").stdout)
    assert agreement["moderation_queue"] == []
    assert agreement["moderated"] == 1
    assert agreement["overall"]["n"] == 1


def test_moderate_refuses_the_units_own_assessors_with_exit_2(db: Path, units: list[Unit]) -> None:
    unit = next(u for u in units if u.code == "TP-EK")
    assert run(db, "allocate", "--seed", "3").exit_code == 0
    allocated = allocated_to(db, unit)
    run(db, "score", "set", unit.code, "OD1.1", "4", "--role", "linked",
        "--assessor", unit.linked_dcfa)
    run(db, "score", "set", unit.code, "OD1.1", "1", "--role", "unlinked",
        "--assessor", allocated, "--comment", "no plan seen")
    for who, side in ((unit.linked_dcfa, "linked"), (allocated, "unlinked")):
        result = run(db, "score", "moderate", unit.code, "OD1.1", "3", "--assessor", who,
                     "--comment", "agreed at panel")
        assert result.exit_code == 2, result.output
        assert flat(result.stderr) == (
            f"error: {who} is the {side} DCFA of {unit.code}, so cannot moderate its scores; "
            "moderation is by a third DCFA; nothing recorded")
    with Register.open(db) as reg:
        assert reg.current(CYCLE, unit.code, "OD1.1").moderated is None


# -- import (packs: tests/test_packs.py) -------------------------------------------------


def test_import_a_csv_of_scores(db: Path, units: list[Unit], tmp_path: Path) -> None:
    unit = units[0]
    path = tmp_path / "scores.csv"
    path.write_text("Unit,Indicator,Role,Assessor,Score,Comment\n"
                    f"{unit.code},OD1.1,linked,{unit.linked_dcfa},4,fine\n"
                    f"{unit.code},OD1.2,linked,{unit.linked_dcfa},2.0,\n", encoding="utf-8")
    result = run(db, "score", "import", str(path))
    assert result.exit_code == 0, result.output
    assert flat(result.stdout) == (
        f"imported {path}: 2 new score(s) (linked 2), 0 unchanged")
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,indicator,role,assessor,score\nTP-CW,OD1.1,linked,dcfa01,6\n")
    result = run(db, "score", "import", str(bad))
    assert result.exit_code == 1
    assert f"{bad} row 2: score 6 is not on the scale 1-4" in result.stdout
    as_json = run(db, "score", "import", str(bad), "--format", "json")
    assert as_json.exit_code == 1
    assert [(p["row"], p["code"]) for p in json.loads(as_json.stdout)[0]["problems"]] == [
        (2, "score-invalid")]
    as_csv = run(db, "score", "import", str(bad), "--format", "csv")
    assert as_csv.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["status"], r["severity"], r["code"], r["row"], r["message"]) for r in rows] == [
        ("rejected", "error", "score-invalid", "2", "score 6 is not on the scale 1-4")]


def test_import_path_errors(db: Path, tmp_path: Path) -> None:
    result = run(db, "score", "import", str(tmp_path / "nothing.xlsx"))
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {tmp_path / 'nothing.xlsx'}: no such file or folder"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(db, "score", "import", str(empty))
    assert result.exit_code == 2
    assert flat(result.stderr) == (
        f"error: {empty}: no scoring packs (.xlsx) or CSVs of scores in this folder")


# -- show, history, export, agreement ----------------------------------------------------


def test_read_commands_need_an_existing_register(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    for args in (("score", "show", "TP-CW"), ("score", "history", "TP-CW", "OD1.1"),
                 ("score", "export"), ("score", "agreement")):
        result = run(db, *args)
        assert result.exit_code == 2, args
        assert flat(result.stderr).startswith(f"error: no score register at {db} yet")
    assert not db.exists()
    result = run(db, "score", "show", "NOPE")
    assert result.exit_code == 2
    assert flat(result.stderr) == "error: unknown unit 'NOPE' (not in the units list)"


def _scored(db: Path, units: list[Unit]) -> Unit:
    unit = units[0]
    run(db, "score", "set", unit.code, "OD1.1", "3", "--role", "linked",
        "--assessor", unit.linked_dcfa, "--comment", "=HYPERLINK(\"http://x\")")
    run(db, "score", "set", unit.code, "OD1.1", "2", "--role", "unlinked",
        "--assessor", "dcfa09", "--any-unlinked", "--comment", "+1 -2 @me")
    return unit


def test_export_csv_escapes_formulas(db: Path, units: list[Unit], tmp_path: Path) -> None:
    unit = _scored(db, units)
    result = run(db, "score", "export")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["unit"], row["indicator"], row["linked_score"], row["unlinked_score"],
            row["combined_score"], row["status"]) == (unit.code, "OD1.1", "3", "2", "2",
                                                      "lower-stands")
    assert row["linked_comment"] == "'=HYPERLINK(\"http://x\")"
    assert row["unlinked_comment"] == "'+1 -2 @me"
    everything = list(csv.DictReader(io.StringIO(run(db, "score", "export", "--all").stdout)))
    assert len(everything) == len(units) * 54
    history = list(csv.DictReader(io.StringIO(run(db, "score", "export", "--history").stdout)))
    assert [(h["role"], h["score"]) for h in history] == [("linked", "3"), ("unlinked", "2")]
    out = tmp_path / "scores.csv"
    assert run(db, "score", "export", "--output", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8-sig") == result.stdout


def test_export_json_and_xlsx(db: Path, units: list[Unit], tmp_path: Path) -> None:
    _scored(db, units)
    data = json.loads(run(db, "score", "export", "--format", "json").stdout)
    assert data[0]["linked_comment"] == "=HYPERLINK(\"http://x\")"  # JSON is data, not a sheet
    assert data[0]["combined_score"] == 2
    no_output = run(db, "score", "export", "--format", "xlsx")
    assert no_output.exit_code == 2
    assert flat(no_output.stderr) == "error: --format xlsx needs --output FILE"
    out = tmp_path / "scores.xlsx"
    result = run(db, "score", "export", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    values = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert values["Linked comment"] == "'=HYPERLINK(\"http://x\")"  # printed headings
    assert values["Unlinked comment"] == "'+1 -2 @me"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    before = out.read_bytes()
    again = run(db, "score", "export", "--format", "xlsx", "--output", str(out))
    assert again.exit_code == 2
    assert out.read_bytes() == before
    forced = run(db, "score", "export", "--format", "xlsx", "--output", str(out), "--force",
                 "--history")
    assert forced.exit_code == 0
    assert openpyxl.load_workbook(out).active.max_row == 3


def test_show_history_and_agreement_text(db: Path, units: list[Unit]) -> None:
    unit = _scored(db, units)
    show = run(db, "score", "show", unit.code)
    assert show.exit_code == 0
    assert f"{unit.code} {unit.name}: scores, FY2010/11" in show.stdout
    assert "1 lower-stands, 53 awaiting-both" in flat(show.stdout)
    history = run(db, "score", "history", unit.code, "OD1.1")
    assert history.exit_code == 0
    assert "2 event(s)" in history.stdout
    agreement = run(db, "score", "agreement")
    assert agreement.exit_code == 0
    assert "overall" in agreement.stdout
    assert "moderation queue: empty" in agreement.stdout


def test_register_and_cycle_come_from_esps_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, units: list[Unit]
) -> None:
    folder = tmp_path / "cycle-2010"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    monkeypatch.chdir(folder)
    unit = units[0]
    with Register.open(folder / "esps.db") as reg:
        record_returns(reg, [unit.code])
    result = runner.invoke(app, ["score", "set", unit.code, "OD1.1", "4", "--role", "linked",
                                 "--assessor", unit.linked_dcfa])
    assert result.exit_code == 0, result.output
    assert f"(cycle {CYCLE})" in result.stdout
    with Register.open(folder / "esps.db", create=False) as reg:
        assert reg.current(CYCLE, unit.code, "OD1.1").linked.score == 4
