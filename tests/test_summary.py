"""Compliance summaries on real returns and a real register: one definition, every view."""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import NewEvent, Register, locate
from esps_cli.register.checkpoint import fingerprint_of
from esps_cli.summary.buddies import suggest_buddies
from esps_cli.summary.compare import compare
from esps_cli.summary.quality import assessment_quality
from esps_cli.summary.rules import compliance_pct, meets_baseline, units_needed
from esps_cli.summary.sources import read_register
from esps_cli.summary.standing import build_summary
from esps_cli.validation.batch import validate_paths
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE

runner = CliRunner()

# A: complete, scored 3/3 everywhere -> meets
# B: complete, one indicator linked 4 / unlinked 2 -> awaiting moderation
# C: incomplete return -> invalid, unscored
# D: not returned
# E: complete, one indicator 2/2 -> below baseline
CODES = {"A": "TP-EK", "B": "TP-CW", "C": "TP-BS", "D": "SO-HEATHROW", "E": "SO-CTC"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, framework, units, advisors):
    root = tmp_path_factory.mktemp("summary")
    chosen = [u for u in units if u.code in CODES.values()]
    assert len(chosen) == 5, [u.code for u in units if u.business_group == "SO"]
    cycle = framework.cycle(CYCLE)
    returns = root / "returns"
    generate_workbooks(framework, [u for u in chosen if u.code != CODES["D"]], advisors,
                       returns, cycle, jobs=1)
    for key in ("A", "B", "E"):
        unit = next(u for u in chosen if u.code == CODES[key])
        fill_file(returns / workbook_filename(unit, cycle), framework, "complete")
    unit_c = next(u for u in chosen if u.code == CODES["C"])
    fill_file(returns / workbook_filename(unit_c, cycle), framework, "incomplete")

    baseline = [i.id for i in framework.cycle_indicators(cycle) if i.stage == "baseline"]
    od = next(i for i in baseline if i.startswith("OD"))
    register = root / "esps.db"
    by_code = {u.code: u for u in chosen}
    with Register.open(register) as reg:
        for key in ("A", "B", "E"):
            unit = by_code[CODES[key]]
            for ind in baseline:
                linked, unlinked = 3, 3
                if key == "B" and ind == od:
                    linked, unlinked = 4, 2
                if key == "E" and ind == od:
                    linked, unlinked = 2, 2
                reg.record(NewEvent(cycle=CYCLE, unit=unit.code, indicator=ind, role="linked",
                                    assessor=unit.linked_dcfa, score=linked,
                                    comment=f"linked view of {ind}"))
                reg.record(NewEvent(cycle=CYCLE, unit=unit.code, indicator=ind,
                                    role="unlinked", assessor="dcfa09" if unit.linked_dcfa
                                    != "dcfa09" else "dcfa08", score=unlinked))
    units_csv = root / "units.csv"
    lines = (EXAMPLES_DIR / "units.csv").read_text().splitlines()
    units_csv.write_text("\n".join([lines[0], *[ln for ln in lines[1:]
                                                  if ln.split(",")[0] in CODES.values()]]))
    (root / "dcfas.csv").write_text((EXAMPLES_DIR / "dcfas.csv").read_text())
    return {"root": root, "returns": returns, "register": register, "units": chosen,
            "od": od, "units_csv": units_csv}


def _summary(framework, advisors, world, **kw):
    batch = validate_paths([world["returns"]], framework, units=world["units"], jobs=1)
    scores, allocations, _states = read_register(world["register"], CYCLE)
    return build_summary(framework, CYCLE, world["units"], batch, scores, allocations,
                         advisors, **kw)


def test_one_definition_of_compliance():
    assert compliance_pct(1, 5) == 20.0
    assert compliance_pct(2, 3) == 66.7
    assert compliance_pct(0, 0) == 0.0
    assert units_needed(1, 5, 80) == 3
    assert units_needed(4, 5, 80) == 0
    assert units_needed(45, 56, 80) == 0  # 80% of 56 is 44.8: 45 units make it
    assert units_needed(44, 56, 80) == 1
    assert units_needed(55, 56, 100) == 1


def test_unit_standings(framework, advisors, world):
    report = _summary(framework, advisors, world)
    by = {s.unit_code: s for s in report.units}
    assert by[CODES["A"]].status == "meets-baseline" and by[CODES["A"]].meets_baseline
    assert by[CODES["B"]].status == "awaiting-moderation"
    assert by[CODES["B"]].moderation_pending == 1
    assert by[CODES["C"]].status == "invalid"
    assert by[CODES["C"]].reasons == ["invalid", "awaiting-linked", "awaiting-unlinked"]
    assert by[CODES["D"]].status == "not-returned" and not by[CODES["D"]].returned
    assert by[CODES["E"]].status == "below-baseline"
    assert by[CODES["E"]].baseline_at_or_above == by[CODES["E"]].baseline_indicators - 1
    a = by[CODES["A"]]
    assert a.valid and a.evidence_completeness_pct == 100.0
    assert a.linked_scored == a.unlinked_scored == a.baseline_indicators
    assert a.mean_combined == 3.0

    org = report.organisation
    assert (org.units, org.returned, org.valid, org.meeting) == (5, 4, 3, 1)
    assert org.compliance_pct == 20.0 and org.kpi == "NOT MET" and org.units_needed == 3


