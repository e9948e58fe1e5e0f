"""The shape of the code, kept by tests (issue 15): dependencies run one way between the layers,
no import cycle between modules (imports inside functions count), and no function over 100
lines or class over 300."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "esps_cli"

# Lower layers never import higher ones. findings and errors import nothing from the package,
# so every layer may use them; validation, scoring and summary are siblings of one layer.
LAYERS = {
    "errors": 0, "findings": 0, "__init__": 0,
    "domain": 1,
    "io": 2,
    "register": 3,
    "workbook": 4,
    "validation": 5, "scoring": 5, "summary": 5, "community": 5, "working": 5,
    "reports": 6,
    "cli": 7,
    "__main__": 8,
}


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(("esps_cli", *parts)).removesuffix(".__init__")
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = _modules()


def _imports(name: str, tree: ast.Module) -> set[str]:
    """The package's modules that a module imports, at top level or inside functions."""
    found: set[str] = set()
    package = name if name in MODULES and _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base]) if base else ".".join(up)
            # `from pkg import module` depends on the module; `from pkg import name` on pkg.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("esps_cli."):
                found.add(target)
    return found


def _is_package(name: str) -> bool:
    return (SRC / Path(*name.split(".")[1:]) / "__init__.py").exists()


def _layer(name: str) -> int:
    top = name.split(".")[1] if "." in name else "__init__"
    return LAYERS[top]


GRAPH = {name: _imports(name, tree) for name, tree in MODULES.items()}


def test_every_top_level_module_has_a_layer():
    tops = {n.split(".")[1] for n in MODULES if "." in n}
    assert tops <= set(LAYERS), tops - set(LAYERS)


def test_dependencies_run_one_way():
    upward = sorted(f"{src} imports {dst}" for src, dsts in GRAPH.items() for dst in dsts
                    if _layer(dst) > _layer(src))
    assert upward == []


def test_findings_and_errors_import_nothing_else_from_the_package():
    for name, dsts in GRAPH.items():
        if name.split(".")[1:2] in (["findings"], ["errors"]):
            assert {d for d in dsts if not d.startswith(("esps_cli.findings",))} == set(), name


def test_summary_rules_are_pure():
    """The compliance rules read nothing: no file, no register, no validation (issue 20).
    (From findings, which imports nothing from the package, only `assembled`: a model built
    of values already checked.)"""
    assert GRAPH["esps_cli.summary.rules"] <= {"esps_cli.domain.framework",
                                               "esps_cli.findings",
                                               "esps_cli.summary.models"}


def test_summary_modules_stay_small():
    big = {n: len(t.body) for n, t in MODULES.items() if n.startswith("esps_cli.summary.")
           if len((SRC / Path(*n.split(".")[1:])).with_suffix(".py").read_text(
               encoding="utf-8").splitlines()) > 400}
    assert big == {}


def test_no_import_cycles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("kind, limit", [(ast.FunctionDef, 100), (ast.ClassDef, 300)])
def test_no_function_or_class_is_too_long(kind, limit):
    long = []
    for name, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, kind | ast.AsyncFunctionDef if kind is ast.FunctionDef
                          else kind):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []
