"""The unit's own workbooks and the advisors' packs printed (issue 21, items 2 and 3).

Every workbook the tool writes for a unit or an advisor (the unit workbook, a scoring pack, a
moderation pack, a marked-up copy, an upgraded workbook) is made through the CLI in a working
folder whose esps.toml asks for another marking, printed by headless LibreOffice and read back
page by page: the marking and "Page x of y" on every page, no cell's text missing from its
sheet's pages, a 600-character narrative printed whole, and the unit's Indicators sheet printed
across pages at 8 pt or more rather than shrunk onto one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.workbook.layout import INDICATORS
from esps_cli.workbook.pages import MAX_ROW_HEIGHT, READABLE_SCALE, row_height
from esps_cli.workbook.samples import fill_file

from . import printed
from .packs import fill_pack

runner = CliRunner()
MARKING = "OFFICIAL-SENSITIVE"
# 600 characters of words found nowhere else, so a word cut from the cell is missed.
NARRATIVE = " ".join(f"nw{i:03d}" for i in range(100))[:599] + "."


def _ok(result, *codes: int) -> None:
    assert result.exit_code in (codes or (0,)), result.output


def _long_narrative(path: Path) -> None:
    """Type NARRATIVE as the first indicator's narrative, as a unit would."""
    wb = openpyxl.load_workbook(path)
    ws = wb[INDICATORS.sheet]
    col = [c.key for c in INDICATORS.columns].index("narrative") + 1
    ws.cell(row=INDICATORS.first_data_row, column=col, value=NARRATIVE)
    wb.save(path)


