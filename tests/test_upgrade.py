"""`esps upgrade`: a unit's answers carried into a fresh workbook for another cycle or version.

The returns are real generated workbooks filled as a unit would (esps_cli.workbook.samples); the new
framework version is the bundled one with an indicator reworded, one removed, one added, one's
guidance changed and one evidence type relabelled, as DCFD would edit it between years.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework, load_framework
from esps_cli.domain.paths import default_framework_path
from esps_cli.domain.units import Advisor
from esps_cli.workbook.layout import EVIDENCE, INDICATORS, META_KEYS, SHEET_COVER, SHEET_META
from esps_cli.workbook.reader import read_workbook
from esps_cli.workbook.samples import fill_file
from esps_cli.workbook.upgrade import (
    ANSWER_FILL,
    CARRIED_FILL,
    CARRIED_SHEET,
    UpgradeRefused,
    upgrade_return,
)

from .conftest import edit_workbook

runner = CliRunner()
REWORDED, REMOVED, CHANGED, ADDED = "OD2.1", "PC9.2", "OD1.2", "OD1.9"
MINUTES = "Minutes or meeting notes"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _indicator(data: dict[str, Any], ind_id: str) -> tuple[list, int]:
    for unit in data["esps_units"]:
        for i, ind in enumerate(unit["indicators"]):
            if ind["id"] == ind_id:
                return unit["indicators"], i
    raise KeyError(ind_id)


@pytest.fixture(scope="module")
def next_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled framework as version 2011.1, edited as DCFD would between years."""
    data = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    data["meta"]["version"] = "2011.1"
    inds, i = _indicator(data, REWORDED)
    inds[i]["text"] = inds[i]["text"].rstrip(".") + ", and reviews it every quarter."
    inds, i = _indicator(data, REMOVED)
    del inds[i]
    inds, i = _indicator(data, CHANGED)
    inds[i]["guidance"] = "Show the last two reviews and what changed after them."
    inds, i = _indicator(data, "OD1.1")
    inds.append({"id": ADDED, "text": "The unit publishes its equality objectives locally.",
                 "stage": "baseline", "evidence": {"min_items": 0, "min_narrative_chars": 20}})
    for t in data["evidence_types"]:
        if t["id"] == "minutes":
            t["label"] = "Minutes of meetings"
    path = tmp_path_factory.mktemp("fw") / "esps-framework-2011.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def complete_return(blank_workbook: Path, framework: Framework) -> Path:
    return fill_file(blank_workbook, framework, "complete")


def test_upgrade_to_the_next_cycle_carries_every_answer(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path):
    before = sha(complete_return)
    report = upgrade_return(complete_return, framework, framework.cycle("2011-12"), advisors,
                            tmp_path / "out")
    assert sha(complete_return) == before
    assert {o.status for o in report.indicators} == {"carried"}
    assert report.attention == []
    old, new = read_workbook(complete_return), read_workbook(Path(report.target))
    assert Path(report.target).name.endswith("_2011-12.xlsx")
    assert new.meta["cycle"] == "2011-12" and new.meta["unit_code"] == old.meta["unit_code"]
    answers = lambda rw: [(r.values["indicator_id"], r.values["rating"], r.values["na_reason"],  # noqa: E731
                           r.values["narrative"]) for r in rw.indicators.rows]
    assert answers(new) == answers(old)
    rows = lambda rw: [tuple(r.values.values()) for r in rw.evidence.rows]  # noqa: E731
    assert rows(new) == rows(old)
    assert report.evidence_carried == len(old.evidence.rows)
    assert report.cover_carried == ["Completed by (name)", "Rank or role",
                                    "Commander sign-off (name)"]
    assert new.cover["completed_by"].value == old.cover["completed_by"].value
    assert new.cover["completed_date"].value in ("", None)  # dates belong to the new return
    assert new.cover["signoff_date"].value in ("", None)


