"""Start-up stays fast: `esps --version`, `esps --help` and a one-file `esps validate` import
only what they use (issue 16). Measured in a fresh interpreter with -X importtime, which
lists every module imported; the times themselves are in benchmarks/bench_startup.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("openpyxl", "python_calamine", "esps_cli.summary", "esps_cli.scoring")


def imported_modules(*argv: str, cwd: Path | None = None
                     ) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run `esps ARGV` in a fresh interpreter; the modules it imported, and the result."""
    code = (f"import sys; sys.argv = ['esps', *{list(argv)!r}]\n"
            "from esps_cli.cli.app import main\n"
            "main()")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, timeout=120, cwd=cwd)
    modules = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:")}
    return modules, done


def heavy(modules: set[str], names: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names or m.startswith(names))


# Nothing of the library's: no models, no YAML, no readers or writers.
LIBRARY = (*HEAVY, "yaml", "esps_cli.domain", "esps_cli.validation", "esps_cli.workbook",
           "esps_cli.reports", "esps_cli.register", "psycopg", "sqlite3")


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_nothing_heavy(argv: list[str]) -> None:
    modules, done = imported_modules(*argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "esps_cli.cli.app" in modules  # the measurement saw the app being imported
    assert heavy(modules, (*LIBRARY, "pydantic")) == []


@pytest.mark.parametrize("argv", [["validate", "--help"], ["score", "export", "--help"],
                                  ["summary", "--help"], ["generate", "--help"],
                                  ["register", "check", "--help"]])
def test_command_help_imports_none_of_the_library(argv: list[str]) -> None:
    # typer itself imports pydantic to check a command's parameters, so only ours are counted
    modules, done = imported_modules(*argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert heavy(modules, LIBRARY) == []


def test_one_file_validate_imports_only_validation(blank_workbook: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Run where no esps.toml is found, with a cache folder of its own: the first run checks
    # the framework file (and caches it), the second reads it from the cache.
    monkeypatch.setenv("ESPS_CACHE_DIR", str(tmp_path / "cache"))
    first, done = imported_modules("validate", str(blank_workbook), cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]  # a blank return is invalid
    assert "yaml" in first
    modules, done = imported_modules("validate", str(blank_workbook), cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    # No YAML parser (the checked framework comes from the cache), no TOML parser (no
    # esps.toml), no validation cache (no register).
    assert heavy(modules, ("yaml", "tomllib", "esps_cli.register.cache")) == []
    assert "esps_cli.validation.validate" in modules
    assert "python_calamine" in modules  # the reader
    assert heavy(modules, ("openpyxl", "esps_cli.summary", "esps_cli.scoring")) == []
    # Without a register configured, nothing of the register's store, models or SQL layer, and
    # no process pool for one file, no rich tables (a text report is lines).
    assert heavy(modules, ("esps_cli.register.store", "esps_cli.register.models",
                           "esps_cli.register.engines", "esps_cli.register.review",
                           "sqlite3", "psycopg", "concurrent.futures.process",
                           "multiprocessing", "rich.table")) == []


def test_command_table_names_what_each_module_adds() -> None:
    # esps NAME imports only the module COMMAND_MODULES gives for NAME: the table must say
    # what each module really registers, in the whole app's order.
    import importlib

    from typer.main import get_command_name

    from esps_cli.cli.app import COMMAND_MODULES, app

    for module, names in COMMAND_MODULES.items():
        group = importlib.import_module(f"esps_cli.cli.{module}").app
        added = [c.name or get_command_name(c.callback.__name__)
                 for c in group.registered_commands if c.callback is not None]
        added += [g.name for g in group.registered_groups]
        assert tuple(added) == names, module
    whole = [c.name or get_command_name(c.callback.__name__)
             for g in app.registered_groups if g.typer_instance is not None
             for c in g.typer_instance.registered_commands if c.callback is not None]
    whole += [sub.name for g in app.registered_groups if g.typer_instance is not None
              for sub in g.typer_instance.registered_groups]
    assert sorted(whole) == sorted(n for names in COMMAND_MODULES.values() for n in names)


@pytest.mark.parametrize(("argv", "own"), [
    (["validate", "--help"], {"validate"}),
    (["score", "show", "--help"], {"score", "packs"}),  # packs adds `esps score packs`
    (["summary", "--help"], {"summary"}),
])
def test_a_command_imports_only_its_own_module(argv: list[str], own: set[str]) -> None:
    modules, done = imported_modules(*argv)
    assert done.returncode == 0, done.stderr[-2000:]
    shared = {"app", "common", "options", "workspace"}
    commands = {m.rsplit(".", 1)[-1] for m in modules if m.startswith("esps_cli.cli.")}
    assert commands - shared == own


def test_machine_output_imports_no_rich(blank_workbook: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # JSON for a script or a pipe prints nothing for people: rich (its console, markup and
    # progress bar) is not imported, over one file or a folder checked by a process pool.
    monkeypatch.setenv("ESPS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "returns"
    folder.mkdir()
    for i in range(9):
        (folder / f"{i} {blank_workbook.name}").write_bytes(blank_workbook.read_bytes())
    for target in (blank_workbook, folder):
        modules, done = imported_modules("validate", str(target), "--format", "json",
                                         cwd=tmp_path)
        assert done.returncode == 1, done.stderr[-2000:]  # blank returns are invalid
        report = json.loads(done.stdout)
        assert report["totals"]["invalid"] == (1 if target == blank_workbook else 9)
        assert heavy(modules, ("rich",)) == []
    # The text report is for people: it is rich's (so the measurement can see rich).
    modules, done = imported_modules("validate", str(blank_workbook), cwd=tmp_path)
    assert done.returncode == 1
    assert "INVALID" in done.stdout
    assert "rich.console" in modules


@pytest.mark.parametrize(("setting", "looks"), [(None, False), ("", True)])
def test_pydantic_plugins_are_looked_for_only_when_asked(
        blank_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        setting: str | None, looks: bool) -> None:
    # esps disables pydantic's plugins, so it need not import the loader that looks for them
    # (importlib.metadata and the email package); PYDANTIC_DISABLE_PLUGINS="" looks.
    monkeypatch.setenv("ESPS_CACHE_DIR", str(tmp_path / "cache"))
    if setting is None:
        monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", setting)
    modules, done = imported_modules("validate", str(blank_workbook), "--format", "json",
                                     cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert json.loads(done.stdout)["totals"]["invalid"] == 1
    assert ("importlib.metadata" in modules) is looks
    assert ("email.message" in modules) is looks


def test_the_plugin_loader_stand_in_answers_as_the_loader_does() -> None:
    """No plugins; any other name is the real loader's (which then takes its place)."""
    code = """
import os, sys
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
from esps_cli.cli.app import _no_plugin_loader
_no_plugin_loader()
from pydantic.plugin._loader import get_plugins
from pydantic import BaseModel
class Unit(BaseModel):
    code: str
assert Unit(code="TP-EK").code == "TP-EK"
assert tuple(get_plugins()) == ()
assert "importlib.metadata" not in sys.modules
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP
assert PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
assert "importlib.metadata" in sys.modules
assert sys.modules["pydantic.plugin._loader"].PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def _run(entry: str, argv: list[str]) -> tuple[int, str]:
    """`esps ARGV` through the whole app (`app()`) or through the console script's `main()`."""
    code = (f"import sys; sys.argv = ['esps', *{argv!r}]\n"
            f"from esps_cli.cli.app import app, main\n{entry}()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"})
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("argv", [
    ["validate", "--help"], ["score", "export", "--help"], ["score"], ["framework", "--help"],
    ["validate", "--no-such-option"], ["validat", "x"], ["score", "nope"], ["--version"],
])
def test_main_builds_only_the_command_named_with_the_same_help_and_errors(
        argv: list[str]) -> None:
    # main() gives Typer only the command named (start-up time); what the user sees is the
    # same as from the whole app, help, usage errors and exit codes included.
    whole = _run("app", argv)
    assert whole[1].strip()  # the comparison compares something
    assert _run("main", argv) == whole


def test_app_for_holds_only_the_command_named() -> None:
    from esps_cli.cli.app import app, app_for

    def names(typer_app: object) -> list[str]:
        import typer.main

        group = typer.main.get_command(typer_app)  # type: ignore[arg-type]
        return sorted(group.commands)  # type: ignore[attr-defined]

    assert names(app_for(["validate", "x.xlsx"])) == ["validate"]
    assert names(app_for(["score", "export"])) == ["score"]
    assert names(app_for(["--version"])) == []
    assert app_for(["--help"]) is app
    assert app_for(["validat"]) is app
    assert len(names(app)) > 5