@pytest.fixture(scope="module")
def made(tmp_path_factory, framework) -> dict[str, Path]:
    """Each kind of workbook, made by the CLI in a working folder marked OFFICIAL-SENSITIVE."""
    root = tmp_path_factory.mktemp("printed")
    shutil.copy(EXAMPLES_DIR / "units.csv", root / "units.csv")
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", root / "dcfas.csv")
    (root / "esps.toml").write_text(
        '[esps]\nunits = "units.csv"\nadvisors = "dcfas.csv"\ncycle = "2010-11"\n'
        f'register = "esps.db"\nclassification = "{MARKING}"\n', encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("ESPS_CONFIG", str(root / "esps.toml"))
    try:
        _ok(runner.invoke(app, ["generate", "--out", str(root / "packs"), "--unit", "TP-EK",
                                "--unit", "TP-FH"]))
        returns = root / "returns"
        returns.mkdir()
        camden = returns / "TP-EK.xlsx"
        hf = returns / "TP-FH.xlsx"
        shutil.copy(next((root / "packs").glob("TP-EK_*.xlsx")), camden)
        shutil.copy(next((root / "packs").glob("TP-FH_*.xlsx")), hf)
        fill_file(camden, framework, "complete")
        fill_file(hf, framework, "incomplete")
        for path in (camden, hf):
            _long_narrative(path)
        _ok(runner.invoke(app, ["validate", str(returns), "--annotate",
                                str(root / "marked-up")]), 1)
        _ok(runner.invoke(app, ["allocate", "--seed", "2010"]))
        _ok(runner.invoke(app, ["score", "packs", "--returns", str(returns), "--unit", "TP-EK",
                                "--out", str(root / "scoring")]))
        linked, unlinked = sorted((root / "scoring").rglob("TP-EK_*.xlsx"),
                                  key=lambda p: "_unlinked_" in p.name)
        fill_pack(linked, {"OD3.1": (4, "Strong monitoring")})
        fill_pack(unlinked, {"OD3.1": (2, "No analysis of the disproportionality")})
        _ok(runner.invoke(app, ["score", "import", str(root / "scoring")]), 0, 1)
        _ok(runner.invoke(app, ["score", "packs", "--moderation", "--out",
                                str(root / "moderation")]))
        _ok(runner.invoke(app, ["upgrade", str(camden), "--cycle", "2011-12", "--out",
                                str(root / "upgraded")]))
    finally:
        mp.undo()
    return {
        "unit workbook": next((root / "packs").glob("TP-FH_*.xlsx")),
        "scoring pack": linked,
        "moderation pack": next((root / "moderation").rglob("*.xlsx")),
        "marked-up copy": next((root / "marked-up").glob("TP-FH*.xlsx")),
        "upgraded workbook": next((root / "upgraded").glob("*.xlsx")),
    }


@pytest.fixture(scope="module")
def pdfs(made, tmp_path_factory) -> dict[Path, Path]:
    reason = printed.missing_tools()
    if reason:
        pytest.skip(reason)
    return printed.render(list(made.values()), tmp_path_factory.mktemp("pdf"))


def test_every_page_carries_the_marking_and_its_number(made, pdfs):
    for name, xlsx in made.items():
        wb = openpyxl.load_workbook(xlsx, read_only=True)
        pages = printed.pages(pdfs[xlsx], wb.sheetnames)
        assert len(pages) > 1, name
        for p in pages:
            assert p.sheet, f"{name} page {p.number}: no sheet name in its header"
            assert re.search(rf"Page {p.number} of {len(pages)}\b", p.layout), (name, p.number)
            # top and foot of the page
            lines = [ln for ln in p.layout.splitlines() if ln.strip()]
            assert MARKING in lines[0] and MARKING in lines[-1], (name, p.number)


def test_the_units_name_in_the_header_keeps_its_ampersand(made, pdfs):
    xlsx = made["unit workbook"]
    pages = printed.pages(pdfs[xlsx], openpyxl.load_workbook(xlsx).sheetnames)
    assert all("ESPS self-assessment: Hammersmith & Fulham" in p.layout for p in pages)


def test_no_cell_text_is_cut(made, pdfs):
    found = {name: printed.problems(xlsx, pdfs[xlsx])[:5] for name, xlsx in made.items()}
    assert not any(found.values()), found


def test_a_600_character_narrative_prints_whole(made, pdfs):
    """Every word of the narrative is printed inside its row: above the next indicator's row
    (text cut by a short row is still in the PDF, drawn below the row and clipped)."""
    words = {w.rstrip(".") for w in NARRATIVE.split()}
    for name in ("marked-up copy", "scoring pack", "upgraded workbook"):
        pdf = pdfs[made[name]]
        boxes = [b for page in range(1, _page_count(pdf) + 1) for b in _boxes(pdf, page)
                 if any(w.startswith("nw") for w in (b[2],))]
        assert boxes, name
        page = boxes[0][3]
        found = {w.rstrip(".") for _y0, _y1, w, _p in boxes}
        assert words <= found, (name, sorted(words - found)[:5])
        assert {p for *_rest, p in boxes} == {page}, name
        next_row = min(y0 for y0, _y1, w, _p in _boxes(pdf, page) if w == "OD1.2")
        cut = [w for _y0, y1, w, _p in boxes if y1 > next_row]
        assert not cut, (name, cut[:5])


def _page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def _boxes(pdf: Path, page: int) -> list[tuple[float, float, str, int]]:
    """(top, bottom, word, page) of every word printed on a page."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], check=True, capture_output=True, text=True).stdout
    return [(float(a), float(b), word, page) for a, b, word in re.findall(
        r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)<', html)]


def test_the_indicators_sheet_prints_at_8_pt_or_more(made, pdfs):
    for name in ("unit workbook", "marked-up copy", "upgraded workbook"):
        xlsx = made[name]
        ws = openpyxl.load_workbook(xlsx)[INDICATORS.sheet]
        assert not ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.scale == READABLE_SCALE and READABLE_SCALE * 11 / 100 >= 8
        assert ws.print_title_cols == "$A:$A" or ws.print_title_cols == "A:A"
        pages = [p for p in printed.pages(pdfs[xlsx], [INDICATORS.sheet, "Cover", "Guidance",
                                                       "Evidence", "Findings"])
                 if p.sheet == INDICATORS.sheet]
        assert len(pages) >= 2, name
        # The indicator IDs (the repeated first column) head every page of the sheet.
        assert all("Indicator ID" in p.words or "Indicator" in p.words for p in pages)
        # The indicators' text prints at 8 pt or more: the box of a word of Calibri (Carlito
        # in Calc) is 1.22 times its size tall, so 8 pt text is 9.76 pt tall (the 5 pt text
        # of a sheet shrunk onto one page is 6.6 pt).
        for p in pages:
            heights = _id_heights(pdfs[xlsx], p.number)
            assert heights and min(heights) >= 8 * 1.22, (name, p.number, min(heights))


def _id_heights(pdf: Path, page: int) -> list[float]:
    """The heights (points) of the indicator IDs (e.g. OD1.1) printed on a page."""
    return [y1 - y0 for y0, y1, word, _p in _boxes(pdf, page)
            if re.fullmatch(r"[A-Z]{2}\d+\.\d+", word)]


def test_row_heights_grow_with_text_up_to_excels_limit():
    one_line = row_height(["short"], [40])
    assert row_height(["word " * 20], [40]) > one_line
    assert row_height(["x " * 20000], [10]) == MAX_ROW_HEIGHT
    # 42 letters fill one line of a 40-wide column; one more word takes a second line
    assert row_height(["a" * 42], [40]) == one_line
    assert row_height(["a" * 42 + " b"], [40]) > one_line


def test_typed_rows_are_not_fixed_in_height(made):
    """Excel and Calc grow a row as the unit types only where its height is not custom."""
    import zipfile

    with zipfile.ZipFile(made["unit workbook"]) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b'customHeight="1"' not in z.read(name), name