def test_upgrade_to_a_new_version_reports_what_could_not_be_carried(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path,
        next_version: Path):
    new_fw = load_framework(next_version)
    report = upgrade_return(complete_return, new_fw, new_fw.cycle("2010-11"), advisors,
                            tmp_path / "out")
    status = {o.indicator_id: o for o in report.indicators}
    # The evidence minimum names the relabelled type, so those minimums read differently.
    needs_minutes = {i.id for i in new_fw.indicators if "minutes" in i.evidence.required_types}
    assert len(needs_minutes) == 7
    assert {i: o.status for i, o in status.items() if o.status != "carried"} == {
        REWORDED: "reworded", REMOVED: "removed", CHANGED: "changed", ADDED: "new",
        **dict.fromkeys(needs_minutes, "changed")}
    assert CHANGED in needs_minutes
    for i in needs_minutes - {CHANGED}:
        assert status[i].note == ("the evidence minimum changed: check the answer still "
                                  "meets it")
    assert status[REWORDED].not_carried == ["rating", "narrative"]
    assert status[REWORDED].carried == ["2 evidence rows"]
    removed_rows = [r.row for r in read_workbook(complete_return).evidence.rows
                    if r.values["indicator_id"] == REMOVED]
    assert len(removed_rows) == 2
    assert status[REMOVED].not_carried == ["rating", "narrative",
                                           *(f"Evidence row {r}" for r in removed_rows)]
    assert status[CHANGED].note == ("the evidence minimum and guidance changed: check the "
                                    "answer still meets it")
    assert status[CHANGED].carried == ["rating", "narrative", "2 evidence rows"]
    assert [line.split(":")[1].strip() for line in report.evidence_not_carried] == [
        f"indicator {REMOVED} is not in the new workbook"] * 2
    assert (report.from_version, report.to_version) == ("2010.1", "2011.1")


def test_the_new_workbook_marks_carried_and_missing_answers(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path,
        next_version: Path):
    new_fw = load_framework(next_version)
    report = upgrade_return(complete_return, new_fw, new_fw.cycle("2010-11"), advisors,
                            tmp_path / "out")
    wb: Workbook = openpyxl.load_workbook(report.target)
    assert wb.sheetnames[0] == CARRIED_SHEET and wb[SHEET_META].sheet_state == "veryHidden"
    ws = wb[INDICATORS.sheet]
    row_of = {ws.cell(row=r, column=1).value: r for r in range(5, ws.max_row + 1)}
    rating, narrative = 8, 10  # columns H and J
    carried = ws.cell(row=row_of["OD1.1"], column=rating)
    assert carried.fill.fgColor.rgb == CARRIED_FILL.fgColor.rgb and carried.value == 3
    assert "Carried from your 2010-11 return" in carried.comment.text
    assert carried.protection.locked is False
    reworded = ws.cell(row=row_of[REWORDED], column=rating)
    assert reworded.value is None and reworded.fill.fgColor.rgb == ANSWER_FILL.fgColor.rgb
    old = read_workbook(complete_return)
    old_narrative = next(r.values["narrative"] for r in old.indicators.rows
                         if r.values["indicator_id"] == REWORDED)
    assert old_narrative in reworded.comment.text
    assert ws.cell(row=row_of[REWORDED], column=narrative).value is None
    assert REMOVED not in row_of and ADDED in row_of
    assert "is new since your 2010-11 return" in ws.cell(row=row_of[ADDED],
                                                        column=rating).comment.text
    ev = wb[EVIDENCE.sheet]
    minutes = [r for r in range(5, 5 + report.evidence_carried)
               if ev.cell(row=r, column=4).value == MINUTES]
    assert minutes, "the sample has minutes among its evidence"
    for r in minutes:  # the old label is kept, so validation asks for a type from the list
        assert "is not in the new list: choose one" in ev.cell(row=r, column=1).comment.text
    assert wb[SHEET_COVER]["B10"].fill.fgColor.rgb == CARRIED_FILL.fgColor.rgb


