"""Units and advisors lists: the examples, CSV and XLSX, and every bad-row case."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.errors import UnitsListError
from esps_cli.findings import catalogue
from esps_cli.working.lists import load_advisors, load_units

runner = CliRunner()
HEADER = "code,name,business_group,linked_dcfa\n"


def test_example_units_are_a_realistic_mps_list(units, advisors):
    groups = {u.business_group for u in units}
    assert {"TP", "SCD", "SO", "CO"} <= groups
    boroughs = [u for u in units if u.business_group == "TP" and u.code != "TP-RP"]
    assert len(boroughs) == 32
    assert any("Heathrow" in u.name for u in units)
    assert {u.linked_dcfa for u in units} <= {a.id for a in advisors}


def test_every_bad_row_reported_at_once(tmp_path, framework, advisors):
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER
        + "TP-A,Alpha,TP,dcfa01\n"
        + ",No Code,TP,dcfa01\n"
        + "TP-A,Alpha again,TP,dcfa01\n"
        + "TP-B,Bravo,Nowhere,dcfa01\n"
        + "TP-C,Charlie,TP,dcfa99\n"
        + "TP/../D,Delta,TP,dcfa01\n"
    )
    with pytest.raises(UnitsListError) as exc:
        load_units(path, framework, advisors)
    assert [(p.code, str(p)) for p in exc.value.problems] == [
        ("list-missing-value", "row 3: missing unit code"),
        ("list-duplicate", "row 4: duplicate unit code 'TP-A' (first at row 2)"),
        ("list-unknown-business-group",
         "row 5: unknown business group 'Nowhere' (known: TP, SCD, SO, CO, HR, DOI, DPA, DOR, "
         "DCFD)"),
        ("list-unknown-dcfa", "row 6: unknown linked DCFA 'dcfa99' (not in the advisors list)"),
        ("list-invalid-code",
         "row 7: unit code 'TP/../D' may hold only letters, digits, '-', '_' and '.'"),
    ]
    # The message names each problem's code; each code is in the catalogue (--list-codes).
    assert "  - row 3: missing unit code [list-missing-value]" in str(exc.value)
    codes = {c.code for c in catalogue()}
    assert all(p.code in codes for p in exc.value.problems)


def test_missing_column(tmp_path, framework, advisors):
    path = tmp_path / "units.csv"
    path.write_text("code,name,linked_dcfa\nTP-A,Alpha,dcfa01\n")
    with pytest.raises(UnitsListError) as exc:
        load_units(path, framework, advisors)
    (problem,) = exc.value.problems
    assert (problem.code, problem.row) == ("list-missing-column", 1)
    assert str(problem).startswith("row 1: missing column 'business_group'")


def test_units_from_xlsx_with_aliases_and_names(tmp_path, framework, advisors):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Unit Code", "Unit Name", "Business Group", "Linked DCFA"])
    ws.append(["TP-A", "Alpha", "Territorial Policing", advisors[0].name])
    ws.append([None, None, None, None])
    ws.append(["SO-B", "Bravo", "so", "DCFA02"])
    path = tmp_path / "units.xlsx"
    wb.save(path)
    units = load_units(path, framework, advisors)
    assert [(u.code, u.business_group, u.linked_dcfa, u.row) for u in units] == [
        ("TP-A", "TP", advisors[0].id, 2),
        ("SO-B", "SO", "dcfa02", 4),
    ]


def test_bad_advisors_list(tmp_path):
    path = tmp_path / "dcfas.csv"
    path.write_text("id,name\ndcfa01,Ann\ndcfa01,Bob\n,Carl\n")
    with pytest.raises(UnitsListError) as exc:
        load_advisors(path)
    assert [(p.code, p.row, p.message) for p in exc.value.problems] == [
        ("list-duplicate", 3, "duplicate advisor id 'dcfa01' (first at row 2)"),
        ("list-missing-value", 4, "missing advisor id"),
    ]


@pytest.mark.parametrize("text,words", [
    ("", "the file is empty"),
    (HEADER, "no units: the list has a header but no rows"),
])
def test_an_empty_units_list(tmp_path, framework, advisors, text, words):
    path = tmp_path / "units.csv"
    path.write_text(text)
    with pytest.raises(UnitsListError) as exc:
        load_units(path, framework, advisors)
    (problem,) = exc.value.problems
    assert (problem.code, problem.row) == ("list-empty", None)
    assert words in str(problem)


def test_generate_reports_bad_units_list_with_exit_2(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(HEADER + "TP-A,Alpha,TP,dcfa01\nTP-A,Dup,TP,dcfa01\nTP-B,B,XX,dcfa01\n")
    (tmp_path / "dcfas.csv").write_text((EXAMPLES_DIR / "dcfas.csv").read_text())
    result = runner.invoke(app, ["generate", str(units), "--out", str(tmp_path / "out"),
                                 "--cycle", "2010-11"])
    assert result.exit_code == 2
    assert "has 2 problem(s)" in result.output
    assert "row 3: duplicate unit code 'TP-A' (first at row 2) [list-duplicate]" in result.output
    assert "row 4: unknown business group 'XX'" in result.output
    assert "[list-unknown-business-group]" in result.output
    assert not (tmp_path / "out").exists()


def test_generate_without_advisors_list(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(HEADER + "TP-A,Alpha,TP,dcfa01\n")
    result = runner.invoke(app, ["generate", str(units), "--out", str(tmp_path / "out"),
                                 "--cycle", "2010-11"])
    assert result.exit_code == 2
    assert "advisors list" in result.output and "not found" in result.output


def test_non_list_file(tmp_path, framework, advisors):
    path = tmp_path / "units.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(Exception, match=r"must be \.csv or \.xlsx"):
        load_units(Path(path), framework, advisors)