def test_rollups_use_the_same_definition(framework, advisors, world):
    report = _summary(framework, advisors, world)
    groups = {r.key: r for r in report.rollups if r.view == "business-group"}
    assert (groups["TP"].units, groups["TP"].meeting, groups["TP"].compliance_pct) == (3, 1, 33.3)
    assert (groups["SO"].units, groups["SO"].meeting) == (2, 0)
    themes = {r.key: r for r in report.rollups if r.view == "theme"}
    # B and E fail only on an Operational Delivery indicator: on the other themes they meet.
    assert themes["OD"].meeting == 1
    assert themes["PC"].meeting == 3 and themes["PC"].compliance_pct == 60.0
    for r in report.rollups:
        assert r.compliance_pct == compliance_pct(r.meeting, r.units)
    # every tag view evaluates units with meets_baseline on the tagged indicators
    strands = [r for r in report.rollups if r.view == "strand"]
    assert strands and all(r.units == 5 for r in strands)
    standing_a = next(s for s in report.units if s.unit_code == CODES["A"])
    assert meets_baseline(standing_a, framework, {world["od"]})


def test_moderation_resolves_the_exception(framework, advisors, world, tmp_path):
    register = tmp_path / "moderated.db"
    register.write_bytes(world["register"].read_bytes())
    with Register.open(register) as reg:
        reg.record(NewEvent(cycle=CYCLE, unit=CODES["B"], indicator=world["od"],
                            role="moderated", assessor="dcfa07", score=3,
                            comment="agreed at moderation"))  # a third DCFA
    batch = validate_paths([world["returns"]], framework, units=world["units"], jobs=1)
    scores, allocations, _states = read_register(register, CYCLE)
    report = build_summary(framework, CYCLE, world["units"], batch, scores, allocations,
                           advisors)
    b = next(s for s in report.units if s.unit_code == CODES["B"])
    assert b.status == "meets-baseline"
    assert report.organisation.meeting == 2


def test_exceptions_gaps_and_public(framework, advisors, world):
    report = _summary(framework, advisors, world)
    categories = {(e.unit_code, e.category) for e in report.exceptions}
    assert (CODES["D"], "not-returned") in categories
    assert (CODES["B"], "awaiting-moderation") in categories
    e_item = next(e for e in report.exceptions if e.unit_code == CODES["E"])
    assert e_item.category == "below-baseline"
    assert e_item.detail == f"1 indicator(s) below 3: {world['od']} (2)"
    unit_e = next(u for u in world["units"] if u.code == CODES["E"])
    assert e_item.linked_dcfa == unit_e.linked_dcfa
    gap = next(g for g in report.gaps if g.unit_code == CODES["E"])
    assert (gap.indicator_id, gap.combined) == (world["od"], 2)
    assert gap.reason == "combined score 2 (Not very satisfactory)"
    assert any(g.unit_code == CODES["C"] and g.reason == "evidence minimum not met"
               for g in report.gaps)

    public = _summary(framework, advisors, world, public=True)
    text = public.model_dump_json()
    assert "linked view of" not in text
    assert all(e.linked_dcfa == "" for e in public.exceptions)
    assert all(d.linked_assessor is None for s in public.units for d in s.detail)
    assert public.organisation == report.organisation


def test_standings_and_gaps_are_what_validating_them_gives(framework, advisors, world):
    """Standings and gaps are assembled from values already checked, not validated again
    (issue 28): each is, field for field and type for type (its JSON), the model pydantic
    validates from the same values, and every field is set."""
    from esps_cli.summary.models import Gap, IndicatorStanding

    report = _summary(framework, advisors, world)
    details = [d for s in report.units for d in s.detail]
    assert len(details) == 5 * 54
    assert {d.linked for d in details} == {None, 2, 3, 4}
    assert {g.reason for g in report.gaps} == {"evidence minimum not met",
                                               "combined score 2 (Not very satisfactory)"}
    for made, model in [*((d, IndicatorStanding) for d in details),
                        *((g, Gap) for g in report.gaps)]:
        again = model.model_validate(made.model_dump())
        assert type(made) is model
        assert made.model_dump_json() == again.model_dump_json()
        assert made.model_fields_set == set(model.model_fields)


