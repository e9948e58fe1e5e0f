"""The review loop with units (issue 11, points 2, 3 and 5) on both register engines: sealed
identity (pack ids issued by generate, checked by validate), returns remembered and
resubmissions compared, review states set and shown, on real generated workbooks through the
command line."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register
from esps_cli.register.maintenance import copy_register
from esps_cli.register.review import issued_workbooks, returns_of, review_history
from esps_cli.workbook.layout import EVIDENCE, INDICATORS, META_KEYS, SHEET_COVER, SHEET_META
from esps_cli.workbook.reader import read_workbook
from esps_cli.workbook.samples import fill_file, indicator_rows, table_columns

from .conftest import CYCLE
from .test_register import integrity_error, raw

runner = CliRunner()
UNITS = str(EXAMPLES_DIR / "units.csv")
PACK_ID_CELL = f"B{META_KEYS.index('pack_id') + 1}"
A, B = "TP-CW", "TP-EK"  # Westminster, Camden


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.delenv("ESPS_REGISTER", raising=False)
    monkeypatch.chdir(tmp_path)


def esps(*args: str) -> Any:
    return runner.invoke(app, list(args))


def generate(tmp_path: Path, register: str | None) -> Path:
    packs = tmp_path / "packs"
    extra = ["--register", register] if register else []
    result = esps("generate", UNITS, "--out", str(packs), "--cycle", CYCLE, "--unit", A,
                  "--unit", B, *extra)
    assert result.exit_code == 0, result.output
    return packs


def returned(packs: Path, tmp_path: Path, code: str, framework: Framework,
             name: str | None = None) -> Path:
    """The unit's generated workbook, filled in completely, in returns/."""
    src = next(packs.glob(f"{code}_*.xlsx"))
    folder = tmp_path / "returns"
    folder.mkdir(exist_ok=True)
    dst = folder / (name or src.name)
    shutil.copy(src, dst)
    return fill_file(dst, framework, "complete")


def validate(target: Path, register: str | None, *more: str) -> Any:
    extra = ["--register", register] if register else []
    return esps("validate", str(target), "--cycle", CYCLE, "--format", "json", "--jobs", "1",
                *extra, *more)


def codes(report: dict[str, Any], file: str) -> list[str]:
    wb = next(w for w in report["workbooks"] if w["file"] == file)
    return [f["code"] for f in wb["findings"]]


def relabel(path: Path, dst: Path, code: str, name: str) -> Path:
    """A copy of a unit's workbook with its Cover and hidden metadata edited to another unit."""
    wb = openpyxl.load_workbook(path)
    old_code = read_workbook(path).meta["unit_code"]
    meta = wb[SHEET_META]
    for row in meta.iter_rows(min_row=1, max_row=len(META_KEYS)):
        if row[0].value == "unit_code":
            row[1].value = code
        elif row[0].value == "unit_name":
            row[1].value = name
    for row in wb[SHEET_COVER].iter_rows():
        for cell in row:
            if cell.value == old_code:
                cell.value = code
    wb.save(dst)
    return dst


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- sealed identity --------------------------------------------------------------------------


