"""Agreement on the decision (`esps score decisions`), Krippendorff's alpha bands and Wilson's
interval, on hand-worked examples.

The register (cycle 2010-11, 54 baseline indicators, baseline = every one at 3 or more):
- TP-CW, dcfa01 (linked) with dcfa02 (unlinked): linked all 3, unlinked all 3 but OD1.1 at 2:
  53 of 54 indicators agree exactly (98%) yet the verdicts differ (meets / below).
- TP-BS, the same pair: linked all 4, unlinked all 3: no indicator agrees exactly (0%) yet both
  verdicts are "meets".
- TP-EK, dcfa02 with dcfa03: linked all 1, unlinked all 2: 0% exact, both "below".
So pair dcfa01-dcfa02 agrees on 1 of 2 units (50%, under the 80% level: flagged), pair
dcfa02-dcfa03 on 1 of 1 (100%), overall 2 of 3 (66.666...%). In 2011-12 the first pair agrees
on both its units (100%): its trend is up 50 points.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import Register
from esps_cli.scoring.agreement import agreement_stats
from esps_cli.scoring.quality import (
    ALPHA_RELIABLE,
    ALPHA_TENTATIVE,
    TrendPoint,
    UnitVerdicts,
    alpha_band,
    decision_stats,
    pair_trend,
    wilson_interval,
)

from .conftest import CYCLE
from .packs import record_returns

runner = CliRunner()
NEXT = "2011-12"


def _indicators() -> list[str]:
    framework = load_framework()
    return [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))]


def _rows(unit: str, role: str, assessor: str, scores: dict[str, int]) -> list[str]:
    return [f"{unit},{ind},{role},{assessor},{s},seen" for ind, s in scores.items()]


def _flat(score: int, **other: int) -> dict[str, int]:
    out = dict.fromkeys(_indicators(), score)
    out.update({k.replace("_", "."): v for k, v in other.items()})
    return out


def _import(tmp_path: Path, common: list[str], cycle: str, lines: list[str]) -> None:
    path = tmp_path / f"scores-{cycle}.csv"
    path.write_text("unit,indicator,role,assessor,score,comment\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    done = runner.invoke(app, ["score", "import", str(path), "--any-unlinked", *common,
                               "--cycle", cycle])
    assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp_path = tmp_path_factory.mktemp("decisions")
    common = ["--register", str(tmp_path / "esps.db"),
              "--units", str(EXAMPLES_DIR / "units.csv")]
    with Register.open(tmp_path / "esps.db") as reg:
        record_returns(reg, ["TP-CW", "TP-BS", "TP-EK"])
        record_returns(reg, ["TP-CW", "TP-BS"], cycle=NEXT)
    _import(tmp_path, common, CYCLE, [
        *_rows("TP-CW", "linked", "dcfa01", _flat(3)),
        *_rows("TP-CW", "unlinked", "dcfa02", _flat(3, OD1_1=2)),
        *_rows("TP-BS", "linked", "dcfa01", _flat(4)),
        *_rows("TP-BS", "unlinked", "dcfa02", _flat(3)),
        *_rows("TP-EK", "linked", "dcfa02", _flat(1)),
        *_rows("TP-EK", "unlinked", "dcfa03", _flat(2)),
    ])
    _import(tmp_path, common, NEXT, [
        *_rows("TP-CW", "linked", "dcfa01", _flat(3)),
        *_rows("TP-CW", "unlinked", "dcfa02", _flat(3)),
        *_rows("TP-BS", "linked", "dcfa01", _flat(2)),
        *_rows("TP-BS", "unlinked", "dcfa02", _flat(2, OD2_1=3)),
    ])
    return common


def _json(common: list[str], cycle: str = CYCLE) -> tuple[int, dict]:
    result = runner.invoke(app, ["score", "decisions", "--format", "json", *common,
                                 "--cycle", cycle])
    return result.exit_code, json.loads(result.stdout)


def test_high_indicator_agreement_can_hide_a_different_decision_and_the_reverse(
    register: list[str],
) -> None:
    code, report = _json(register)
    assert code == 1  # a pair is below the level
    units = {u["unit"]: u for u in report["units"]}
    cw, bs, ek = units["TP-CW"], units["TP-BS"], units["TP-EK"]
    assert (cw["exact"], cw["linked_meets"], cw["unlinked_meets"]) == (53, True, False)
    assert (bs["exact"], bs["linked_meets"], bs["unlinked_meets"]) == (0, True, True)
    assert (ek["exact"], ek["linked_meets"], ek["unlinked_meets"]) == (0, False, False)
    first, second = report["pairs"]
    assert (first["linked_assessor"], first["unlinked_assessor"]) == ("dcfa01", "dcfa02")
    assert (first["units"], first["agreed"], first["agreement_pct"]) == (2, 1, 50.0)
    assert (first["only_linked_meets"], first["both_meet"]) == (1, 1)
    assert first["indicator_exact_pct"] == 100 * 53 / 108
    assert (second["units"], second["agreed"], second["agreement_pct"]) == (1, 1, 100.0)
    assert second["both_below"] == 1 and second["below_level"] is False
    assert [(p["linked_assessor"], p["unlinked_assessor"]) for p in report["flagged"]] == [
        ("dcfa01", "dcfa02")]
    assert report["level_pct"] == 80.0
    # unrounded: 2 of 3 is 66.666..., not 66.7
    assert report["overall"]["agreement_pct"] == 200 / 3
    low, high = wilson_interval(1, 2)
    assert (first["ci_low_pct"], first["ci_high_pct"]) == (100 * low, 100 * high)


def test_csv_is_unrounded_and_text_rounds(register: list[str]) -> None:
    result = runner.invoke(app, ["score", "decisions", "--format", "csv", *register,
                                 "--cycle", CYCLE])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["scope"] for r in rows] == ["pair", "pair", "overall"]
    assert rows[2]["agreement_pct"] == repr(200 / 3)
    text = runner.invoke(app, ["score", "decisions", *register, "--cycle", CYCLE],
                         env={"COLUMNS": "200"}).stdout
    assert "2 (67%)" in text and "66.66" not in text
    assert "same decision on whether the unit meets the baseline for 2 of 3 units" in text
    assert "Amira Haddad with Daniel Okafor (1 of 2 units, 50%)" in text


def test_trend_per_pair_across_cycles(register: list[str]) -> None:
    code, report = _json(register, NEXT)
    assert code == 0
    trend, earlier = report["trend"]
    assert [(p["cycle"], p["agreement_pct"]) for p in trend["cycles"]] == [
        (CYCLE, 50.0), (NEXT, 100.0)]
    assert (trend["direction"], trend["change_pts"]) == ("up", 50.0)
    # a pair that scored together only in 2010-11 keeps its one point
    assert (earlier["linked_assessor"], earlier["direction"]) == ("dcfa02", "one cycle")
    assert [p["cycle"] for p in earlier["cycles"]] == [CYCLE]
    text = runner.invoke(app, ["score", "decisions", *register, "--cycle", NEXT],
                         env={"COLUMNS": "200"}).stdout
    assert "Okafor: FY2010/11 50% (1/2), FY2011/12 100% (2/2) ▲ +50 points" in text


def test_the_level_comes_from_the_framework_and_is_a_boundary(tmp_path: Path) -> None:
    four_of_five = [UnitVerdicts(unit=f"U{i}", linked_assessor="a", unlinked_assessor="b",
                                 indicators=1, exact=1, linked_meets=True,
                                 unlinked_meets=i > 0) for i in range(5)]
    assert decision_stats(four_of_five, 80.0).below_level is False  # exactly at the level
    assert decision_stats(four_of_five, 80.01).below_level is True


def test_xlsx_output_rounds_and_lists_the_trend(register: list[str], tmp_path: Path) -> None:
    out = tmp_path / "decisions.xlsx"
    result = runner.invoke(app, ["score", "decisions", *register, "--cycle", NEXT,
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Linked DCFA", "Unlinked DCFA", "Units", "Same decision",
                          "Agreement %"]
    assert [c.value for c in ws[2]][:5] == ["Amira Haddad", "Daniel Okafor", 2, 2, 100.0]
    trend = wb["Trend per pair"]
    assert [[c.value for c in row][2:] for row in trend.iter_rows(min_row=2, max_row=3)] == [
        ["FY2010/11", 2, 1, 50.0], ["FY2011/12", 2, 2, 100.0]]


def test_a_trend_that_neither_rises_nor_falls_is_the_same() -> None:
    def point(cycle: str, agreed: int) -> TrendPoint:
        return TrendPoint(cycle=cycle, cycle_name=cycle, units=4, agreed=agreed,
                          agreement_pct=25.0 * agreed)

    same = pair_trend("a", "b", [point(CYCLE, 3), point(NEXT, 3)])
    assert (same.direction, same.change_pts) == ("same", 0.0)
    assert pair_trend("a", "b", [point(CYCLE, 3), point(NEXT, 2)]).direction == "down"
    assert pair_trend("a", "b", [point(CYCLE, 2), point(NEXT, 3)]).direction == "up"


# -- Wilson's interval and alpha's bands ---------------------------------------------------


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med
    # 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_reproduces_newcombes_examples(successes: int, n: int, low: float,
                                                        high: float) -> None:
    found = wilson_interval(successes, n)
    assert found[0] == pytest.approx(low, abs=5e-5)
    assert found[1] == pytest.approx(high, abs=5e-5)


def test_wilson_interval_of_nothing_is_none() -> None:
    assert wilson_interval(0, 0) == (None, None)


@pytest.mark.parametrize(("alpha", "band"), [
    (ALPHA_RELIABLE, "reliable"), (0.8, "reliable"), (0.7999999, "tentative"),
    (ALPHA_TENTATIVE, "tentative"), (0.667, "tentative"), (0.6669999, "unreliable"),
    (1.0, "reliable"), (-0.2, "unreliable"), (None, "undefined")])
def test_alpha_bands_at_their_exact_boundaries(alpha: float | None, band: str) -> None:
    assert alpha_band(alpha) == band


def test_agreement_reports_alphas_band_from_the_unrounded_value() -> None:
    # 10 pairs agreeing on 1..4 with one pair apart: a hand-checkable alpha well above 0.8
    pairs = [(1, 1), (2, 2), (3, 3), (4, 4)] * 3 + [(2, 3)]
    stats = agreement_stats(pairs, [1, 2, 3, 4])
    assert stats.krippendorff_alpha is not None and stats.krippendorff_alpha > 0.8
    assert stats.krippendorff_alpha_band == "reliable"
    assert agreement_stats([(3, 3)] * 5, [1, 2, 3, 4]).krippendorff_alpha_band == "undefined"