def test_buddies_pair_within_business_group(framework, advisors, world):
    pairs = suggest_buddies(framework, _summary(framework, advisors, world))
    assert {(p.unit_code, p.buddy_code) for p in pairs} == {
        (CODES["B"], CODES["A"]), (CODES["C"], CODES["A"]),
    }
    b = next(p for p in pairs if p.unit_code == CODES["B"])
    assert b.weakest_theme == "Operational Delivery"


def test_compare_cycles(framework, advisors, world):
    before = _summary(framework, advisors, world)
    batch = validate_paths([world["returns"]], framework, units=world["units"], jobs=1)
    after = build_summary(framework, "2011-12", world["units"], batch, {}, {}, advisors)
    comparison = compare(before, after)
    a = next(u for u in comparison.units if u.unit_code == CODES["A"])
    assert (a.before, a.after, a.change) == ("meets-baseline", "not-returned", "no longer meets")
    # no return is for 2011-12 yet: no data, so no change is measured (not "down 20 pts")
    assert comparison.no_data_yet == [after.organisation.cycle_name]
    assert comparison.compliance_change_pts is None and comparison.trend is None
    assert all(r.change_pts is None and r.trend is None for r in comparison.rollups)
    assert compare(before, before).compliance_change_pts == 0.0  # both have data: measured
    assert compare(before, before).no_data_yet == []
    assert comparison.after.target_pct == 100


def _cli(world, *args):
    return runner.invoke(app, [*args, "--returns", str(world["returns"]), "--register",
                               str(world["register"]), "--units", str(world["units_csv"]),
                               "--cycle", CYCLE, "--jobs", "1"])


def test_summary_cli_json_equals_library(framework, advisors, world):
    result = _cli(world, "summary", "--format", "json")
    assert result.exit_code == 1  # KPI not met
    data = json.loads(result.stdout)
    expected = json.loads(_summary(framework, advisors, world).model_dump_json())
    # The command adds what the register says about community review (none here).
    community = data.pop("community")
    assert (community["counts"]["received"], community["you_said_we_did"]) == (0, [])
    assert expected.pop("community") is None
    # the Board's assessment-quality page is the register's, from its own library function
    quality = assessment_quality(framework, CYCLE, world["units"], advisors,
                                 locate(world["register"]))
    assert data.pop("assessment_quality") == json.loads(quality.model_dump_json())
    assert expected.pop("assessment_quality") is None
    # the CLI adds where the audit chain stood (the library's build_summary reads no register)
    assert data.pop("chain_fingerprint") == fingerprint_of(world["register"]) != ""
    expected.pop("chain_fingerprint")
    assert data == expected


def test_summary_cli_text_and_exceptions(world):
    text = _cli(world, "summary", "--by", "strand")
    assert text.exit_code == 1
    assert "KPI: 1 of 5 units meet the baseline (20.0%); target 80%: NOT MET, RED: Off " \
        "target; 3 more unit(s) needed." in text.stdout
    assert "By equality strand" in text.stdout
    assert "Compliance % = units meeting the baseline ÷ units on the list × 100 = 1 ÷ 5 × " \
        "100 = 20.0%." in text.stdout
    assert f"Not returned (1): {CODES['D']}" in text.stdout
    csv_out = _cli(world, "summary", "--exceptions", "--format", "csv")
    assert csv_out.exit_code == 1
    rows = csv_out.stdout.splitlines()
    assert rows[0] == ("unit_code,unit_name,business_group,exception,detail,review_state,"
                       "linked_dcfa,linked_dcfa_name")
    assert any(r.startswith(f"{CODES['D']},") and ",not-returned," in r for r in rows)


