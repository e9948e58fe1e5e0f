"""tools/mutation_check.py finds the comparisons of the rule modules and mutates only a copy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tool():
    spec = importlib.util.spec_from_file_location("mutation_check",
                                                  ROOT / "tools" / "mutation_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_every_comparison_of_a_rule_module_is_a_mutant_and_only_the_copy_changes(tmp_path):
    tool = load_tool()
    module = "summary/standing.py"
    (target,) = [t for t in tool.TARGETS if t.modules == module]
    mutants = list(tool.mutants_of(target))
    source = (tool.PACKAGE / module).read_text(encoding="utf-8")
    expected = sum(line.count(op) for line in source.splitlines() for op in (" < ", " <= ",
                   " > ", " >= ", " == ", " != ") if not line.lstrip().startswith("#"))
    assert len(mutants) == expected > 0
    assert all(m.tests and "tests/test_rule_boundaries.py" in m.tests for m in mutants)

    kpi = next(m for m in mutants if "kpi=" in m.source_line and m.old == ">=")
    tool._copy_tree(tmp_path)
    tool._apply(kpi, tmp_path)
    copied = (tmp_path / kpi.path).read_text(encoding="utf-8").splitlines()
    assert "pct > cycle.kpi_target_pct" in copied[kpi.line - 1]
    original = source.splitlines()
    assert [i for i, (a, b) in enumerate(zip(original, copied, strict=True)) if a != b] == [
        kpi.line - 1]
    assert (tool.PACKAGE / module).read_text(encoding="utf-8") == source  # never in place
    assert (tmp_path / "templates" / "esps-framework.yaml").is_file()


def test_each_known_equivalent_mutant_matches_exactly_one_mutant_and_is_not_run():
    tool = load_tool()
    mutants = [m for t in tool.TARGETS for m in tool.mutants_of(t)]
    for entry in tool.EQUIVALENT:
        matched = [m for m in mutants if m.equivalent == entry.reason]
        assert len(matched) == 1, entry
        assert entry.reason and matched[0].path.as_posix().endswith(entry.module)
    assert tool.stale_equivalents(mutants) == []
    # An entry whose line has changed matches nothing: the check refuses to run.
    stale = tool.Equivalent("validation/context.py", ">", "if len(cache) > 99:", "moved")
    tool.EQUIVALENT = (*tool.EQUIVALENT, stale)
    assert tool.stale_equivalents(mutants) == [stale]
    assert tool.main(["--list", "--target", "validation"]) == 2
