"""`esps register check` and `esps register copy` as people read them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from esps_cli.register.maintenance import CheckReport, CopyReport
    from esps_cli.reports.render import Destination

MARK = {"ok": "[green]ok[/green]     ", "warning": "[yellow]warning[/yellow]",
        "problem": "[bold red]PROBLEM[/bold red]"}


def _say(console: Console, markup: str) -> None:
    console.print(markup, soft_wrap=True, highlight=False)


def check_text(report: CheckReport, dest: Destination, **_: Any) -> None:
    say = dest.console
    _say(say, f"register {escape(report.location)} ({report.engine}, schema version "
              f"{report.schema_version})")
    for item in report.items:
        _say(say, f"  {MARK[item.status]}  {escape(item.name)}: {escape(item.detail)}")
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    _say(say, f"records: {escape(counts)}")
    _say(say, "sound" if report.sound else "[bold red]problems found[/bold red]")


def check_json(report: CheckReport, dest: Destination, **_: Any) -> None:
    dest.write_json({**report.model_dump(), "sound": report.sound})


def copy_text(report: CopyReport, dest: Destination, **_: Any) -> None:
    say = dest.console
    _say(say, f"copied {escape(report.source)} to {escape(report.target)} (schema version "
              f"{report.schema_version})")
    for t in report.tables:
        verdict = "same" if t.ok else "[bold red]DIFFERENT[/bold red]"
        _say(say, f"  {t.table:<13} {t.source_rows:>7} -> {t.target_rows:<7} {verdict}")
    _say(say, "every record arrived" if report.ok else
         "[bold red]the copy differs from the original[/bold red]")


def copy_json(report: CopyReport, dest: Destination, **_: Any) -> None:
    dest.write_json({**report.model_dump(), "ok": report.ok})
