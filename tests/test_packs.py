"""Blind scoring (issue 10): the unit's workbook holds no scores, each assessor scores in a pack
of their own, packs come back through `esps score import`, moderation is by a third DCFA."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.register import Register
from esps_cli.scoring.pack_import import import_pack
from esps_cli.scoring.pack_store import find_pack, packs_issued
from esps_cli.scoring.packs import write_moderation_packs, write_packs
from esps_cli.scoring.roster import Roster
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.layout import (
    LEGACY_ASSESSMENT,
    PACK_TABLE,
    SHEET_PACK_META,
    workbook_fingerprint,
)
from esps_cli.workbook.reader import read_workbook

from .conftest import CYCLE
from .packs import fill_pack, pack_cells

runner = CliRunner()
RETURNS = EXAMPLES_DIR / "returned"
SRC = str(Path(__file__).resolve().parents[1] / "src")


@dataclass
class Issued:
    """A register with an allocation and the scoring packs written from the sample returns."""

    db: Path
    packs: Path
    roster: Roster

    def pack(self, unit: str, role: str) -> Path:
        return next(self.packs.glob(f"*/{unit}_{role}_*_{CYCLE}.xlsx"))

    def open(self) -> Register:
        return Register.open(self.db)


@pytest.fixture(scope="module")
def issued_once(tmp_path_factory: pytest.TempPathFactory, framework: Framework,
                units: list[Unit], advisors: list[Advisor]) -> Issued:
    work = tmp_path_factory.mktemp("issued")
    roster = Roster(framework, framework.cycle(CYCLE), units, advisors)
    (work / "packs").mkdir()
    with Register.open(work / "esps.db") as reg:
        from esps_cli.scoring.allocate import allocate

        allocate(reg, units, advisors, CYCLE, seed=2010)
        # invalid returns too (as --include-invalid), so their packs can be tried here
        write_packs(reg, roster, [RETURNS], work / "packs", include_invalid=True)
    return Issued(work / "esps.db", work / "packs", roster)


@pytest.fixture
def issued(issued_once: Issued, tmp_path: Path) -> Issued:
    """A private copy of the register and packs, safe to fill and import."""
    shutil.copyfile(issued_once.db, tmp_path / "esps.db")
    shutil.copytree(issued_once.packs, tmp_path / "packs")
    return Issued(tmp_path / "esps.db", tmp_path / "packs", issued_once.roster)


def _texts(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


# -- the unit's workbook ------------------------------------------------------------------


def _legacy_return(path: Path, framework: Framework) -> Path:
    """A return made with layout 1: a DCFA Assessment sheet holding scores the unit typed."""
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet(LEGACY_ASSESSMENT.sheet)
    for col, header in enumerate(LEGACY_ASSESSMENT.headers, start=1):
        ws.cell(row=LEGACY_ASSESSMENT.header_row, column=col, value=header)
    for offset, (ind, linked, unlinked) in enumerate((("OD1.1", 4, 4), ("OD1.2", 4, None))):
        row = LEGACY_ASSESSMENT.first_data_row + offset
        ws.cell(row=row, column=1, value=ind)
        ws.cell(row=row, column=4, value=linked)
        ws.cell(row=row, column=6, value=unlinked)
    meta = wb["_esps_meta"]
    rows = {meta.cell(row=r, column=1).value: r for r in range(1, meta.max_row + 1)}
    meta.cell(row=rows["layout_version"], column=2, value="1")
    hashes = read_workbook(path).meta_indicator_hashes
    meta.cell(row=rows["fingerprint"], column=2, value=workbook_fingerprint(hashes, "1"))
    wb.save(path)
    return path


def test_an_older_return_with_a_dcfa_sheet_is_read_with_a_warning_and_no_scores(
    tmp_path: Path, framework: Framework, issued: Issued
) -> None:
    path = _legacy_return(Path(shutil.copy(RETURNS / "TP-EK_Camden_2010-11.xlsx", tmp_path)),
                          framework)
    report = validate_workbook(path, framework)
    assert report.valid
    assert [(f.code, f.severity, f.sheet, f.message) for f in report.findings] == [(
        "legacy-assessment-sheet", "warning", "DCFA Assessment",
        "the workbook has a 'DCFA Assessment' sheet from an older pack; it holds 3 score(s), "
        "which are not imported: each DCFA scores the return in a scoring pack of their own "
        "(esps score packs), so neither sees the other's scores and the unit cannot type them")]
    with issued.open() as reg:
        result = import_pack(reg, issued.roster, path)
        assert [(p.code, p.message) for p in result.problems] == [(
            "score-not-a-pack",
            "this is TP-EK's return, not a scoring pack: scores are given in scoring packs, one "
            "per assessor (esps score packs); its DCFA Assessment sheet (an older pack) holds 3 "
            "score(s), which are not imported")]
        assert reg.event_count() == 0


# -- writing packs ------------------------------------------------------------------------


def test_one_pack_per_assessor_and_unit_with_a_readable_return(issued: Issued) -> None:
    with issued.open() as reg:
        allocations = reg.allocations(CYCLE)
        records = packs_issued(reg, CYCLE)
    units = {u.code: u for u in issued.roster.units}
    readable = ["TP-BS", "TP-CW", "TP-EK", "TP-FH"]  # TP-RP and TP-NI cannot be read
    expected = sorted(
        f"{who}/{code}_{role}_{who}_{CYCLE}.xlsx" for code in readable
        for role, who in (("linked", units[code].linked_dcfa), ("unlinked", allocations[code])))
    # Each assessor's packs in their own folder, nothing else there (issue 24)
    assert sorted(str(p.relative_to(issued.packs)) for p in issued.packs.glob("*/*")) == expected
    assert all(p.is_dir() for p in issued.packs.iterdir())
    assert sorted(r.file for r in records) == expected
    assert len({r.pack_id for r in records}) == len(records)
    ek = next(r for r in records if r.unit == "TP-EK" and r.role == "unlinked")
    assert ek.return_sha256 == hashlib.sha256(
        (RETURNS / "TP-EK_Camden_2010-11.xlsx").read_bytes()).hexdigest()


def test_packs_only_for_valid_returns_unless_asked(tmp_path: Path, framework: Framework,
                                                   units: list[Unit],
                                                   advisors: list[Advisor]) -> None:
    roster = Roster(framework, framework.cycle(CYCLE), units, advisors)
    (tmp_path / "packs").mkdir()
    with Register.open(tmp_path / "esps.db") as reg:
        from esps_cli.scoring.allocate import allocate

        allocate(reg, units, advisors, CYCLE, seed=2010)
        result = write_packs(reg, roster, [RETURNS], tmp_path / "packs")
        assert sorted({p.unit for p in result.packs}) == ["TP-BS", "TP-EK"]  # the valid two
        assert sorted(result.invalid) == ["TP-CW", "TP-FH"]
        more = write_packs(reg, roster, [RETURNS], tmp_path / "packs", units=["TP-CW"],
                           include_invalid=True)
        assert [(p.unit, p.status) for p in more.packs] == [("TP-CW", "written")] * 2
        assert more.invalid == []


def test_a_pack_never_shows_or_names_the_other_assessor(issued: Issued,
                                                        advisors: list[Advisor]) -> None:
    names = {a.id: a.name for a in advisors}
    for record in packs_issued(Register.open(issued.db), CYCLE):
        other = next(r for r in packs_issued(Register.open(issued.db), CYCLE)
                     if r.unit == record.unit and r.role != record.role)
        text = "\n".join(_texts(issued.packs / record.file))
        assert record.assessor in text and names[record.assessor] in text
        assert other.assessor not in text and names[other.assessor] not in text


def test_pack_structure_as_excel_sees_it(issued: Issued, framework: Framework) -> None:
    path = issued.pack("TP-CW", "linked")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [PACK_TABLE.sheet, SHEET_PACK_META]
    assert wb[SHEET_PACK_META].sheet_state == "veryHidden"
    assert wb.security.lockStructure
    ws = wb[PACK_TABLE.sheet]
    assert ws.protection.sheet
    _fields, rows, columns = pack_cells(path)
    indicators = [i.id for i in framework.cycle_indicators(framework.cycle(CYCLE))]
    assert list(rows) == indicators
    row = rows["OD2.1"]
    assert ws.cell(row=row, column=columns["score"]).protection.locked is False
    assert ws.cell(row=row, column=columns["rationale"]).protection.locked is False
    assert ws.cell(row=row, column=columns["narrative"]).protection.locked is True
    assert ws.cell(row=row, column=columns["narrative"]).value == "See evidence."
    assert "error: OD2.1 has a narrative of 13 characters" in ws.cell(
        row=row, column=columns["findings"]).value
    score_ref = f"{openpyxl.utils.get_column_letter(columns['score'])}{row}"
    dv = next(d for d in ws.data_validations.dataValidation if score_ref in d.sqref)
    assert dv.formula1 == '"1,2,3,4"'
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.scale == 75
    assert ws.oddHeader.center.text == "&BOFFICIAL&B" and ws.print_title_cols == "$A:$A"
    assert ws.print_title_rows == f"${PACK_TABLE.header_row}:${PACK_TABLE.header_row}"


def test_packs_already_written_are_kept_unless_force(issued: Issued) -> None:
    path = issued.pack("TP-EK", "linked")
    before = path.read_bytes()
    with issued.open() as reg:
        again = write_packs(reg, issued.roster, [RETURNS], issued.packs, units=["TP-EK"])
        assert [p.status for p in again.packs] == ["kept", "kept"]
        assert path.read_bytes() == before
        forced = write_packs(reg, issued.roster, [RETURNS], issued.packs, units=["TP-EK"],
                             roles=["linked"], force=True)
        assert [(p.role, p.status) for p in forced.packs] == [("linked", "written")]
        assert find_pack(reg, forced.packs[0].pack_id) is not None
    assert path.read_bytes() != before


# -- importing packs ----------------------------------------------------------------------


def test_a_filled_pack_is_recorded_under_its_identity_with_its_file_and_sha256(
    issued: Issued,
) -> None:
    path = issued.pack("TP-EK", "unlinked")
    fill_pack(path, {"OD1.1": (3, "Plan seen"), "OD1.2": (2, "No minutes of the IAG"),
                     "OD1.3": (4, None)})
    with issued.open() as reg:
        result = import_pack(reg, issued.roster, path)
        assert (result.status, result.unit, result.recorded, result.by_role) == (
            "imported", "TP-EK", 3, {"unlinked": 3})
        assert [w.code for w in result.warnings] == ["score-pack-unscored"]
        event = reg.current(CYCLE, "TP-EK", "OD1.2").unlinked
        assert (event.score, event.comment, event.assessor) == (
            2, "No minutes of the IAG", reg.allocations(CYCLE)["TP-EK"])
        assert event.source == str(path.resolve())
        assert event.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert reg.current(CYCLE, "TP-EK", "OD1.1").linked is None


def test_bad_score_cells_are_each_a_finding_and_the_valid_ones_are_recorded(
    issued: Issued,
) -> None:
    path = issued.pack("TP-BS", "linked")
    cells = fill_pack(path, {
        "OD1.1": ("3", None), "OD1.2": (" 3 ", None), "OD1.3": (None, None),
        "OD2.1": (0, None), "OD2.2": (5, None), "OD3.1": (2.5, None), "OD3.2": ("three", None),
        "OD3.3": (2, None), "OD4.1": (1, "Nothing on victims"), "OD4.2": ("  ", "forgot"),
    })
    with issued.open() as reg:
        result = import_pack(reg, issued.roster, path)
        assert result.status == "partial"
        sheet = PACK_TABLE.sheet
        assert [(p.code, p.sheet, p.cell, p.message) for p in result.problems] == [
            ("score-invalid", sheet, cells[("OD2.1", "score")],
             "OD2.1: score 0 is not on the scale 1-4"),
            ("score-invalid", sheet, cells[("OD2.2", "score")],
             "OD2.2: score 5 is not on the scale 1-4"),
            ("score-invalid", sheet, cells[("OD3.1", "score")],
             "OD3.1: score 2.5 is not a whole number on the scale 1-4"),
            ("score-invalid", sheet, cells[("OD3.2", "score")],
             "OD3.2: score 'three' is not a whole number on the scale 1-4"),
            ("score-rationale-missing", sheet, cells[("OD3.3", "rationale")],
             "OD3.3: a score of 2 needs a rationale saying why; the score was not recorded"),
        ]
        assert [(w.code, w.cell) for w in result.warnings] == [
            ("score-comment-without-score", cells[("OD4.2", "rationale")]),
            ("score-pack-unscored", "")]
        current = reg.current_scores(CYCLE)
        assert {ind: p.linked.score for (unit, ind), p in current.items() if unit == "TP-BS"} == {
            "OD1.1": 3, "OD1.2": 3, "OD4.1": 1}


@pytest.mark.parametrize(("where", "change", "code", "message"), [
    ("hidden", {"assessor": "dcfa09"}, "score-pack-identity-mismatch",
     "the pack's assessor is 'dcfa09' but pack {pid} was issued for assessor {who!r} (TP-EK, "
     "linked, {who}): nothing from this pack is recorded"),
    ("hidden", {"role": "unlinked"}, "score-pack-identity-mismatch",
     "the pack's role is 'unlinked' but pack {pid} was issued for role 'linked' (TP-EK, "
     "linked, {who}): nothing from this pack is recorded"),
    ("hidden", {"unit_code": "TP-CW"}, "score-pack-identity-mismatch",
     "the pack's unit is 'TP-CW' but pack {pid} was issued for unit 'TP-EK' (TP-EK, linked, "
     "{who}): nothing from this pack is recorded"),
    ("hidden", {"pack_id": "0123456789abcdef"}, "score-pack-unknown-id",
     "pack id '0123456789abcdef' was never issued by this register: the pack was made against "
     "another register, or its hidden identity was edited"),
    ("shown", {"assessor": "dcfa09"}, "score-pack-identity-edited",
     "the identity cell 'Assessor' was edited: it says 'dcfa09', but this pack was issued with "
     "{who!r}; nothing from this pack is recorded"),
    ("shown", {"unit_code": "TP-CW"}, "score-pack-identity-edited",
     "the identity cell 'Unit' was edited: it says 'TP-CW', but this pack was issued with "
     "'TP-EK'; nothing from this pack is recorded"),
])
def test_a_pack_whose_identity_does_not_match_is_refused_whole(
    issued: Issued, where: str, change: dict[str, str], code: str, message: str,
) -> None:
    path = issued.pack("TP-EK", "linked")
    with issued.open() as reg:
        record = next(r for r in packs_issued(reg, CYCLE)
                      if r.file == f"{path.parent.name}/{path.name}")
    cells = fill_pack(path, {"OD1.1": (3, None)},
                      **({"hidden": change} if where == "hidden" else {"identity": change}))
    with issued.open() as reg:
        result = import_pack(reg, issued.roster, path)
        assert result.status == "rejected"
        key = next(iter(change))
        assert [(p.code, p.cell, p.message) for p in result.problems] == [(
            code, cells[(where if where == "hidden" else "field", key)],
            message.format(pid=record.pack_id, who=record.assessor))]
        assert reg.event_count() == 0


def test_a_unit_return_is_not_a_pack(issued: Issued, tmp_path: Path) -> None:
    path = shutil.copy(RETURNS / "TP-EK_Camden_2010-11.xlsx", tmp_path)
    with issued.open() as reg:
        result = import_pack(reg, issued.roster, Path(path))
    assert [(p.code, p.message) for p in result.problems] == [(
        "score-not-a-pack", "this is TP-EK's return, not a scoring pack: scores are given in "
        "scoring packs, one per assessor (esps score packs)")]


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.scoring.pack_import import import_pack
    from esps_cli.register import Register
    from esps_cli.scoring.roster import Roster
    from esps_cli.working.lists import load_advisors, load_units

    db, pack, folder = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    fw = load_framework()
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    roster = Roster(fw, fw.cycle("2010-11"), load_units(EXAMPLES_DIR / "units.csv", fw,
                                                        advisors), advisors)
    (folder / f"ready-{pack.name}").touch()
    while not (folder / "go").exists():
        time.sleep(0.005)
    with Register.open(db) as reg:
        print(import_pack(reg, roster, pack).recorded)
""")


