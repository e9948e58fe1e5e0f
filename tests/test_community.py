"""Community review end to end, through the command line on real workbooks: the groups list,
challenge forms generated and filled in (openpyxl, as a group would), imported with bad rows,
answered (one upheld: a third DCFA moderates and the combined score changes), overdue at the
exact boundary, a release published and corrected, the Board pack and the next cycle's public
edition showing the outcome, and every output searched for the challengers' contact details."""

from __future__ import annotations

import base64
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.register import NewEvent, Register
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.layout import (
    CHALLENGE_LIST_NAMES,
    CHALLENGE_TABLE,
    SHEET_CHALLENGE_META,
)
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE
from .packs import record_returns

runner = CliRunner()
EK, CW, BS = "TP-EK", "TP-CW", "TP-BS"  # Camden, Westminster, Kensington & Chelsea
# The private contacts: none of these may appear in anything esps writes.
CONTACTS = ("Jo Bloggs", "jo.bloggs@example.net", "07700 900123", "07700900123",
            "chair@west-cpeg.org.uk", "020 7946 0000")
GROUPS_CSV = (
    "id,name,area,units,contact\n"
    "camden,Camden CPEG,Camden,TP-EK,Jo Bloggs; jo.bloggs@example.net; 07700 900123\n"
    "west,Westminster CPEG,Westminster,TP-CW;TP-BS,chair@west-cpeg.org.uk\n"
    "mpa,MPA Equalities Panel,London,,020 7946 0000\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, framework: Any, units: Any,
          advisors: Any) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("community")
    chosen = [u for u in units if u.code in (EK, CW, BS)]
    cycle = framework.cycle(CYCLE)
    returns = root / "returns"
    generate_workbooks(framework, [u for u in chosen if u.code != BS], advisors, returns,
                       cycle, jobs=1)
    for u in chosen:
        if u.code != BS:
            fill_file(returns / workbook_filename(u, cycle), framework, "complete")
    baseline = [i.id for i in framework.cycle_indicators(cycle) if i.stage == "baseline"]
    register = root / "esps.db"
    with Register.open(register) as reg:
        record_returns(reg, [EK, CW])
        for u in chosen:
            if u.code == BS:
                continue
            for ind in baseline:
                reg.record(NewEvent(cycle=CYCLE, unit=u.code, indicator=ind, role="linked",
                                    assessor=u.linked_dcfa, score=3))
                reg.record(NewEvent(cycle=CYCLE, unit=u.code, indicator=ind, role="unlinked",
                                    assessor="dcfa09", score=3, comment="seen"))
    lines = (EXAMPLES_DIR / "units.csv").read_text().splitlines()
    (root / "units.csv").write_text("\n".join(
        [lines[0], *[ln for ln in lines[1:] if ln.split(",")[0] in (EK, CW, BS)]]))
    (root / "dcfas.csv").write_text((EXAMPLES_DIR / "dcfas.csv").read_text())
    (root / "groups.csv").write_text(GROUPS_CSV)
    linked = {u.code: u.linked_dcfa for u in chosen}
    return {"root": root, "returns": returns, "register": register, "od": baseline[0],
            "linked": linked}


def esps(world: dict[str, Any], *args: str, cycle: str = CYCLE) -> Any:
    return runner.invoke(app, [*args, "--register", str(world["register"]), "--cycle", cycle,
                               "--units", str(world["root"] / "units.csv"),
                               "--advisors", str(world["root"] / "dcfas.csv")])


def fill_form(form: Path, rows: list[tuple[str, ...]], out: Path) -> Path:
    """Type challenges into the form's yellow cells, as a group would."""
    wb = openpyxl.load_workbook(form)
    ws = wb[CHALLENGE_TABLE.sheet]
    headers = [ws.cell(row=CHALLENGE_TABLE.header_row, column=c).value
               for c in range(1, len(CHALLENGE_TABLE.columns) + 1)]
    assert headers == list(CHALLENGE_TABLE.headers)
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            ws.cell(row=CHALLENGE_TABLE.first_data_row + offset, column=col, value=value)
    wb.save(out)
    return out


