"""The wheel works on its own: built with `pip wheel`, installed (not editable) into a fresh venv,
`esps framework check`, `esps init` and `esps generate` run from an empty folder.

Slow (about 30 s: a build, a venv and an install), and it needs the build backend from pyproject's
[build-system] through pip's ordinary index. The build runs on a copy of the source so the
checkout's build/ and *.egg-info are never written (nor a stale build/ copied into the wheel).

The fresh venv has no system site-packages: what the base interpreter happens to hold never
counts (a venv made from a bare system Python has no Typer). Its dependencies are the ones the
interpreter running the tests uses, found through their distributions' metadata and named in a
.pth file; they come after the venv's own site-packages, so esps_cli itself comes from the wheel.
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


def _dependency_folders() -> list[str]:
    """The folders holding esps-cli's run-time dependencies (and theirs), as installed for the
    interpreter running the tests: never esps-cli's own folder unless a dependency shares it."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement

    folders: list[str] = []
    seen: set[str] = set()
    todo = [Requirement(r) for r in distribution("esps-cli").requires or []]
    while todo:
        req = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            continue  # an optional dependency of a dependency, absent here
        folder = str(Path(str(dist.locate_file(""))).resolve())
        if folder not in folders:
            folders.append(folder)
        todo += [Requirement(r) for r in dist.requires or []]
    return folders


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv (no system site-packages) with the wheel installed: (venv, bin folder)."""
    env = _clean_env()
    venv = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--clear", venv], venv.parent, env)
    assert made.returncode == 0, made.stdout + made.stderr
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                venv, env)
    assert site.returncode == 0, site.stderr
    (Path(site.stdout.strip()) / "esps-cli-test-deps.pth").write_text(
        "\n".join(_dependency_folders()) + "\n", encoding="utf-8")
    done = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel], venv, env)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv, bindir


def test_a_fresh_venv_does_not_see_the_base_interpreters_packages(installed):
    venv, bindir = installed
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    flags = _run([python, "-c", "import sys; print(sys.prefix != sys.base_prefix); "
                  "import site; print(site.ENABLE_USER_SITE)"], venv, _clean_env())
    assert flags.stdout.split() == ["True", "False"], flags.stdout + flags.stderr
    cfg = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in cfg


def test_installed_wheel_runs_init_framework_check_and_generate(installed, tmp_path):
    env = _clean_env()
    venv, bindir = installed
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    esps = bindir / ("esps.exe" if os.name == "nt" else "esps")

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


def test_installed_wheel_runs_the_demo_to_the_board_pack(installed, tmp_path):
    """`pip install esps-cli && esps demo`: the whole cycle from an empty folder, with nothing
    from the repository (the samples and the scores come from the installed package)."""
    env = {**_clean_env(), "COLUMNS": "80"}
    _venv, bindir = installed
    esps = bindir / ("esps.exe" if os.name == "nt" else "esps")
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run([esps, "demo"], empty, env)
    assert done.returncode == 0, done.stdout + done.stderr
    out = " ".join(done.stdout.split())  # the lines as the 80-column console wrapped them
    assert "$ esps init esps-demo" in out and "$ cd esps-demo" in out
    assert "2 valid, 4 invalid (2 unreadable)" in out
    assert "216 new score(s) recorded" in out
    assert "KPI: 1 of 56 units meet the baseline (1.8%)" in out
    assert "Pack ids not recorded" not in out + done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert [ln for ln in done.stdout.splitlines() if ln != ln.rstrip()] == []
    folder = empty / "esps-demo"
    assert sorted(p.name for p in empty.iterdir()) == ["esps-demo"]
    with zipfile.ZipFile(folder / "board-pack.xlsx") as zf:
        assert "xl/workbook.xml" in zf.namelist()
    assert len(list((folder / "returns").glob("*.xlsx"))) == 6
    again = _run([esps, "demo"], empty, env)  # a second run never writes over the first
    assert again.returncode == 2, again.stdout + again.stderr
    assert "esps-demo is not an empty folder" in again.stderr
