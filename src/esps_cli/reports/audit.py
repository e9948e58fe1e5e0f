"""The audit log as people read it (`esps log`): a table, CSV rows, and the verification."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.register.audit import AuditEntry, Verification
from esps_cli.reports.scores import say

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

LOG_HEADER = ("id", "at", "action", "cycle", "unit", "assessor", "detail", "table", "row",
              "row_sha256", "entry_hash")


def _summary(e: AuditEntry) -> str:
    d = e.detail
    if e.action in ("score", "moderation"):
        text = f"{d.get('indicator')} {d.get('role')} {d.get('score')}"
        return text + (f" from {d['source']}" if d.get("source") else "")
    if e.action == "import":
        return f"{d.get('kind')} {d.get('source')} sha256 {str(d.get('sha256'))[:12]}, " \
               f"{d.get('events')} event(s)"
    if e.action == "pack-issue":
        return f"{d.get('kind')} pack {d.get('pack_id')} ({d.get('role')}) {d.get('file')}"
    if e.action == "allocation":
        return f"unlinked DCFA {e.assessor}" + (f" (seed {d['seed']})" if d.get("seed") else "")
    return ", ".join(f"{k} {v}" for k, v in d.items())


def log_rows(entries: list[AuditEntry]) -> list[list[object]]:
    return [[e.id, e.at.isoformat(), e.action, e.cycle, e.unit, e.assessor,
             json.dumps(e.detail, sort_keys=True), e.ref_table, e.ref_id or "", e.row_sha256,
             e.entry_hash] for e in entries]


def print_log(console: Console, entries: list[AuditEntry]) -> None:
    table = Table("#", "at (UTC)", "action", "unit", "assessor", "what", title="Audit log")
    for e in entries:
        table.add_row(str(e.id), f"{e.at:%Y-%m-%d %H:%M:%S}", e.action, e.unit, e.assessor,
                      escape(_summary(e)))
    console.print(table)
    say(console, f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


def print_verification(console: Console, result: Verification, location: str) -> None:
    if result.intact:
        say(console, f"intact: {result.entries} audit entries and the {result.rows} register "
                     f"rows they record in {location} are as written", "green")
    else:
        where = f"entry {result.broken_entry}" if result.broken_entry else "the register"
        say(console, f"BROKEN at {where}: {result.problem}", "bold red")
    say(console, f"chain head: {result.head} (note it: a later --verify whose log does not "
                 "contain this entry means entries were removed from the end)")


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def log_text(entries: list[AuditEntry], dest: Destination, **_: Any) -> None:
    print_log(dest.console, entries)


def log_csv(entries: list[AuditEntry], dest: Destination, **_: Any) -> None:
    dest.write_csv(LOG_HEADER, log_rows(entries))


def verification_text(result: Verification, dest: Destination, *, location: str,
                      **_: Any) -> None:
    print_verification(dest.console, result, location)


def verification_json(result: Verification, dest: Destination, **_: Any) -> None:
    dest.write_json({**result.model_dump(), "intact": result.intact})