def all_text(path: Path) -> str:
    """Every character a file holds (each part of an .xlsx unzipped, each CSV a web page
    carries as a base64 data: link decoded), to search."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    text = path.read_bytes().decode("utf-8", "replace")
    links = re.findall(r"data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]+)", text)
    return "\n".join([text, *(base64.b64decode(d).decode("utf-8") for d in links)])


def assert_private(text: str, where: str) -> None:
    flat = re.sub(r"\s+", " ", text).casefold()
    for contact in CONTACTS:
        assert contact.casefold() not in flat, f"{contact!r} found in {where}"


def make_forms(world: dict[str, Any]) -> Any:
    return esps(world, "challenge", "forms", "--returns", str(world["returns"]), "--out",
                str(world["root"] / "forms"), "--groups", str(world["root"] / "groups.csv"),
                "--jobs", "1")


def test_forms_show_the_public_results_and_a_sealed_table(world: dict[str, Any]) -> None:
    forms = world["root"] / "forms"
    result = make_forms(world)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in forms.iterdir()) == sorted(
        f"challenge-form_{g}_{CYCLE}.{suffix}" for g in ("camden", "mpa", "west")
        for suffix in ("html", "xlsx"))
    page = (forms / f"challenge-form_west_{CYCLE}.html").read_text(encoding="utf-8")
    for text in ("Challenge form: Westminster CPEG", "<option>Kensington &amp; Chelsea</option>",
                 "<option>Theme: Operational Delivery</option>", "At a meeting"):
        assert text in page
    wb = openpyxl.load_workbook(forms / f"challenge-form_west_{CYCLE}.xlsx")
    assert wb.sheetnames == ["Results", "Scores", "Challenges", SHEET_CHALLENGE_META]
    assert wb[SHEET_CHALLENGE_META].sheet_state == "veryHidden"
    assert wb.security.lockStructure and wb["Challenges"].protection.sheet
    results = [[c.value for c in row] for row in wb["Results"].iter_rows(min_row=6)]
    assert [r[:2] for r in results] == [["Westminster", "Meets the baseline"],
                                        ["Kensington & Chelsea", "Not returned"]]
    # The drop-downs: unit names, themes and indicators, the two ways to reply.
    validations = {dv.formula1: str(dv.sqref) for dv in wb["Challenges"].data_validations
                   .dataValidation}
    first, last = CHALLENGE_TABLE.first_data_row, CHALLENGE_TABLE.first_data_row + 29
    assert validations == {CHALLENGE_LIST_NAMES["units"]: f"A{first}:A{last}",
                           CHALLENGE_LIST_NAMES["subjects"]: f"B{first}:B{last}",
                           CHALLENGE_LIST_NAMES["replies"]: f"E{first}:E{last}"}
    meta = wb[SHEET_CHALLENGE_META]
    assert [meta.cell(row=r, column=4).value for r in range(1, 4)] == [
        "units", "Westminster", "Kensington & Chelsea"]
    assert meta["E2"].value == "Theme: Operational Delivery"
    assert "0 challenge form(s) written" in make_forms(world).output  # kept, not replaced


def import_challenges(world: dict[str, Any]) -> None:
    """Camden's form with good and bad rows, and a meeting's CSV."""
    forms, root = world["root"] / "forms", world["root"]
    od = world["od"]
    assert make_forms(world).exit_code == 0  # (kept when the forms test made them)
    filled = fill_form(forms / f"challenge-form_camden_{CYCLE}.xlsx", [
        ("Camden", f"{od}: whatever the drop-down says", "Engagement is not what the score "
         "says: ring Jo Bloggs on 07700 900123.", "Minutes of three meetings", "At a meeting"),
        ("Camden", "Theme: Operational Delivery", "Stop and search is not explained.", "",
         ""),
        ("Nowhere OCU", od, "A unit that does not exist", "", ""),
        ("Camden", "XX9.9", "An indicator that does not exist", "", "By pigeon"),
        ("Camden", od, "", "Evidence but no challenge", ""),
    ], root / "camden-filled.xlsx")
    meeting = root / "meeting.csv"
    meeting.write_text(
        "group,unit,subject,challenged,evidence,reply,date\n"
        f"Westminster CPEG,TP-CW,{od},Patrols ignore the estates.,Petition,in writing,"
        "03/01/2011\n"
        f"Westminster CPEG,TP-CW,{od},A second point,,,31/02/2011\n"
        "Nobody,TP-CW,OD1.1,Unknown group,,,03/01/2011\n", encoding="utf-8")
    first = esps(world, "challenge", "import", str(filled), str(meeting), "--received",
                 "10/01/2011", "--groups", str(root / "groups.csv"), "--format", "json")
    assert first.exit_code == 1  # bad rows were left out
    assert_private(first.stdout, "the import's report")
    data = json.loads(first.stdout)
    assert [(f["kind"], len(f["recorded"]), f["left_out"]) for f in data["files"]] == [
        ("form", 2, 3), ("meeting", 1, 2)]
    assert sorted((p["code"], p["sheet"], p["cell"]) for p in data["findings"]) == sorted([
        ("challenge-unknown-unit", "Challenges", "A13"),
        ("challenge-unknown-subject", "Challenges", "B14"),
        ("challenge-bad-reply", "Challenges", "E14"),
        ("challenge-missing-text", "Challenges", "C15"),
        ("challenge-bad-date", "", "G3"),
        ("challenge-unknown-group", "", "A4")])
    again = esps(world, "challenge", "import", str(filled), str(meeting), "--received",
                 "10/01/2011", "--groups", str(root / "groups.csv"), "--format", "json")
    assert [len(f["recorded"]) for f in json.loads(again.stdout)["files"]] == [0, 0]


def listed(world: dict[str, Any], on: str) -> dict[str, str]:
    result = esps(world, "challenge", "list", "--on", on, "--format", "json")
    assert result.exit_code == 0, result.output
    return {c["ref"]: c["state"] for c in json.loads(result.stdout)}


def test_challenges_imported_answered_and_published(world: dict[str, Any]) -> None:
    root, od = world["root"], world["od"]
    groups = ["--groups", str(root / "groups.csv")]
    import_challenges(world)
    # C1, C2 from Camden's form (received 10/01/2011), C3 at the meeting of 03/01/2011.
    # Due 28 days after receipt: open on the day itself, overdue the day after.
    assert listed(world, "2011-01-31") == {"C1": "open", "C2": "open", "C3": "open"}
    assert listed(world, "2011-02-01") == {"C1": "open", "C2": "open", "C3": "overdue"}
    assert listed(world, "2011-02-07") == {"C1": "open", "C2": "open", "C3": "overdue"}
    assert listed(world, "2011-02-08") == {"C1": "overdue", "C2": "overdue",
                                           "C3": "overdue"}

    vague = esps(world, "challenge", "respond", "C1", "--by", "dcfa10", "--outcome", "upheld",
                 "--response", "upheld, the challenge", *groups)
    assert vague.exit_code == 2 and "says nothing" in vague.output
    upheld = esps(world, "challenge", "respond", "C1", "--by", "dcfa10", "--outcome", "upheld",
                  "--response", "The minutes show engagement the evidence missed; a third "
                  "advisor moderates the score again.", "--on", "2011-02-01", *groups)
    assert upheld.exit_code == 0, upheld.output
    assert "goes back to moderation" in upheld.output
    twice = esps(world, "challenge", "respond", "C1", "--by", "dcfa10", "--outcome",
                 "not-upheld", "--response", "On second thoughts the score stands as it was.",
                 *groups)
    assert twice.exit_code == 2 and "answered once" in twice.output
    answered = esps(world, "challenge", "respond", "C2", "--by", "dcfa10", "--outcome",
                    "not-upheld", "--response", "Stop and search figures are explained in the "
                    "unit's evidence, item 4.", "--on", "2011-02-09", *groups)
    assert answered.exit_code == 0, answered.output
    states = listed(world, "2011-02-10")
    assert states == {"C1": "answered", "C2": "answered-late", "C3": "overdue"}

    # The upheld indicator goes to moderation though both scores are 3, for a third DCFA.
    packs = esps(world, "score", "packs", "--moderation", "--out", str(root / "moderation"))
    assert packs.exit_code == 0, packs.output
    [pack] = (root / "moderation").glob("*/*.xlsx")  # in the moderator's own folder
    assert pack.name.startswith(f"{EK}_moderation_")
    moderator = pack.name.split("_")[2]
    assert moderator not in (world["linked"][EK], "dcfa09")
    rows = [c.value for c in openpyxl.load_workbook(pack).worksheets[0]["A"]]
    assert od in rows
    own = esps(world, "score", "moderate", EK, od, "2", "--assessor", "dcfa09", "--comment",
               "agreed at the community meeting")
    assert own.exit_code == 2  # an assessor of the unit never moderates it
    moderated = esps(world, "score", "moderate", EK, od, "2", "--assessor", moderator,
                     "--comment", "the minutes show the plan is not followed")
    assert moderated.exit_code == 0 and "combined: 2" in moderated.output
    traced = json.loads(esps(world, "challenge", "list", "--format", "json").stdout)[0]
    assert (traced["ref"], traced["score_before"], traced["score_after"]) == ("C1", 3, 2)
    assert traced["rescore_event"] > 0
    publish_and_correct(world)
    board_and_next_edition(world)
    nothing_private_anywhere(world)


def publish_and_correct(world: dict[str, Any]) -> None:
    root = world["root"]
    out = root / "public"
    common = ["--returns", str(world["returns"]), "--out", str(out), "--jobs", "1"]
    first = esps(world, "publish", "--signed-off", "Diversity Board 10/02/2011, minute 7",
                 "--access", "Deputy Commissioner", "--access", "Head of DCFD", "--on",
                 "2011-02-10", *common)
    assert first.exit_code == 0, first.output
    assert "version 1 released 10/02/2011" in first.output
    refused = esps(world, "publish", "--signed-off", "Board", *common)
    assert refused.exit_code == 2 and "say what changed with --correction" in refused.output
    second = esps(world, "publish", "--signed-off", "Diversity Board 14/03/2011, minute 3",
                  "--correction", "Camden OD1.1 moderated to 2 after challenge C1", "--on",
                  "2011-03-14", *common)
    assert second.exit_code == 0, second.output
    listing = esps(world, "releases")
    assert "version 1: released 10/02/2011" in listing.output
    assert "version 2 (latest): released 14/03/2011" in listing.output
    old = esps(world, "releases", "--version", "1", "--out", str(root / "old"))
    assert old.exit_code == 0, old.output
    edition = json.loads((root / "old" / f"esps-public-{CYCLE}-v1-superseded.json")
                         .read_text())
    release = edition["community"]["release"]
    assert (release["version"], release["superseded_by"], release["superseded_changes"]) == (
        1, 2, "Camden OD1.1 moderated to 2 after challenge C1")
    summary = openpyxl.load_workbook(root / "old" / f"esps-public-{CYCLE}-v1-superseded.xlsx")
    texts = [c.value for row in summary["Summary"].iter_rows() for c in row if c.value]
    assert any(str(t).startswith("SUPERSEDED: this is version 1. Version 2 replaced it on "
                                 "14/03/2011") for t in texts)
    page = (out / f"esps-public-{CYCLE}-v2.html").read_text(encoding="utf-8")
    assert "Version 2, released 14/03/2011; signed off: Diversity Board 14/03/2011, minute 3." \
        in page and "Correction: Camden OD1.1 moderated to 2 after challenge C1" in page
    # A release whose files cannot be written is not recorded.
    blocked = root / "blocked"
    blocked.mkdir()
    (blocked / "esps-public-2011-12-v1.html").write_text("someone else's page")
    refused = esps(world, "publish", "--signed-off", "Board", "--returns", str(world["returns"]),
                   "--out", str(blocked), "--jobs", "1", cycle="2011-12")
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert "No releases of 2011-12 yet" in esps(world, "releases", cycle="2011-12").output
    v2 = json.loads((out / f"esps-public-{CYCLE}-v2.json").read_text())
    assert v2["community"]["release"]["pre_release_access"] == []
    assert v2["community"]["release"]["changes"].startswith("Camden OD1.1")
    assert v2["public"] is True


def board_and_next_edition(world: dict[str, Any]) -> None:
    root = world["root"]
    board = root / "board.xlsx"
    made = esps(world, "summary", "--returns", str(world["returns"]), "--output", str(board),
                "--jobs", "1")
    assert made.exit_code in (0, 1), made.output
    wb = openpyxl.load_workbook(board)
    assert wb.sheetnames[2] == "Community challenges"
    cells = [[c.value for c in row] for row in wb["Community challenges"].iter_rows()]
    header = next(i for i, r in enumerate(cells) if r[0] == "Received")
    assert cells[header + 1] == [3, 1, 1, 2, 1, 0, 1]  # received .. scores changed
    asks = " ".join(str(c.value) for row in wb["Exceptions and actions"].iter_rows()
                    for c in row if c.value)
    assert "community groups made 3 challenge(s)" in asks
    nxt = root / "next.xlsx"
    for out in (nxt, root / "next.html"):
        public = esps(world, "summary", "--returns", str(world["returns"]), "--public",
                      "--output", str(out), "--jobs", "1", cycle="2011-12")
        assert public.exit_code in (0, 1), public.output
    page_html = (root / "next.html").read_text(encoding="utf-8")
    said_html = page_html[page_html.index('id="you-said"'):page_html.index('id="contact"')]
    assert "Camden CPEG" in said_html and "Upheld (score 3 to 2)" in said_html
    assert "Westminster CPEG" in said_html and "Awaiting a reply" in said_html
    page = [[c.value for c in row] for row in openpyxl.load_workbook(nxt)["You said, we did"]
            .iter_rows()]
    said = [r for r in page if r[0] in ("C1", "C2", "C3")]
    assert [(r[0], r[1], r[6]) for r in said] == [
        ("C1", "Camden CPEG", "Upheld (score 3 to 2)"), ("C2", "Camden CPEG", "Not upheld"),
        ("C3", "Westminster CPEG", "Awaiting a reply")]
    assert said[0][5].startswith("The minutes show engagement")
    assert said[0][3].startswith(f"{world['od']}: ") and said[1][3] == (
        "Theme: Operational Delivery")  # what was challenged, in words
    assert "[contact withheld]" in said[0][4]


def nothing_private_anywhere(world: dict[str, Any]) -> None:
    """Every output esps wrote, the register itself, the audit log an advisor can read and
    every export: none holds a challenger's contact details."""
    root = world["root"]
    written = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".json",
                                                                          ".db", ".html")
               and p.name not in ("camden-filled.xlsx",)]
    assert len(written) > 10
    for path in written:
        assert_private(all_text(path), str(path))
    for entries in (runner.invoke(app, ["log", "--register", str(world["register"]),
                                        "--format", fmt]) for fmt in ("json", "text")):
        assert entries.exit_code == 0, entries.output
        assert_private(entries.output, "esps log")
    for args in (("challenge", "list", "--format", "csv"),
                 ("score", "export", "--format", "json"),
                 ("summary", "--returns", str(world["returns"]), "--format", "json", "--jobs",
                  "1"),
                 ("summary", "--returns", str(world["returns"]), "--public", "--format", "csv",
                  "--jobs", "1")):
        result = esps(world, *args)
        assert result.exit_code in (0, 1), result.output
        assert_private(result.output, " ".join(args))
    log = runner.invoke(app, ["log", "--register", str(world["register"]), "--action",
                              "challenge", "--format", "json"])
    assert "[contact withheld]" in log.output