def test_generate_records_each_pack_id_and_the_units_own_return_passes(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    with Register.open(register_at) as reg:
        issued = {w.unit: w for w in issued_workbooks(reg, CYCLE)}
    assert set(issued) == {A, B}
    for code, issue in issued.items():
        meta = read_workbook(next(packs.glob(f"{code}_*.xlsx"))).meta
        assert meta["pack_id"] == issue.pack_id and len(issue.pack_id) == 32
        assert (issue.framework_id, issue.framework_version) == (
            framework.meta.id, framework.meta.version)
    ret = returned(packs, tmp_path, B, framework)
    result = validate(ret, register_at)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert codes(report, ret.name) == [] and report["notes"] == []


def test_a_copy_of_another_units_workbook_relabelled_is_identity_forged(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    camden = returned(packs, tmp_path, B, framework)
    forged = relabel(camden, tmp_path / "returns" / "TP-CW_Westminster_2010-11.xlsx", A,
                     "Westminster")
    before = sha(forged), sha(camden)
    result = validate(forged, register_at)
    assert result.exit_code == 1
    wb = json.loads(result.stdout)["workbooks"][0]
    assert [(f["code"], f["sheet"], f["cell"]) for f in wb["findings"]] == [
        ("identity-forged", SHEET_META, PACK_ID_CELL)]
    message = wb["findings"][0]["message"]
    assert f"claims unit {A}" in message and f"issued to unit {B}" in message
    assert (sha(forged), sha(camden)) == before  # nothing written to a return
    # The same copy with its pack id changed too: not a pack issued to Westminster.
    wb2 = openpyxl.load_workbook(forged)
    wb2[SHEET_META][PACK_ID_CELL] = uuid.uuid4().hex
    wb2.save(forged)
    report = json.loads(validate(forged, register_at).stdout)
    # (The same answers as the forged copy validated before it, but a file failing its
    # identity follows no return and is followed by none: no identical-resubmission.)
    assert codes(report, forged.name) == ["pack-not-issued"]


def test_without_a_register_the_seal_is_reported_skipped_once(
        tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, None)
    folder = returned(packs, tmp_path, A, framework).parent
    returned(packs, tmp_path, B, framework)
    result = esps("validate", str(folder), "--cycle", CYCLE, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Sealed identity not checked") == 1
    assert "no register is configured" in result.stdout


def test_workbooks_made_without_the_register_are_noted_not_failed(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, None)  # no pack ids recorded
    ret = returned(packs, tmp_path, A, framework)
    report = json.loads(validate(ret, register_at).stdout)
    assert codes(report, ret.name) == []
    assert len(report["notes"]) == 1 and "made without the register" in report["notes"][0]


# -- resubmissions ----------------------------------------------------------------------------


def _fix(path: Path, indicator: str) -> None:
    """A unit's correction: another rating and narrative for one indicator, an evidence row
    more for it."""
    wb = openpyxl.load_workbook(path)
    ws = wb[INDICATORS.sheet]
    _, cols = table_columns(ws, INDICATORS)
    row = indicator_rows(ws)[indicator]
    old = ws.cell(row=row, column=cols["rating"]).value
    ws.cell(row=row, column=cols["rating"]).value = 1 if old != 1 else 2
    ws.cell(row=row, column=cols["narrative"]).value = "Rewritten after DCFD's feedback. " * 5
    ev = wb[EVIDENCE.sheet]
    _, ecols = table_columns(ev, EVIDENCE)
    last = max(r for r in range(1, ev.max_row + 1)
               if ev.cell(row=r, column=ecols["indicator_id"]).value)
    for col in ecols.values():
        ev.cell(row=last + 1, column=col).value = ev.cell(row=last, column=col).value
    ev.cell(row=last + 1, column=ecols["indicator_id"]).value = indicator
    ev.cell(row=last + 1, column=ecols["title"]).value = "Panel minutes, added"
    wb.save(path)


def test_a_resubmission_lists_what_changed_and_the_same_file_again_records_nothing(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    first = json.loads(validate(ret, register_at).stdout)["workbooks"][0]
    assert first["resubmission"] is None and first["received_at"]
    again = json.loads(validate(ret, register_at).stdout)["workbooks"][0]
    assert again["received_at"] == first["received_at"]  # the same return: not recorded twice
    _fix(ret, "OD1.2")
    result = validate(ret, register_at)
    assert result.exit_code == 0, result.output
    wb = json.loads(result.stdout)["workbooks"][0]
    change = wb["resubmission"]
    assert change["previous_file"] == ret.name and change["identical"] == ""
    assert [c["indicator_id"] for c in change["indicators_changed"]] == ["OD1.2"]
    assert change["indicators_changed"][0]["changed"][1:] == ["narrative",
                                                              "evidence (2 -> 3 rows)"]
    assert change["indicators_changed"][0]["changed"][0].startswith("rating ")
    with Register.open(register_at) as reg:
        recorded = returns_of(reg, CYCLE, A)
    assert [r.previous_id for r in recorded] == [None, recorded[0].id]
    assert recorded[1].answers["indicators"]["OD1.2"]["narrative"].startswith("Rewritten")
    # Text output says it on one screen.
    text = esps("validate", str(ret), "--cycle", CYCLE, "--register", register_at)
    assert f"Changes since {ret.name}" in text.stdout and "OD1.2: rating" in text.stdout


def test_findings_fixed_and_new_are_listed(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    wb = openpyxl.load_workbook(ret)
    ws = wb[INDICATORS.sheet]
    _, cols = table_columns(ws, INDICATORS)
    rows = indicator_rows(ws)
    ws.cell(row=rows["OD1.1"], column=cols["rating"]).value = None
    wb.save(ret)
    assert "missing-rating" in codes(json.loads(validate(ret, register_at).stdout), ret.name)
    wb = openpyxl.load_workbook(ret)
    wb[INDICATORS.sheet].cell(row=rows["OD1.1"], column=cols["rating"]).value = 3
    wb[INDICATORS.sheet].cell(row=rows["OD1.3"], column=cols["narrative"]).value = "Too short."
    wb.save(ret)
    change = json.loads(validate(ret, register_at).stdout)["workbooks"][0]["resubmission"]
    assert [f["code"] for f in change["findings_fixed"]] == ["missing-rating"]
    assert [f["code"] for f in change["findings_new"]] == ["narrative-too-short"]


def test_an_identical_resubmission_is_a_warning_and_supersedes_the_older_file(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    folder = ret.parent
    assert validate(folder, register_at, "--units", UNITS).exit_code == 1  # B not returned
    # The same bytes under another name: the same return (issue 21), set aside, no warning.
    copy = folder / "Westminster resent.xlsx"
    shutil.copy(ret, copy)
    report = json.loads(validate(folder, register_at, "--units", UNITS).stdout)
    by_file = {w["file"]: w for w in report["workbooks"]}
    assert (by_file[ret.name]["superseded_by"], by_file[ret.name]["set_aside"]) == ("", "")
    assert by_file[copy.name]["set_aside"].startswith(f"the same file as {ret.name}")
    assert by_file[copy.name]["findings"] == [] and by_file[copy.name]["received_as"] == ret.name
    assert "duplicate-return" not in [f["code"] for f in report["findings"]]
    assert (report["totals"]["superseded"], report["totals"]["set_aside"]) == (0, 1)
    copy.unlink()
    # The same answers in a file saved again (other bytes): identical by its answers.
    resaved = folder / "Westminster resaved.xlsx"
    openpyxl.load_workbook(ret).save(resaved)
    assert sha(resaved) != sha(ret)
    report = json.loads(validate(folder, register_at, "--units", UNITS).stdout)
    latest = next(w for w in report["workbooks"] if w["file"] == resaved.name)
    assert latest["resubmission"]["identical"] == "answers"
    assert [f["code"] for f in latest["findings"]] == ["identical-resubmission"]
    assert "the same answers, although the file differs" in latest["findings"][0]["message"]
    assert [w["file"] for w in report["workbooks"] if not w["superseded_by"]] == [resaved.name]
    assert report["totals"]["superseded"] == 1


def test_two_new_files_of_one_unit_in_one_run_are_still_a_duplicate(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    openpyxl.load_workbook(ret).save(ret.parent / "copy.xlsx")  # other bytes, same answers
    result = validate(ret.parent, register_at)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [f["code"] for f in report["findings"]] == ["duplicate-return"] * 2
    assert all(not w["superseded_by"] for w in report["workbooks"])


# -- review states ----------------------------------------------------------------------------


def review(register: str, *args: str) -> Any:
    return esps("review", *args, "--register", register, "--units", UNITS, "--cycle", CYCLE)


def test_review_states_need_a_reason_an_advisor_and_follow_resubmissions(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    validate(ret, register_at)  # the first return: received
    for state in ("has-issues", "rejected"):
        refused = review(register_at, "set", A, state, "--by", "dcfa01")
        assert refused.exit_code == 2 and "needs a reason" in refused.output
        blank = review(register_at, "set", A, state, "--by", "dcfa01", "--reason", "   ")
        assert blank.exit_code == 2
    stranger = review(register_at, "set", A, "approved", "--by", "dcfa99")
    assert stranger.exit_code == 2 and "not on the advisors list" in stranger.output
    unknown = review(register_at, "set", "TP-XX", "approved", "--by", "dcfa01")
    assert unknown.exit_code == 2 and "not on the units list" in unknown.output
    ok = review(register_at, "set", A.lower(), "has-issues", "--by", "DCFA01", "--reason",
                "OD1.2: evidence is out of date")
    assert ok.exit_code == 0, ok.output
    _fix(ret, "OD1.2")
    validate(ret, register_at)  # a new return after has-issues: resubmitted
    shown = review(register_at, "show", A, "--format", "json")
    assert shown.exit_code == 0, shown.output
    history = json.loads(shown.stdout)
    assert [(h["state"], h["set_by"]) for h in history] == [
        ("received", "esps validate"), ("has-issues", "dcfa01"),
        ("resubmitted", "esps validate")]
    assert history[1]["reason"] == "OD1.2: evidence is out of date"
    assert history[2]["return_file"] == ret.name
    # Each workbook issued, return received and state set is an entry of the audit log.
    logged = esps("log", "--unit", A, "--format", "json", "--register", register_at)
    assert logged.exit_code == 0, logged.output
    assert [e["action"] for e in json.loads(logged.stdout)] == [
        "workbook-issue", "return-received", "review", "review", "return-received", "review"]
    verified = esps("log", "--verify", "--register", register_at)
    assert verified.exit_code == 0, verified.output
    csv_out = review(register_at, "show", "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "cycle,unit,state,set_by,reason,set_at,return_file"
    assert [line.split(",")[:3] for line in csv_out[1:]] == [[CYCLE, A, "resubmitted"]]
    # The summary and its exceptions show the state.
    summary = esps("summary", "--returns", str(ret.parent), "--units", UNITS, "--cycle",
                   CYCLE, "--register", register_at, "--exceptions", "--format", "csv",
                   "--jobs", "1")
    rows = list(csv.reader(io.StringIO(summary.stdout)))
    state_col = rows[0].index("review_state")
    assert {r[state_col] for r in rows[1:] if r[0] == A} == {"resubmitted"}


def test_the_database_keeps_every_change_and_refuses_a_state_without_a_reason(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    validate(returned(packs, tmp_path, A, framework), register_at)
    insert = ("INSERT INTO review_states (id, cycle, unit, state, set_by, reason, set_at) "
              "VALUES ({id}, '2010-11', 'TP-CW', 'rejected', 'dcfa01', {reason}, "
              "'2010-09-01T00:00:00+00:00')")
    with raw(register_at) as conn:
        with pytest.raises(integrity_error(register_at), match="needs a reason"):
            conn.execute(insert.format(id=100, reason="' '"))
        conn.execute(insert.format(id=101, reason="'x'"))  # one character is a reason
        for table in ("workbook_issues", "unit_returns", "review_states"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(f"UPDATE {table} SET cycle = '2011-12'")
            with pytest.raises(Exception, match="append-only"):
                conn.execute(f"DELETE FROM {table}")
    with Register.open(register_at) as reg:
        assert [c.state for c in review_history(reg, CYCLE, A)] == ["received", "rejected"]


def test_the_review_loop_is_copied_between_engines(
        postgres_cluster: Any, tmp_path: Path, framework: Framework) -> None:
    sqlite = str(tmp_path / "esps.db")
    packs = generate(tmp_path, sqlite)
    ret = returned(packs, tmp_path, A, framework)
    validate(ret, sqlite)
    review(sqlite, "set", A, "has-issues", "--by", "dcfa02", "--reason", "see findings")
    _fix(ret, "OD1.1")
    validate(ret, sqlite)
    target = postgres_cluster.url(postgres_cluster.new_database())
    report = copy_register(sqlite, target)
    assert report.ok
    counts = {t.table: t.target_rows for t in report.tables}
    assert {t: counts[t] for t in ("workbook_issues", "unit_returns", "review_states")} == {
        "workbook_issues": 2, "unit_returns": 2, "review_states": 3}
    with Register.open(sqlite) as a, Register.open(target) as b:
        assert returns_of(a, CYCLE) == returns_of(b, CYCLE)
        assert review_history(a, CYCLE) == review_history(b, CYCLE)


def test_upgrade_records_the_new_workbooks_pack_id(
        register_at: str, tmp_path: Path, framework: Framework) -> None:
    packs = generate(tmp_path, register_at)
    ret = returned(packs, tmp_path, A, framework)
    result = esps("upgrade", str(ret), "--cycle", "2011-12", "--out", str(tmp_path / "next"),
                  "--register", register_at, "--units", UNITS)
    assert result.exit_code == 0, result.output
    new = next((tmp_path / "next").glob("*.xlsx"))
    with Register.open(register_at) as reg:
        issued = issued_workbooks(reg, "2011-12")
    assert [(w.unit, w.pack_id) for w in issued] == [(A, read_workbook(new).meta["pack_id"])]
