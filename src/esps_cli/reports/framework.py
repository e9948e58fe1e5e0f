"""The framework as the terminal shows it: a tree of themes, units and indicators, and the
cycles table (`esps framework show`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from esps_cli.domain.framework import Framework

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination


def framework_tree(fw: Framework) -> Tree:
    root = Tree(f"[bold]{escape(fw.meta.title)}[/bold] ({fw.meta.id} {fw.meta.version})")
    root.add(f"[yellow]{escape(fw.meta.status)}[/yellow]")
    for theme in fw.national_themes:
        t = root.add(f"[bold]{theme.id}[/bold] {escape(theme.name)}")
        for unit in (u for u in fw.esps_units if u.theme == theme.id):
            u = t.add(f"{unit.number}. {escape(unit.title)} [dim]({unit.strategy_theme})[/dim]")
            for ind in unit.indicators:
                node = u.add(f"[cyan]{ind.id}[/cyan] [dim]{ind.stage}[/dim] {escape(ind.text)}")
                node.add(f"[dim]{escape(ind.evidence.describe(fw.evidence_type_by_id))}[/dim]")
    return root


def cycles_table(fw: Framework) -> Table:
    cycles = Table("cycle", "name", "stage", "deadline", "KPI target", title="Cycles")
    for c in fw.cycles:
        cycles.add_row(c.id, c.name, c.stage, f"{c.submission_deadline:%d/%m/%Y}",
                       f"{c.kpi_target_pct:g}%")
    return cycles


def framework_text(fw: Framework, dest: Destination, **_: Any) -> None:
    dest.console.print(framework_tree(fw))
    dest.console.print(cycles_table(fw))
