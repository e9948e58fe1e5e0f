"""Scoring rules: parsing scores, who may score, combining, recording, importing, agreement."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from esps_cli.domain.framework import CombinationRule, Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import (
    NewEvent,
    Register,
    RegisterRuleError,
    ScoreEvent,
    ScorePair,
    now_utc,
)
from esps_cli.scoring.agreement import agreement, quadratic_weighted_kappa
from esps_cli.scoring.combine import combine
from esps_cli.scoring.csv_import import import_csv
from esps_cli.scoring.record import ScoreError, record_score
from esps_cli.scoring.roster import Roster
from esps_cli.scoring.scale import ScoreProblem, parse_score

from .conftest import CYCLE
from .packs import record_returns

Edit = Callable[[Path, Callable[[Workbook], None]], Path]


@pytest.fixture
def roster(framework: Framework, units: list[Unit], advisors: list[Advisor]) -> Roster:
    return Roster(framework, framework.cycle(CYCLE), units, advisors)


@pytest.fixture
def reg(register_at: str, units: list[Unit]) -> Register:
    """A register on each engine (SQLite and PostgreSQL) where every example unit but the last
    has a readable return on record."""
    with Register.open(register_at) as register:
        record_returns(register, [u.code for u in units[:-1]])
        yield register


def other_advisor(units: list[Unit], unit: Unit, *, not_: tuple[str, ...] = ()) -> str:
    ids = sorted({u.linked_dcfa for u in units})
    return next(a for a in ids if a != unit.linked_dcfa and a not in not_)


def allocate_one(reg: Register, unit: Unit, advisor: str) -> None:
    reg.allocate(CYCLE, {unit.code: advisor}, seed=None)


# -- parse_score -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["3", "3.0", " 3 ", 3, 3.0, "+3", "3."])
def test_score_accepts_three_in_its_typed_forms(framework: Framework, value: Any) -> None:
    assert parse_score(value, framework.scale) == 3


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5", "score 5 is not on the scale 1-4"),
        (5, "score 5 is not on the scale 1-4"),
        ("three", "score 'three' is not a whole number on the scale 1-4"),
        (0, "score 0 is not on the scale 1-4"),
        (2.5, "score 2.5 is not a whole number on the scale 1-4"),
        ("2.5", "score '2.5' is not a whole number on the scale 1-4"),
        ("-1", "score '-1' is not a whole number on the scale 1-4"),
        ("", "score is blank"),
        (None, "score is blank"),
        (True, "score True is not a whole number on the scale 1-4"),
        (float("nan"), "score nan is not a whole number on the scale 1-4"),
    ],
)
def test_score_refuses_everything_else(framework: Framework, value: Any, message: str) -> None:
    with pytest.raises(ScoreProblem) as exc:
        parse_score(value, framework.scale)
    assert str(exc.value) == message


# -- combine -----------------------------------------------------------------------------


def ev(role: str, score: int, assessor: str = "a") -> ScoreEvent:
    return ScoreEvent(cycle=CYCLE, unit="U", indicator="I", role=role, assessor=assessor,
                      score=score, recorded_at=now_utc())


DEFAULT = CombinationRule()


def test_combine_awaiting_both_linked_and_unlinked() -> None:
    assert combine(ScorePair(), DEFAULT).model_dump() == {
        "score": None, "status": "awaiting-both", "reason": "no linked or unlinked score yet"}
    c = combine(ScorePair(linked=ev("linked", 3)), DEFAULT)
    assert (c.score, c.status) == (None, "awaiting-unlinked")
    c = combine(ScorePair(unlinked=ev("unlinked", 3)), DEFAULT)
    assert (c.score, c.status) == (None, "awaiting-linked")


def test_combine_agreed() -> None:
    c = combine(ScorePair(linked=ev("linked", 3), unlinked=ev("unlinked", 3)), DEFAULT)
    assert (c.score, c.status, c.reason) == (3, "agreed", "linked and unlinked both 3")


@pytest.mark.parametrize(("linked", "unlinked"), [(3, 2), (2, 3), (4, 3), (1, 2)])
def test_combine_lower_stands_within_the_threshold(linked: int, unlinked: int) -> None:
    c = combine(ScorePair(linked=ev("linked", linked), unlinked=ev("unlinked", unlinked)),
                DEFAULT)
    assert (c.score, c.status) == (min(linked, unlinked), "lower-stands")
    assert c.reason == f"linked {linked}, unlinked {unlinked}: the lower stands"


@pytest.mark.parametrize(("linked", "unlinked"), [(4, 2), (1, 3), (1, 4), (4, 1)])
def test_combine_a_difference_of_two_or_more_needs_moderation(linked: int, unlinked: int) -> None:
    c = combine(ScorePair(linked=ev("linked", linked), unlinked=ev("unlinked", unlinked)),
                DEFAULT)
    assert (c.score, c.status) == (None, "needs-moderation")
    assert f"differ by {abs(linked - unlinked)}" in c.reason


def test_combine_a_moderated_score_overrides() -> None:
    pair = ScorePair(linked=ev("linked", 4), unlinked=ev("unlinked", 1),
                     moderated=ev("moderated", 3, "dcfa09"))
    c = combine(pair, DEFAULT)
    assert (c.score, c.status) == (3, "moderated")
    assert c.reason == "moderated score 3 by dcfa09 overrides linked 4, unlinked 1"
    # It overrides an agreed pair too.
    pair = ScorePair(linked=ev("linked", 2), unlinked=ev("unlinked", 2),
                     moderated=ev("moderated", 3))
    assert combine(pair, DEFAULT).score == 3


def test_combine_other_methods_and_thresholds() -> None:
    pair = ScorePair(linked=ev("linked", 4), unlinked=ev("unlinked", 2))
    mean = CombinationRule(moderation_threshold=3, method="mean_round_down")
    assert combine(pair, mean).model_dump(include={"score", "status"}) == {
        "score": 3, "status": "mean-stands"}
    pair13 = ScorePair(linked=ev("linked", 1), unlinked=ev("unlinked", 4))
    assert combine(pair13, CombinationRule(moderation_threshold=4,
                                           method="mean_round_down")).score == 2
    linked = CombinationRule(moderation_threshold=3, method="linked")
    assert combine(pair, linked).model_dump(include={"score", "status"}) == {
        "score": 4, "status": "linked-stands"}
    strict = CombinationRule(moderation_threshold=1)
    pair32 = ScorePair(linked=ev("linked", 3), unlinked=ev("unlinked", 2))
    assert combine(pair32, strict).status == "needs-moderation"


@given(st.integers(1, 4), st.integers(1, 4))
def test_combined_score_is_never_above_either_score_under_the_default_rule(
    linked: int, unlinked: int
) -> None:
    c = combine(ScorePair(linked=ev("linked", linked), unlinked=ev("unlinked", unlinked)),
                DEFAULT)
    if abs(linked - unlinked) >= 2:
        assert c.score is None
    else:
        assert c.score == min(linked, unlinked)


# -- kappa and agreement -----------------------------------------------------------------


def test_kappa_known_values() -> None:
    cats = [1, 2, 3, 4]
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 3, 4], cats) == 1.0
    # Perfect reversal of a symmetric spread: kappa -1.
    assert quadratic_weighted_kappa([1, 4], [4, 1], cats) == pytest.approx(-1.0)
    # Worked by hand: observed disagreement mean((a-b)^2) = 1/4; expected over all pairs
    # mean((a_i-b_j)^2) = (14 + 6 + 6 + 6)/16 = 2; kappa = 1 - (1/4)/2 = 0.875.
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 3, 3], cats) == pytest.approx(0.875)


def test_kappa_is_undefined_when_every_score_is_the_same() -> None:
    assert quadratic_weighted_kappa([3, 3, 3], [3, 3, 3], [1, 2, 3, 4]) is None
    assert quadratic_weighted_kappa([], [], [1, 2, 3, 4]) is None
    # One rater constant but different from the other: defined, and no better than chance.
    assert quadratic_weighted_kappa([3, 3], [4, 4], [1, 2, 3, 4]) == pytest.approx(0.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=30))
def test_kappa_matches_the_pairwise_formula(pairs: list[tuple[int, int]]) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    n = len(pairs)
    observed = sum((x - y) ** 2 for x, y in pairs) / n
    expected = sum((x - y) ** 2 for x, y in itertools.product(a, b)) / (n * n)
    got = quadratic_weighted_kappa(a, b, [1, 2, 3, 4])
    if expected == 0:
        assert got is None
    else:
        assert got == pytest.approx(1 - observed / expected)


def test_agreement_per_pair_overall_and_moderation_queue(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    u1, u2 = units[0], next(u for u in units if u.linked_dcfa != units[0].linked_dcfa)
    a1 = other_advisor(units, u1, not_=(u2.linked_dcfa,))
    a2 = other_advisor(units, u2, not_=(u1.linked_dcfa, a1))
    reg.allocate(CYCLE, {u1.code: a1, u2.code: a2}, seed=None)
    given_scores = {
        (u1, "OD1.1"): (3, 3), (u1, "OD1.2"): (3, 2), (u1, "OD1.3"): (4, 1),
        (u2, "OD1.1"): (2, 2), (u2, "OD1.2"): (2, 2),
    }
    for (unit, ind), (ls, us) in given_scores.items():
        record_score(reg, roster, unit=unit.code, indicator=ind, role="linked", score=ls,
                     assessor=unit.linked_dcfa)
        record_score(reg, roster, unit=unit.code, indicator=ind, role="unlinked", score=us,
                     assessor=a1 if unit is u1 else a2)
    # A linked score alone does not count towards agreement.
    record_score(reg, roster, unit=u2.code, indicator="OD2.1", role="linked", score=1,
                 assessor=u2.linked_dcfa)
    report = agreement(roster, reg.current_marks(CYCLE))
    by_pair = {(p.linked_assessor, p.unlinked_assessor): p for p in report.pairs}
    p1 = by_pair[(u1.linked_dcfa, a1)]
    assert (p1.n, p1.exact, p1.within_one) == (3, 1, 2)
    assert (p1.exact_pct, p1.within_one_pct) == (100 / 3, 200 / 3)  # unrounded (issue 21)
    assert p1.kappa == quadratic_weighted_kappa([3, 3, 4], [3, 2, 1], [1, 2, 3, 4])
    p2 = by_pair[(u2.linked_dcfa, a2)]
    assert (p2.n, p2.exact_pct, p2.within_one_pct, p2.kappa) == (2, 100.0, 100.0, None)
    assert p2.kappa_note.startswith("undefined")
    assert report.overall.n == 5
    assert report.overall.exact_pct == 60.0
    assert [(m.unit, m.indicator, m.linked_score, m.unlinked_score, m.difference)
            for m in report.moderation_queue] == [(u1.code, "OD1.3", 4, 1, 3)]
    assert report.moderation_queue[0].unlinked_assessor == a1
    # Moderating takes the item off the queue.
    record_score(reg, roster, unit=u1.code, indicator="OD1.3", role="moderated", score=2,
                 assessor="dcfa10", comment="agreed at panel")
    report = agreement(roster, reg.current_marks(CYCLE))
    assert report.moderation_queue == []
    assert report.moderated == 1


def test_agreement_with_no_scores(reg: Register, roster: Roster) -> None:
    report = agreement(roster, reg.current_marks(CYCLE))
    assert report.pairs == []
    assert report.overall.n == 0
    assert report.overall.kappa is None
    assert report.overall.kappa_note == "no indicator has both a linked and an unlinked score"


# -- recording from the command line ------------------------------------------------------


def test_linked_score_only_from_the_units_linked_dcfa(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    stranger = other_advisor(units, unit)
    with pytest.raises(ScoreError) as exc:
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="linked", score=3,
                     assessor=stranger)
    assert str(exc.value) == (
        f"{stranger} is not the linked DCFA of {unit.code} ({unit.linked_dcfa} per the units "
        "list); linked scores come only from the unit's linked DCFA; nothing recorded")
    assert reg.event_count() == 0


def test_unlinked_score_never_from_the_linked_dcfa_and_only_from_the_allocated_one(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    allocated = other_advisor(units, unit)
    someone_else = other_advisor(units, unit, not_=(allocated,))
    with pytest.raises(ScoreError, match="no unlinked DCFA is allocated to TP-CW for 2010-11: "
                                         "run esps allocate, or pass --any-unlinked"):
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=3,
                     assessor=allocated)
    allocate_one(reg, unit, allocated)
    with pytest.raises(ScoreError, match=f"{unit.linked_dcfa} is the linked DCFA of TP-CW, so "
                                         "cannot give its unlinked score"):
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=3,
                     assessor=unit.linked_dcfa, any_unlinked=True)
    with pytest.raises(ScoreError, match=re.escape(
            f"{someone_else} is not the unlinked DCFA allocated to TP-CW ({allocated})")):
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=3,
                     assessor=someone_else)
    assert reg.event_count() == 0
    r = record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=3,
                     assessor=someone_else, any_unlinked=True)
    assert r.recorded and r.event.assessor == someone_else
    # A unit has one unlinked assessor a cycle (issue 24): the database refuses a second
    with pytest.raises(RegisterRuleError, match="a unit has one unlinked assessor a cycle"):
        record_score(reg, roster, unit=unit.code, indicator="OD1.2", role="unlinked", score=2,
                     assessor=allocated)
    assert reg.event_count() == 1


def test_unknown_unit_indicator_and_assessor_are_all_listed(
    reg: Register, roster: Roster
) -> None:
    with pytest.raises(ScoreError) as exc:
        record_score(reg, roster, unit="TP-XX", indicator="ZZ9.9", role="linked", score="5",
                     assessor="nobody")
    assert exc.value.problems == [
        "unknown unit 'TP-XX' (not in the units list)",
        "unknown indicator 'ZZ9.9' (not in framework esps-mps)",
        "unknown assessor 'nobody' (not in the advisors list)",
        "score 5 is not on the scale 1-4",
    ]
    with pytest.raises(ScoreError, match=re.escape("indicator OD1.4 (developing) is not "
                                                   "assessed in cycle 2010-11")):
        record_score(reg, roster, unit="TP-CW", indicator="OD1.4", role="linked", score=3,
                     assessor="dcfa01")
    assert reg.event_count() == 0


def test_recording_is_case_insensitive_and_canonical(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    r = record_score(reg, roster, unit=unit.code.lower(), indicator="od1.1", role="linked",
                     score="4.0", assessor=unit.linked_dcfa.upper(), comment="  good plan ")
    assert (r.event.unit, r.event.indicator, r.event.assessor, r.event.score,
            r.event.comment) == (unit.code, "OD1.1", unit.linked_dcfa, 4, "good plan")


def test_same_score_again_records_nothing_but_a_change_records_an_event(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    kw = dict(unit=unit.code, indicator="OD1.1", role="linked", assessor=unit.linked_dcfa)
    assert record_score(reg, roster, score=3, comment="x", **kw).recorded
    assert not record_score(reg, roster, score="3", comment="x", **kw).recorded
    assert record_score(reg, roster, score=3, comment="y", **kw).recorded
    assert record_score(reg, roster, score=2, comment="y", **kw).recorded
    history = reg.history(CYCLE, unit.code, "OD1.1")
    assert [(e.score, e.comment) for e in history] == [(3, "x"), (3, "y"), (2, "y")]
    assert reg.current(CYCLE, unit.code, "OD1.1").linked.score == 2


def test_linked_and_unlinked_are_separate_and_never_overwrite_each_other(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    allocated = other_advisor(units, unit)
    allocate_one(reg, unit, allocated)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="linked", score=4,
                 assessor=unit.linked_dcfa)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=3,
                 assessor=allocated)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=2,
                 assessor=allocated)
    pair = reg.current_scores(CYCLE)[(unit.code, "OD1.1")]
    assert (pair.linked.score, pair.linked.assessor) == (4, unit.linked_dcfa)
    assert (pair.unlinked.score, pair.unlinked.assessor) == (2, allocated)
    assert pair.moderated is None


def test_the_lean_read_gives_the_current_events_scores(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    """current_marks (export, agreement, summary) says what current_scores says: the latest
    linked, unlinked and moderated score of each indicator, with who and the comment."""
    unit, other = units[0], units[1]
    allocated = other_advisor(units, unit)
    allocate_one(reg, unit, allocated)
    moderator = other_advisor(units, unit, not_=(allocated,))
    for role, score, who, comment in (("linked", 4, unit.linked_dcfa, "first"),
                                      ("linked", 1, unit.linked_dcfa, "second; \u00e9"),
                                      ("unlinked", 3, allocated, ""),
                                      ("moderated", 2, moderator, "agreed at panel")):
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role=role, score=score,
                     assessor=who, comment=comment)
    record_score(reg, roster, unit=other.code, indicator="OD1.2", role="linked", score=3,
                 assessor=other.linked_dcfa)
    full = reg.current_scores(CYCLE)
    lean = reg.current_marks(CYCLE)
    assert set(lean) == set(full) == {(unit.code, "OD1.1"), (other.code, "OD1.2")}
    for key, pair in full.items():
        assert lean[key] == [None if e is None else (e.assessor, e.score, e.comment)
                             for e in (pair.linked, pair.unlinked, pair.moderated)]
    assert lean[(unit.code, "OD1.1")][0] == (unit.linked_dcfa, 1, "second; \u00e9")
    assert lean[(other.code, "OD1.2")][1:] == [None, None]


def test_moderation_needs_both_scores_and_a_comment(
    reg: Register, roster: Roster, units: list[Unit]
) -> None:
    unit = units[0]
    with pytest.raises(ScoreError) as exc:
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated",
                     score=3, assessor="dcfa10")
    assert exc.value.problems == [
        "a moderated score needs a --comment saying how it was agreed",
        "nothing to moderate yet: TP-CW OD1.1 needs both a linked and an unlinked score first",
    ]
    assert reg.event_count() == 0


# -- importing CSV -----------------------------------------------------------------------


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_records_every_row(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit = units[0]
    allocated = other_advisor(units, unit)
    allocate_one(reg, unit, allocated)
    path = write_csv(tmp_path / "scores.csv", (
        "unit,indicator,role,assessor,score,comment\n"
        f"{unit.code},OD1.1,linked,{unit.linked_dcfa},4,good\n"
        f"{unit.code},OD1.1,unlinked,{allocated},2.0,weak\n"
        "\n"
        f"{unit.code},OD1.1,moderated,dcfa10,3,agreed by phone\n"
    ))
    result = import_csv(reg, roster, path)
    assert (result.status, result.recorded, result.by_role) == (
        "imported", 3, {"linked": 1, "unlinked": 1, "moderated": 1})
    pair = reg.current(CYCLE, unit.code, "OD1.1")
    assert combine(pair, roster.rule).model_dump(include={"score", "status"}) == {
        "score": 3, "status": "moderated"}
    assert import_csv(reg, roster, path).status == "already-imported"


def test_csv_import_lists_every_bad_row_and_records_nothing(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit = units[0]
    path = write_csv(tmp_path / "scores.csv", (
        "unit,indicator,role,assessor,score,comment\n"
        f"{unit.code},OD1.1,linked,{unit.linked_dcfa},3,fine\n"
        f"NOPE,OD1.1,linked,{unit.linked_dcfa},3,\n"
        f"{unit.code},OD1.2,linked,{unit.linked_dcfa},5,\n"
        f"{unit.code},OD1.3,boss,{unit.linked_dcfa},three,\n"
        f"{unit.code},OD1.1,linked,{unit.linked_dcfa},2,again\n"
        f"{unit.code},OD2.1,unlinked,dcfa10,3,\n"
    ))
    result = import_csv(reg, roster, path)
    assert result.status == "rejected"
    assert [str(p) for p in result.problems] == [
        f"{path} row 3: unknown unit 'NOPE' (not in the units list)",
        f"{path} row 4: score 5 is not on the scale 1-4",
        f"{path} row 5: unknown role 'boss' (use linked, unlinked or moderated)",
        f"{path} row 5: score 'three' is not a whole number on the scale 1-4",
        f"{path} row 6: {unit.code} OD1.1 linked appears twice (first at row 2)",
        f"{path} row 7: no unlinked DCFA is allocated to {unit.code} for {CYCLE}: run esps "
        "allocate, or pass --any-unlinked",
    ]
    assert [p.code for p in result.problems] == [
        "score-unknown-unit", "score-invalid", "score-unknown-role", "score-invalid",
        "score-duplicate", "score-not-allocated"]
    assert reg.event_count() == 0


def test_csv_import_needs_its_header(reg: Register, roster: Roster, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "scores.csv", "TP-CW,OD1.1,linked,dcfa01,3,\n")
    result = import_csv(reg, roster, path)
    assert [str(p) for p in result.problems] == [
        f"{path} row 1: missing column(s) unit, indicator, role, assessor, score: the header "
        "must be unit,indicator,role,assessor,score,comment"]
    assert [p.code for p in result.problems] == ["score-missing-column"]


def test_import_is_one_transaction_even_for_a_valid_looking_file_with_a_late_problem(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit = units[0]
    lines = ["unit,indicator,role,assessor,score,comment"]
    lines += [f"{unit.code},{ind},linked,{unit.linked_dcfa},3,ok"
              for ind in roster.indicator_list[:20]]
    lines.append(f"{unit.code},{roster.indicator_list[20]},linked,{unit.linked_dcfa},7,late")
    path = write_csv(tmp_path / "late.csv", "\n".join(lines) + "\n")
    before = reg.event_count()
    result = import_csv(reg, roster, path)
    assert result.rejected
    assert [p.row for p in result.problems] == [22]
    assert reg.event_count() == before


def test_new_event_same_as() -> None:
    e = ev("linked", 3)
    assert NewEvent(cycle=CYCLE, unit="U", indicator="I", role="linked", assessor="a",
                    score=3).same_as(e)
    assert not NewEvent(cycle=CYCLE, unit="U", indicator="I", role="linked", assessor="b",
                        score=3).same_as(e)
    assert not NewEvent(cycle=CYCLE, unit="U", indicator="I", role="linked", assessor="a",
                        score=3).same_as(None)


# -- finding codes of import problems ------------------------------------------------------


@pytest.mark.parametrize(("row", "code", "message"), [
    ("{unit},OD1.1,linked,{linked},3,,2009-10", "score-wrong-cycle",
     "cycle 2009-10 is not 2010-11"),
    ("{unit},ZZ9.9,linked,{linked},3,,", "score-unknown-indicator",
     "unknown indicator 'ZZ9.9' (not in framework esps-mps)"),
    ("{unit},OD1.4,linked,{linked},3,,", "score-indicator-not-assessed",
     "indicator OD1.4 (developing) is not assessed in cycle 2010-11"),
    ("{unit},OD1.1,linked,nobody,3,,", "score-unknown-assessor",
     "unknown assessor 'nobody' (not in the advisors list)"),
    ("{unit},OD1.1,linked,{linked},,,", "score-invalid", "score is blank"),
    ("{unit},OD1.1,linked,{linked},0,,", "score-invalid", "score 0 is not on the scale 1-4"),
    ("{unit},OD1.1,moderated,{linked},3,,", "score-moderation-unexplained",
     "a moderated score needs a comment saying how it was agreed"),
    ("{unit},OD1.1,moderated,{other},3,agreed by phone,", "score-nothing-to-moderate",
     "nothing to moderate yet: {unit} OD1.1 has no linked or unlinked score"),
    ("{unit},OD1.1,moderated,{other},3,.,", "score-moderation-reason-too-short",
     "the moderation reason '.' says nothing: give the reason in a few words (at least two "
     "different), e.g. 'evidence of the plan seen'"),

    ("{unit},OD1.1,linked,{other},3,,", "score-wrong-assessor",
     "{other} is not the linked DCFA of {unit} ({linked} per the units list); linked scores "
     "come only from the unit's linked DCFA"),
])
def test_each_csv_problem_has_its_code(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path, row: str, code: str,
    message: str,
) -> None:
    unit = units[0]
    names = {"unit": unit.code, "linked": unit.linked_dcfa, "other": other_advisor(units, unit)}
    path = write_csv(tmp_path / "one.csv", "unit,indicator,role,assessor,score,comment,cycle\n"
                     + row.format(**names) + "\n")
    result = import_csv(reg, roster, path)
    assert [(p.row, p.code, p.message) for p in result.problems] == [
        (2, code, message.format(**names))]
    assert reg.event_count() == 0


def test_moderation_is_by_a_third_dcfa_only(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit = units[0]
    allocated = other_advisor(units, unit)
    third = other_advisor(units, unit, not_=(allocated,))
    allocate_one(reg, unit, allocated)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="linked", score=4,
                 assessor=unit.linked_dcfa)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=1,
                 assessor=allocated, comment="no plan seen")
    for who, side in ((unit.linked_dcfa, "linked"), (allocated, "unlinked")):
        with pytest.raises(ScoreError) as exc:
            record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated",
                         score=3, assessor=who, comment="agreed at panel")
        assert exc.value.problems == [
            f"{who} is the {side} DCFA of {unit.code}, so cannot moderate its scores; "
            "moderation is by a third DCFA"]
        path = write_csv(tmp_path / f"{side}.csv", "unit,indicator,role,assessor,score,comment\n"
                         f"{unit.code},OD1.1,moderated,{who},3,agreed at panel\n")
        result = import_csv(reg, roster, path)
        assert [(p.row, p.code) for p in result.problems] == [
            (2, "score-moderator-not-independent")]
    # The one who gave the unlinked score, even when no longer the allocated one.
    allocate_one(reg, unit, third)
    with pytest.raises(ScoreError):
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated", score=3,
                     assessor=allocated, comment="agreed at panel")
    fourth = other_advisor(units, unit, not_=(allocated, third))
    done = record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated",
                        score=3, assessor=fourth, comment="agreed at panel")
    assert done.recorded and done.event.assessor == fourth
    assert reg.event_count() == 3


@pytest.mark.parametrize(("reason", "ok"), [
    (".", False), ("agreed", False), ("  agreed  ", False), ("- agreed -", False),
    ("3 agreed", False), ("agreed at", True), ("evidence seen", True),
    ("agreed agreed", False), ("Agreed, agreed.", False), ("“agreed” agreed!", False),
    ("agreed Agreed at", True),
])
def test_a_moderation_reason_must_say_something(
    reg: Register, roster: Roster, units: list[Unit], reason: str, ok: bool
) -> None:
    unit = units[0]
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="linked", score=4,
                 assessor=unit.linked_dcfa)
    record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="unlinked", score=1,
                 assessor="dcfa10", comment="thin", any_unlinked=True)
    if ok:
        assert record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated",
                            score=3, assessor="dcfa09", comment=reason).recorded
        return
    with pytest.raises(ScoreError) as exc:
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="moderated", score=3,
                     assessor="dcfa09", comment=reason)
    assert exc.value.problems == [
        f"the moderation reason {reason.strip()!r} says nothing: give the reason in a few words "
        "(at least two different), e.g. 'evidence of the plan seen'"]


def test_a_unit_with_no_readable_return_on_record_cannot_be_scored(
    reg: Register, roster: Roster, units: list[Unit], tmp_path: Path
) -> None:
    unit = units[-1]  # the reg fixture puts every unit's return on record but this one
    with pytest.raises(ScoreError) as exc:
        record_score(reg, roster, unit=unit.code, indicator="OD1.1", role="linked", score=3,
                     assessor=unit.linked_dcfa)
    assert exc.value.problems == [
        f"{unit.code} has no readable return on record for {CYCLE}, so it cannot be scored: "
        "its scoring packs are made from its return (esps score packs --returns DIR)"]
    path = write_csv(tmp_path / "s.csv", "unit,indicator,role,assessor,score\n"
                     f"{unit.code},OD1.1,linked,{unit.linked_dcfa},3\n"
                     f"{unit.code},OD1.2,linked,{unit.linked_dcfa},3\n")
    result = import_csv(reg, roster, path)
    assert [(p.row, p.code) for p in result.problems] == [(2, "score-no-return")]
    assert reg.event_count() == 0
    record_returns(reg, [unit.code])
    assert import_csv(reg, roster, path).recorded == 2


def test_import_codes_are_in_the_catalogue(
    reg: Register, roster: Roster, tmp_path: Path,
) -> None:
    from esps_cli.findings import catalogue

    known = {c.code: c.severity for c in catalogue()}
    missing = import_csv(reg, roster, tmp_path / "gone.csv")
    assert [p.code for p in missing.problems] == ["score-file-unreadable"]
    assert known["score-comment-without-score"] == "warning"
    for code in ("score-file-unreadable", "score-missing-column", "score-wrong-cycle",
                 "score-unknown-unit", "score-unknown-indicator", "score-invalid",
                 "score-wrong-assessor", "score-duplicate", "score-no-return",
                 "score-moderator-not-independent", "score-moderation-reason-too-short"):
        assert known[code] == "error"
