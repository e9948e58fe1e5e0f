"""The wheel works on its own: built with `pip wheel`, installed (not editable) into a fresh venv,
`esps framework check`, `esps init` and `esps generate` run from an empty folder.

Slow (about 30 s: a build, a venv and an install), and it needs the build backend from pyproject's
[build-system] through pip's ordinary index. The build runs on a copy of the source so the
checkout's build/ and *.egg-info are never written (nor a stale build/ copied into the wheel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the build reads: pyproject.toml names README.md and LICENSE, setup.py bundles the folders.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE",
                "src", "templates", "examples")


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=600)


def _clean_env() -> dict[str, str]:
    """The environment minus anything that would point Python or esps at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "ESPS_CONFIG", "ESPS_TEMPLATES", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")
    for name in BUILD_INPUTS:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path_factory.mktemp("dist")
    result = _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", dist],
                  source, _clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = dist.glob("esps_cli-*.whl")
    return built


def test_wheel_carries_templates_examples_and_licence(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    data = "esps_cli/data/"
    for bundled in (ROOT / "templates", ROOT / "examples"):
        for path in bundled.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert data + path.relative_to(ROOT).as_posix() in names, path
    assert "esps_cli/py.typed" in names
    editions = ROOT / "src" / "esps_cli" / "reports" / "editions" / "templates"
    for path in editions.iterdir():  # the web pages' templates and style sheet
        assert f"esps_cli/reports/editions/templates/{path.name}" in names, path
    licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licence, sorted(n for n in names if ".dist-info/" in n)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(licence[0]) == (ROOT / "LICENSE").read_bytes()
    assert "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright (c) esps-cli contributors" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_installed_wheel_runs_init_framework_check_and_generate(wheel, tmp_path):
    env = _clean_env()
    venv = tmp_path / "venv"
    # System site-packages give the dependencies without downloading them again; the package
    # itself must come from the wheel (checked below).
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", venv], tmp_path, env)
    assert made.returncode == 0, made.stdout + made.stderr
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    esps = bindir / ("esps.exe" if os.name == "nt" else "esps")
    installed = _run([python, "-m", "pip", "install", "--no-deps", "--no-index",
                      "--ignore-installed", wheel], tmp_path, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    where = _run([python, "-c", "import esps_cli, esps_cli.domain.paths as p; "
                  "print(esps_cli.__file__); print(p.TEMPLATES_DIR); print(p.EXAMPLES_DIR)"],
                 tmp_path, env)
    assert where.returncode == 0, where.stderr
    module, templates, examples = (Path(line) for line in where.stdout.splitlines())
    assert module.is_relative_to(venv), module
    assert templates.is_relative_to(venv) and templates.name == "templates", templates
    assert examples.is_relative_to(venv) and examples.name == "examples", examples

    empty = tmp_path / "work"
    empty.mkdir()
    checked = _run([esps, "framework", "check"], empty, env)  # the bundled framework
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(p.name for p in empty.iterdir()) == []

    init = _run([esps, "init"], empty, env)
    assert init.returncode == 0, init.stdout + init.stderr
    for name in ("esps.toml", "framework.yaml", "units.csv", "dcfas.csv"):
        assert (empty / name).is_file(), name
    assert (empty / "framework.yaml").read_bytes() == (
        ROOT / "templates" / "esps-framework.yaml").read_bytes()
    assert (empty / "units.csv").read_bytes() == (ROOT / "examples" / "units.csv").read_bytes()

    checked = _run([esps, "framework", "check"], empty, env)  # the copy esps.toml names
    assert checked.returncode == 0, checked.stdout + checked.stderr

    generated = _run([esps, "generate"], empty, env)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    units = (empty / "units.csv").read_text(encoding="utf-8").strip().splitlines()[1:]
    packs = sorted((empty / "packs").glob("*.xlsx"))
    assert len(packs) == len(units) > 0
    for pack in packs:
        with zipfile.ZipFile(pack) as zf:  # a real workbook, not an empty file
            assert "xl/workbook.xml" in zf.namelist()
