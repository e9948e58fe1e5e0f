"""Interoperability with LibreOffice Calc: workbooks saved and filled in by real headless Calc.

LibreOffice is driven through UNO by tests/lo_calc.py, run with the system Python that has the
`uno` module (python3-uno); one Calc start serves the whole module (a batch of jobs), so the
file takes a few seconds. Skipped, with the reason shown, when soffice or python3-uno is
missing. ESPS_UNO_PYTHON overrides the Python used (default /usr/bin/python3).

What Calc 7.4 changes when it saves a generated workbook as .xlsx, and what these tests pin
down as harmless (see test_calc_keeps_what_the_workbook_relies_on):

- _esps_meta: veryHidden becomes hidden (Calc has no "very hidden"); still not visible.
- Workbook structure protection (lockStructure without a password) is not imported, so it is
  neither enforced in Calc nor saved back: users can unhide, rename or delete sheets.
- Freeze panes: dropped by a headless save (no view); the import does read them.
- Kept: sheet protection and its options, locked/unlocked cells, data validations (formulas
  rewritten without the leading "=", an empty formula2 added), defined names (reordered,
  quotes dropped), print titles, the Evidence autofilter, merged cells, column widths.
- Strings become shared strings (generate writes inline strings); number formats are
  lowercased (DD/MM/YYYY -> dd/mm/yyyy); the theme part is dropped; empty
  docProps/custom.xml and drawing parts are added; core properties are kept.
- Typed dates are stored as date serials with the cell's date format; text set in a cell
  that looks like a number gets the text format "@".
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Unit
from esps_cli.validation.report import WorkbookReport
from esps_cli.validation.validate import validate_workbook
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.layout import (
    COVER_FIELDS,
    COVER_FIRST_ROW,
    EVIDENCE,
    INDICATORS,
    SHEET_COVER,
    SHEET_META,
    VISIBLE_SHEETS,
    Table,
    cell_ref,
    indicator_hash,
    workbook_fingerprint,
)
from esps_cli.workbook.reader import ReturnedWorkbook, read_workbook

from .conftest import CYCLE, edit_workbook

DRIVER = Path(__file__).with_name("lo_calc.py")
UNO_PYTHON = os.environ.get("ESPS_UNO_PYTHON", "/usr/bin/python3")
SOFFICE = shutil.which("soffice")
DRIVER_TIMEOUT = 150  # seconds for one driver run (the driver's own watchdog is 120)
TODAY = date(2010, 9, 1)  # validate as of a day just after the cycle's deadline


def _missing_libreoffice() -> str | None:
    if SOFFICE is None:
        return "LibreOffice Calc is not installed (no soffice on PATH)"
    if not Path(UNO_PYTHON).exists():
        return f"{UNO_PYTHON} (the Python with LibreOffice's uno module) does not exist"
    probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"{UNO_PYTHON} cannot import uno (install python3-uno)"
    return None


_REASON = _missing_libreoffice()
if _REASON:
    pytest.skip(f"LibreOffice interoperability tests skipped: {_REASON}",
                allow_module_level=True)


# -- the scenario: what a unit types in Calc, and the same with openpyxl ------------------


def cover_cell(key: str) -> str:
    return f"B{COVER_FIRST_ROW + [f.key for f in COVER_FIELDS].index(key)}"


def table_cell(table: Table, key: str, row: int) -> str:
    return cell_ref(row, table.columns.index(table.column(key)) + 1)


@dataclass(frozen=True)
class Edit:
    sheet: str
    cell: str
    typed: str | None  # what the user types in Calc (None: the Delete key)
    value: Any  # the same edit as openpyxl writes it (what Excel would store)
    locked: bool = False  # a locked cell: the user unprotects the sheet first
    raw_text: bool = False  # text entered as is (a narrative with line breaks)


RATED = "OD1.3"  # rated 3 with a narrative and one evidence item: its minimum is met
CHANGED = "OD1.2"  # its locked Stage cell is cleared
NARRATIVE = (
    "The unit's equality and diversity action plan is reviewed every quarter by the senior "
    "leadership team.\nProgress is reported to the community forum and recorded in the minutes."
)


def scenario(framework: Framework) -> list[Edit]:
    ids = [ind.id for ind in framework.cycle_indicators(framework.cycle(CYCLE))]
    rated = INDICATORS.first_data_row + ids.index(RATED)
    changed = INDICATORS.first_data_row + ids.index(CHANGED)
    ev = EVIDENCE.first_data_row
    cover, ind, evs = SHEET_COVER, INDICATORS.sheet, EVIDENCE.sheet
    return [
        Edit(cover, cover_cell("completed_by"), "Jane Smith", "Jane Smith"),
        Edit(cover, cover_cell("completed_role"), "Superintendent", "Superintendent"),
        Edit(cover, cover_cell("completed_date"), "20/08/2010", datetime(2010, 8, 20)),
        Edit(cover, cover_cell("commander"), "Ch Supt R. Okafor", "Ch Supt R. Okafor"),
        Edit(cover, cover_cell("signoff_date"), "21/08/2010", datetime(2010, 8, 21)),
        # A prefilled, locked Cover value cleared.
        Edit(cover, cover_cell("unit_code"), None, None, locked=True),
        Edit(ind, table_cell(INDICATORS, "rating", rated), "3", 3),
        Edit(ind, table_cell(INDICATORS, "narrative", rated), NARRATIVE, NARRATIVE,
             raw_text=True),
        # A locked indicator wording cell cleared.
        Edit(ind, table_cell(INDICATORS, "stage", changed), None, None, locked=True),
        Edit(evs, table_cell(EVIDENCE, "indicator_id", ev), RATED, RATED),
        Edit(evs, table_cell(EVIDENCE, "title", ev), "Equality action plan 2010",
             "Equality action plan 2010"),
        Edit(evs, table_cell(EVIDENCE, "description", ev), "Quarterly reviewed plan",
             "Quarterly reviewed plan"),
        Edit(evs, table_cell(EVIDENCE, "type", ev), "Action plan", "Action plan"),
        Edit(evs, table_cell(EVIDENCE, "location", ev), "ESPS/2010/action-plan.docx",
             "ESPS/2010/action-plan.docx"),
        # The UK date typed into the date-formatted cell.
        Edit(evs, table_cell(EVIDENCE, "date", ev), "13/04/2010", datetime(2010, 4, 13)),
        Edit(evs, table_cell(EVIDENCE, "owner", ev), "DI Patel", "DI Patel"),
    ]


def lo_edits(edits: list[Edit]) -> list[dict[str, Any]]:
    """The scenario as lo_calc.py edits: unprotect around locked cells, as a user must."""
    out: list[dict[str, Any]] = []
    for e in edits:
        if e.locked:
            out.append({"op": "unprotect", "sheet": e.sheet})
        if e.typed is None:
            out.append({"op": "clear", "sheet": e.sheet, "cell": e.cell})
        else:
            out.append({"op": "string" if e.raw_text else "type", "sheet": e.sheet,
                        "cell": e.cell, "text": e.typed})
        if e.locked:
            out.append({"op": "protect", "sheet": e.sheet})
    return out


def apply_with_openpyxl(edits: list[Edit]) -> Callable[[openpyxl.Workbook], None]:
    def change(wb: openpyxl.Workbook) -> None:
        for e in edits:
            wb[e.sheet][e.cell].value = e.value

    return change


# -- running LibreOffice ------------------------------------------------------------------


def run_driver(jobs: list[dict[str, Any]], work: Path, *, locale: str = "en-GB") -> dict:
    jobs_file = work / f"jobs-{locale}.json"
    jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
    try:
        done = subprocess.run(
            [UNO_PYTHON, str(DRIVER), "--jobs", str(jobs_file), "--locale", locale,
             "--timeout", str(DRIVER_TIMEOUT - 30)],
            capture_output=True, text=True, timeout=DRIVER_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"lo_calc.py did not finish within {DRIVER_TIMEOUT} s")
    if done.returncode != 0:
        pytest.fail(f"lo_calc.py failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def convert_with_soffice(src: Path, out_dir: Path, profile: Path) -> Path:
    """`soffice --convert-to xlsx`, the command-line way to have Calc re-save a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [SOFFICE, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
         "--norestore", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir",
         str(out_dir), str(src)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # only the process group started here
        proc.wait()
        pytest.fail("soffice --convert-to did not finish within 90 s")
    finally:
        _reap_group(proc.pid)
    dst = out_dir / src.name
    assert proc.returncode == 0 and dst.exists(), output
    return dst


def _group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is left in the process group."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _reap_group(pgid: int, wait: float = 15) -> None:
    """Wait for soffice.bin (which can outlive the soffice script briefly) to exit; then kill."""
    deadline = time.monotonic() + wait
    while _group_alive(pgid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)  # only the process group started here
            return
        time.sleep(0.1)


@dataclass
class Calc:
    """Everything the module's one LibreOffice run produced."""

    original: Path  # the generated workbook, untouched
    saved: Path  # opened in Calc and saved as .xlsx, no edits
    resaved: Path  # that file opened in Calc and saved again
    filled: Path  # the scenario typed in Calc, saved as .xlsx
    by_openpyxl: Path  # the same scenario written with openpyxl
    edits: list[Edit]
    report: dict[str, Any]  # lo_calc.py's report

    def job(self, output: Path) -> dict[str, Any]:
        return next(j for j in self.report["jobs"] if Path(j["output"]) == output.resolve())

    def cell(self, output: Path, sheet: str, ref: str) -> dict[str, Any]:
        return next(c for c in self.job(output)["cells"]
                    if c["sheet"] == sheet and c["cell"] == ref)


@pytest.fixture(scope="module")
def calc(
    tmp_path_factory: pytest.TempPathFactory,
    pristine_pack: Path,
    units: list[Unit],
    framework: Framework,
) -> Calc:
    work = tmp_path_factory.mktemp("libreoffice")
    name = workbook_filename(units[0], framework.cycle(CYCLE))
    # Same file name in every folder, so findings (which name the file) compare exactly.
    paths = {d: work / d / name for d in ("original", "saved", "resaved", "filled", "openpyxl")}
    for p in paths.values():
        p.parent.mkdir()
    paths["original"].write_bytes((pristine_pack / name).read_bytes())
    paths["openpyxl"].write_bytes(paths["original"].read_bytes())
    edits = scenario(framework)
    edit_workbook(paths["openpyxl"], apply_with_openpyxl(edits))
    jobs = [
        {"input": str(paths["original"]), "output": str(paths["saved"]), "audit": True},
        {"input": str(paths["saved"]), "output": str(paths["resaved"])},
        {"input": str(paths["original"]), "output": str(paths["filled"]),
         "edits": lo_edits(edits), "audit": True},
    ]
    report = run_driver(jobs, work)
    return Calc(paths["original"], paths["saved"], paths["resaved"], paths["filled"],
                paths["openpyxl"], edits, report)


def validate(path: Path, framework: Framework) -> WorkbookReport:
    return validate_workbook(path, framework, today=TODAY)


def keys(report: WorkbookReport) -> list[tuple[str, str, str, str]]:
    return sorted((f.code, f.sheet, f.cell, f.indicator_id) for f in report.findings)


def full(report: WorkbookReport) -> list[tuple[str, ...]]:
    return sorted((f.code, f.severity, f.sheet, f.cell, f.indicator_id, f.message)
                  for f in report.findings)


def assert_reads_the_same(a: ReturnedWorkbook, b: ReturnedWorkbook) -> None:
    assert b.findings == a.findings == []
    assert b.sheet_names == a.sheet_names
    assert b.meta == a.meta
    assert b.meta_refs == a.meta_refs
    assert b.meta_indicator_hashes == a.meta_indicator_hashes
    assert b.cover == a.cover
    assert b.legacy_scores == a.legacy_scores
    for attr in ("indicators", "evidence"):
        ta, tb = getattr(a, attr), getattr(b, attr)
        assert ta is not None and tb is not None, attr
        assert (tb.header_row, tb.columns) == (ta.header_row, ta.columns), attr
        assert tb.rows == ta.rows, attr


# -- (1) a generated workbook saved back by Calc -----------------------------------------


def test_calc_runs_with_a_uk_locale(calc: Calc):
    assert calc.report["locale"] == "en-GB"
    assert calc.report["soffice"]


def test_saved_by_calc_reads_back_the_same(calc: Calc):
    original, saved = read_workbook(calc.original), read_workbook(calc.saved)
    assert_reads_the_same(original, saved)
    # the fingerprint still matches its hashes, and every row's wording its hash
    assert workbook_fingerprint(saved.meta_indicator_hashes) == saved.meta["fingerprint"]
    stored = dict(saved.meta_indicator_hashes)
    assert saved.indicators is not None
    assert len(saved.indicators.rows) == len(stored)
    for row in saved.indicators.rows:
        assert indicator_hash(row.values) == stored[row.values["indicator_id"]]
    # veryHidden comes back hidden: still not visible, so not reported as unhidden
    assert original.sheet_visibility[SHEET_META] == "veryhidden"
    assert saved.sheet_visibility[SHEET_META] == "hidden"
    assert {k: v for k, v in saved.sheet_visibility.items() if k != SHEET_META} == {
        s: "visible" for s in VISIBLE_SHEETS}


def test_calc_saved_sheets_read_from_their_xml_as_calamine_reads_them(calc: Calc):
    """Calc writes every string to a shared strings part and keeps the formatted empty cells:
    the Evidence sheet, mostly empty, is read from its XML (io/sheet_xml.py), as calamine
    reads it, and with the scenario typed in too."""
    from .test_sheet_xml import same_or_declined

    for path in (calc.saved, calc.resaved, calc.filled):
        read = {name: same_or_declined(path, name) for name in (*VISIBLE_SHEETS, SHEET_META)}
        assert read[EVIDENCE.sheet], path


def test_saved_by_calc_validates_exactly_as_the_original(calc: Calc, framework: Framework):
    original, saved = validate(calc.original, framework), validate(calc.saved, framework)
    assert keys(saved) == keys(original)
    assert full(saved) == full(original)
    assert saved.valid == original.valid
    assert saved.indicators == original.indicators
    tamper = {"metadata-tampered", "metadata-unhidden", "indicator-changed",
              "indicator-outdated", "identity-mismatch", "not-esps-workbook"}
    assert not tamper & {f.code for f in saved.findings}


def test_saved_twice_by_calc_is_stable(calc: Calc, framework: Framework):
    assert_reads_the_same(read_workbook(calc.saved), read_workbook(calc.resaved))
    assert full(validate(calc.resaved, framework)) == full(validate(calc.original, framework))


def test_convert_to_on_the_command_line_validates_the_same(
    calc: Calc, framework: Framework, tmp_path: Path
):
    converted = convert_with_soffice(calc.original, tmp_path / "out", tmp_path / "profile")
    assert_reads_the_same(read_workbook(calc.original), read_workbook(converted))
    assert full(validate(converted, framework)) == full(validate(calc.original, framework))


def test_calc_keeps_what_the_workbook_relies_on(calc: Calc):
    """Protection, validations, drop-down names and date formats survive a save by Calc."""
    before = openpyxl.load_workbook(calc.original)
    after = openpyxl.load_workbook(calc.saved)
    assert after.sheetnames == before.sheetnames
    assert after[SHEET_META].sheet_state in ("hidden", "veryHidden")

    def names(wb: openpyxl.Workbook) -> dict[str, str]:
        return {n: d.attr_text.replace("'", "") for n, d in wb.defined_names.items()}

    assert names(after) == names(before)
    for sheet in VISIBLE_SHEETS:
        b, a = before[sheet], after[sheet]
        assert a.protection.sheet, sheet
        for opt in ("formatColumns", "formatRows", "insertRows", "deleteRows", "autoFilter"):
            assert getattr(a.protection, opt) == getattr(b.protection, opt), (sheet, opt)
        assert a.print_title_rows == b.print_title_rows, sheet
        assert a.auto_filter.ref == b.auto_filter.ref, sheet

        def rules(ws) -> list[tuple]:
            return sorted((str(dv.sqref), dv.type, (dv.formula1 or "").lstrip("="),
                           dv.showErrorMessage, dv.error)
                          for dv in ws.data_validations.dataValidation)

        assert rules(a) == rules(b), sheet
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
        for row_b, row_a in zip(b.iter_rows(), a.iter_rows(), strict=False):
            for cb, ca in zip(row_b, row_a, strict=False):
                assert ca.protection.locked == cb.protection.locked, (sheet, cb.coordinate)
                if getattr(cb, "is_date", False):  # merged cells have no value or format
                    assert ca.is_date, (sheet, cb.coordinate)
                    assert ca.number_format.lower() == cb.number_format.lower()


def test_calc_finds_no_invalid_data_in_an_untouched_workbook(calc: Calc):
    assert calc.job(calc.saved)["invalid_cells"] == []


# -- (2) a workbook filled in through Calc ------------------------------------------------


def test_calc_stores_what_was_typed_as_real_values(calc: Calc, framework: Framework):
    ev_date = next(e for e in calc.edits if e.typed == "13/04/2010")
    rating = next(e for e in calc.edits if e.typed == "3")
    cleared = [e for e in calc.edits if e.typed is None]
    # as Calc holds it after typing
    d = calc.cell(calc.filled, ev_date.sheet, ev_date.cell)
    assert (d["type"], d["value"], d["string"]) == ("VALUE", 40281.0, "13/04/2010")
    assert d["format"].lower() == "dd/mm/yyyy"
    r = calc.cell(calc.filled, rating.sheet, rating.cell)
    assert (r["type"], r["value"]) == ("VALUE", 3.0)
    for e in cleared:
        assert calc.cell(calc.filled, e.sheet, e.cell)["type"] == "EMPTY"
    # as saved in the .xlsx
    wb = openpyxl.load_workbook(calc.filled)
    cell = wb[ev_date.sheet][ev_date.cell]
    assert cell.is_date and cell.value == datetime(2010, 4, 13)
    assert wb[rating.sheet][rating.cell].value == 3
    for e in cleared:
        assert wb[e.sheet][e.cell].value is None
    # as the reader sees it
    rw = read_workbook(calc.filled)
    assert rw.evidence is not None and rw.indicators is not None
    (row,) = rw.evidence.rows
    assert row.values["date"] == date(2010, 4, 13)
    rated = next(r for r in rw.indicators.rows if r.values["indicator_id"] == RATED)
    assert rated.values["rating"] == 3
    assert rated.values["narrative"].splitlines() == NARRATIVE.splitlines()


def test_filled_in_calc_validates_as_filled_with_openpyxl(calc: Calc, framework: Framework):
    lo, py = validate(calc.filled, framework), validate(calc.by_openpyxl, framework)
    assert {(c, s, r) for c, s, r, _ in keys(lo)} == {(c, s, r) for c, s, r, _ in keys(py)}
    assert full(lo) == full(py)
    assert lo.indicators == py.indicators


def test_filled_in_calc_gives_exactly_the_expected_findings(calc: Calc, framework: Framework):
    before, after = validate(calc.original, framework), validate(calc.filled, framework)
    was, now = set(keys(before)), set(keys(after))
    unit_code = next(e for e in calc.edits if e.typed is None and e.sheet == SHEET_COVER)
    stage = next(e for e in calc.edits if e.typed is None and e.sheet == INDICATORS.sheet)
    # the two cleared locked cells are each reported, exactly there; nothing else is new
    assert now - was == {
        ("identity-mismatch", SHEET_COVER, unit_code.cell, ""),
        ("indicator-changed", INDICATORS.sheet, stage.cell, CHANGED),
    }
    # nothing is reported on a cell the unit filled in
    typed = {(e.sheet, e.cell) for e in calc.edits if e.typed is not None}
    assert [f for f in after.findings if (f.sheet, f.cell) in typed] == []
    # what the edits fixed is no longer reported
    gone = was - now
    rating_cell = next(e.cell for e in calc.edits if e.typed == "3")
    assert ("missing-rating", INDICATORS.sheet, rating_cell, RATED) in gone
    assert {k[:3] for k in gone} >= {
        ("cover-incomplete", SHEET_COVER, cover_cell("completed_by")),
        ("cover-incomplete", SHEET_COVER, cover_cell("completed_role")),
        ("cover-incomplete", SHEET_COVER, cover_cell("completed_date")),
        ("missing-signoff", SHEET_COVER, cover_cell("commander")),
        ("missing-signoff", SHEET_COVER, cover_cell("signoff_date")),
    }
    assert not [f for f in after.findings if f.indicator_id == RATED]
    status = next(s for s in after.indicators if s.indicator_id == RATED)
    assert (status.rating, status.evidence_items, status.minimum_met) == (3, 1, True)
    assert after.submission_date == date(2010, 8, 20)


def test_calc_own_validity_accepts_the_filled_cells(calc: Calc):
    """Tools > Detective > Mark Invalid Data: nothing the unit typed is circled."""
    invalid = {(c["sheet"], c["cell"]) for c in calc.job(calc.filled)["invalid_cells"]}
    assert invalid == set()


def test_calc_validity_accepts_a_typed_rating(calc: Calc):
    """The ratings list holds numbers, so a typed 3 matches (text '3' would not)."""
    rating = next(e for e in calc.edits if e.typed == "3")
    invalid = {(c["sheet"], c["cell"]) for c in calc.job(calc.filled)["invalid_cells"]}
    assert (rating.sheet, rating.cell) not in invalid


def test_us_locale_calc_keeps_a_uk_date_as_text(
    calc: Calc, framework: Framework, tmp_path: Path
):
    """Why the tests pin en-GB: with en-US, Calc reads typed dates month first.

    13/04/2010 stays text (the validator reads it as 13 April 2010 and warns); 12/04/2010
    becomes 4 December 2010, a real date nothing can tell from a correct one.
    """
    ev = EVIDENCE.first_data_row
    first, second = (table_cell(EVIDENCE, "date", ev), table_cell(EVIDENCE, "date", ev + 1))
    out = tmp_path / calc.original.name
    report = run_driver([{"input": str(calc.original), "output": str(out), "edits": [
        {"op": "type", "sheet": EVIDENCE.sheet, "cell": first, "text": "13/04/2010"},
        {"op": "type", "sheet": EVIDENCE.sheet, "cell": second, "text": "12/04/2010"},
    ]}], tmp_path, locale="en-US")
    assert report["locale"] == "en-US"
    cells = {c["cell"]: c for c in report["jobs"][0]["cells"]}
    assert (cells[first]["type"], cells[first]["string"]) == ("TEXT", "13/04/2010")
    assert (cells[second]["type"], cells[second]["value"]) == ("VALUE", 40516.0)  # 4 Dec 2010
    findings = validate(out, framework).findings
    assert any(f.code == "date-as-text" and f.cell == first and "13 April 2010" in f.message
               for f in findings)
    rw = read_workbook(out)
    assert rw.evidence is not None
    assert [r.values["date"] for r in rw.evidence.rows] == ["13/04/2010", date(2010, 12, 4)]


# -- a scoring pack filled in Calc (issue 10) ----------------------------------------------


def test_a_scoring_pack_filled_in_calc_imports_as_one_filled_with_openpyxl(
    tmp_path: Path, framework: Framework, units: list[Unit], advisors: list,
):
    """What an assessor types in Calc (numbers, text "3", " 3 ", blanks, 0, 5, 2.5, "three",
    a 2 without a rationale) is recorded or reported cell by cell exactly as the same values
    written with openpyxl (what Excel stores)."""
    from esps_cli.domain.paths import EXAMPLES_DIR
    from esps_cli.register import Register
    from esps_cli.scoring.pack_import import import_pack
    from esps_cli.scoring.packs import write_packs
    from esps_cli.scoring.roster import Roster
    from esps_cli.workbook.layout import PACK_TABLE

    from .packs import fill_pack, pack_cells

    roster = Roster(framework, framework.cycle(CYCLE), units, advisors)
    typed: dict[str, tuple[dict[str, Any], Any]] = {  # indicator: (Calc edit, openpyxl value)
        "OD1.1": ({"op": "type", "text": "3"}, 3),
        "OD1.2": ({"op": "string", "text": "3"}, "3"),
        "OD1.3": ({"op": "string", "text": " 3 "}, " 3 "),
        "OD2.1": ({"op": "value", "value": 0}, 0),
        "OD2.2": ({"op": "type", "text": "5"}, 5),
        "OD3.1": ({"op": "type", "text": "2.5"}, 2.5),
        "OD3.2": ({"op": "type", "text": "three"}, "three"),
        "OD3.3": ({"op": "type", "text": "2"}, 2),  # no rationale
        "OD4.1": ({"op": "type", "text": "1"}, 1),
    }
    results = {}
    for how in ("calc", "openpyxl"):
        work = tmp_path / how
        (work / "packs").mkdir(parents=True)
        with Register.open(work / "esps.db") as reg:
            reg.allocate(CYCLE, {"TP-EK": "dcfa05"}, seed=None)
            write_packs(reg, roster, [EXAMPLES_DIR / "returned"], work / "packs",
                        units=["TP-EK"], roles=["linked"])
        pack = next((work / "packs").glob("*/*.xlsx"))
        _fields, rows, _columns = pack_cells(pack)
        ref = {ind: table_cell(PACK_TABLE, "score", rows[ind]) for ind in typed}
        rationale = table_cell(PACK_TABLE, "rationale", rows["OD4.1"])
        if how == "calc":
            filled = work / "filled" / pack.name
            filled.parent.mkdir()
            edits = [{**edit, "sheet": PACK_TABLE.sheet, "cell": ref[ind]}
                     for ind, (edit, _v) in typed.items()]
            edits.append({"op": "string", "sheet": PACK_TABLE.sheet, "cell": rationale,
                          "text": "No victim updates seen"})
            run_driver([{"input": str(pack), "output": str(filled), "edits": edits}], work)
        else:
            filled = pack
            fill_pack(filled, {ind: (value, None) for ind, (_e, value) in typed.items()})
            fill_pack(filled, {"OD4.1": (None, "No victim updates seen")})
        with Register.open(work / "esps.db") as reg:
            result = import_pack(reg, roster, filled)
            recorded = {ind: p.linked.score for (u, ind), p in reg.current_scores(CYCLE).items()
                        if u == "TP-EK" and p.linked}
        results[how] = (result.status, [(p.code, p.cell) for p in result.problems], recorded)
    assert results["calc"] == results["openpyxl"]
    status, problems, recorded = results["calc"]
    assert status == "partial"
    assert recorded == {"OD1.1": 3, "OD1.2": 3, "OD1.3": 3, "OD4.1": 1}
    assert [code for code, _cell in problems] == [
        "score-invalid", "score-invalid", "score-invalid", "score-invalid",
        "score-rationale-missing"]