def test_the_new_workbook_validates_with_findings_only_where_answers_are_missing(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path,
        next_version: Path):
    from datetime import date

    from esps_cli.validation.validate import validate_workbook

    new_fw = load_framework(next_version)
    report = upgrade_return(complete_return, new_fw, new_fw.cycle("2010-11"), advisors,
                            tmp_path / "out")
    target = Path(report.target)

    def dates(wb: Workbook) -> None:
        wb[SHEET_COVER]["B12"] = date(2010, 7, 28)
        wb[SHEET_COVER]["B14"] = date(2010, 7, 30)

    edit_workbook(target, dates)
    result = validate_workbook(target, new_fw, today=date(2010, 9, 1))
    where = {(f.code, f.indicator_id) for f in result.findings}
    assert {("missing-rating", REWORDED), ("narrative-too-short", REWORDED),
            ("missing-rating", ADDED), ("narrative-too-short", ADDED)} <= where
    others = {w for w in where if w[1] not in (REWORDED, ADDED)}
    assert {code for code, _ in others} <= {"unknown-evidence-type", "too-few-evidence",
                                            "required-type-missing"}
    assert all(f.code != "indicator-changed" for f in result.findings)


def test_upgrading_a_return_of_an_unknown_framework_is_refused(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path):
    edit_workbook(complete_return, lambda wb: wb[SHEET_META].__setitem__("B3", "acme-std"))
    with pytest.raises(UpgradeRefused, match=r"made from framework 'acme-std' version 2010\.1, "
                                             r"which is unknown here"):
        upgrade_return(complete_return, framework, framework.cycle("2011-12"), advisors,
                       tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_upgrading_a_return_with_edited_metadata_is_refused(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path):
    # The first indicator hash (after the keys, a blank row and a header).
    hash_row = len(META_KEYS) + 3
    edit_workbook(complete_return,
                  lambda wb: wb[SHEET_META].__setitem__(f"B{hash_row}", "0" * 16))
    with pytest.raises(UpgradeRefused, match="the hidden metadata was edited"):
        upgrade_return(complete_return, framework, framework.cycle("2011-12"), advisors,
                       tmp_path / "out")


def test_upgrading_to_the_same_cycle_and_version_is_refused(
        complete_return: Path, framework: Framework, advisors: list[Advisor], tmp_path: Path):
    with pytest.raises(UpgradeRefused, match="there is nothing to upgrade"):
        upgrade_return(complete_return, framework, framework.cycle("2010-11"), advisors,
                       tmp_path / "out")


# -- the command line ---------------------------------------------------------------------


def test_cli_upgrades_and_refuses_to_overwrite(complete_return: Path, tmp_path: Path):
    out = tmp_path / "packs-2011"
    args = ["upgrade", str(complete_return), "--cycle", "2011-12", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 1 and written[0].endswith("_2011-12.xlsx")
    assert "answers carried for 54 of 54 indicators" in result.stdout
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "already exists; use --force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_cli_refuses_an_unknown_framework_with_exit_2(complete_return: Path, tmp_path: Path):
    edit_workbook(complete_return, lambda wb: wb[SHEET_META].__setitem__("B3", "acme-std"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["upgrade", str(complete_return), "--cycle", "2011-12",
                                 "--out", str(out)])
    assert result.exit_code == 2
    assert "not upgraded:" in result.stderr and "'acme-std'" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_cli_json_lists_each_indicator(complete_return: Path, tmp_path: Path,
                                       next_version: Path):
    import json

    result = runner.invoke(app, ["upgrade", str(complete_return), "--cycle", "2010-11",
                                 "--out", str(tmp_path / "o"), "--framework", str(next_version),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    statuses = {o["indicator_id"]: o["status"] for o in data[0]["indicators"]}
    assert statuses[REWORDED] == "reworded" and statuses[ADDED] == "new"
    assert statuses[REMOVED] == "removed"