def test_board_report_workbook(world, tmp_path):
    out = tmp_path / "board.xlsx"
    result = _cli(world, "summary", "--output", str(out))
    assert result.exit_code == 1
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Exceptions and actions", "Community challenges",
                             "Assessment quality", "Units", "Exceptions", "Gaps", "Roll-ups",
                             "Indicators", "Score distribution"]
    summary = wb["Summary"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert ("20.0% of units meet the baseline: 1 of 5 units. Target for FY2010/11: 80%. NOT "
            "MET; 3 more unit(s) needed. RAG status: RED: Off target.") in texts
    assert any(t.startswith("Compliance % = units meeting the baseline ÷ units on the list × "
                            "100 = 1 ÷ 5 × 100 = 20.0%") for t in texts)
    tp = next(r for r in summary.iter_rows(values_only=True) if r[0] == "Territorial Policing")
    assert tp[:7] == ("Territorial Policing", 3, 3, 1, 33.3, 80, "RED: Off target")
    assert len(summary._charts) == 2
    units = wb["Units"]
    assert units.auto_filter.ref.startswith("A1:")
    assert units["A1"].value == "Unit code" and units.max_row == 6 + 2  # and a note
    assert units.print_title_rows == "$1:$1"
    assert int(units.page_setup.paperSize) == 9  # A4
    assert units.page_setup.fitToWidth == 1 and units.page_setup.fitToHeight == 0
    assert units.oddFooter.left.text == "&BOFFICIAL&B"
    assert units.oddFooter.right.text == "Page &P of &N"
    assert units.oddFooter.center.text.startswith("esps-mps 2010.1 · FY2010/11 · run ")
    values = {c.value for row in units.iter_rows(min_row=2) for c in row}
    assert not any(isinstance(v, bool) or v in ("True", "False", "None") for v in values)
    assert not any(isinstance(v, str) and "_" in v and v == v.lower() for v in values)
    again = _cli(world, "summary", "--output", str(out))
    assert again.exit_code == 2 and "--force" in again.output


def test_actions_and_feedback_workbooks(world, tmp_path):
    result = _cli(world, "actions", "--out", str(tmp_path / "plans"), "--unit", CODES["E"])
    assert result.exit_code == 0, result.output
    (plan,) = (tmp_path / "plans").glob("*.xlsx")
    assert plan.name.startswith(f"action-plan_{CODES['E']}_")
    ws = openpyxl.load_workbook(plan)["Action plan"]
    assert ws["A1"].value.startswith("ESPS business action plan FY2011/12")
    header = next(r for r in ws.iter_rows() if r[0].value == "Indicator")[0].row
    assert ws.print_title_rows == f"${header}:${header}"
    first = header + 1
    assert ws[f"A{first}"].value == world["od"]
    assert ws[f"E{first}"].value == 2
    assert ws[f"F{first}"].protection.locked is False
    assert ws[f"A{first}"].protection.locked is True
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Below the baseline" in texts and "Gaps for the action plan: fill in the yellow " \
        "cells." in texts

    fb = _cli(world, "feedback", CODES["B"], "--out", str(tmp_path / "fb"))
    assert fb.exit_code == 0, fb.output
    (path,) = (tmp_path / "fb").glob("*.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Standing", "Scores", "Findings"]
    facts = {r[0]: r[1:] for r in wb["Standing"].iter_rows(values_only=True) if r[0]}
    assert facts["Status"] == ("Awaiting moderation", None)
    assert facts["Awaiting moderation"] == (1, "indicators")
    assert facts["Errors"] == (0, None) and facts["Valid return"] == ("Yes", None)
    assert facts["Evidence completeness %"] == (100.0, None)
    assert isinstance(facts["Submission date"][0], datetime)
    unit_b = next(u for u in world["units"] if u.code == CODES["B"])
    assert facts["Linked DCFA"][0].startswith(f"{_name(unit_b.linked_dcfa)} (")
    scores = wb["Scores"]
    header = [c.value for c in scores[1]]
    assert header[4] == f"Linked score ({_name(unit_b.linked_dcfa)})"
    row = next(r for r in scores.iter_rows(min_row=2, values_only=True) if r[0] == world["od"])
    assert (row[4], row[6], row[10]) == (4, 2, "Needs moderation")
    assert row[5] == f"linked view of {world['od']}"
    assert all(v != "'-" for r in scores.iter_rows(values_only=True) for v in r)


def _name(advisor_id: str) -> str:
    rows = (EXAMPLES_DIR / "dcfas.csv").read_text().splitlines()[1:]
    return next(r.split(",")[1] for r in rows if r.split(",")[0] == advisor_id)


def test_summary_cli_compare_and_buddies(world):
    cmp = _cli(world, "summary", "--compare", "2010-11", "2011-12", "--format", "csv")
    assert cmp.exit_code == 0, cmp.output
    assert f"{CODES['A']},Camden,meets-baseline,not-returned,3.0,,no longer meets" \
        in cmp.stdout
    buddies = _cli(world, "buddies", "--format", "json")
    assert buddies.exit_code == 0
    assert {(p["unit_code"], p["buddy_code"]) for p in json.loads(buddies.stdout)} == {
        (CODES["B"], CODES["A"]), (CODES["C"], CODES["A"]),
    }


def test_summary_cli_bad_input(world, tmp_path):
    missing = runner.invoke(app, ["summary", "--returns", str(tmp_path / "nope"),
                                  "--units", str(world["units_csv"]), "--cycle", "2010-11"])
    assert missing.exit_code == 2 and "not found" in missing.output
    bad_cycle = _cli(world, "summary", "--compare", "2010-11", "1999-00")
    assert bad_cycle.exit_code == 2 and "unknown cycle '1999-00'" in bad_cycle.output
