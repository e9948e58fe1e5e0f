"""Outputs fit for the Board, the units and the public (issue 14), on the bundled examples run
as the quick start runs them: 56 units, the sample returns, the sample scores.

Every workbook the tool writes is printed by headless LibreOffice and read back page by page
(tests/printed.py): page counts, A4, a table's headings on every one of its pages, no cell's
text missing from the pages. Skipped, with the reason, where soffice or poppler is missing.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Bands, load_framework
from esps_cli.domain.paths import EXAMPLES_DIR, default_framework_path
from esps_cli.errors import ConfigError
from esps_cli.register import Register
from esps_cli.reports.printing import cell_value, human_heading, text_lines

from . import printed
from .packs import record_returns

runner = CliRunner()
CYCLE = "2010-11"
ADVISORS = list(csv.DictReader((EXAMPLES_DIR / "dcfas.csv").open(encoding="utf-8")))


def _ok(result, *codes: int) -> None:
    assert result.exit_code in (codes or (0,)), result.output


@pytest.fixture(scope="module")
def qs(tmp_path_factory) -> dict[str, Path]:
    """The quick start's register (allocated, sample scores imported, one moderation) and a
    copy of the sample returns."""
    root = tmp_path_factory.mktemp("quickstart")
    returns = root / "returns"
    shutil.copytree(EXAMPLES_DIR / "returned", returns)
    reg = root / "esps.db"
    lists = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE, "--register", str(reg)]
    _ok(runner.invoke(app, ["allocate", "--seed", "2010", *lists]))
    with Register.open(reg) as register:
        record_returns(register, ["TP-EK", "TP-BS"])  # the units examples/scores.csv scores
    _ok(runner.invoke(app, ["score", "import", str(EXAMPLES_DIR / "scores.csv"),
                            "--any-unlinked", *lists]))
    _ok(runner.invoke(app, ["score", "moderate", "TP-EK", "OD3.1", "3", "--assessor", "dcfa03",
                            "--comment", "Agreed at moderation panel", *lists]))
    return {"root": root, "returns": returns, "register": reg}


def _args(qs: dict[str, Path], cycle: str = CYCLE) -> list[str]:
    return ["--returns", str(qs["returns"]), "--units", str(EXAMPLES_DIR / "units.csv"),
            "--cycle", cycle, "--register", str(qs["register"]), "--jobs", "1"]


# -- the print helper ---------------------------------------------------------------------


def test_headings_and_values_read_as_words():
    assert human_heading("evidence_completeness_pct") == "Evidence completeness %"
    assert human_heading("linked_dcfa") == "Linked DCFA"
    assert human_heading("indicator_id") == "Indicator ID"
    assert human_heading("Due date") == "Due date"  # already words: kept
    assert cell_value(True) == "Yes" and cell_value(False) == "No"
    assert cell_value(None) is None and cell_value("") is None
    assert cell_value(3) == 3 and cell_value(2.5) == 2.5
    assert cell_value("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_wrapped_lines_are_counted_by_words():
    assert text_lines("short", 20) == 1
    assert text_lines("word " * 10, 20) == 3  # 49 characters, about 20 a line
    assert text_lines("one\ntwo", 40) == 2


def test_rag_bands_at_their_boundaries():
    bands = load_framework().bands
    assert bands.rag(80.0, 80) == "green"
    assert bands.rag(79.9, 80) == "amber"
    assert bands.rag(70.0, 80) == "amber"
    assert bands.rag(69.9, 80) == "red"
    assert Bands().amber_within_pts == 10  # the default without a bands section


def test_framework_bands_are_checked(tmp_path):
    text = default_framework_path().read_text(encoding="utf-8")
    bad = tmp_path / "fw.yaml"
    bad.write_text(text.replace("green: {label: On target, colour: C6EFCE}",
                                "green: {label: On target, colour: green}"))
    with pytest.raises(ConfigError, match="bands"):
        load_framework(bad)
    narrow = tmp_path / "narrow.yaml"
    narrow.write_text(text.replace("amber_within_pts: 10", "amber_within_pts: 2"))
    assert load_framework(narrow).bands.rag(77.9, 80) == "red"
    # bands colour reports only: returned workbooks do not become "framework-changed"
    assert load_framework(narrow).digest == load_framework().digest


# -- the terminal -------------------------------------------------------------------------


def _esps_80(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parents[1] / "src"),
                                                      env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "esps_cli", *args], capture_output=True,
                          text=True, env=env, check=False, timeout=120)


def test_terminal_summary_fits_80_columns(qs):
    framework = load_framework()
    for extra in ([], ["--units-table"]):
        result = _esps_80("summary", *_args(qs), *extra)
        assert result.returncode == 1, result.stderr
        lines = result.stdout.splitlines()
        assert max(len(ln) for ln in lines) <= 80
        assert "…" not in result.stdout
        words = set(result.stdout.split())
        for group in framework.business_groups[:8]:
            assert set(group.name.split()) <= words, group.name
        assert "KPI: 1 of 56 units meet the baseline (1.8%)" in result.stdout
        if extra:
            assert all(u in words for u in ("TP-GD", "SO-HEATHROW", "DOR-DIR"))
        else:
            # the quick start's summary reads in one screen: roll-ups, exceptions, statuses
            assert len(lines) <= 45
            assert "Not returned (50): " in result.stdout
            assert "Invalid return (2): TP-CW, TP-FH" in result.stdout
            assert "Unreadable return (2): TP-RP, TP-NI" in result.stdout


# -- unit outputs that say the truth ------------------------------------------------------


def _plan_texts(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["Action plan"]
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_action_plans_say_why_there_is_no_result(qs, tmp_path):
    out = tmp_path / "plans"
    result = runner.invoke(app, ["actions", *_args(qs), "--out", str(out), "--unit", "TP-GD",
                                 "--unit", "TP-NI", "--unit", "TP-CW", "--unit", "TP-BS",
                                 "--unit", "TP-EK"])
    _ok(result)
    assert "3 unit(s) not yet assessed" in result.stdout
    plans = {p.name.split("_")[1]: _plan_texts(p) for p in out.glob("*.xlsx")}
    expected = {
        "TP-GD": ("No return received for FY2010/11",
                  "No gaps can be listed: there is no return to assess."),
        "TP-NI": ("The return could not be read", "No gaps can be listed yet"),
        "TP-CW": ("The return is invalid",
                  "Provisional gaps (the assessment is not complete): fill in the yellow "
                  "cells."),
        "TP-BS": ("Below the baseline", "Gaps for the action plan: fill in the yellow cells."),
        "TP-EK": ("Meets the baseline", "No gaps."),
    }
    for code, (headline, gaps) in expected.items():
        texts = plans[code]
        assert headline in texts, (code, texts[:6])
        assert any(t.startswith(gaps) for t in texts), (code, texts)
        says_no_gaps = any(t.startswith("No gaps:") for t in texts)
        assert says_no_gaps == (code == "TP-EK"), code
    assert any("deadline 31/08/2010" in t for t in plans["TP-GD"])
    assert any(t.startswith("• Correct every error listed") for t in plans["TP-CW"])


def test_feedback_for_a_unit_that_did_not_return(qs, tmp_path):
    result = runner.invoke(app, ["feedback", "TP-GD", *_args(qs), "--out", str(tmp_path)])
    _ok(result)
    assert "No return received for FY2010/11" in result.stdout
    (path,) = tmp_path.glob("*.xlsx")
    wb = openpyxl.load_workbook(path)
    facts = {r[0]: r[1] for r in wb["Standing"].iter_rows(values_only=True) if r[0]}
    assert facts["Return"] == "None received"
    assert facts["Valid return"] is None and facts["Errors"] is None
    assert facts["Linked DCFA"] == "Daniel Okafor (dcfa02)"
    assert facts["Baseline indicators scored by the linked DCFA"] == 0
    assert wb["Scores"]["A2"].value.startswith("No scores: there is no return")
    assert wb["Findings"]["A2"].value == "No return to check."


# -- the public edition -------------------------------------------------------------------


def _advisor_terms() -> list[str]:
    return [t for a in ADVISORS for t in (a["id"], a["name"], a["email"])]


def _xlsx_text(path: Path) -> str:
    """Everything inside a workbook: every XML part (cells, shared strings, headers and
    footers, sheet names, charts)."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                         if n.endswith((".xml", ".rels")))