def test_bad_files_never_stop_the_batch_and_record_nothing(world: dict[str, Any],
                                                           tmp_path: Path) -> None:
    assert make_forms(world).exit_code == 0
    form = world["root"] / "forms" / f"challenge-form_west_{CYCLE}.xlsx"
    swapped = tmp_path / "swapped.xlsx"
    wb = openpyxl.load_workbook(form)
    wb[SHEET_CHALLENGE_META]["B4"] = "camden"  # the hidden group id, edited
    wb[CHALLENGE_TABLE.sheet].cell(row=CHALLENGE_TABLE.first_data_row, column=1,
                                   value="Camden")
    wb.save(swapped)
    other = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(other)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(
        "group,unit,subject,challenged,evidence,reply,date\n"
        f"west,\x1b]0;pwned\x07TP-XX,OD1.1,fine,,,03/01/2011\n"
        f"west,TP-CW,OD1.1,{'x' * 6000},,,03/01/2011\n"
        "west,TP-CW,OD1.1,tomorrow,,,01/01/2099\n"
        "call Jo Bloggs on 07700 900123,TP-CW,OD1.1,a phone number as the group,,,\n",
        encoding="utf-8")
    before = json.loads(esps(world, "challenge", "list", "--format", "json").stdout)
    result = esps(world, "challenge", "import", str(swapped), str(other), str(broken),
                  str(hostile), "--groups", str(world["root"] / "groups.csv"))
    assert result.exit_code == 1
    out = result.output
    assert "\x1b" not in out and "\x07" not in out
    for code in ("challenge-form-not-issued", "challenge-not-a-form", "challenge-file-unreadable",
                 "challenge-unknown-unit", "challenge-too-long", "challenge-bad-date"):
        assert f"[{code}]" in out, code
    assert "it was issued for west (2010-11), not camden (2010-11)" in out
    assert "group 'call [contact withheld] on [contact withheld]' is not on the groups list" \
        in out
    assert_private(out, "the import's messages")
    after = json.loads(esps(world, "challenge", "list", "--format", "json").stdout)
    assert after == before  # nothing recorded


def test_the_response_time_comes_from_esps_toml_then_the_framework(framework: Any) -> None:
    from datetime import date

    from esps_cli.community.status import response_days, state_of
    from esps_cli.domain.config import Settings
    from esps_cli.register.challenges import Challenge

    assert response_days(Settings(), framework) == 28 == framework.rules.challenge_response_days
    assert response_days(Settings(challenge_response_days=14), framework) == 14
    c = Challenge(id=1, cycle=CYCLE, group_id="g", group_name="G", unit=EK, indicator="OD1.1",
                  challenged="why", reply_by="writing", received_on=date(2011, 1, 1),
                  source="s")
    assert state_of(c, 14, date(2011, 1, 15)) == "open"  # the due day itself
    assert state_of(c, 14, date(2011, 1, 16)) == "overdue"
