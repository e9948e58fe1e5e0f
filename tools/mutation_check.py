"""Mutation check of the rule modules: does a test notice when a comparison is off by one?

    python tools/mutation_check.py                      # every target below
    python tools/mutation_check.py --target summary     # targets whose path contains "summary"
    python tools/mutation_check.py --list               # the mutants, without running tests

Each mutant flips one comparison operator (`<` <-> `<=`, `>` <-> `>=`, `==` <-> `!=`) at one
place in a rule module. It is written into a temporary copy of `src/` (the real files are never
touched), and the target's test files run against that copy (PYTHONPATH points at it) with
`pytest -x -q -p no:cacheprovider` under a timeout. A mutant the tests still pass with
"survives": some rule boundary no test pins down. Survivors are reported as file:line; the
exit status is 1 if any survive, 0 if none, 2 if the check itself cannot run (the tests fail
on the unmutated copy, a target matches no file, or an EQUIVALENT entry matches no mutant).
A mutant that cannot change behaviour at all is listed in EQUIVALENT with its reason and is
reported, not run.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "esps_cli"
# Copied beside src/ in the temporary tree: what the package finds relative to itself
# (esps_cli.domain.paths.PROJECT_ROOT) in a checkout.
BESIDE_SRC = ("templates", "examples", "README.md", "pyproject.toml", "LICENSE")
FLIPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}


@dataclass(frozen=True)
class Target:
    """Rule modules (globs under src/esps_cli), optionally only some functions in them, and
    the test files (globs under the repository; globs matching nothing are skipped) that must
    catch their mutants."""

    modules: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()


# The rule modules and the tests that guard them. Edit this list to widen or narrow the check.
TARGETS = (
    Target("domain/normalise.py",
           ("tests/test_normalise.py", "tests/test_*boundar*.py", "tests/test_checks.py",
            "tests/test_validat*.py")),
    Target("validation/*.py",  # fnmatch's * also matches "/": validation/checks/ included
           ("tests/test_*boundar*.py", "tests/test_checks.py", "tests/test_validat*.py",
            "tests/test_attribution.py", "tests/test_unreadable_returns.py",
            "tests/test_units.py", "tests/test_review_loop.py")),
    Target("scoring/combine.py", ("tests/test_scoring.py", "tests/test_rule_boundaries.py")),
    Target("summary/rules.py",
           ("tests/test_summary.py", "tests/test_rule_boundaries.py")),
    Target("summary/standing.py",
           ("tests/test_summary.py", "tests/test_rule_boundaries.py")),
    Target("scoring/quality.py", ("tests/test_decisions.py", "tests/test_calibration.py")),
    Target("summary/decisions.py", ("tests/test_decisions.py",)),
)


@dataclass(frozen=True)
class Equivalent:
    """A mutant that cannot change what the program does, with the reason: it is listed, not
    run. Found by module, operator and the text of its line (not the line number), and an entry
    that matches no mutant stops the check, so the list cannot go stale."""

    module: str  # under src/esps_cli
    old: str
    source_line: str  # the line, stripped
    reason: str


# Keep this list short: a mutant belongs here only if no input could tell it apart.
EQUIVALENT = (
    Equivalent("validation/context.py", ">", "if len(_INDEX_CACHE) > 16:",
               "the bound on a cache of framework indexes: one entry more or fewer before it is "
               "cleared changes memory use, never a result"),
)


@dataclass(frozen=True)
class Mutant:
    path: Path  # relative to the repository
    line: int
    col: int
    old: str
    new: str
    source_line: str
    tests: tuple[str, ...]
    equivalent: str = ""  # why it cannot change behaviour (see EQUIVALENT); then not run

    def where(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"

    def describe(self) -> str:
        return f"{self.where()}: `{self.old}` -> `{self.new}` in: {self.source_line.strip()}"


def _function_lines(source: str, names: tuple[str, ...]) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _test_files(target: Target) -> tuple[str, ...]:
    found: list[str] = []
    for pattern in target.tests:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in found:
                found.append(rel)
    return tuple(found)


def mutants_of(target: Target) -> Iterator[Mutant]:
    tests = _test_files(target)
    modules = sorted(p for p in PACKAGE.rglob("*.py")
                     if fnmatch.fnmatch(p.relative_to(PACKAGE).as_posix(), target.modules))
    if not modules or not tests:
        raise SystemExit(f"mutation check: target {target.modules} matches no "
                         f"{'module' if not modules else 'test file'}")
    for module in modules:
        source = module.read_text(encoding="utf-8")
        lines = source.splitlines()
        only = _function_lines(source, target.functions) if target.functions else None
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.OP or tok.string not in FLIPS:
                continue
            line, col = tok.start
            if only is not None and line not in only:
                continue
            rel = module.relative_to(PACKAGE).as_posix()
            why = next((e.reason for e in EQUIVALENT if e.module == rel and e.old == tok.string
                        and e.source_line == lines[line - 1].strip()), "")
            yield Mutant(module.relative_to(ROOT), line, col, tok.string, FLIPS[tok.string],
                         lines[line - 1], tests, why)


def stale_equivalents(mutants: list[Mutant]) -> list[Equivalent]:
    """EQUIVALENT entries for the modules checked that match none of their mutants."""
    checked = {m.path.relative_to("src/esps_cli").as_posix() for m in mutants}
    return [e for e in EQUIVALENT if e.module in checked and not any(
        m.equivalent == e.reason and m.old == e.old and m.source_line.strip() == e.source_line
        for m in mutants)]


def _apply(mutant: Mutant, copy_root: Path) -> None:
    path = copy_root / mutant.path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text = lines[mutant.line - 1]
    assert text[mutant.col:mutant.col + len(mutant.old)] == mutant.old, mutant.describe()
    lines[mutant.line - 1] = text[:mutant.col] + mutant.new + text[mutant.col + len(mutant.old):]
    path.write_text("".join(lines), encoding="utf-8")


def _copy_tree(copy_root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", copy_root / "src", ignore=ignore)
    for name in BESIDE_SRC:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy_root / name, ignore=ignore)
        elif (ROOT / name).is_file():
            shutil.copy2(ROOT / name, copy_root / name)


def run_tests(tests: tuple[str, ...], mutant: Mutant | None, timeout: float) -> tuple[str, float]:
    """Run the tests against a fresh copy of src/ (with the mutant applied): "passed",
    "failed" (exit 1 or an import broken by the mutant), "timeout" or "error (exit N)"."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="esps-mutant-") as tmp:
        copy_root = Path(tmp)
        _copy_tree(copy_root)
        if mutant is not None:
            _apply(mutant, copy_root)
        env = {**os.environ, "PYTHONPATH": str(copy_root / "src"),
               "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:xdist", "-p", "no:randomly", *tests]
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return "timeout", time.monotonic() - started
    elapsed = time.monotonic() - started
    if proc.returncode == 0:
        return "passed", elapsed
    if proc.returncode in (1, 2):  # tests failed, or collection broke on the mutant
        return "failed", elapsed
    return f"error (exit {proc.returncode}): {proc.stdout[-500:]}{proc.stderr[-500:]}", elapsed


