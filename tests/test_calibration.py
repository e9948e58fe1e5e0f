"""`esps calibrate`: seed returns with definitive scores, calibration packs scored blind,
each DCFA's deviation, and the rules the register holds (on both engines).

The seeded set (cycle 2010-11, 54 indicators, every definitive score 3):
- dcfa01 scores all 3: deviation 0, in line;
- dcfa02 scores 18 at 4 and 36 at 3: +1/3 (more lenient), mean absolute 1/3;
- dcfa03 scores all 1: -2, harsher, FLAGGED (beyond the 1-point tolerance);
- dcfa04 scores all 2: exactly -1, harsher but at the tolerance, so not flagged;
- dcfa05 gets a pack and sends nothing back: awaiting.
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
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Register, RegisterRuleError, audit
from esps_cli.register.maintenance import copy_register
from esps_cli.scoring.quality import assessor_calibration
from esps_cli.workbook.generate import generate_workbooks
from esps_cli.workbook.layout import SHEET_PACK_META
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE
from .packs import fill_pack, record_returns
from .pgserver import Cluster

runner = CliRunner()
SEED_UNIT = Unit(code="TP-ZZ", name="Borough Z", business_group="TP", linked_dcfa="dcfa01")
NEXT = "2011-12"


def make_seed(framework: Framework, advisors: list[Advisor], out: Path,
              cycle: str = CYCLE, unit: Unit = SEED_UNIT) -> Path:
    """A seed return: a workbook generated for a unit not on the units list, filled in."""
    generate_workbooks(framework, [unit], advisors, out, framework.cycle(cycle), jobs=1)
    (path,) = out.glob("*.xlsx")
    return fill_file(path, framework)


def write_key(path: Path, indicators: list[str], score: int = 3) -> Path:
    path.write_text("indicator,score,rationale\n" + "".join(
        f"{i},{score},agreed by the panel\n" for i in indicators), encoding="utf-8")
    return path


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.stdout


def _packs(folder: Path) -> dict[str, Path]:
    return {p.name.split("_")[2]: p for p in sorted(folder.glob("*.xlsx"))}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory, framework: Framework,
               advisors: list[Advisor]) -> dict:
    tmp = tmp_path_factory.mktemp("calibration")
    common = ["--register", str(tmp / "esps.db"), "--units", str(EXAMPLES_DIR / "units.csv")]
    indicators = [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))]
    # live scores first, to check that calibration changes none of what they give
    with Register.open(tmp / "esps.db") as reg:
        record_returns(reg, ["TP-CW"])
    live = tmp / "live.csv"
    live.write_text("unit,indicator,role,assessor,score,comment\n" + "".join(
        f"TP-CW,{i},{role},{who},{s},seen\n" for i in indicators
        for role, who, s in (("linked", "dcfa01", 3), ("unlinked", "dcfa02", 4))),
        encoding="utf-8")
    run("score", "import", str(live), "--any-unlinked", "--cycle", CYCLE, *common)
    before = {what: run(*args, "--cycle", CYCLE, *common, code=code)
              for what, args, code in (
                  ("export", ("score", "export", "--format", "csv"), 0),
                  ("agreement", ("score", "agreement", "--format", "json"), 0),
                  ("decisions", ("score", "decisions", "--format", "json"), 0))}
    (tmp / "returns").mkdir()
    board = ["summary", "--returns", str(tmp / "returns"), "--cycle", CYCLE, *common]
    run(*board, "--output", str(tmp / "board-before.xlsx"), code=1)
    seed = make_seed(framework, advisors, tmp / "seed")
    key = write_key(tmp / "key.csv", indicators)
    out = run("calibrate", "seed", str(seed), "--seed", "S1", "--scores", str(key), "--by",
              "DCFD lead", "--cycle", CYCLE, *common)
    assert "seed S1: TP-ZZ Borough Z, 54 definitive score(s) set by DCFD lead" in out
    packs = tmp / "packs"
    run("calibrate", "packs", "--out", str(packs), *(a for i in range(1, 6)
                                                    for a in ("--assessor", f"dcfa0{i}")),
        "--cycle", CYCLE, *common)
    found = _packs(packs)
    assert sorted(found) == [f"dcfa0{i}" for i in range(1, 6)]
    fill_pack(found["dcfa01"], {i: (3, None) for i in indicators})
    fill_pack(found["dcfa02"], {i: (4 if n < 18 else 3, None) for n, i in enumerate(indicators)})
    fill_pack(found["dcfa03"], {i: (1, "weak evidence") for i in indicators})
    fill_pack(found["dcfa04"], {i: (2, "some evidence") for i in indicators})
    imported = run("calibrate", "import", str(packs), "--cycle", CYCLE, *common)
    run(*board, "--output", str(tmp / "board-after.xlsx"), code=1)
    run(*board, "--public", "--output", str(tmp / "public.xlsx"), code=1)
    return {"tmp": tmp, "common": common, "before": before, "packs": found,
            "indicators": indicators, "imported": imported, "framework": framework,
            "advisors": advisors}


def test_calibration_packs_look_like_any_scoring_pack(calibrated: dict) -> None:
    pack = calibrated["packs"]["dcfa03"]
    assert pack.name == f"TP-ZZ_unlinked_dcfa03_{CYCLE}.xlsx"  # the shape of a live pack's name
    wb = openpyxl.load_workbook(pack)
    assert wb.sheetnames[0] == "Scoring"
    text = " ".join(str(c.value) for row in wb.worksheets[0].iter_rows(max_row=12)
                    for c in row if c.value)
    assert "ESPS scoring pack: Borough Z (TP-ZZ)" in text
    assert "calibrat" not in text.lower() and "seed" not in text.lower()
    meta = {r[0].value: r[1].value for r in wb[SHEET_PACK_META].iter_rows()}
    assert (meta["pack_kind"], meta["role"], meta["unit_code"]) == ("scoring", "unlinked",
                                                                    "TP-ZZ")


def test_one_deliberately_harsh_assessor_is_flagged_and_no_other(calibrated: dict) -> None:
    assert "imported" in calibrated["imported"]
    report = json.loads(run("calibrate", "report", "--format", "json", "--cycle", CYCLE,
                            *calibrated["common"], code=1))
    by = {a["assessor"]: a for a in report["assessors"]}
    assert report["flagged"] == ["dcfa03"]
    assert report["awaiting"] == ["dcfa05"]
    assert report["tolerance"] == 1.0
    assert (by["dcfa01"]["mean_signed_deviation"], by["dcfa01"]["leaning"]) == (0.0, "in line")
    assert by["dcfa02"]["mean_signed_deviation"] == 18 / 54  # unrounded
    assert by["dcfa02"]["mean_absolute_deviation"] == 18 / 54
    assert by["dcfa02"]["leaning"] == "more lenient"
    assert (by["dcfa03"]["mean_signed_deviation"], by["dcfa03"]["flagged"]) == (-2.0, True)
    assert by["dcfa03"]["leaning"] == "harsher"
    # exactly at the tolerance: harsher, not flagged (a mutation of > to >= fails here)
    assert (by["dcfa04"]["mean_signed_deviation"], by["dcfa04"]["flagged"]) == (-1.0, False)
    assert (by["dcfa05"]["indicators"], by["dcfa05"]["leaning"]) == (0, "not scored")
    assert [s["seed"] for s in report["seeds"]] == ["S1"]


def test_calibration_csv_is_unrounded_and_text_names_the_flagged(calibrated: dict) -> None:
    rows = list(csv.DictReader(io.StringIO(run(
        "calibrate", "report", "--format", "csv", "--cycle", CYCLE, *calibrated["common"],
        code=1))))
    dcfa02 = next(r for r in rows if r["assessor"] == "dcfa02")
    assert dcfa02["mean_signed_deviation"] == repr(18 / 54)
    text = run("calibrate", "report", "--cycle", CYCLE, *calibrated["common"], code=1)
    assert "Siobhan Kelly" in text and "FLAGGED" in text and "+0.33" in text
    assert "1 scored more than 1 point away from them on average: Siobhan Kelly 2.0 " \
           "point(s) harsher" in text
    assert "Not scored yet: Helen Marsh" in text


def test_seed_scores_never_count_towards_any_unit(calibrated: dict) -> None:
    common = calibrated["common"]
    for what, args in (("export", ("score", "export", "--format", "csv")),
                       ("agreement", ("score", "agreement", "--format", "json")),
                       ("decisions", ("score", "decisions", "--format", "json"))):
        assert run(*args, "--cycle", CYCLE, *common) == calibrated["before"][what], what
    with Register.open(calibrated["tmp"] / "esps.db") as reg:
        assert reg.count("calibration_scores") == 4 * 54
        assert not [k for k in reg.current_marks(CYCLE) if k[0] == "TP-ZZ"]


def _cells(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's values, less the line that says when it was made."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c for c in row if not (isinstance(c, str) and "made " in c)]
                       for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _fingerprint_rows(cells: dict) -> list:
    """Take the Summary's audit-fingerprint rows out of a workbook's cells, and return them."""
    rows = cells["Summary"]
    found = [r for r in rows if any(isinstance(v, str) and v.startswith("Audit fingerprint")
                                    for v in r)]
    cells["Summary"] = [r for r in rows if r not in found]
    return found


def test_the_board_pack_shows_quality_and_no_unit_figure_moves(calibrated: dict) -> None:
    before = _cells(calibrated["tmp"] / "board-before.xlsx")
    after = _cells(calibrated["tmp"] / "board-after.xlsx")
    assert after.pop("Assessment quality") != before.pop("Assessment quality")
    # The audit fingerprint moves on (calibration is audited); every other line stays.
    marks = [_fingerprint_rows(cells) for cells in (before, after)]
    assert len(marks[0]) == len(marks[1]) == 1 and marks[0] != marks[1]
    assert after == before  # every unit's figure, every roll-up, the same
    wb = openpyxl.load_workbook(calibrated["tmp"] / "board-after.xlsx")
    # after the exceptions (and the community's challenges)
    assert wb.sheetnames[1:4] == ["Exceptions and actions", "Community challenges",
                                  "Assessment quality"]
    text = [str(c) for row in wb["Assessment quality"].iter_rows(values_only=True)
            for c in row if c is not None]
    assert ("Scored separately, the two DCFAs reached the same decision on whether the unit "
            "meets the baseline for 1 of 1 units (100%; 95% interval 21% to 100%).") in text
    assert ("Before live scoring, 4 DCFA(s) scored 1 seed return(s) with known answers; 1 "
            "scored more than 1 point away from them on average: Siobhan Kelly 2.0 point(s) "
            "harsher.") in text
    assert "1 of 4 DCFAs\noutside ±1 point" in text
    assert "harsher (flagged)" in text
    ws = wb["Assessment quality"]
    (row,) = [r for r in ws.iter_rows() if r[0].value == "Siobhan Kelly"]
    assert (row[3].value, row[3].number_format, row[4].value) == (-2.0, "+0.00;-0.00;0.00",
                                                                 2.0)
    public = openpyxl.load_workbook(calibrated["tmp"] / "public.xlsx")
    assert "Assessment quality" not in public.sheetnames


def test_the_web_edition_of_the_board_pack_has_the_same_page(calibrated: dict) -> None:
    tmp, common = calibrated["tmp"], calibrated["common"]
    board = ["summary", "--returns", str(tmp / "returns"), "--cycle", CYCLE, *common]
    run(*board, "--output", str(tmp / "board.html"), code=1)
    page = (tmp / "board.html").read_text(encoding="utf-8")
    assert '<h2 id="quality">Assessment quality: can the Board rely on the assessments?</h2>' \
        in page
    assert ("reached the same decision on whether the unit meets the baseline for 1 of 1 "
            "units (100%; 95% interval 21% to 100%).") in page
    assert "Siobhan Kelly 2.0 point(s) harsher." in page
    assert '<table id="calibration">' in page and "harsher (flagged)" in page
    run(*board, "--public", "--output", str(tmp / "public.html"), code=1)
    public = (tmp / "public.html").read_text(encoding="utf-8")
    assert "Assessment quality" not in public and "Siobhan Kelly" not in public


def test_the_summary_json_carries_the_page_for_every_edition(calibrated: dict) -> None:
    common = calibrated["common"]
    report = json.loads(run("summary", "--returns", str(calibrated["tmp"] / "returns"),
                            "--format", "json", "--cycle", CYCLE, *common, code=1))
    quality = report["assessment_quality"]
    assert quality["decision"]["overall"]["agreed"] == 1
    assert quality["calibration"]["flagged"] == ["dcfa03"]
    public = json.loads(run("summary", "--returns", str(calibrated["tmp"] / "returns"),
                            "--format", "json", "--public", "--cycle", CYCLE, *common, code=1))
    assert public["assessment_quality"] is None


def test_a_calibration_pack_given_to_score_import_is_refused(calibrated: dict) -> None:
    result = runner.invoke(app, ["score", "import", str(calibrated["packs"]["dcfa01"]),
                                 "--format", "json", "--cycle", CYCLE, *calibrated["common"]])
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)
    assert found["status"] == "rejected"
    assert found["problems"][0]["code"] == "score-pack-is-calibration"


def test_importing_again_records_nothing_new(calibrated: dict) -> None:
    out = run("calibrate", "import", str(calibrated["packs"]["dcfa03"]), "--cycle", CYCLE,
              *calibrated["common"])
    assert "unchanged" in out and "54 score(s), all already recorded" in out


def test_an_edited_identity_is_refused_as_in_any_pack(calibrated: dict, tmp_path: Path) -> None:
    copy = tmp_path / "edited.xlsx"
    copy.write_bytes(calibrated["packs"]["dcfa05"].read_bytes())
    fill_pack(copy, {calibrated["indicators"][0]: (3, None)}, identity={"assessor": "dcfa06"})
    result = runner.invoke(app, ["calibrate", "import", str(copy), "--format", "json",
                                 "--cycle", CYCLE, *calibrated["common"]])
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)
    assert found["problems"][0]["code"] == "score-pack-identity-edited"


def test_a_seed_on_the_units_list_or_invalid_is_refused(calibrated: dict, tmp_path: Path
                                                        ) -> None:
    framework, advisors = calibrated["framework"], calibrated["advisors"]
    key = write_key(tmp_path / "key.csv", calibrated["indicators"])
    live_unit = Unit(code="TP-CW", name="Westminster", business_group="TP",
                     linked_dcfa="dcfa01")
    on_list = make_seed(framework, advisors, tmp_path / "live", unit=live_unit)
    out = runner.invoke(app, ["calibrate", "seed", str(on_list), "--seed", "S2", "--scores",
                              str(key), "--by", "lead", "--cycle", CYCLE,
                              *calibrated["common"]])
    assert out.exit_code == 2
    assert "its unit TP-CW is on this cycle's units list" in out.output
    short = tmp_path / "short.csv"
    write_key(short, calibrated["indicators"][:50])
    seed = calibrated["tmp"] / "seed"
    (path,) = seed.glob("*.xlsx")
    out = runner.invoke(app, ["calibrate", "seed", str(path), "--seed", "S1", "--scores",
                              str(short), "--by", "lead", "--cycle", CYCLE,
                              *calibrated["common"]])
    assert out.exit_code == 2
    assert "no definitive score for 4 indicator(s)" in out.output
    assert "nothing was recorded" in out.output


def test_cycles_are_compared(calibrated: dict, tmp_path: Path) -> None:
    framework, advisors = calibrated["framework"], calibrated["advisors"]
    common = calibrated["common"]
    indicators = [i.id for i in framework.cycle_indicators(framework.cycle(NEXT))]
    seed = make_seed(framework, advisors, tmp_path / "seed", cycle=NEXT)
    run("calibrate", "seed", str(seed), "--seed", "S1", "--scores",
        str(write_key(tmp_path / "key.csv", indicators)), "--by", "dcfa10", "--cycle", NEXT,
        *common)
    run("calibrate", "packs", "--out", str(tmp_path / "packs"), "--assessor", "dcfa03",
        "--cycle", NEXT, *common)
    (pack,) = (tmp_path / "packs").glob("*.xlsx")
    fill_pack(pack, {i: (3 if n % 2 else 2, "some evidence") for n, i in enumerate(indicators)})
    run("calibrate", "import", str(pack), "--cycle", NEXT, *common)
    report = json.loads(run("calibrate", "report", "--format", "json", "--cycle", NEXT,
                            *common))
    assert [c["cycle"] for c in report["cycles"]] == [CYCLE, NEXT]
    (now,) = report["assessors"]
    assert (now["assessor"], now["mean_signed_deviation"], now["flagged"]) == (
        "dcfa03", -0.5, False)
    rows = list(csv.DictReader(io.StringIO(run("calibrate", "report", "--format", "csv",
                                               "--cycle", NEXT, *common))))
    assert [r["cycle"] for r in rows] == [NEXT] + [CYCLE] * 5  # this cycle first, then earlier
    text = run("calibrate", "report", "--cycle", NEXT, *common)
    assert "FY2010/11 mean signed" in text and "-2.00" in text and "-0.50" in text


def test_the_tolerance_is_a_boundary() -> None:
    at = assessor_calibration("a", [("S1", -1)] * 3, 1.0)
    assert (at.mean_signed_deviation, at.flagged) == (-1.0, False)
    assert assessor_calibration("a", [("S1", -1)] * 3, 0.999).flagged is True
    assert assessor_calibration("a", [("S1", 2), ("S1", 0)], 1.0).flagged is False
    assert assessor_calibration("a", [("S1", 2), ("S1", 1)], 1.0).flagged is True
    none = assessor_calibration("a", [], 1.0)
    assert (none.flagged, none.leaning, none.mean_signed_deviation) == (False, "not scored",
                                                                        None)


# -- the rules in the database, on both engines -------------------------------------------


def _seed_row(seed: str, sha: str = "a" * 64, set_by: str = "lead") -> dict:
    return {"cycle": CYCLE, "seed": seed, "unit": "TP-ZZ", "unit_name": "Z",
            "return_source": "z.xlsx", "return_sha256": sha, "indicator": "OD1.1",
            "score": 3, "rationale": "", "set_by": set_by, "set_at": "2026-12-07T00:00:00"}


def test_the_register_holds_the_calibration_rules(register_at: str) -> None:
    with Register.open(register_at) as reg:
        db = reg.database
        for seed in ("S1", "S2", "S3"):
            db.insert("calibration_seeds", _seed_row(seed))
        db.insert("calibration_seeds", _seed_row("S3"))  # a third seed set again: fine
        with pytest.raises(RegisterRuleError, match="one to three seed returns"):
            db.insert("calibration_seeds", _seed_row("S4"))
        with pytest.raises(RegisterRuleError, match="keeps the return it was set with"):
            db.insert("calibration_seeds", _seed_row("S1", sha="b" * 64))
        pack = {"pack_id": "p1", "cycle": CYCLE, "seed": "S1", "assessor": "dcfa01",
                "file": "f.xlsx", "issued_at": "2026-12-07T00:00:00"}
        with pytest.raises(RegisterRuleError, match="never goes to the advisor who set them"):
            db.insert("calibration_packs", {**pack, "assessor": "lead"})
        with pytest.raises(RegisterRuleError, match="needs a seed"):
            db.insert("calibration_packs", {**pack, "seed": "S9"})
        db.insert("calibration_packs", pack)
        score = {"cycle": CYCLE, "seed": "S1", "indicator": "OD1.1", "assessor": "dcfa01",
                 "score": 2, "comment": "", "pack_id": "p1", "source": "f.xlsx",
                 "source_sha256": "c" * 64, "recorded_at": "2026-12-07T00:00:00"}
        db.insert("calibration_scores", score)
        with pytest.raises(RegisterRuleError, match="only from the calibration pack issued"):
            db.insert("calibration_scores", {**score, "assessor": "dcfa02"})
        with pytest.raises(RegisterRuleError, match="append-only"):
            db.execute("UPDATE calibration_scores SET score = 4")


def test_calibration_is_copied_to_postgresql_and_reads_the_same(
        calibrated: dict, postgres_cluster: Cluster) -> None:
    url = postgres_cluster.url(postgres_cluster.new_database())
    copied = copy_register(calibrated["tmp"] / "esps.db", url)
    assert copied.ok
    rows = {t.table: t.target_rows for t in copied.tables}
    assert rows["calibration_seeds"] >= 54 and rows["calibration_packs"] >= 5
    assert rows["calibration_scores"] >= 4 * 54
    common = list(calibrated["common"])
    common[common.index("--register") + 1] = url
    assert run("calibrate", "report", "--format", "json", "--cycle", CYCLE, *common,
               code=1) == run("calibrate", "report", "--format", "json", "--cycle", CYCLE,
                              *calibrated["common"], code=1)
    with Register.open(url) as reg:
        assert audit.verify(reg.database).intact
