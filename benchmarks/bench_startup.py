"""Time the start-up of `esps`, against a bare `python -c "import typer"`.

    python benchmarks/bench_startup.py             # 15 runs of each, medians
    python benchmarks/bench_startup.py --runs 30

Prints the median and best wall time (whole process) of:

- `python -c "import typer"`: the floor any Typer CLI pays;
- `esps --version` and `esps --help`;
- a one-file `esps validate` of a complete return (valid: exit 0, a short report), and of a
  blank one (invalid: exit 1, every finding printed), both made with `esps generate`
  beforehand (the complete one filled as esps_cli.workbook.samples fills a return);

and the ratios of the medians to the floor. Goals (issue 16): `--version` <= 2x and a
one-file validate <= 4x. The `esps` run is the console script beside this interpreter (not a
pyenv or other shim, whose own start-up would be counted), else `python -m esps_cli`.
Which modules start-up imports is guarded by tests/test_startup.py, not here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"esps --version": 2.0, "esps validate (complete)": 4.0, "esps validate (blank)": 4.0}


def esps_command() -> list[str]:
    """How to run esps, its modules compiled first: an installed wheel has its bytecode (pip
    compiles it at install time), but an editable install run with PYTHONDONTWRITEBYTECODE=1
    compiles every module again at every start (about 50 ms), which no user pays."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("esps_cli")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)
    script = Path(sys.executable).with_name("esps")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "esps_cli"]


def _children_cpu() -> float:
    try:
        import resource  # POSIX only: on Windows the CPU columns read 0
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_times(argv: list[str], runs: int, *,
              ok: tuple[int, ...] = (0,)) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run of argv."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
        if done.returncode not in ok:
            sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return walls, cpus


def returns(folder: Path) -> tuple[Path, Path]:
    """A complete and a blank return for the first example unit, written by `esps generate`."""
    sys.path.insert(0, str(ROOT))
    from esps_cli.domain.framework import load_framework
    from esps_cli.workbook.samples import fill_file

    units = ROOT / "examples" / "units.csv"
    code = units.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    subprocess.run([*esps_command(), "generate", str(units), "--out", str(folder), "-u", code,
                    "--cycle", "2010-11"],
                   check=True, stdout=subprocess.DEVNULL)
    (blank,) = folder.glob("*.xlsx")
    complete = folder / "complete" / blank.name
    complete.parent.mkdir()
    complete.write_bytes(blank.read_bytes())
    fill_file(complete, load_framework(), "complete")
    return complete, blank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    esps = esps_command()
    os.environ.setdefault("NO_COLOR", "1")
    with tempfile.TemporaryDirectory() as tmp:
        complete, blank = returns(Path(tmp))
        cases = {
            'python -c "import typer"': ([sys.executable, "-c", "import typer"], (0,)),
            "esps --version": ([*esps, "--version"], (0,)),
            "esps --help": ([*esps, "--help"], (0,)),
            "esps validate (complete)": ([*esps, "validate", str(complete)], (0,)),
            "esps validate (blank)": ([*esps, "validate", str(blank)], (1,)),
        }
        results = {name: run_times(argv, args.runs, ok=ok) for name, (argv, ok) in cases.items()}
    wall_floor, cpu_floor = (statistics.median(t) for t in results['python -c "import typer"'])
    print(f"{'':26} {'wall':>7} {'best':>7} {'x typer':>7} {'cpu':>7} {'x typer':>7}  goal "
          "(on wall)")
    for name, (walls, cpus) in results.items():
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        goal = GOALS.get(name)
        verdict = "" if goal is None else (f"<= {goal:g}x " +
                                           ("met" if wall / wall_floor <= goal else "NOT MET"))
        print(f"{name:26} {wall * 1000:5.0f}ms {min(walls) * 1000:5.0f}ms "
              f"{wall / wall_floor:6.2f}x {cpu * 1000:5.0f}ms {cpu / (cpu_floor or 1):6.2f}x  "
              f"{verdict}")
    print(f"(medians of {args.runs} runs; cpu = user + system time, steadier than wall on a "
          f"busy machine; {esps[0]})")


if __name__ == "__main__":
    main()
