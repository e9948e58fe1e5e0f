"""Time `esps validate FOLDER --format json` against a bare python-calamine read of the same
folder, each a separate process timed from its start, and the CLI's own peak memory.

    python benchmarks/bench_folder.py                       # 300 and 1,000 x 3 kinds, 4,300
    python benchmarks/bench_folder.py --sizes 300 --kinds blank --national 0 --rounds 3
    python benchmarks/bench_folder.py --work /tmp/folders   # keep the folders for the next run

Folders (benchmarks/folders.py): complete returns, blank packs as issued (about 200 findings
each) and a mix (complete, blank, half done, dates as text, an edited indicator, and in every
hundred a truncated file and an e-mail); the national folder is 4,300 mixed returns.

The floor is a separate Python process that opens each file with python-calamine and reads
every sheet (to_python), its start included. esps runs as `python -m esps_cli validate FOLDER
--format json --as-of 01/09/2010` with standard output to a file, inside a wrapper that prints
the parent process's own peak RSS (its VmHWM; the worker processes are not in it). Each
round runs the floor and esps one after the other, so a busy machine slows both
alike; the best time of each and the median of the rounds' ratios are printed, the median
ratio of CPU seconds (esps's workers included; steadier than wall time on a busy machine, and
what wall time comes to when the worker processes get no more than one core between them),
and the load average. The code timed is byte-compiled first (as an installed package is).

Targets (issue 28): folders of 300 and 1,000, any kind, at most 1.5x the floor; the parent's
peak memory under 150 MB at 4,300 files.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from folders import KINDS, make_folder

FLOOR = """
import sys
from pathlib import Path
import python_calamine
cells = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(row) for row in rows)
    except Exception:
        pass  # a truncated file, an e-mail
print(cells)
"""

ESPS = """
import resource, runpy, sys
sys.argv = ["esps", *sys.argv[1:]]
try:
    runpy.run_module("esps_cli", run_name="__main__")
except SystemExit:
    pass
# This process's high-water mark (VmHWM: its own memory, reset when it was started: the
# rusage maximum would carry the RSS of the benchmark that forked it).
try:
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024 if sys.platform != "darwin" else 2**20)
print(f"PEAK {peak:.1f}", file=sys.stderr)
"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def children_cpu() -> float:
    """CPU seconds (user and system) of the child processes ended so far, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor(folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR, str(folder)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - cpu


def esps(folder: Path, out: Path, jobs: int, source: Path | None = None
         ) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (its workers' included) and the parent's peak RSS in MB
    (source: run esps from that src folder, another checkout's, instead of the one
    installed)."""
    args = [sys.executable, "-c", ESPS, "validate", str(folder), "--format", "json",
            "--as-of", "01/09/2010"] + (["--jobs", str(jobs)] if jobs else [])
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    cpu, started = children_cpu(), time.perf_counter()
    with out.open("wb") as fh:
        done = subprocess.run(args, stdout=fh, stderr=subprocess.PIPE, text=True,
                              cwd=folder.parent, env=env)
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    if done.returncode not in (0, 1):
        raise SystemExit(f"esps validate failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK ")]
    return wall, cpu, float(peak[-1].split()[1])


def measure(folder: Path, out: Path, rounds: int, jobs: int,
            compare: Path | None) -> dict[str, float]:
    floors, runs, ratios, cpus, peaks, others, other_peaks = [], [], [], [], [], [], []
    for _ in range(rounds):
        f, f_cpu = floor(folder)
        e, e_cpu, peak = esps(folder, out, jobs)
        floors.append(f)
        runs.append(e)
        ratios.append(e / f)
        cpus.append(e_cpu / f_cpu)
        peaks.append(peak)
        if compare is not None:
            o, _cpu, other_peak = esps(folder, out.with_suffix(".other.json"), jobs, compare)
            others.append(o / f)
            other_peaks.append(other_peak)
    result = {"floor": min(floors), "esps": min(runs), "best": min(runs) / min(floors),
              "median": statistics.median(ratios), "cpu": statistics.median(cpus),
              "peak": max(peaks)}
    if others:
        result |= {"other": statistics.median(others), "other_peak": max(other_peaks),
                   "same": float(out.read_bytes() == out.with_suffix(".other.json")
                                 .read_bytes())}
    return result


def compiled(*sources: Path) -> None:
    """Byte-compile the code to be timed (esps's own, and the compared checkout's): in a
    shell with PYTHONDONTWRITEBYTECODE set, every module would otherwise be compiled again at
    each start, and that would be timed as esps's."""
    import compileall

    import esps_cli

    for source in (Path(esps_cli.__file__).parent, *sources):
        compileall.compile_dir(str(source), quiet=1)


def folder_for(work: Path, count: int, kind: str) -> Path:
    folder = work / f"{kind}{count}"
    if not folder.is_dir() or len(list(folder.iterdir())) != count:
        make_folder(folder, count, kind)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--national", type=int, default=4300,
                        help="files in the national (mixed) folder; 0: leave it out")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=0, help="processes (0: one per core)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder to keep the generated folders in (default: temporary)")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout's src folder (git archive COMMIT src "
                             "templates | tar -x): timed in the same rounds, its JSON "
                             "compared byte for byte")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="esps-bench-folder-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = [(int(n), k) for n in args.sizes.split(",") if n for k in args.kinds.split(",")]
    if args.national:
        cases.append((args.national, "mixed"))
    folders = [(n, k, folder_for(work, n, k)) for n, k in cases]
    compiled(*([args.compare] if args.compare else []))
    out = work / "out.json"
    print(f"cores: {os.cpu_count()}  jobs: {args.jobs or 'one per core'}  rounds: "
          f"{args.rounds}  load before: {load()}")
    print(f"{'folder':<14} {'floor s':>8} {'esps s':>8} {'ratio':>6} {'median':>7} "
          f"{'CPU':>6} {'parent MB':>10}  load")
    results = []
    for n, kind, folder in folders:
        r = measure(folder, out, args.rounds, args.jobs, args.compare)
        results.append((n, kind, r))
        other = (f"  compared: {r['other']:.2f}x, {r['other_peak']:.0f} MB, JSON "
                 f"{'identical' if r['same'] else 'DIFFERENT'}") if "other" in r else ""
        print(f"{kind + ' ' + str(n):<14} {r['floor']:8.2f} {r['esps']:8.2f} "
              f"{r['best']:5.2f}x {r['median']:6.2f}x {r['cpu']:5.2f}x {r['peak']:10.0f}  "
              f"{load()}{other}", flush=True)
    folder_ratios = [r["median"] for n, _k, r in results if n != args.national]
    if folder_ratios:
        worst = max(folder_ratios)
        print(f"target <= 1.5x the calamine floor (300 and 1,000 files, median round): "
              f"{'MET' if worst <= 1.5 else 'NOT MET'} (worst {worst:.2f}x)")
    national = [r for n, _k, r in results if n == args.national]
    if national:
        print(f"target parent peak < 150 MB at {args.national} files: "
              f"{'MET' if national[0]['peak'] < 150 else 'NOT MET'} "
              f"({national[0]['peak']:.0f} MB)")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
