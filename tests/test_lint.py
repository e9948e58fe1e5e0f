"""The code stays ruff-clean and type-checks (ruff and mypy are test dependencies: a missing one
fails here, it is never skipped)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is not installed: pip install -e '.[test]'"
    result = subprocess.run(
        [ruff, "check", "src", "tests", "benchmarks", "examples", "tools"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_installed():
    assert importlib.util.find_spec("mypy") is not None, (
        "mypy is not installed: pip install -e '.[test]'"
    )


def test_mypy_is_clean():
    # `python -m mypy` fails with "No module named mypy" when it is missing: a failure, not a skip.
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],  # files and strictness: [tool.mypy] in pyproject.toml
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout, result.stdout


def test_python_m_esps_cli_runs():
    result = subprocess.run([sys.executable, "-m", "esps_cli", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.strip() == "esps-cli 0.1.0"
