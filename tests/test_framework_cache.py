"""The checked framework kept on disk between runs (issue 16: start-up): found again only for
the same file content, never served stale, and a cache that cannot be used is never an error.

Each test runs `esps` in fresh processes (a process also keeps frameworks in memory) with its
own cache folder (ESPS_CACHE_DIR)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import default_framework_path
from esps_cli.domain.user_cache import CACHE_ENV, cache_dir
from esps_cli.workbook.samples import fill_file

OLD = "The unit has a community engagement plan"
NEW = "The unit has a community ENGAGEMENT plan"  # the same length: the same file size


def esps(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "esps_cli", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, CACHE_ENV: str(cache), "NO_COLOR": "1"})


def indicator_text(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return str(data["esps_units"][0]["indicators"][0]["text"])


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("framework-*.pickle"))


@pytest.fixture
def complete_return(blank_workbook: Path, framework: Framework) -> Path:
    return fill_file(blank_workbook, framework, "complete")


@pytest.fixture
def framework_copy(tmp_path: Path) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_bytes(default_framework_path().read_bytes())
    return path


def test_the_second_run_reads_the_framework_from_the_cache(framework_copy, tmp_path):
    cache = tmp_path / "cache"
    first = esps("framework", "show", str(framework_copy), "--format", "json", cache=cache)
    assert indicator_text(first).startswith(OLD)
    (entry,) = entries(cache)
    # The entry is what the second run uses: a stored framework with another text shows.
    key, framework = pickle.loads(entry.read_bytes())
    unit = framework.esps_units[0]
    changed = unit.indicators[0].model_copy(update={"text": "From the cache entry"})
    patched = framework.model_copy(update={"esps_units": [
        unit.model_copy(update={"indicators": [changed, *unit.indicators[1:]]}),
        *framework.esps_units[1:]]})
    entry.write_bytes(pickle.dumps((key, patched)))
    second = esps("framework", "show", str(framework_copy), "--format", "json", cache=cache)
    assert indicator_text(second) == "From the cache entry"


def test_a_changed_framework_file_is_never_served_stale(framework_copy, tmp_path):
    cache = tmp_path / "cache"
    before = esps("framework", "show", str(framework_copy), "--format", "json", cache=cache)
    assert indicator_text(before).startswith(OLD)
    stat = framework_copy.stat()
    text = framework_copy.read_text(encoding="utf-8")
    framework_copy.write_text(text.replace(OLD, NEW, 1), encoding="utf-8")
    os.utime(framework_copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time
    assert framework_copy.stat().st_size == stat.st_size
    after = esps("framework", "show", str(framework_copy), "--format", "json", cache=cache)
    assert indicator_text(after).startswith(NEW)
    assert len(entries(cache)) == 2  # one entry per content


def test_a_framework_with_problems_is_reported_and_not_cached(framework_copy, tmp_path):
    cache = tmp_path / "cache"
    text = framework_copy.read_text(encoding="utf-8")
    framework_copy.write_text(text.replace("  version: ", "  versoin: ", 1), encoding="utf-8")
    for _ in range(2):  # the second run checks the file again, and says the same
        done = esps("framework", "check", str(framework_copy), cache=cache)
        assert done.returncode == 2
        assert "versoin" in done.stderr
    assert entries(cache) == []


def test_an_unwritable_cache_folder_is_not_an_error(complete_return, tmp_path):
    working = esps("validate", str(complete_return), cache=tmp_path / "cache")
    assert working.returncode == 0, working.stdout + working.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for cache in (blocker, blocker / "below"):  # neither can be made a folder
        done = esps("validate", str(complete_return), cache=cache)
        assert (done.returncode, done.stdout, done.stderr) == \
            (working.returncode, working.stdout, working.stderr)
    assert blocker.read_text() == "not a folder"


def test_a_damaged_cache_entry_is_a_miss_and_is_replaced(framework_copy, tmp_path):
    cache = tmp_path / "cache"
    esps("framework", "check", str(framework_copy), cache=cache)
    (entry,) = entries(cache)
    good = entry.read_bytes()
    for damage in (b"", good[: len(good) // 2], b"not a pickle at all",
                   pickle.dumps(("another key", "a string"))):
        entry.write_bytes(damage)
        done = esps("framework", "show", str(framework_copy), "--format", "json", cache=cache)
        assert indicator_text(done).startswith(OLD)
        assert entry.read_bytes() != damage  # written again, whole
        assert pickle.loads(entry.read_bytes())[1].meta.version == "2010.1"


def test_the_cache_folder_follows_the_platform_convention(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name != "nt" and sys.platform != "darwin":
        assert cache_dir() == tmp_path / "xdg" / "esps-cli"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert cache_dir() == Path.home() / ".cache" / "esps-cli"
    elif os.name == "nt":
        monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
        assert cache_dir() == tmp_path / "local" / "esps-cli" / "Cache"
