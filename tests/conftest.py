"""Shared fixtures: the bundled framework and examples, and workbooks generated for real."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Wide enough that rich tables in CLI output are not cut in the middle of a cell.
os.environ["COLUMNS"] = "200"
# The tests' own cache folder (the checked framework), never the user's (removed at the end).
os.environ["ESPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="esps-test-cache-")

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings
from openpyxl.workbook.workbook import Workbook

from esps_cli.domain.framework import Framework, load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.workbook.generate import generate_workbooks
from esps_cli.working.lists import load_advisors, load_units

from .pgserver import postgres_cluster, register_at  # noqa: F401  (PostgreSQL registers)

CYCLE = "2010-11"

# Property tests test rules, not speed: no per-example deadline (Hypothesis's default of 200 ms
# fails a test on a busy machine, where an example can wait that long for a core).
settings.register_profile("esps", deadline=None)
settings.load_profile("esps")

atexit.register(shutil.rmtree, os.environ["ESPS_CACHE_DIR"], True)


@pytest.fixture(scope="session")
def framework() -> Framework:
    return load_framework()


@pytest.fixture(scope="session")
def advisors() -> list[Advisor]:
    return load_advisors(EXAMPLES_DIR / "dcfas.csv")


@pytest.fixture(scope="session")
def units(framework: Framework, advisors: list[Advisor]) -> list[Unit]:
    return load_units(EXAMPLES_DIR / "units.csv", framework, advisors)


@pytest.fixture(scope="session")
def pristine_pack(
    tmp_path_factory: pytest.TempPathFactory,
    framework: Framework,
    units: list[Unit],
    advisors: list[Advisor],
) -> Path:
    """One generated workbook per example unit (session-wide; copy before editing)."""
    out = tmp_path_factory.mktemp("pack")
    generate_workbooks(framework, units, advisors, out, framework.cycle(CYCLE), jobs=1)
    return out


@pytest.fixture
def blank_workbook(pristine_pack: Path, tmp_path: Path, units: list[Unit]) -> Path:
    """A fresh copy of the first example unit's generated workbook, safe to edit."""
    from esps_cli.workbook.generate import workbook_filename

    unit = units[0]
    src = pristine_pack / workbook_filename(unit, load_framework().cycle(CYCLE))
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes())
    return dst


def edit_workbook(path: Path, change: Callable[[Workbook], None]) -> Path:
    """Open a workbook with openpyxl, apply a user's edit, and save it back, as Excel would."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


@pytest.fixture
def edit() -> Callable[[Path, Callable[[Workbook], None]], Path]:
    return edit_workbook


@contextmanager
def small_tmpfs(point: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` mounted at point (for full-disk and read-only tests); the test is
    skipped where mounting is not allowed."""
    point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)
