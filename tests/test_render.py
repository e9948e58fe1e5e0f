"""The renderer table (reports/render.py): every report's writers by format, one rule for
--output (its suffix) and --format (standard output), and a clear error naming the formats a
report has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.cli.common import EXIT_USAGE
from esps_cli.findings import catalogue
from esps_cli.io.output import Format
from esps_cli.reports import render
from esps_cli.reports.render import Destination

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_entry_names_a_writer() -> None:
    for report, writers in render.WRITERS.items():
        assert writers, report
        for fmt, entry in writers.items():
            assert callable(render.writer_of(entry)), (report, fmt, entry)


def test_format_a_report_lacks_is_refused_with_the_formats_it_has() -> None:
    result = runner.invoke(app, ["framework", "show", "--format", "csv"])
    assert result.exit_code == EXIT_USAGE
    assert flat(result.stderr) == ("error: --format csv: the framework report has no csv "
                                   "writer; it can be written as text, json")


def test_a_file_format_on_standard_output_needs_output() -> None:
    result = runner.invoke(app, ["validate", "--list-codes", "--format", "xlsx"])
    assert result.exit_code == EXIT_USAGE
    assert flat(result.stderr) == "error: --format xlsx needs --output FILE"


@pytest.mark.parametrize(("name", "fmt"), [("codes.json", Format.json), ("c.CSV", Format.csv),
                                           ("codes.txt", Format.text)])
def test_output_suffix_names_the_format(name: str, fmt: Format) -> None:
    assert render.output_format("codes", Path(name)) is fmt


def test_output_suffix_the_report_lacks_lists_the_suffixes_it_has() -> None:
    with pytest.raises(Exception) as caught:
        render.output_format("codes", Path("codes.pdf"))
    assert str(caught.value) == ("--output codes.pdf: the codes report can be written as "
                                 ".txt, .json, .csv; end the file name with one of them")


def test_a_file_gets_what_standard_output_gets(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["validate", "--list-codes", "--format", "json"])
    render.write_file("codes", catalogue(), tmp_path / "codes.json")
    assert (tmp_path / "codes.json").read_text(encoding="utf-8") == shown.stdout
    assert json.loads(shown.stdout)[0]["code"] == catalogue()[0].code


def test_text_to_a_file_is_plain(tmp_path: Path) -> None:
    render.write_file("codes", catalogue(), tmp_path / "codes.txt")
    text = (tmp_path / "codes.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert catalogue()[0].code in text


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    (tmp_path / "codes.csv").write_text("keep", encoding="utf-8")
    with pytest.raises(Exception, match="already exists"):
        render.check_output("codes", tmp_path / "codes.csv", force=False)
    render.write_file("codes", catalogue(), tmp_path / "codes.csv", force=True)
    assert (tmp_path / "codes.csv").read_text(encoding="utf-8").startswith("code,severity,")


def codes_html(codes: list[Any], dest: Destination, **_: Any) -> None:
    """A writer as a later issue adds one: a function and a line in WRITERS."""
    dest.write_text("<ul>" + "".join(f"<li>{c.code}</li>" for c in codes) + "</ul>\n")


def test_a_new_writer_is_one_function_and_one_line(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setitem(render.WRITERS, "codes",
                        {**render.WRITERS["codes"], Format.html: "tests.test_render:codes_html"})
    result = runner.invoke(app, ["validate", "--list-codes", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"<ul><li>{catalogue()[0].code}</li>")
    render.write_file("codes", catalogue(), tmp_path / "codes.html")
    assert (tmp_path / "codes.html").read_text(encoding="utf-8") == result.stdout
