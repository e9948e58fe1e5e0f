"""The working folder (issue 16): esps.toml is found from any folder below it, as git finds
.git; outside one, a command that needs a cycle or a register says so and how to make one,
and creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.config import find_config, load_settings
from esps_cli.domain.paths import EXAMPLES_DIR

runner = CliRunner()
UNITS = str(EXAMPLES_DIR / "units.csv")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    monkeypatch.delenv("ESPS_REGISTER", raising=False)


@pytest.fixture
def working(tmp_path: Path) -> Path:
    folder = tmp_path / "cycle-2010"
    result = runner.invoke(app, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_esps_toml_is_found_from_a_folder_below(working: Path, monkeypatch: pytest.MonkeyPatch):
    deep = working / "returns" / "late" / "week 2"
    deep.mkdir(parents=True)
    assert find_config(deep) == working.absolute() / "esps.toml"
    monkeypatch.chdir(deep)
    settings = load_settings()
    assert settings.cycle == "2010-11"
    assert Path(str(settings.register_path)) == working.absolute() / "esps.db"
    # a command run down there records in the working folder's register
    result = runner.invoke(app, ["allocate", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert (working / "esps.db").is_file() and not (deep / "esps.db").exists()


def test_the_nearest_esps_toml_wins(working: Path):
    inner = working / "trial"
    inner.mkdir()
    (inner / "esps.toml").write_text('[esps]\ncycle = "2011-12"\n', encoding="utf-8")
    (inner / "returns").mkdir()
    assert find_config(inner / "returns") == inner.absolute() / "esps.toml"
    assert find_config(working / "returns") == working.absolute() / "esps.toml"


def test_outside_a_working_folder_no_register_is_created(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["allocate", "--units", UNITS, "--cycle", "2010-11"])
    assert result.exit_code == 2
    assert "no score register: pass --register FILE" in result.output
    assert "no esps.toml here or in any folder above; `esps init FOLDER` creates one" in (
        result.output)
    assert list(tmp_path.iterdir()) == []  # no ./esps.db
    agreement = runner.invoke(app, ["score", "agreement", "--units", UNITS, "--cycle", "2010-11"])
    assert agreement.exit_code == 2 and "no score register" in agreement.output


def test_outside_a_working_folder_no_cycle_is_guessed(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["generate", UNITS, "--out", str(tmp_path / "packs")])
    assert result.exit_code == 2
    assert "no assessment cycle: pass --cycle (e.g. --cycle 2010-11)" in result.output
    assert "`esps init FOLDER` creates one" in result.output
    assert not (tmp_path / "packs").exists()
    given = runner.invoke(app, ["generate", UNITS, "--out", str(tmp_path / "packs"),
                                "--cycle", "2010-11", "-u", "TP-EK"])
    assert given.exit_code == 0, given.output


def test_a_working_folder_without_a_cycle_names_its_esps_toml(working: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    toml = working / "esps.toml"
    toml.write_text("\n".join(line for line in toml.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("cycle")) + "\n", encoding="utf-8")
    monkeypatch.chdir(working)
    result = runner.invoke(app, ["generate", "--unit", "TP-EK"])
    assert result.exit_code == 2
    assert f"no assessment cycle: pass --cycle (e.g. --cycle 2010-11), or set `cycle` in {toml}" \
        in result.output.replace("\n", "")


def test_validate_and_summary_read_folders_alike(tmp_path: Path):
    import json

    returns = tmp_path / "returns"
    (returns / "late").mkdir(parents=True)
    name = "TP-EK_Camden_2010-11.xlsx"
    (returns / "late" / name).write_bytes((EXAMPLES_DIR / "returned" / name).read_bytes())
    (returns / "TP-CW_Westminster_2010-11.xlsx").write_bytes(
        (EXAMPLES_DIR / "returned" / "Westminster ESPS return v2.xlsx").read_bytes())
    common = ["--units", UNITS, "--format", "json"]
    summary = ["summary", "--returns", str(returns), "--cycle", "2010-11", "--register",
               str(tmp_path / "esps.db"), *common]
    for extra, seen in (([], {"TP-CW"}), (["--recursive"], {"TP-CW", "TP-EK"})):
        validated = json.loads(runner.invoke(app, ["validate", str(returns), *common,
                                                   *extra]).stdout)
        assert {wb["unit_code"] for wb in validated["workbooks"]} == seen
        summarised = json.loads(runner.invoke(app, [*summary, *extra]).stdout)
        assert {u["unit_code"] for u in summarised["units"] if u["returned"]} == seen
