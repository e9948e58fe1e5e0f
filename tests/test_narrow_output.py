"""Output at 80 columns, piped (issue 26): `esps log` a line per entry, and the tables of
`review show`, `score packs`, `score history` and `buddies` fitted to the width with every
name whole (broken, if at all, between words or after _ - /). Real processes with
COLUMNS=80, as a user's terminal or pipe gives them, on a working folder with the demo's
sample returns and scores."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.reports.text import fitted_table, wrap_words
from esps_cli.workbook.sample_packs import fill_sample_packs, load_sample_scores
from esps_cli.workbook.samples import SAMPLES, write_sample_returns
from esps_cli.working.lists import load_advisors, load_units

from .conftest import CYCLE

runner = CliRunner()
WIDTH = 80


def _ok(result, *codes: int) -> None:
    assert result.exit_code in (codes or (0,)), result.output


@pytest.fixture(scope="module")
def folder(tmp_path_factory, framework) -> Path:
    """A working folder after a round of the cycle: the six sample units' packs, their
    returns validated, DCFAs allocated, scoring packs filled and imported, one moderation."""
    root = tmp_path_factory.mktemp("narrow") / "cycle"
    _ok(runner.invoke(app, ["init", str(root)]))
    settings = ["--units", str(root / "units.csv"), "--cycle", CYCLE,
                "--register", str(root / "esps.db")]
    only = [a for s in SAMPLES for a in ("--unit", s.unit)]
    _ok(runner.invoke(app, ["generate", str(root / "units.csv"), "--out", str(root / "packs"),
                            "--cycle", CYCLE, "--register", str(root / "esps.db"), "-j", "1",
                            *only]))
    units = load_units(root / "units.csv", framework, load_advisors(root / "dcfas.csv"))
    write_sample_returns(root / "packs", root / "returns", framework, framework.cycle(CYCLE),
                         units)
    _ok(runner.invoke(app, ["validate", str(root / "returns"), *settings, "-j", "1"]), 1)
    _ok(runner.invoke(app, ["allocate", "--seed", "2010", *settings]))
    _ok(runner.invoke(app, ["score", "packs", "--returns", str(root / "returns"), "--out",
                            str(root / "scoring-packs"), *settings]))
    fill_sample_packs(root / "scoring-packs", load_sample_scores(EXAMPLES_DIR / "scores.csv"))
    _ok(runner.invoke(app, ["score", "import", str(root / "scoring-packs"), *settings]))
    # Camden's one disagreement moderated: Camden meets the baseline, a buddy for the others
    _ok(runner.invoke(app, ["score", "moderate", "TP-EK", "OD3.1", "3", "--assessor", "dcfa01",
                            "--comment", "Agreed at the moderation panel", *settings]))
    return root


def _esps(folder: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"ESPS_CONFIG", "ESPS_REGISTER"}}
    env["COLUMNS"] = str(WIDTH)
    done = subprocess.run([sys.executable, "-m", "esps_cli", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in ok, done.stdout + done.stderr
    return done.stdout


def _pieces(word: str) -> set[str]:
    """Every run of a word's pieces, as a fitted table may show it on one line."""
    parts = re.findall(r"[^_/\\-]*[_/\\-]+|[^_/\\-]+", word) or [word]
    return {"".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}


def assert_words_whole(output: str, values: list[str]) -> None:
    """Every line fits in WIDTH and every word shown is a word of the values (or a run of its
    pieces between _ - /): no name broken in the middle of a word."""
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, max(lines, key=len)
    allowed = {p for v in values for w in v.split() for p in _pieces(w)}
    shown = {w for line in lines for w in line.split() if not set(w) <= {"-"}}
    assert shown <= allowed, sorted(shown - allowed)


def test_wrap_words_breaks_between_words_or_after_separators():
    assert wrap_words("TP-BS_Kensington-Chelsea_2010-11.xlsx", 14) == [
        "TP-BS_", "Kensington-", "Chelsea_2010-", "11.xlsx"]
    assert wrap_words("Kensington & Chelsea", 12) == ["Kensington &", "Chelsea"]
    assert wrap_words("Hammersmith", 5) == ["Hammersmith"]  # too long: whole, on its own
    assert wrap_words("", 5) == [""]


def test_a_fitted_table_shrinks_the_widest_column_first_to_its_longest_word():
    lines = fitted_table(("unit", "name"), [["TP-EK", "Kensington and Chelsea"]], 20)
    text = ["".join(p if isinstance(p, str) else p[0] for p in line).rstrip() for line in lines]
    assert text == ["unit   name", "-----  -------------", "TP-EK  Kensington",
                    "       and Chelsea"]
    # One column too narrow for its longest word: the word stays whole, the line goes over.
    lines = fitted_table(("name",), [["Hammersmith"]], 5)
    assert [line[2] for line in lines[2:]] == [("Hammersmith", "")]


