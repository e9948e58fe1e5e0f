"""The audit log as people read it (`esps log`): a line per entry, CSV rows, and the
verification."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from esps_cli.register.audit import AuditEntry, Verification
from esps_cli.reports.scores import say

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

LOG_HEADER = ("id", "at", "action", "cycle", "unit", "assessor", "detail", "table", "row",
              "row_sha256", "entry_hash")


def _name(path: object) -> str:
    """A file's name without its folders (the whole path is in --format csv/json)."""
    return PurePath(str(path)).name if path else ""


def _summary(e: AuditEntry) -> str:
    """What an entry records, in a few words (the log's line for it ends with this)."""
    d = e.detail
    if e.action in ("score", "moderation"):
        text = f"{d.get('indicator')} {d.get('role')} {d.get('score')}"
        return text + (f" from {_name(d['source'])}" if d.get("source") else "")
    if e.action == "import":
        return f"{d.get('kind')} {_name(d.get('source'))}: {d.get('events')} event(s), " \
               f"sha256 {str(d.get('sha256'))[:12]}"
    if e.action == "pack-issue":
        return f"{d.get('kind')} pack {str(d.get('pack_id'))[:8]} {d.get('role')} " \
               f"{_name(d.get('file'))}"
    if e.action == "workbook-issue":
        return f"pack {str(d.get('pack_id'))[:8]} {_name(d.get('file'))}"
    if e.action == "return-received":
        return f"{_name(d.get('file'))}: {d.get('errors')} error(s), " \
               f"{d.get('warnings')} warning(s)"
    if e.action == "review":
        return f"{d.get('state')}: {d.get('reason')}" if d.get("reason") else str(d.get("state"))
    if e.action == "allocation":
        return f"unlinked DCFA {e.assessor}" + (f" (seed {d['seed']})" if d.get("seed") else "")
    return ", ".join(f"{k} {v}" for k, v in d.items())


def log_rows(entries: list[AuditEntry]) -> list[list[object]]:
    return [[e.id, e.at.isoformat(), e.action, e.cycle, e.unit, e.assessor,
             json.dumps(e.detail, sort_keys=True), e.ref_table, e.ref_id or "", e.row_sha256,
             e.entry_hash] for e in entries]


def log_lines(entries: list[AuditEntry]) -> list[tuple[str, str]]:
    """The log as people read it: one line per entry (number, time, action, unit, assessor,
    what), under a line per day; (kind, text) with kind "day" or "entry". Columns are as wide
    as their longest value here, so the lines line up."""
    number = max((len(str(e.id)) for e in entries), default=1)
    unit = min(8, max((len(e.unit or "-") for e in entries), default=1))
    who = min(8, max((len(e.assessor or "-") for e in entries), default=1))
    action = max((len(e.action) for e in entries), default=1)
    out: list[tuple[str, str]] = []
    day = None
    for e in entries:
        if f"{e.at:%Y-%m-%d}" != day:
            day = f"{e.at:%Y-%m-%d}"
            out.append(("day", f"{day} (UTC)"))
        out.append(("entry", f"{e.id:>{number}} {e.at:%H:%M:%S} {e.action:<{action}} "
                             f"{e.unit or '-':<{unit}} {e.assessor or '-':<{who}} "
                             f"{_summary(e)}".rstrip()))
    return out


def print_log(console: Console, entries: list[AuditEntry]) -> None:
    """One line per entry, cut with an ellipsis at the console's width (piped or not); the
    whole of every entry is in --format csv or json."""
    for kind, text in log_lines(entries):
        console.print(Text(text, style="bold" if kind == "day" else ""), no_wrap=True,
                      overflow="ellipsis", crop=True, soft_wrap=False, highlight=False)
    count = f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}"
    say(console, count + ("; every detail: --format csv or --format json" if entries else ""))


def print_verification(console: Console, result: Verification, location: str) -> None:
    if result.intact:
        say(console, f"intact: {result.entries} audit entries and the {result.rows} register "
                     f"rows they record in {location} are as written", "green")
    else:
        where = f"entry {result.broken_entry}" if result.broken_entry else "the register"
        say(console, f"BROKEN at {where}: {result.problem}", "bold red")
    if result.expected and result.intact:
        say(console, f"the chain still holds the checkpoint's head {result.expected}", "green")
    say(console, f"chain head: entry {result.entries}, {result.head}; fingerprint "
                 f"{result.fingerprint} (keep it outside the register with `esps log "
                 "checkpoint FILE`: a later --verify --since-checkpoint FILE catches entries "
                 "re-hashed or removed from the end)")


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