def test_two_assessors_importing_at_once_lose_nothing(issued: Issued, tmp_path: Path) -> None:
    indicators = issued.roster.indicator_list
    packs = [issued.pack("TP-EK", "linked"), issued.pack("TP-EK", "unlinked")]
    for path in packs:
        fill_pack(path, {ind: (3, None) for ind in indicators})
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(issued.db), str(p),
                               str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for p in packs]
    import time

    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{p.name}").exists() for p in packs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [int(out) for out, _err in outs] == [len(indicators)] * 2, outs
    with issued.open() as reg:
        current = reg.current_scores(CYCLE)
        assert all(current[("TP-EK", i)].linked and current[("TP-EK", i)].unlinked
                   for i in indicators)
        assert reg.event_count() == 2 * len(indicators)


# -- moderation ---------------------------------------------------------------------------


def _disagree(issued: Issued) -> None:
    fill_pack(issued.pack("TP-EK", "linked"), {"OD1.1": (4, None), "OD1.2": (3, None)})
    fill_pack(issued.pack("TP-EK", "unlinked"), {"OD1.1": (1, "No plan found"),
                                                 "OD1.2": (3, None)})
    with issued.open() as reg:
        for role in ("linked", "unlinked"):
            assert import_pack(reg, issued.roster, issued.pack("TP-EK", role)).recorded == 2


