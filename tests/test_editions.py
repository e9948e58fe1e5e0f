"""The editions people read without Excel (issue 22): the Board pack and the public edition as
single-file web pages and tagged A4 PDFs, made by `esps summary --output` from the quick
start's data (56 units, the sample returns and scores)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR

from .editions import csv_downloads, pdf_info, pdf_pages, pdf_tools_missing, read_page
from .test_outputs import ADVISORS, _args, qs  # noqa: F401  (qs: the quick start fixture)

runner = CliRunner()
CONTACT = "the Equality Team, 020 7946 0000, equality@example.police.uk"
# Words of the office that must not reach the public: roles, workflow and review states,
# file names, error counts.
INTERNAL = ["DCFA", "DCFD", "RAG", "linked", "unlinked", "Provisional", "moderation",
            "Awaiting", ".xlsx", "error", "invalid", "review", "Westminster ESPS return",
            "framework", "esps-mps", "sha256"]


def _advisor_terms() -> list[str]:
    return [t for a in ADVISORS for t in (a["id"], a["name"], a["email"])]


@pytest.fixture(scope="module")
def pages(qs, tmp_path_factory) -> dict[str, Path]:  # noqa: F811
    """board.html and public.html (the public one with a contact from esps.toml)."""
    out = tmp_path_factory.mktemp("editions")
    (out / "esps.toml").write_text(f'[esps]\npublic_contact = "{CONTACT}"\n', encoding="utf-8")
    made = {"board": out / "board.html", "public": out / "public.html"}
    for name, path in made.items():
        extra = ["--public"] if name == "public" else []
        result = runner.invoke(app, ["summary", *_args(qs), *extra, "--output", str(path)],
                               env={"ESPS_CONFIG": str(out / "esps.toml")})
        assert result.exit_code == 1, result.output  # KPI not met
        assert path.is_file()
    return made


def test_pages_are_single_files_with_ordered_headings_and_table_markup(pages):
    for name, path in pages.items():
        html = path.read_text(encoding="utf-8")
        page = read_page(path)
        assert path.stat().st_size < 300_000, name
        assert page.lang == "en-GB" and page.title, name
        assert [level for level, _ in page.headings].count(1) == 1, name
        levels = [level for level, _ in page.headings]
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
        assert page.scripts == 0 and not page.sources, name
        assert "<style>" in html and "<link" not in html and "url(" not in html, name
        assert all(href.startswith(("#", "data:text/csv")) for href, _ in page.links), name
        assert page.tables, name
        for t in page.tables:
            assert t.caption and t.col_headers and t.row_headers == t.rows, (name, t.caption)
        # numbers right-aligned: every cell of a numeric column has the class, no other does
        first = page.tables[0]
        assert [c for _, _, c in first.col_headers].count("num") >= 3, first.col_headers
        assert all(cls == "num" for text, cls in first.cells if re.fullmatch(r"[\d.]+", text))


def test_every_table_has_its_csv(pages):
    for name, path in pages.items():
        page = read_page(path)
        downloads = csv_downloads(page)
        assert len(downloads) == len(page.tables), name
        for t in page.tables:
            rows = next(rows for rows in downloads.values()
                        if rows[0] == [h for h, _, _ in t.col_headers])
            assert len(rows) - 1 == t.rows, (name, t.caption)


def test_public_edition_is_written_for_the_public(pages):
    page = read_page(pages["public"])
    text = " ".join(" ".join(page.text).split())
    for words in ("Main facts and figures", "Things you need to know",
                  "What the figures measure", "Glossary", "1 of 56 police units (1.8%) met "
                  "the baseline", "The target has not been met: 44 more units need to meet it",
                  "Camden (TP-EK)", "Met the baseline", "Self-assessment not received",
                  "Assessment in progress", "If you think a result is wrong", CONTACT,
                  "April 2010 to March 2011", "Published"):
        assert words in text, words
    html = pages["public"].read_text(encoding="utf-8")
    for term in _advisor_terms():
        assert term.casefold() not in html.casefold(), term
    everything = [text, *(" ".join(map(str, rows)) for rows in csv_downloads(page).values())]
    for blob in everything:
        for term in [*_advisor_terms(), *INTERNAL]:
            assert not re.search(rf"\b{re.escape(term)}", blob, re.IGNORECASE), term


def test_board_page_opens_with_what_the_board_acts_on(pages):
    page = read_page(pages["board"])
    text = " ".join(" ".join(page.text).split())
    first = text[:text.index("Exceptions: each unit once")]
    for words in ("1.8% of units meet the baseline: 1 of 56 units", "Target for FY2010/11: "
                  "80% (45 units). KPI NOT MET: 44 more units needed", "RED: Off target",
                  "The Board is asked to", "Units meeting the baseline: Camden (TP-EK)",
                  "Compliance by business group"):
        assert words in first, words
    exceptions = text[text.index("Exceptions: each unit once"):text.index("Appendix")]
    # a unit with an invalid return, unscored by both DCFAs, is one exception, not three
    assert exceptions.count("Westminster (TP-CW)") == 1
    for words in ("What", "Why it matters", "Action", "Owner", "By when"):
        assert words in exceptions
    assert "Amira Haddad" in text  # the Board pack names the DCFAs who own the scoring


def test_output_html_refused_where_there_is_no_page(qs, tmp_path):  # noqa: F811
    out = tmp_path / "cmp.html"
    result = runner.invoke(app, ["summary", *_args(qs), "--compare", "2010-11", "2011-12",
                                 "--output", str(out)])
    assert result.exit_code == 2
    assert "the comparison report can be written as .txt, .json, .csv, .xlsx;" in result.output
    assert not out.exists()


def test_a_hostile_marking_cannot_break_out_of_the_page(qs, tmp_path):  # noqa: F811
    out = tmp_path / "board.html"
    marking = 'OFFICIAL"; } </style><script>alert(1)</script>'
    result = runner.invoke(app, ["summary", *_args(qs), "--classification", marking,
                                 "--output", str(out)])
    assert result.exit_code == 1, result.output
    page = read_page(out)
    assert page.scripts == 0
    assert "&lt;script&gt;" in out.read_text(encoding="utf-8")  # shown as text, escaped


# -- the PDFs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs(qs, tmp_path_factory) -> dict[str, Path]:  # noqa: F811
    reason = pdf_tools_missing()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("pdf")
    made = {"board": out / "board.pdf", "public": out / "public.pdf"}
    for name, path in made.items():
        extra = ["--public"] if name == "public" else []
        result = runner.invoke(app, ["summary", *_args(qs), *extra, "--output", str(path)])
        assert result.exit_code == 1, result.output
    return made


def test_pdfs_are_tagged_a4_with_the_marking_and_page_x_of_y_on_every_page(pdfs):
    for name, path in pdfs.items():
        info = pdf_info(path)
        assert info["Tagged"] == "yes", name
        assert "(A4)" in info["Page size"], name
        assert info["Title"].startswith(("ESPS compliance", "Equality Standard")), name
        pages = pdf_pages(path)
        assert len(pages) == int(info["Pages"]) and len(pages) <= 12, (name, len(pages))
        for i, text in enumerate(pages, start=1):
            assert "OFFICIAL" in text, (name, i)
            assert f"Page {i} of {len(pages)}" in text, (name, i)


def test_board_pdf_first_page_is_the_one_to_act_on(pdfs):
    first, second = pdf_pages(pdfs["board"])[:2]
    flat = " ".join(first.split())
    for words in ("KPI NOT MET", "The Board is asked to", "Target 80%", "DECIDE",
                  "Compliance by business group"):
        assert words in flat, words
    assert "Exceptions: each unit once" in " ".join(second.split())


def test_public_pdf_has_nothing_of_the_advisors_or_the_office(pdfs):
    text = " ".join(" ".join(pdf_pages(pdfs["public"])).split())
    assert "Camden (TP-EK)" in text
    for term in [*_advisor_terms(), *INTERNAL]:
        assert not re.search(rf"\b{re.escape(term)}", text, re.IGNORECASE), term


def test_public_contact_is_checked_in_esps_toml(tmp_path):
    (tmp_path / "esps.toml").write_text('[esps]\npublic_contact = ""\n', encoding="utf-8")
    result = runner.invoke(app, ["summary", "--units", str(EXAMPLES_DIR / "units.csv")],
                           env={"ESPS_CONFIG": str(tmp_path / "esps.toml")})
    assert result.exit_code == 2 and "public_contact" in result.output


# -- a unit's feedback and action plan ------------------------------------------------------


@pytest.fixture(scope="module")
def unit_pages(qs, tmp_path_factory) -> Path:  # noqa: F811
    """Every unit's feedback and action plan page (--all)."""
    out = tmp_path_factory.mktemp("feedback")
    result = runner.invoke(app, ["feedback", "--all", *_args(qs), "--out", str(out),
                                 "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "Wrote 56 files" in result.output
    return out


def test_feedback_page_for_every_unit(unit_pages):
    pages = sorted(unit_pages.glob("feedback_*.html"))
    assert len(pages) == 56
    cw = read_page(unit_pages / "feedback_TP-CW_Westminster_2010-11.html")
    text = " ".join(" ".join(cw.text).split())
    assert cw.title == "ESPS feedback and action plan, FY2010/11: Westminster (TP-CW)"
    for words in ("Where the unit stands: The return is invalid", "What happens next",
                  "Provisional gaps (the assessment is not complete)",
                  "Action plan for FY2011/12: 42 gaps", "What to correct in the return: 114 "
                  "findings", "Amira Haddad (dcfa01)"):
        assert words in text, words
    plan = next(t for t in cw.tables if t.caption.startswith("Action plan"))
    assert [h for h, _, _ in plan.col_headers][-3:] == ["Action", "Owner", "Due date"]
    assert plan.rows == 42
    ek = " ".join(" ".join(read_page(unit_pages / "feedback_TP-EK_Camden_2010-11.html")
                           .text).split())
    assert "Where the unit stands: Meets the baseline" in ek
    gd = " ".join(" ".join(read_page(unit_pages / "feedback_TP-GD_Hackney_2010-11.html")
                           .text).split())
    assert "No return received for FY2010/11" in gd and "No return to check." in gd


def test_feedback_needs_one_unit_or_all(qs, tmp_path):  # noqa: F811
    for args in ([], ["TP-EK", "--all"]):
        result = runner.invoke(app, ["feedback", *args, *_args(qs), "--out", str(tmp_path)])
        assert result.exit_code == 2 and "name one unit" in result.output, args
    result = runner.invoke(app, ["feedback", "TP-EK", *_args(qs), "--out", str(tmp_path),
                                 "--format", "json"])  # a format, but not one of feedback's
    assert result.exit_code == 2 and "write xlsx, html or pdf" in result.output
    assert not list(tmp_path.iterdir())


def test_feedback_pdf_is_tagged_with_marking_on_every_page(qs, tmp_path):  # noqa: F811
    reason = pdf_tools_missing()
    if reason:
        pytest.skip(reason)
    result = runner.invoke(app, ["feedback", "TP-BS", *_args(qs), "--out", str(tmp_path),
                                 "--format", "pdf"])
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.pdf")
    assert pdf_info(path)["Tagged"] == "yes"
    pages = pdf_pages(path)
    for i, text in enumerate(pages, start=1):
        assert "OFFICIAL" in text and f"Page {i} of {len(pages)}" in text


# -- a unit's validation report ---------------------------------------------------------------


@pytest.fixture(scope="module")
def validation_page(qs, tmp_path_factory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("validation") / "westminster.html"
    result = runner.invoke(app, ["validate", str(qs["returns"] / "Westminster ESPS return v2"
                                                 ".xlsx"), "--output", str(out)])
    assert result.exit_code == 1, result.output  # the return is invalid
    return out


def test_validation_report_for_a_unit(validation_page):
    page = read_page(validation_page)
    text = " ".join(" ".join(page.text).split())
    assert page.title == "ESPS validation report: Westminster (TP-CW)"
    assert "Invalid: 114 error(s), 0 warning(s)" in text
    assert "Indicators meeting their evidence minimum: 12 of 54" in text
    findings = next(t for t in page.tables if t.caption.startswith("What to correct"))
    assert findings.rows == 114
    assert [h for h, _, _ in findings.col_headers][:4] == ["Where", "Indicator", "Severity",
                                                           "What is wrong"]
    assert "Cover!B13" in text  # each finding names its sheet and cell


def test_validate_output_must_be_a_report_format(qs, tmp_path):  # noqa: F811
    out = tmp_path / "report.docx"
    result = runner.invoke(app, ["validate", str(qs["returns"]), "--output", str(out)])
    assert result.exit_code == 2
    assert "can be written as .txt, .json, .csv, .xlsx, .html, .pdf;" in result.output
    assert not out.exists()


def test_hostile_text_in_a_unit_name_is_shown_as_plain_text(qs):  # noqa: F811
    from esps_cli.domain.framework import load_framework
    from esps_cli.domain.paths import default_framework_path
    from esps_cli.reports.editions.summary import summary_html
    from esps_cli.summary.compliance import SummaryReport

    result = runner.invoke(app, ["summary", *_args(qs), "--public", "--format", "json"])
    report = SummaryReport.model_validate_json(result.stdout[result.stdout.index("{"):])
    hostile = "Evil\x00\x1b[2J\x07 <script>alert(1)</script> & (TP-EK)"
    report.units[0] = report.units[0].model_copy(update={"unit_name": hostile})
    html = summary_html(report, load_framework(default_framework_path()),
                        classification="OFFICIAL", contact="<b>us</b>")
    assert "<script>" not in html and "<b>us</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in html
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
