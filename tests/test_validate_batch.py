"""`esps validate` on folders: the units list, batch findings, lock files and other files, the
outputs (text, JSON, CSV, report workbook), exit codes, the code catalogue and the README, and
the sample returns in examples/returned."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR, PROJECT_ROOT
from esps_cli.domain.units import Unit
from esps_cli.findings import catalogue
from esps_cli.reports.validation import codes_markdown
from esps_cli.validation.batch import validate_paths
from esps_cli.workbook.generate import workbook_filename
from esps_cli.workbook.samples import fill_file

from .conftest import CYCLE

runner = CliRunner()
UNITS_CSV = EXAMPLES_DIR / "units.csv"


@pytest.fixture(autouse=True)
def _no_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def filled(tmp_path_factory, pristine_pack: Path, units: list[Unit],
           framework: Framework) -> dict[str, Path]:
    """Complete returns for the first three example units, and an incomplete one for the
    fourth (module-wide: copy before editing)."""
    folder = tmp_path_factory.mktemp("filled")
    cycle = framework.cycle(CYCLE)
    out = {}
    for i, unit in enumerate(units[:4]):
        path = folder / workbook_filename(unit, cycle)
        shutil.copy(pristine_pack / path.name, path)
        fill_file(path, framework, "complete" if i < 3 else "incomplete")
        out[unit.code] = path
    return out


@pytest.fixture
def returns(tmp_path: Path, filled: dict[str, Path]) -> Path:
    folder = tmp_path / "returns"
    folder.mkdir()
    for path in filled.values():
        shutil.copy(path, folder / path.name)
    return folder


def small_units_list(tmp_path: Path, units: list[Unit]) -> Path:
    """A units list of the first two example units and the fifth (which has not returned)."""
    path = tmp_path / "units.csv"
    rows = ["code,name,business_group,linked_dcfa"]
    rows += [f"{u.code},{u.name},{u.business_group},{u.linked_dcfa}"
             for u in (units[0], units[1], units[4])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", tmp_path / "dcfas.csv")
    return path


def invoke(*args: str):
    result = runner.invoke(app, ["validate", *args])
    assert "Traceback" not in result.output
    return result


# -- the units list -----------------------------------------------------------------------


def test_units_list_not_returned_duplicate_and_not_on_list(returns, tmp_path, units, framework):
    shutil.copy(returns / next(returns.glob("TP-CW*")).name, returns / "Westminster final.xlsx")
    units_csv = small_units_list(tmp_path, units)
    result = invoke(str(returns), "--units", str(units_csv), "--format", "json", "-j", "1")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    by_code: dict[str, list[dict]] = {}
    for f in data["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    # the fifth unit has not returned
    (missing,) = by_code["unit-not-returned"]
    assert units[4].code in missing["message"] and missing["file"] == ""
    assert [u["code"] for u in data["not_returned"]] == [units[4].code]
    # two returns for TP-CW: both reported, neither chosen
    assert sorted(f["file"] for f in by_code["duplicate-return"]) == [
        "TP-CW_Westminster_2010-11.xlsx", "Westminster final.xlsx"]
    # units[2] and units[3] returned but are not on this list
    assert sorted(f["file"] for f in by_code["unit-not-on-list"]) == sorted(
        p.name for p in returns.glob("*.xlsx")
        if p.name.startswith((units[2].code, units[3].code)))
    totals = data["totals"]
    assert (totals["units_expected"], totals["units_returned"], totals["units_not_returned"]) \
        == (3, 2, 1)
    assert totals["duplicate_returns"] == 1 and totals["not_on_list"] == 2
    # the library agrees, and picks no return for the duplicated unit
    lib = validate_paths([returns], framework, units=[units[0], units[1], units[4]], jobs=1)
    assert lib.model_dump(mode="json") == data
    assert set(lib.returns_by_unit()) == {units[1].code, units[2].code, units[3].code}


def test_all_valid_and_all_returned_exits_0(returns, tmp_path, units, filled):
    (returns / filled[units[3].code].name).unlink()  # the incomplete one
    units_csv = tmp_path / "units.csv"
    units_csv.write_text("code,name,business_group,linked_dcfa\n" + "".join(
        f"{u.code},{u.name},{u.business_group},{u.linked_dcfa}\n" for u in units[:3]))
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", tmp_path / "dcfas.csv")
    result = invoke(str(returns), "--units", str(units_csv))
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout and "3 of 3 units returned" in result.stdout


# -- a batch never stops -------------------------------------------------------------------


def test_lock_files_skipped_other_files_ignored_and_bad_files_do_not_stop_the_batch(
    returns, framework
):
    (returns / "~$TP-CW_Westminster_2010-11.xlsx").write_bytes(b"\x00" * 165)
    (returns / ".~lock.TP-CW_Westminster_2010-11.xlsx#").write_text("lock")
    (returns / "covering note.docx").write_bytes(b"PK\x03\x04")
    (returns / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    (returns / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    before = {p.name: p.read_bytes() for p in returns.iterdir()}
    result = invoke(str(returns), "--format", "json", "-j", "1")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    files = [w["file"] for w in data["workbooks"]]
    assert files == sorted(files, key=str.casefold)
    assert "broken.xlsx" in files and "old.xls" in files  # checked, as unreadable
    by_file = {w["file"]: w for w in data["workbooks"]}
    assert [f["code"] for f in by_file["broken.xlsx"]["findings"]] == ["unreadable-file"]
    assert "legacy Excel" in by_file["old.xls"]["findings"][0]["message"]
    assert sum(w["valid"] for w in data["workbooks"]) == 3  # the good ones still checked
    skipped = {Path(s["path"]).name: s["kind"] for s in data["skipped"]}
    assert skipped == {"~$TP-CW_Westminster_2010-11.xlsx": "lock",
                       ".~lock.TP-CW_Westminster_2010-11.xlsx#": "lock",
                       "covering note.docx": "ignored"}
    assert {p.name: p.read_bytes() for p in returns.iterdir()} == before
    text = invoke(str(returns), "-j", "1")
    assert "Skipped lock files (2)" in text.stdout
    assert "covering note.docx: not a spreadsheet file (.docx)" in text.stdout


def test_parallel_batch_equals_serial(returns, filled, framework):
    for i in range(8):  # enough files for the process pool
        shutil.copy(filled[next(iter(filled))], returns / f"copy{i}.xlsx")
    serial = validate_paths([returns], framework, jobs=1)
    progress: list[tuple[int, int]] = []
    parallel = validate_paths([returns], framework, jobs=2,
                              on_progress=lambda done, total: progress.append((done, total)))
    assert parallel == serial
    assert progress[-1] == (12, 12)


def test_recursive_and_glob(returns, filled, framework):
    sub = returns / "late"
    sub.mkdir()
    shutil.copy(next(iter(filled.values())), sub / "Camden late.xlsx")
    flat = validate_paths([returns], framework, jobs=1)
    deep = validate_paths([returns], framework, recursive=True, jobs=1)
    assert len(deep.workbooks) == len(flat.workbooks) + 1
    assert "late/Camden late.xlsx" in [w.file for w in deep.workbooks]
    globbed = invoke(str(returns / "TP-C*.xlsx"), "--format", "json")
    assert [w["file"] for w in json.loads(globbed.stdout)["workbooks"]] == [
        "TP-CW_Westminster_2010-11.xlsx"]


# -- outputs ---------------------------------------------------------------------------------


def test_report_workbook_and_refusing_to_overwrite(returns, tmp_path, units):
    units_csv = small_units_list(tmp_path, units)
    out = tmp_path / "validation.xlsx"
    result = invoke(str(returns), "--units", str(units_csv), "--output", str(out))
    assert result.exit_code == 1 and out.exists()
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["Summary", "Findings"]
    summary, findings = wb["Summary"], wb["Findings"]
    assert summary.auto_filter.ref and findings.auto_filter.ref
    assert findings.column_dimensions["H"].width == 50  # message, wrapped to print
    header = [c.value for c in summary[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True))
            for row in summary.iter_rows(min_row=2)]
    assert {r["Status"] for r in rows if r["Unit code"] == units[4].code} == {"not returned"}
    assert any(r["Status"] == "valid" for r in rows)
    n_findings = sum(1 for _ in findings.iter_rows(min_row=2))
    data = json.loads(invoke(str(returns), "--units", str(units_csv), "--format", "json").stdout)
    assert n_findings == len(data["findings"]) + sum(len(w["findings"])
                                                     for w in data["workbooks"])
    # refuses to overwrite without --force (exit 2), and leaves the file alone
    before = out.read_bytes()
    again = invoke(str(returns), "--output", str(out))
    assert again.exit_code == 2 and "--force" in again.output
    assert out.read_bytes() == before
    assert invoke(str(returns), "--output", str(out), "--force").exit_code == 1
    # the report is never validated as a return, even when written into the folder
    inside = returns / "validation.xlsx"
    invoke(str(returns), "--output", str(inside))
    data = json.loads(invoke(str(returns), "--format", "json").stdout)
    assert "validation.xlsx" in [w["file"] for w in data["workbooks"]]  # (not excluded now)
    data = json.loads(invoke(str(returns), "--format", "json", "--output", str(inside),
                             "--force").stdout)
    assert "validation.xlsx" not in [w["file"] for w in data["workbooks"]]


def test_csv_has_one_row_per_finding_and_errors_only(returns):
    data = json.loads(invoke(str(returns), "--format", "json").stdout)
    all_findings = [f for w in data["workbooks"] for f in w["findings"]] + data["findings"]
    rows = list(csv.DictReader(io.StringIO(invoke(str(returns), "--format", "csv").stdout)))
    assert len(rows) == len(all_findings) > 0
    assert set(rows[0]) == {"file", "unit_code", "severity", "code", "sheet", "cell",
                            "indicator_id", "message", "hint"}
    errors = list(csv.DictReader(io.StringIO(
        invoke(str(returns), "--format", "csv", "--errors-only").stdout)))
    assert len(errors) == sum(f["severity"] == "error" for f in all_findings)


def test_text_output_groups_findings_by_file_with_cells_and_hints(returns):
    result = invoke(str(returns))
    assert result.exit_code == 1
    out = result.stdout
    assert "TP-CW_Westminster_2010-11.xlsx (TP-CW Westminster, 2010-11): VALID" in out
    assert re.search(r"INVALID, \d+ error\(s\)", out)
    assert "Cover!B13" in out and "[missing-signoff]" in out
    assert "How to fix:" in out and "Returns" in out and "PROBLEMS FOUND" in out


# -- usage errors: exit 2 ----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["does-not-exist/"],
    ["{returns}", "--output", "report.docx"],  # a format the validation report does not have
    ["{returns}", "--as-of", "yesterday"],
    ["{returns}", "--cycle", "1999-00"],
    ["{returns}", "--units", "missing.csv"],
    [],
])
def test_usage_errors_exit_2(returns, args):
    result = invoke(*[a.format(returns=returns) for a in args])
    assert result.exit_code == 2, result.output


def test_default_paths_and_units_from_esps_toml(tmp_path, returns, units):
    small_units_list(tmp_path, units)
    (tmp_path / "esps.toml").write_text(
        '[esps]\nunits = "units.csv"\nadvisors = "dcfas.csv"\nreturns = "returns"\n')
    data = json.loads(invoke("--format", "json").stdout)
    assert len(data["workbooks"]) == 4 and data["totals"]["units_expected"] == 3
    # a file named on the command line is checked without the list
    one = json.loads(invoke(str(next(returns.glob("TP-CW*"))), "--format", "json").stdout)
    assert one["findings"] == [] and one["totals"]["units_expected"] is None


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(str(tmp_path / "empty"))
    assert result.exit_code == 2 and "No workbooks found" in result.output
    assert "Traceback" not in result.output


# -- the code catalogue ---------------------------------------------------------------------


def test_every_code_is_kebab_case_with_a_hint():
    codes = catalogue()
    assert len(codes) == len({c.code for c in codes})
    for c in codes:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", c.code), c.code
        assert c.title and c.hint and c.severity in ("error", "warning")


def test_list_codes_prints_the_catalogue():
    result = invoke("--list-codes", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [c.model_dump() for c in catalogue()]
    text = invoke("--list-codes")
    for c in catalogue():
        assert c.code in text.stdout


def test_readme_documents_every_code():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Finding codes", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `([a-z-]+)` \| (error|warning) \|", section, re.M))
    assert documented == {c.code: c.severity for c in catalogue()}
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == codes_markdown(), (
        "README.md's table of codes is out of date: replace it with the output of "
        "python -c 'from esps_cli.reports.validation import codes_markdown; "
        "print(codes_markdown())'")


# -- the bundled sample returns ------------------------------------------------------------


def test_examples_returned_validate_as_documented(framework, units):
    """examples/returned is made by examples/make_returns.py; if the layout changes, run it
    again (this test says so by failing)."""
    report = validate_paths([EXAMPLES_DIR / "returned"], framework, units=units, jobs=1)
    status = {w.file: (w.valid, w.readable, sorted({f.code for f in w.findings}))
              for w in report.workbooks}
    assert status == {
        "TP-EK_Camden_2010-11.xlsx": (True, True, []),
        "TP-BS_Kensington-Chelsea_2010-11.xlsx": (True, True, ["date-as-text",
                                                               "number-as-text"]),
        "Westminster ESPS return v2.xlsx": (False, True, [
            "evidence-incomplete", "invalid-date", "missing-rating", "missing-signoff",
            "narrative-too-short", "required-type-missing", "too-few-evidence"]),
        "TP-FH_Hammersmith-Fulham_2010-11.xlsx": (False, True, ["indicator-changed",
                                                               "indicator-missing"]),
        "TP-RP_Royal-Parks-OCU_2010-11.xlsx": (False, False, ["unreadable-file"]),
        "TP-NI_Islington_2010-11.xlsx": (False, False, ["unreadable-file"]),
    }, "examples/returned is out of date: run python examples/make_returns.py"
    assert [Path(s.path).name for s in report.skipped] == ["README.txt"]
    # The two unreadable files are their units' returns (named CODE_Name_CYCLE.xlsx).
    assert report.totals.units_returned == 6


def test_a_file_whose_check_fails_is_a_check_failed_finding():
    """What validate_paths records for a file whose check raised or whose process died (see
    test_batch for the parallel map that calls it)."""
    from esps_cli.validation.batch import failed_job

    report = failed_job(("/returns/Camden.xlsx", "Camden.xlsx"), "MemoryError")
    (finding,) = report.findings
    assert (finding.code, finding.severity, finding.file) == ("check-failed", "error",
                                                             "Camden.xlsx")
    assert "MemoryError" in finding.message and not report.valid and report.errors == 1
