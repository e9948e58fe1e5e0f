"""`esps demo` and the sample returns it writes (issue 26): made from the packs the register
issued, so in a working folder they are valid and invalid in the documented ways, not all
pack-not-issued. The whole demo runs from the built wheel in tests/test_wheel.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.workbook.samples import SAMPLES, write_sample_returns

from .conftest import CYCLE

runner = CliRunner()

# What validation makes of each sample (README, "The bundled examples"), with the register.
DOCUMENTED = {
    "TP-EK_Camden_2010-11.xlsx": (True, True, []),
    "TP-BS_Kensington-Chelsea_2010-11.xlsx": (True, True, ["date-as-text", "number-as-text"]),
    "Westminster ESPS return v2.xlsx": (False, True, [
        "evidence-incomplete", "invalid-date", "missing-rating", "missing-signoff",
        "narrative-too-short", "required-type-missing", "too-few-evidence"]),
    "TP-FH_Hammersmith-Fulham_2010-11.xlsx": (False, True, ["indicator-changed",
                                                           "indicator-missing"]),
    "TP-RP_Royal-Parks-OCU_2010-11.xlsx": (False, False, ["unreadable-file"]),
    "TP-NI_Islington_2010-11.xlsx": (False, False, ["unreadable-file"]),
}


@pytest.fixture(scope="module")
def issued(tmp_path_factory, framework: Framework, units: list[Unit]) -> dict[str, Path]:
    """The sample units' packs generated with a register, and the samples made from them."""
    root = tmp_path_factory.mktemp("issued")
    register = root / "esps.db"
    only = [a for s in SAMPLES for a in ("--unit", s.unit)]
    done = runner.invoke(app, ["generate", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
                               "--register", str(register), "--out", str(root / "packs"),
                               "-j", "1", *only])
    assert done.exit_code == 0, done.output
    written = write_sample_returns(root / "packs", root / "returns", framework,
                                   framework.cycle(CYCLE), units)
    assert [(p.name, s.kind) for p, s in written] == [
        (name, kind) for name, kind in zip(DOCUMENTED, (
            "complete", "dates-as-text", "incomplete", "tampered", "truncated", "email"),
            strict=True)]
    return {"root": root, "register": register, "returns": root / "returns"}


def test_samples_made_from_issued_packs_validate_as_documented(issued):
    result = runner.invoke(app, ["validate", str(issued["returns"]), "--units",
                                 str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
                                 "--register", str(issued["register"]), "--format", "json",
                                 "-j", "1"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    status = {w["file"]: (w["valid"], w["readable"], sorted({f["code"] for f in w["findings"]}))
              for w in report["workbooks"]}
    assert status == DOCUMENTED


def test_the_bundled_samples_are_not_the_registers_packs(issued, tmp_path):
    """What issue 26 found: the repository's samples carry no pack id this register issued,
    so with it they are pack-not-issued; the samples esps demo makes are not (above)."""
    register = tmp_path / "esps.db"
    register.write_bytes(issued["register"].read_bytes())
    result = runner.invoke(app, ["validate", str(EXAMPLES_DIR / "returned" /
                                                 "TP-EK_Camden_2010-11.xlsx"),
                                 "--units", str(EXAMPLES_DIR / "units.csv"), "--cycle", CYCLE,
                                 "--register", str(register), "--format", "json"])
    assert result.exit_code == 1, result.output
    (workbook,) = json.loads(result.stdout)["workbooks"]
    assert workbook["valid"] is False
    assert "pack-not-issued" in [f["code"] for f in workbook["findings"]]


def test_a_sample_never_replaces_a_file_already_in_returns(issued, framework, units):
    camden = issued["returns"] / "TP-EK_Camden_2010-11.xlsx"
    before = camden.read_bytes()
    again = write_sample_returns(issued["root"] / "packs", issued["returns"], framework,
                                 framework.cycle(CYCLE), units)
    assert again == []
    assert camden.read_bytes() == before


def test_samples_for_units_not_on_the_list_are_left_out(tmp_path, issued, framework, units):
    camden_only = [u for u in units if u.code == "TP-EK"]
    written = write_sample_returns(issued["root"] / "packs", tmp_path / "returns", framework,
                                   framework.cycle(CYCLE), camden_only)
    assert [p.name for p, _ in written] == ["TP-EK_Camden_2010-11.xlsx"]


@pytest.mark.parametrize("existing", ["file", "folder with a file"])
def test_demo_refuses_a_folder_that_is_not_empty(tmp_path, existing):
    target = tmp_path / "demo"
    if existing == "file":
        target.write_text("mine", encoding="utf-8")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["demo", str(target)])
    assert result.exit_code == 2
    assert "is not an empty folder: give a new folder for the demo" in result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) in (["demo"], ["demo", "notes.txt"])