def _check_copy_is_used() -> None:
    """The tests must import the copy, not an installed package: check it once."""
    with tempfile.TemporaryDirectory(prefix="esps-mutant-") as tmp:
        _copy_tree(Path(tmp))
        out = subprocess.run(
            [sys.executable, "-c", "import esps_cli; print(esps_cli.__file__)"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(Path(tmp) / "src")},
            capture_output=True, text=True, check=False,
        ).stdout.strip()
        if not out.startswith(tmp):
            raise SystemExit(f"mutation check: the tests would import {out}, not the copy")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", default=[],
                        help="only targets whose module glob contains this text (repeatable)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds per test run before the mutant counts as killed")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)

    targets = [t for t in TARGETS
               if not args.target or any(s in t.modules for s in args.target)]
    mutants = [m for t in targets for m in mutants_of(t)]
    stale = stale_equivalents(mutants)
    if stale:
        for e in stale:
            print(f"mutation check: EQUIVALENT entry matches no mutant (edit or remove it): "
                  f"{e.module}: `{e.old}` in: {e.source_line}", file=sys.stderr)
        return 2
    equivalent = [m for m in mutants if m.equivalent]
    mutants = [m for m in mutants if not m.equivalent]
    if args.list:
        for m in mutants:
            print(m.describe())
        for m in equivalent:
            print(f"equivalent, not run: {m.describe()} ({m.equivalent})")
        print(f"{len(mutants)} mutants (and {len(equivalent)} equivalent, not run)")
        return 0

    _check_copy_is_used()
    for tests in sorted({m.tests for m in mutants}):
        outcome, secs = run_tests(tests, None, args.timeout)
        if outcome != "passed":
            print(f"mutation check: the tests fail without any mutant ({outcome}): "
                  f"{' '.join(tests)}", file=sys.stderr)
            return 2
        print(f"baseline passes in {secs:.0f} s: {' '.join(tests)}")

    survivors: list[Mutant] = []
    errors: list[str] = []

    def one(m: Mutant) -> tuple[Mutant, str, float]:
        return (m, *run_tests(m.tests, m, args.timeout))

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, (m, outcome, secs) in enumerate(pool.map(one, mutants), 1):
            verdict = {"passed": "SURVIVED", "failed": "killed", "timeout": "killed (timeout)"}
            print(f"[{i}/{len(mutants)}] {verdict.get(outcome, 'ERROR')} {secs:4.0f} s  "
                  f"{m.describe()}", flush=True)
            if outcome == "passed":
                survivors.append(m)
            elif outcome not in verdict:
                errors.append(f"{m.where()}: {outcome}")

    print(f"\n{len(mutants)} mutants, {len(mutants) - len(survivors) - len(errors)} killed, "
          f"{len(survivors)} survived, {len(errors)} errors; {len(equivalent)} equivalent, "
          "not run")
    for m in equivalent:
        print(f"equivalent, not run: {m.describe()} ({m.equivalent})")
    for m in survivors:
        print(f"survived: {m.describe()}")
    for e in errors:
        print(f"error: {e}")
    if errors:
        return 2
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