def test_log_is_one_line_per_entry_at_80_columns(folder):
    out = _esps(folder, "log")
    lines = out.splitlines()
    entries = [ln for ln in lines if re.match(r"\s*\d+ \d\d:\d\d:\d\d ", ln)]
    assert max(len(line) for line in lines) <= WIDTH
    total = int(re.search(r"^(\d+) entries; every detail: --format csv or --format json$",
                          out, re.M).group(1))
    assert len(entries) == total > 200
    assert len(lines) == total + 2  # one day heading (the test runs within a day) + the count
    assert re.match(r"\d{4}-\d\d-\d\d \(UTC\)$", lines[0])
    score = next(ln for ln in entries if " score " in ln)
    assert re.match(r"\s*\d+ \d\d:\d\d:\d\d score\s+TP-\w\w\s+dcfa\d\d\s+\w+\.\d+ "
                    r"(linked|unlinked) [1-4] from TP-", score), score
    cut = [ln for ln in entries if ln.endswith("…")]  # too long: cut at the width, marked
    assert cut and all(len(ln) == WIDTH for ln in cut)


def test_review_show_keeps_names_whole_at_80_columns(folder):
    files = [p.name for p in (folder / "returns").iterdir()]
    out = _esps(folder, "review", "show")
    assert out.splitlines()[1].split() == ["unit", "state", "by", "when", "(UTC)", "return",
                                           "reason"]
    assert_words_whole(out, [*files, "Review states (2010-11): the latest of each unit",
                             "unit state by when (UTC) return reason", "esps validate",
                             "received first return", *(s.unit for s in SAMPLES),
                             *re.findall(r"\d\d/\d\d/\d{4}|\d\d:\d\d", out)])
    joined = re.sub(r"([_/-])\n\s*", r"\1", "\n".join(
        ln[47:67].strip() for ln in out.splitlines()[3:]))
    assert "TP-FH_Hammersmith-Fulham_2010-11.xlsx" in joined.replace("\n", "")


def test_score_packs_table_keeps_file_names_whole_at_80_columns(folder, tmp_path):
    out = _esps(folder, "score", "packs", "--out", str(tmp_path / "again"))
    files = [p.name for p in (tmp_path / "again").rglob("*.xlsx")]  # a folder per assessor
    assert len(files) == 4  # packs for the valid returns only (issue 21)
    for name in files:  # each on one line: 80 columns are enough for these names
        assert name in out
    table = out.split("wrote 4 pack(s)")[0]
    assert_words_whole(table, [*files, "Scoring packs, FY2010/11 unit pack assessor file status",
                               "linked unlinked written", *(s.unit for s in SAMPLES),
                               *(f"dcfa{i:02d}" for i in range(1, 11))])


def test_buddies_keep_unit_names_whole_at_80_columns(folder, framework):
    out = _esps(folder, "buddies")
    names = [f"{u.code} {u.name}" for u in load_units(folder / "units.csv", framework,
                                                      load_advisors(folder / "dcfas.csv"))]
    assert "Suggested buddies" in out
    assert_words_whole(out, [*names, "Suggested buddies unit buddy group weakest theme",
                             "unit score buddy score TP Operational Delivery People and Culture "
                             "Organisational Processes", *re.findall(r"\d\.\d\d|-", out)])
    rows = out.splitlines()[3:]
    assert rows and all(len(r) <= WIDTH for r in rows)


def test_score_history_shows_who_entered_each_score_at_80_columns(folder):
    import getpass
    import json

    out = _esps(folder, "score", "history", "TP-EK", "OD3.1")
    recorded = json.loads(_esps(folder, "score", "history", "TP-EK", "OD3.1", "--format",
                                "json"))
    lines = out.splitlines()
    assert lines[1].split() == ["#", "recorded", "at", "role", "assessor", "entered", "score",
                                "comment", "source"]
    assert lines[2].split() == ["(UTC)", "by"]
    events = [ln.split()[:6] for ln in lines[4:] if re.match(r"\s*\d+\s+\d\d/\d\d/\d{4}\s", ln)]
    user = getpass.getuser()  # who entered them: the OS user, on SQLite
    assert events == [[str(e["id"]), f"{e['recorded_at'][8:10]}/{e['recorded_at'][5:7]}/"
                       f"{e['recorded_at'][:4]}", e["role"], e["assessor"], user,
                       str(e["score"])] for e in recorded]
    assert [e["entered_by"] for e in recorded] == [user] * 3
    assert [e["role"] for e in recorded] == ["linked", "unlinked", "moderated"]
    assert lines[-1] == "3 event(s)"
    files = [Path(e["source"]).name for e in recorded if e["source"] != "command line"]
    assert files == ["TP-EK_linked_dcfa02_2010-11.xlsx", "TP-EK_unlinked_dcfa05_2010-11.xlsx"]
    joined = re.sub(r"([_/-])\n\s*", r"\1", "\n".join(ln[70:].strip() for ln in lines[4:]))
    assert all(name in joined.replace("\n", "") for name in files)  # names, not whole paths
    assert_words_whole(out, [lines[0], "# recorded at (UTC) role assessor entered by score "
                             "comment source", user, *re.findall(r"[\d/:]{5,10}", out),
                             *(f"{e['id']} {e['role']} {e['assessor']} {e['score']} "
                               f"{e['comment']}" for e in recorded), *files, "command line",
                             lines[-1]])