def test_a_moderation_pack_per_unit_with_disagreements_for_a_third_dcfa(
    issued: Issued, tmp_path: Path,
) -> None:
    _disagree(issued)
    out = tmp_path / "moderation"
    out.mkdir()
    with issued.open() as reg:
        linked, unlinked = "dcfa02", reg.allocations(CYCLE)["TP-EK"]
        for who, side in ((linked, "linked"), (unlinked, "unlinked")):
            with pytest.raises(ConfigError, match=f"{who} cannot moderate TP-EK: they are its "
                                                  f"{side} DCFA; moderation is by a third DCFA"):
                write_moderation_packs(reg, issued.roster, out, moderator=who)
        assert list(out.iterdir()) == []
        result = write_moderation_packs(reg, issued.roster, out)
    [pack] = result.packs
    assert pack.unit == "TP-EK" and pack.assessor not in (linked, unlinked)
    path = Path(pack.file)
    assert path.name == f"TP-EK_moderation_{pack.assessor}_{CYCLE}.xlsx"
    _fields, rows, columns = pack_cells(path)
    assert list(rows) == ["OD1.1"]
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert [ws.cell(row=rows["OD1.1"], column=columns[k]).value for k in (
        "rating", "linked_score", "unlinked_score", "unlinked_rationale")] == [
        "3", 4, 1, "No plan found"]  # the unit's own rating from its return, beside both scores
    assert ws.cell(row=rows["OD1.1"], column=columns["narrative"]).value.startswith(
        "The unit has a community engagement plan")
    cells = fill_pack(path, {"OD1.1": (3, "agreed")})
    with issued.open() as reg:
        short = import_pack(reg, issued.roster, path)
        assert [(p.code, p.cell) for p in short.problems] == [
            ("score-moderation-reason-too-short", cells[("OD1.1", "reason")])]
        fill_pack(path, {"OD1.1": (3, "Plan exists but is not yet reviewed")})
        done = import_pack(reg, issued.roster, path)
        assert (done.status, done.by_role) == ("imported", {"moderated": 1})
        moderated = reg.current(CYCLE, "TP-EK", "OD1.1").moderated
        assert (moderated.score, moderated.assessor) == (3, pack.assessor)
        # Settled: nothing left to moderate.
        assert write_moderation_packs(reg, issued.roster, out, force=True).packs == []


