"""Output that never fails the command (issue 16): a closed pipe ends quietly, a full disk is
named, a console that cannot show a character gets '?', no colour codes when not a terminal;
and batches run under the spawn start method (Windows has no fork)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from esps_cli.cli.common import EXIT_CLOSED_PIPE
from esps_cli.domain.paths import EXAMPLES_DIR, PROJECT_ROOT

RETURNED = EXAMPLES_DIR / "returned"
SRC = str(PROJECT_ROOT / "src")


def esps(*args: str, env: dict[str, str] | None = None, **kwargs: object
         ) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    environment.pop("ESPS_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "esps_cli", *args], env=environment,
                          capture_output=True, text=True, timeout=180, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("args", [["validate", str(RETURNED)],
                                  ["validate", str(RETURNED), "--verbose", "--format", "csv"]])
def test_a_closed_pipe_ends_quietly(args):
    # The reader is gone before esps writes a line (as `| head` is after its lines).
    env = {**os.environ, "PYTHONPATH": SRC}
    process = subprocess.Popen([sys.executable, "-m", "esps_cli", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    code = process.wait(timeout=180)
    err = process.stderr.read().decode()
    process.stderr.close()
    assert code == EXIT_CLOSED_PIPE, err
    assert "internal error" not in err and "Traceback" not in err and "Exception" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [["validate", str(RETURNED), "--format", "json"],
                                  ["validate", str(RETURNED)]])
def test_output_to_a_full_disk_says_so(args):
    # /dev/full refuses every write with ENOSPC, as a full disk does: the streamed JSON and
    # the text report both end with the reason and exit 2, not an internal error.
    env = {**os.environ, "PYTHONPATH": SRC}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "esps_cli", *args], env=env, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=180)
    assert done.returncode == 2, done.stderr
    assert "cannot write the output: the disk is full" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("encoding", ["ascii", "cp850"])
def test_a_console_that_cannot_show_a_character_gets_a_question_mark(encoding):
    # The sample returns' findings quote text cut with "…", which neither can show.
    done = esps("validate", str(RETURNED), env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr
    assert "it reads '?or every monitored strand where resources allow.'" in done.stdout


def test_no_colour_codes_when_not_a_terminal():
    done = esps("validate", str(RETURNED))
    assert done.returncode == 1
    assert "\x1b[" not in done.stdout and "\x1b[" not in done.stderr
    assert "PROBLEMS FOUND" in done.stdout


SPAWNED = textwrap.dedent("""
    import multiprocessing, sys
    from pathlib import Path

    from esps_cli.domain.framework import load_framework
    from esps_cli.io.batch import parallel_map
    from esps_cli.validation.batch import validate_paths

    if __name__ == "__main__":
        multiprocessing.set_start_method("spawn", force=True)
        assert parallel_map(abs, list(range(-20, 0)), jobs=2) == list(range(20, 0, -1))
        folder, = sys.argv[1:]
        framework = load_framework()
        spawned = validate_paths([Path(folder)], framework, jobs=2)
        serial = validate_paths([Path(folder)], framework, jobs=1)
        assert len(spawned.workbooks) >= 8
        strip = lambda b: b.model_dump(exclude={"checked_on"})
        assert strip(spawned) == strip(serial)
        print("spawn ok", len(spawned.workbooks))
""")


def test_a_batch_runs_under_the_spawn_start_method(tmp_path: Path, pristine_pack: Path):
    folder = tmp_path / "returns"
    folder.mkdir()
    for src in sorted(pristine_pack.glob("*.xlsx"))[:9]:
        (folder / src.name).write_bytes(src.read_bytes())
    (folder / "not a workbook.xlsx").write_text("plain text", encoding="utf-8")
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "spawn ok 10"
