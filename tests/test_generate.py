"""`esps generate`: workbooks for every example unit, reopened and checked as Excel sees them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.errors import OutputExistsError
from esps_cli.workbook.generate import generate_workbooks, workbook_filename
from esps_cli.workbook.layout import (
    EVIDENCE,
    INDICATORS,
    LIST_NAMES,
    META_KEYS,
    SHEET_META,
    VISIBLE_SHEETS,
    expected_indicator_hashes,
    indicator_hash,
    workbook_fingerprint,
)
from esps_cli.workbook.reader import read_workbook

from .conftest import CYCLE

runner = CliRunner()


def _validation_for(ws, cell: str):
    for dv in ws.data_validations.dataValidation:
        if cell in dv.sqref:
            return dv
    return None


def _list_values(wb, defined_name: str) -> list[str]:
    dn = wb.defined_names[defined_name]
    ((sheet, ref),) = list(dn.destinations)
    return [row[0].value for row in wb[sheet][ref.replace("$", "")]]


def test_one_workbook_per_example_unit(pristine_pack: Path, units: list[Unit], framework):
    files = sorted(p.name for p in pristine_pack.glob("*.xlsx"))
    cycle = framework.cycle(CYCLE)
    assert files == sorted(workbook_filename(u, cycle) for u in units)
    assert len(files) == len(units)
    # every workbook reads back as its own unit with no structural findings
    for unit in units:
        wb = read_workbook(pristine_pack / workbook_filename(unit, cycle))
        assert wb.findings == []
        assert wb.meta["unit_code"] == unit.code
        assert wb.meta["unit_name"] == unit.name
        assert wb.meta["linked_dcfa"] == unit.linked_dcfa
        assert wb.cover["unit_code"].value == unit.code
        assert wb.legacy_scores is None


def test_workbook_structure_as_excel_sees_it(pristine_pack, units, framework, advisors):
    cycle = framework.cycle(CYCLE)
    unit = next(u for u in units if "&" in u.name)
    path = pristine_pack / workbook_filename(unit, cycle)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*VISIBLE_SHEETS, SHEET_META]
    assert wb[SHEET_META].sheet_state == "veryHidden"
    assert all(wb[name].sheet_state == "visible" for name in VISIBLE_SHEETS)
    assert wb.security.lockStructure
    assert wb.properties.title == f"ESPS self-assessment: {unit.name} ({cycle.name})"

    cover = wb["Cover"]
    assert cover.protection.sheet
    assert cover["B4"].value == unit.code and cover["B4"].protection.locked
    assert cover["A10"].value == "Completed by (name)"
    assert cover["B10"].protection.locked is False
    assert cover["B9"].number_format == "DD/MM/YYYY"
    assert _validation_for(cover, "B12").type == "date"

    ind = wb["Indicators"]
    ids = [ind.cell(row=r, column=1).value for r in range(5, 5 + len(framework.indicators))]
    expected = [i.id for i in framework.cycle_indicators(cycle)]
    assert ids[: len(expected)] == expected
    assert [c.value for c in ind[INDICATORS.header_row]] == list(INDICATORS.headers)
    assert ind.freeze_panes == "B5"
    rating = ind.cell(row=5, column=8)
    assert rating.protection.locked is False
    assert ind.cell(row=5, column=4).protection.locked is True
    dv = _validation_for(ind, "H5")
    assert dv.type == "list" and dv.formula1 == f"={LIST_NAMES['ratings']}"
    assert _list_values(wb, LIST_NAMES["ratings"]) == [1, 2, 3, 4, "N/A"]
    # printed at a readable 75% across pages (never shrunk to one page wide), IDs repeated
    assert ind.page_setup.scale == 75 and not ind.sheet_properties.pageSetUpPr.fitToPage
    assert ind.print_title_cols == "$A:$A"
    assert ind.oddHeader.center.text == "&BOFFICIAL&B"
    assert ind.oddFooter.right.text == "Page &P of &N"

    ev = wb["Evidence"]
    assert [c.value for c in ev[EVIDENCE.header_row]] == list(EVIDENCE.headers)
    last = EVIDENCE.first_data_row + EVIDENCE.input_rows - 1
    assert ev.cell(row=last, column=2).protection.locked is False
    assert _validation_for(ev, f"A{last}").formula1 == f"={LIST_NAMES['indicator_ids']}"
    assert _validation_for(ev, "D5").formula1 == f"={LIST_NAMES['evidence_types']}"
    assert _validation_for(ev, "F5").type == "date"
    assert ev.protection.insertRows is False  # inserting rows is allowed
    assert _list_values(wb, LIST_NAMES["indicator_ids"]) == expected
    assert _list_values(wb, LIST_NAMES["evidence_types"]) == [
        t.label for t in framework.evidence_types
    ]

    # The unit's workbook is the unit's: no sheet for the assessors' scores (issue 10).
    assert "DCFA Assessment" not in wb.sheetnames
    assert wb.sheetnames == ["Cover", "Guidance", "Indicators", "Evidence", SHEET_META]


def test_hidden_metadata_and_fingerprint(pristine_pack, units, framework):
    cycle = framework.cycle(CYCLE)
    unit = units[0]
    wb = read_workbook(pristine_pack / workbook_filename(unit, cycle))
    assert set(wb.meta) == set(META_KEYS)
    assert wb.meta["framework_id"] == framework.meta.id
    assert wb.meta["framework_version"] == framework.meta.version
    assert wb.meta["cycle"] == CYCLE
    assert wb.meta["generator"].startswith("esps-cli ")
    expected = expected_indicator_hashes(framework, framework.cycle_indicators(cycle))
    assert wb.meta_indicator_hashes == expected
    assert wb.meta["fingerprint"] == workbook_fingerprint(expected)
    # the stored hash is the hash of what the Indicators sheet actually shows
    first = wb.indicators.rows[0]
    assert indicator_hash(first.values) == expected[0][1]


def test_fingerprint_changes_with_wording(framework):
    cycle = framework.cycle(CYCLE)
    hashes = expected_indicator_hashes(framework, framework.cycle_indicators(cycle))
    changed = [(hashes[0][0], "0" * 16), *hashes[1:]]
    assert workbook_fingerprint(changed) != workbook_fingerprint(hashes)


def test_awkward_unit_names_stay_inside_out_dir(tmp_path, framework, advisors):
    cycle = framework.cycle(CYCLE)
    awkward = [
        Unit(code="TP-X", name="../../etc/passwd", business_group="TP", linked_dcfa="dcfa01"),
        Unit(code="CON", name="", business_group="TP", linked_dcfa="dcfa01"),
        Unit(code="TP-Y", name="Ealing\x07 / <Acton> & \"Southall\"", business_group="TP",
             linked_dcfa="dcfa01"),
    ]
    out = tmp_path / "out"
    result = generate_workbooks(framework, awkward, advisors, out, cycle, jobs=1)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "CON_2010-11.xlsx",
        "TP-X_etc-passwd_2010-11.xlsx",
        "TP-Y_Ealing-Acton-Southall_2010-11.xlsx",
    ]
    assert all(p.parent == out.resolve() for p in result.written)
    wb = read_workbook(out / "TP-Y_Ealing-Acton-Southall_2010-11.xlsx")
    assert wb.findings == []
    assert wb.meta["unit_name"] == 'Ealing / <Acton> & "Southall"'  # control character dropped
    assert wb.cover["unit_name"].value == 'Ealing / <Acton> & "Southall"'


def test_refuses_to_overwrite_without_force(tmp_path, framework, advisors, units):
    cycle = framework.cycle(CYCLE)
    out = tmp_path / "out"
    generate_workbooks(framework, units[:2], advisors, out, cycle, jobs=1)
    target = out / workbook_filename(units[0], cycle)
    target.write_bytes(b"user's own edits")
    with pytest.raises(OutputExistsError, match="2 workbook\\(s\\) already exist"):
        generate_workbooks(framework, units[:3], advisors, out, cycle, jobs=1)
    assert target.read_bytes() == b"user's own edits"
    assert not (out / workbook_filename(units[2], cycle)).exists()  # nothing written at all
    generate_workbooks(framework, units[:3], advisors, out, cycle, jobs=1, force=True)
    assert read_workbook(target).findings == []
    assert not list(out.glob(".*.tmp"))


def test_parallel_generation_matches_serial(tmp_path, framework, advisors, units):
    cycle = framework.cycle(CYCLE)
    result = generate_workbooks(framework, units, advisors, tmp_path / "p", cycle, jobs=2)
    assert len(result.written) == len(units)
    for unit in units[:5]:
        wb = read_workbook(tmp_path / "p" / workbook_filename(unit, cycle))
        assert wb.findings == [] and wb.meta["unit_code"] == unit.code


def test_generate_cli_end_to_end(tmp_path):
    out = tmp_path / "packs"
    args = ["generate", str(EXAMPLES_DIR / "units.csv"), "--out", str(out), "--cycle", CYCLE,
            "--unit", "TP-EK", "--unit", "so-heathrow"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Wrote 2 workbook(s) for FY2010/11" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "SO-HEATHROW_Heathrow-Aviation-Security_2010-11.xlsx",
        "TP-EK_Camden_2010-11.xlsx",
    ]
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "already exist" in again.output and "--force" in again.output
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0


def test_generate_cli_bad_arguments(tmp_path):
    units = str(EXAMPLES_DIR / "units.csv")
    unknown_unit = runner.invoke(app, ["generate", units, "--out", str(tmp_path), "-u", "ZZ",
                                        "-c", "2010-11"])
    assert unknown_unit.exit_code == 2
    assert "unknown unit code(s): ZZ" in unknown_unit.output
    bad_cycle = runner.invoke(app, ["generate", units, "--out", str(tmp_path), "-c", "1999-00"])
    assert bad_cycle.exit_code == 2
    assert "unknown cycle '1999-00'" in bad_cycle.output
    missing = runner.invoke(app, ["generate", str(tmp_path / "none.csv"), "--out", str(tmp_path),
                                    "-c", "2010-11"])
    assert missing.exit_code == 2
    assert "file not found" in missing.output


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).output.strip() == "esps-cli 0.1.0"
    for command in (["generate"], ["init"], ["framework", "check"], ["framework", "show"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_init_creates_a_working_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cycle"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "dcfas.csv", "esps.toml", "framework.yaml", "packs", "returns", "units.csv",
    ]
    monkeypatch.chdir(folder)
    generated = runner.invoke(app, ["generate"])
    assert generated.exit_code == 0, generated.output
    assert len(list((folder / "packs").glob("*.xlsx"))) == len(
        (EXAMPLES_DIR / "units.csv").read_text().strip().splitlines()
    ) - 1
    assert "FY2010/11" in generated.output  # the cycle from esps.toml
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 2 and "already exists" in again.output