def test_public_edition_has_nothing_of_the_advisors(qs, tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(qs["returns"], returns)
    # free text that names an advisor: a second return for Camden saved under a DCFA's name
    shutil.copy(returns / "TP-EK_Camden_2010-11.xlsx",
                returns / "TP-EK_Camden_2010-11 checked by Amira Haddad dcfa01.xlsx")
    args = ["summary", "--public", "--returns", str(returns), "--units",
            str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE, "--register",
            str(qs["register"]), "--jobs", "1"]
    private = runner.invoke(app, [*args[:1], *args[2:], "--format", "json"])
    assert "Amira Haddad" in private.stdout  # the test can see an advisor when there is one
    outputs: dict[str, str] = {}
    for name, extra in {"text": [], "json": ["--format", "json"], "csv": ["--format", "csv"],
                        "exceptions": ["--exceptions"],
                        "exceptions csv": ["--exceptions", "--format", "csv"],
                        "units table": ["--units-table"]}.items():
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 1, result.output
        outputs[name] = result.output
    for suffix in ("xlsx", "json", "csv"):
        path = tmp_path / f"public.{suffix}"
        _ok(runner.invoke(app, [*args, "--output", str(path)]), 1)
        outputs[f"--output {suffix}"] = (_xlsx_text(path) if suffix == "xlsx"
                                         else path.read_text(encoding="utf-8"))
    for name, text in outputs.items():
        for term in _advisor_terms():
            assert term.casefold() not in text.casefold(), f"{term!r} in the public {name}"
    assert "Public edition for community review" in outputs["text"]
    assert "ESPS compliance: public edition for community review" in outputs["text"]
    data = json.loads(outputs["json"].split("\n", 1)[1] if not outputs["json"].startswith("{")
                      else outputs["json"])
    assert data["public"] is True and "left out" in data["edition_note"]
    assert "[advisor]" in outputs["json"]  # the file name's advisor, replaced
    wb_text = outputs["--output xlsx"]
    assert "public edition for community review" in wb_text


# -- comparing cycles, trends -------------------------------------------------------------


def test_compare_writes_what_it_shows(qs, tmp_path):
    for suffix in ("xlsx", "json", "csv"):
        path = tmp_path / f"cmp.{suffix}"
        result = runner.invoke(app, ["summary", *_args(qs), "--compare", "2010-11", "2011-12",
                                     "--output", str(path)])
        _ok(result)
        assert path.exists(), suffix
    wb = openpyxl.load_workbook(tmp_path / "cmp.xlsx")
    assert wb.sheetnames == ["Comparison", "Units", "Roll-ups"]
    tp = next(r for r in wb["Comparison"].iter_rows(values_only=True)
              if r[0] == "Territorial Policing")
    # FY2011/12 has no return yet: "no data yet", not "down 3.0 pts"
    assert tp[:4] == ("Territorial Policing", 3.0, "no data yet", "no data yet")
    head = " ".join(str(r[0]) for r in wb["Comparison"].iter_rows(max_row=4, values_only=True))
    assert "FY2011/12: no data yet." in head and "Trend: no data yet for FY2011/12." in head
    units = {r[0]: r for r in wb["Units"].iter_rows(min_row=2, values_only=True)}
    assert units["TP-EK"][2:4] == ("Meets the baseline", "Not returned")
    assert units["TP-EK"][6] == "▼ no longer meets"
    data = json.loads((tmp_path / "cmp.json").read_text())
    assert data["trend"] is None and data["compliance_change_pts"] is None
    assert data["no_data_yet"] == ["FY2011/12"]
    theme = next(r for r in data["rollups"] if r["view"] == "theme" and r["key"] == "OD")
    assert (theme["before_pct"], theme["trend"], theme["change_pts"]) == (1.8, None, None)
    text = runner.invoke(app, ["summary", *_args(qs), "--compare", "2010-11", "2011-12"])
    assert "FY2011/12: no data yet; change: no data yet for FY2011/12." in text.stdout
    rows = (tmp_path / "cmp.csv").read_text().splitlines()
    assert rows[0] == "unit_code,unit_name,before,after,before_mean,after_mean,change"
    bad = runner.invoke(app, ["summary", *_args(qs), "--compare", "2010-11", "2011-12",
                              "--output", str(tmp_path / "cmp.pdf")])
    assert bad.exit_code == 2 and ".xlsx" in bad.output


def test_board_pack_shows_the_trend_on_the_previous_cycle(qs, tmp_path):
    out = tmp_path / "board-2011.xlsx"
    result = runner.invoke(app, ["summary", *_args(qs, "2011-12"), "--output", str(out)])
    _ok(result, 1)
    assert "Trend: ▼ down 1.8 pts on FY2010/11 (1.8%)." in result.stdout
    ws = openpyxl.load_workbook(out)["Summary"]
    rows = list(ws.iter_rows(values_only=True))
    assert any(r[7] == "Trend on FY2010/11" for r in rows)
    tp = next(r for r in rows if r[0] == "Territorial Policing")
    assert tp[6] == "RED: Off target" and tp[7] == "▼ down 3.0 pts"
    total = next(r for r in rows if r[0] == "All units")
    assert total[4:8] == (0.0, 100, "RED: Off target", "▼ down 1.8 pts")


def test_classification_from_esps_toml_and_option(qs, tmp_path, monkeypatch):
    (tmp_path / "esps.toml").write_text('[esps]\nclassification = "OFFICIAL-SENSITIVE"\n')
    monkeypatch.chdir(tmp_path)
    _ok(runner.invoke(app, ["summary", *_args(qs), "--output", "a.xlsx"]), 1)
    _ok(runner.invoke(app, ["summary", *_args(qs), "--output", "b.xlsx",
                            "--classification", "OFFICIAL"]), 1)
    a = openpyxl.load_workbook(tmp_path / "a.xlsx")["Units"]
    b = openpyxl.load_workbook(tmp_path / "b.xlsx")["Units"]
    assert a.oddFooter.left.text == "&BOFFICIAL-SENSITIVE&B"
    assert a.oddHeader.center.text == "&BOFFICIAL-SENSITIVE&B"
    assert b.oddFooter.left.text == "&BOFFICIAL&B"


# -- printed by LibreOffice ---------------------------------------------------------------


@pytest.fixture(scope="module")
def every_workbook(qs, tmp_path_factory) -> dict[str, Path]:
    """Every kind of workbook the tool writes, made from the quick start."""
    out = tmp_path_factory.mktemp("workbooks")
    lists = ["--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE]
    reg = ["--register", str(qs["register"])]
    made = {
        "board": out / "board.xlsx", "public": out / "public.xlsx",
        "compare": out / "compare.xlsx", "validation": out / "validation.xlsx",
        "scores": out / "scores.xlsx", "allocation": out / "allocation.xlsx",
    }
    _ok(runner.invoke(app, ["summary", *_args(qs), "--output", str(made["board"])]), 1)
    _ok(runner.invoke(app, ["summary", *_args(qs), "--public", "--output",
                            str(made["public"])]), 1)
    _ok(runner.invoke(app, ["summary", *_args(qs), "--compare", "2010-11", "2011-12",
                            "--output", str(made["compare"])]))
    _ok(runner.invoke(app, ["validate", str(qs["returns"]), *lists, "--output",
                            str(made["validation"])]), 1)
    _ok(runner.invoke(app, ["score", "export", "--format", "xlsx", "--output",
                            str(made["scores"]), *lists, *reg]))
    _ok(runner.invoke(app, ["allocate", "--seed", "2010", "--output", str(made["allocation"]),
                            *lists, *reg]))
    units = ["TP-GD", "TP-NI", "TP-CW", "TP-BS", "TP-EK"]
    _ok(runner.invoke(app, ["actions", *_args(qs), "--out", str(out / "plans"),
                            *[a for u in units for a in ("--unit", u)]]))
    for unit in ("TP-CW", "TP-EK", "TP-GD"):
        _ok(runner.invoke(app, ["feedback", unit, *_args(qs), "--out", str(out / "fb")]))
    for path in [*(out / "plans").glob("*.xlsx"), *(out / "fb").glob("*.xlsx")]:
        made[f"{path.parent.name} {path.name.split('_')[1]}"] = path
    return made


# Most pages each workbook may take for the quick start's data.
PAGE_LIMITS = {"board": 15, "public": 15, "compare": 6, "validation": 12, "scores": 4,
               "allocation": 3, "plans": 4, "fb": 12}


@pytest.fixture(scope="module")
def pdfs(every_workbook, tmp_path_factory) -> dict[Path, Path]:
    """Every workbook printed to PDF by LibreOffice, in one run."""
    reason = printed.missing_tools()
    if reason:
        pytest.skip(reason)
    return printed.render(list(every_workbook.values()), tmp_path_factory.mktemp("pdf"))


def test_every_workbook_prints_whole_on_a4(every_workbook, pdfs):
    found: dict[str, list[str]] = {}
    for name, xlsx in every_workbook.items():
        pdf = pdfs[xlsx]
        sheets = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
        pages = printed.pages(pdf, sheets)
        limit = PAGE_LIMITS[name.split()[0]]
        assert 1 <= len(pages) <= limit, f"{name}: {len(pages)} pages (at most {limit})"
        for p in pages:
            assert p.sheet, f"{name} page {p.number}: no sheet name in its header"
            assert re.search(rf"Page {p.number} of {len(pages)}\b", p.layout), (name, p.number)
            assert "OFFICIAL" in p.layout
        problems = printed.problems(xlsx, pdf)
        if problems:
            found[name] = problems[:5]
    assert not found, found


def test_board_pack_pages(every_workbook, pdfs):
    xlsx = every_workbook["board"]
    pdf = pdfs[xlsx]
    sheets = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    pages = printed.pages(pdf, sheets)
    assert [p.sheet for p in pages[:2]] == ["Summary", "Exceptions and actions"]
    assert sum(1 for p in pages if p.sheet == "Summary") == 1  # a one-page summary
    first = pages[0].layout
    for text in ("1.8% of units meet the baseline: 1 of 56 units", "RED: Off target",
                 "Compliance % = units meeting the baseline ÷ units on the list × 100 = 1 ÷ 56",
                 "esps-mps 2010.1 · FY2010/11 · run", "By national theme"):
        assert text in " ".join(first.split()), text
    assert "The Board is asked to:" in pages[1].layout
    for p in pages:
        assert "_" not in " ".join(w for w in p.words if w.islower()), p.number
        assert not {"True", "False", "None"} & p.words, p.number
