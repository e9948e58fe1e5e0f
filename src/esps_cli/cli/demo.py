"""`esps demo`: a whole ESPS cycle in a new working folder, from `esps init` to the Board pack,
on the example units, with sample returns and sample scores standing in for the units and the
assessors. Each step is the command an analyst types, run as its own process inside the
folder; what it printed is kept in the folder's demo-output/ and its key line shown."""

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from esps_cli.cli.common import EXIT_USAGE, fail, handles_errors
from esps_cli.io.output import console, escape

app = typer.Typer()

MODERATION = (3, "Monitoring data seen; disproportionality not yet explained to the IAG")


@dataclass(frozen=True)
class Step:
    """One step of the cycle: what it does, the command (None: the demo stands in for people),
    the exit codes that are expected of it, and which lines of its output to show."""

    title: str
    args: tuple[str, ...] | None
    show: str = r"."  # a pattern: the last line matching it is shown
    ok: tuple[int, ...] = (0,)
    by_hand: Callable[[Path], str] | None = None


def _sample_returns(folder: Path) -> str:
    from esps_cli.domain.config import load_settings
    from esps_cli.domain.framework import load_framework
    from esps_cli.workbook.samples import write_sample_returns
    from esps_cli.working.lists import load_advisors, load_units

    s = load_settings(folder / "esps.toml")
    assert s.framework and s.units and s.advisors and s.packs and s.returns and s.cycle
    fw = load_framework(s.framework)
    units = load_units(s.units, fw, load_advisors(s.advisors))
    written = write_sample_returns(s.packs, s.returns, fw, fw.cycle(s.cycle), units)
    return "\n".join(f"returns/{path.name}: {sample.shows}" for path, sample in written)


def _fill(packs: str, moderate: tuple[int, str] | None) -> Callable[[Path], str]:
    def fill(folder: Path) -> str:
        from esps_cli.domain.paths import EXAMPLES_DIR
        from esps_cli.workbook.sample_packs import fill_sample_packs, load_sample_scores

        scores = load_sample_scores(EXAMPLES_DIR / "scores.csv")
        filled = fill_sample_packs(folder / packs, scores, moderate)
        rows = sum(filled.values())
        return f"filled {rows} score(s) in {len(filled)} pack(s) in {packs}/"

    return fill


STEPS = (
    Step("Set up a working folder: settings, framework, units and advisors lists",
         ("init", "{folder}"), show=r"^created .*esps\.toml"),
    Step("Generate one workbook per unit; the register records each pack id",
         ("generate",), show=r"^Wrote"),
    Step("The units send back their returns (here: six samples put in returns/)", None,
         by_hand=_sample_returns),
    Step("Validate the returns (exit code 1: some are invalid, as expected)",
         ("validate", "--output", "validation.xlsx"), show=r"workbook\(s\): \d+ valid", ok=(0, 1)),
    Step("Allocate an unlinked DCFA to every unit (never its linked DCFA)",
         ("allocate", "--seed", "2010", "--output", "allocations.csv"), show=r"^\d+ new"),
    Step("Blind scoring packs: one per assessor and unit with a readable return",
         ("score", "packs", "--out", "scoring-packs"), show=r"^wrote"),
    Step("The assessors fill in their packs (here: sample scores typed in)",
         None, by_hand=_fill("scoring-packs", None)),
    Step("Import the filled packs into the register",
         ("score", "import", "scoring-packs"), show=r"."),
    Step("Moderation packs for the disagreements, for a third DCFA",
         ("score", "packs", "--moderation", "--out", "moderation-packs"), show=r"^wrote"),
    Step("The third DCFA moderates (here: a 3, with a reason)", None,
         by_hand=_fill("moderation-packs", MODERATION)),
    Step("Import the moderation", ("score", "import", "moderation-packs"), show=r"."),
    Step("Agreement between linked and unlinked DCFAs", ("score", "agreement"),
         show=r"^moderation queue"),
    Step("Check the audit log's hash chain", ("log", "--verify"), show=r"^intact"),
    Step("The compliance summary and the Board pack (exit code 1: KPI not met)",
         ("summary", "--output", "board-pack.xlsx"), show=r"^KPI:",
         ok=(0, 1)),
)


def _environment() -> dict[str, str]:
    """The environment for each step: settings from the folder's esps.toml only."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"ESPS_CONFIG", "ESPS_REGISTER"}}
    env["COLUMNS"] = "160"  # a line each, which the demo's own console wraps
    return env


def _show(text: str, style: str = "", indent: int = 3) -> None:
    """Lines (indented under their step); a long line wraps between words to the same indent,
    with no trailing spaces."""
    from rich.text import Text

    from esps_cli.reports.text import wrap_words

    for line in text.splitlines() or [""]:
        for part in wrap_words(line, max(20, console.width - indent)):
            console.print(Text(" " * indent + part, style=style), no_wrap=True, crop=False)


def _run(step: Step, number: int, folder: Path, log: Path) -> None:
    if step.by_hand is not None:
        _show(step.by_hand(folder))
        return
    assert step.args is not None
    first = step.args[0] == "init"  # run beside the folder, as `esps init FOLDER`
    args = [a.replace("{folder}", folder.name) for a in step.args]
    _show(f"$ esps {shlex.join(args)}", "bold")  # quoted as a shell needs it, to copy
    done = subprocess.run([sys.executable, "-m", "esps_cli", *args],
                          cwd=folder.parent if first else folder,
                          env=_environment(), capture_output=True, text=True, check=False)
    name = f"{number:02d}-{'-'.join(a.strip('-{}') for a in step.args[:2])}.txt"
    (log / name).write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode not in step.ok:
        console.print(escape(done.stdout + done.stderr), highlight=False)
        raise fail(f"step {number} ended with exit code {done.returncode}; its output is in "
                   f"{log / name}", done.returncode or EXIT_USAGE)
    lines = [ln.strip() for ln in (done.stdout + done.stderr).splitlines()
             if ln.strip() and re.search(step.show, ln)]
    if lines:
        _show(lines[-1])
    if first:
        _show(f"$ cd {shlex.quote(folder.name)}", "bold")


@app.command()
@handles_errors
def demo(
    folder: Annotated[Path, typer.Argument(
        help="A new (or empty) folder to run the demo in.")] = Path("esps-demo"),
) -> None:
    """Run a whole ESPS cycle in a new working folder, from esps init to the Board pack, on
    the example units, with sample returns and scores standing in for units and assessors.

    Each step shows the command an analyst would type (run inside the folder) and its result;
    the full output of each is kept in the folder's demo-output/.

    Example: [bold]esps demo esps-demo[/bold] then [bold]cd esps-demo && esps summary[/bold]
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise fail(f"{folder} is not an empty folder: give a new folder for the demo", EXIT_USAGE)
    shown = folder
    folder = folder.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "demo-output"
    log.mkdir()
    _show(f"A whole ESPS cycle in {shown}/, step by step:", indent=0)
    for number, step in enumerate(STEPS, start=1):
        _show("", indent=0)
        _show(f"{number}. {step.title}", indent=0)
        _run(step, number, folder, log)
    _show("", indent=0)
    _show(f"The Board pack: {shown / 'board-pack.xlsx'}; what each step printed: "
          f"{shown / 'demo-output'}/. Run more commands inside {shown}/.", indent=0)