# -- the command line ---------------------------------------------------------------------


def test_the_blind_flow_through_the_command_line(issued_once: Issued, tmp_path: Path) -> None:
    common = ["--register", str(tmp_path / "esps.db"), "--cycle", CYCLE,
              "--units", str(EXAMPLES_DIR / "units.csv")]
    assert runner.invoke(app, ["allocate", "--seed", "2010", *common]).exit_code == 0
    out = tmp_path / "packs"
    done = runner.invoke(app, ["score", "packs", "--returns", str(RETURNS), "--out", str(out),
                               "--unit", "TP-EK", "--role", "linked", *common])
    assert done.exit_code == 0, done.output
    assert [p.name for p in out.glob("*/*")] == [f"TP-EK_linked_dcfa02_{CYCLE}.xlsx"]
    again = runner.invoke(app, ["score", "packs", "--returns", str(RETURNS), "--out", str(out),
                                "--unit", "TP-EK", "--role", "linked", *common])
    assert "kept 1 already there" in " ".join(again.stdout.split())
    pack = out / "dcfa02" / f"TP-EK_linked_dcfa02_{CYCLE}.xlsx"
    fill_pack(pack, {"OD1.1": (4, None), "OD1.2": ("x", None)})
    (out / "more.csv").write_text("unit,indicator,role,assessor,score\n"
                                  "TP-EK,OD2.1,linked,dcfa02,3\n")
    imported = runner.invoke(app, ["score", "import", str(out), *common])
    assert imported.exit_code == 1  # one bad cell
    text = " ".join(imported.stdout.split())
    assert f"PARTLY imported {pack} (TP-EK): 1 new score(s) (linked 1)" in text
    assert "2 file(s): 2 accepted (1 in part), 0 rejected; 2 new score(s) recorded" in text
    refused = runner.invoke(app, ["score", "moderate", "TP-EK", "OD1.1", "3", "--assessor",
                                  "dcfa02", "--comment", "agreed at panel", *common])
    assert refused.exit_code == 2
    assert "dcfa02 is the linked DCFA of TP-EK, so cannot moderate its scores" in refused.stderr
