"""Whole-register work: ``check`` (is this register sound?) and ``copy`` (move every row to
another register, SQLite to PostgreSQL or back, and prove it arrived).

A table added by a later migration is copied and counted once it is listed in COPY_TABLES
(with the column that says when each row was written). A check of its own (for example the
audit log's hash chain) goes in EXTRA_CHECKS: a function from an open register to CheckItems.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from esps_cli.errors import ConfigError
from esps_cli.register.engines import Row
from esps_cli.register.errors import RegisterNotFound
from esps_cli.register.location import RegisterLocation, locate
from esps_cli.register.logins import require_whole_view
from esps_cli.register.migrations import SCHEMA_VERSION, expected_triggers
from esps_cli.register.netfs import MOUNTS_FILE
from esps_cli.register.store import Register

# Tables holding the register's records, in the order a row's references come first, each with
# the column that says when the row was written (rows are replayed in that order).
COPY_TABLES: tuple[tuple[str, str], ...] = (
    ("imports", "imported_at"),
    ("allocations", "allocated_at"),
    ("score_events", "recorded_at"),
    ("pack_issues", "issued_at"),
    ("workbook_issues", "issued_at"),
    ("unit_returns", "received_at"),
    ("review_states", "set_at"),
    ("challenge_forms", "issued_at"),
    ("challenges", "recorded_at"),
    ("challenge_responses", "responded_at"),
    ("releases", "published_at"),
    ("calibration_seeds", "set_at"),
    ("calibration_packs", "issued_at"),
    ("calibration_scores", "recorded_at"),
    # After the scores: rows recorded before a rule existed are copied as they were.
    ("unit_links", "recorded_at"),
    ("cycle_rules", "recorded_at"),
    ("advisor_logins", "recorded_at"),
    ("audit_log", "at"),
)

Status = Literal["ok", "warning", "problem"]


class CheckItem(BaseModel):
    name: str
    status: Status
    detail: str


class CheckReport(BaseModel):
    location: str
    engine: str
    schema_version: int
    counts: dict[str, int]
    items: list[CheckItem]

    @property
    def sound(self) -> bool:
        return all(i.status != "problem" for i in self.items)


def _audit_items(reg: Register) -> list[CheckItem]:
    """The audit log's hash chain and the rows it records (schema version 3 on)."""
    from esps_cli.register.audit import TABLE, verify

    if not reg.database.has_table(TABLE):
        return []
    result = verify(reg.database)
    if result.intact:
        return [CheckItem(name="audit chain", status="ok", detail=(
            f"{result.entries} entries and the {result.rows} rows they record intact; head "
            f"{result.head[:16]}"))]
    where = f"entry {result.broken_entry}: " if result.broken_entry else ""
    return [CheckItem(name="audit chain", status="problem", detail=where + result.problem)]


# Checks later issues add: each gets the open register.
EXTRA_CHECKS: list[Callable[[Register], list[CheckItem]]] = [_audit_items]


def _version_item(version: int) -> CheckItem:
    if version == SCHEMA_VERSION:
        return CheckItem(name="schema version", status="ok",
                         detail=f"{version}, the version this esps-cli writes")
    if version < SCHEMA_VERSION:
        return CheckItem(name="schema version", status="warning", detail=(
            f"{version}; this esps-cli writes {SCHEMA_VERSION}: the next command that opens "
            "it for recording upgrades it"))
    return CheckItem(name="schema version", status="problem", detail=(
        f"{version}, newer than this esps-cli ({SCHEMA_VERSION}): upgrade esps-cli"))


def _rules_item(reg: Register, version: int) -> CheckItem:
    expected = expected_triggers(reg.location.engine, version)
    states = reg.database.trigger_states()
    missing = sorted(expected - set(states))
    disabled = sorted(n for n in expected & set(states) if states[n] in ("disabled", "replica"))
    if missing or disabled:
        said = [f"missing: {', '.join(missing)}" if missing else "",
                f"disabled: {', '.join(disabled)}" if disabled else ""]
        return CheckItem(name="rules in the database", status="problem", detail=(
            f"trigger(s) {'; '.join(x for x in said if x)}; the database no longer refuses "
            "what they guard"))
    role = reg.database.replication_role()
    if role != "origin":
        return CheckItem(name="rules in the database", status="problem", detail=(
            f"this session runs with session_replication_role = {role}: the triggers do not "
            "fire for it"))
    skippable = sorted(n for n in expected if states[n] == "origin")
    if skippable:
        return CheckItem(name="rules in the database", status="warning", detail=(
            f"append-only and role triggers all present and enabled, but {len(skippable)} "
            "fire only for ordinary sessions: a superuser session with "
            "session_replication_role = replica skips them and leaves no trace here (other "
            "sessions' settings cannot be seen); `esps log --verify --since-checkpoint` "
            "catches what such a session changed"))
    return CheckItem(name="rules in the database", status="ok",
                     detail="append-only and role triggers all present and firing")


# Tables the audit chain does not cover, and why that is acceptable.
UNCOVERED = {
    "schema_version": "the schema's version history",
    "audit_log": "the chain itself (checked entry by entry, and against a checkpoint)",
    "validation_cache": "a cache: an entry is used only if it matches the digest recorded "
                        "with it and the returns recorded in the chain",
}


def _coverage_item(reg: Register) -> CheckItem:
    """Which tables' content the audit chain does not cover (named, never implied)."""
    from esps_cli.register.audit import AUDITED

    tables = reg.database.table_names()
    outside = sorted(tables - set(AUDITED))
    known = [f"{t} ({UNCOVERED[t]})" for t in outside if t in UNCOVERED]
    unknown = [t for t in outside if t not in UNCOVERED]
    covered = ", ".join(sorted(tables & set(AUDITED)))
    detail = (f"covered: {covered or 'none'}; not covered: {'; '.join(known) or 'none'}")
    if unknown:
        return CheckItem(name="audit coverage", status="warning", detail=(
            f"table(s) esps does not know, not covered by the audit chain: "
            f"{', '.join(unknown)}; {detail}"))
    return CheckItem(name="audit coverage", status="ok", detail=detail)


def _imports_item(reg: Register) -> CheckItem:
    rows = reg.database.query(
        "SELECT i.id, i.source, i.events, (SELECT COUNT(*) FROM score_events e "
        "WHERE e.import_id = i.id) AS found FROM imports i ORDER BY i.id")
    wrong = [f"import {r['id']} ({r['source']}) logged {r['events']} events, "
             f"{r['found']} found" for r in rows if int(r["found"]) != int(r["events"])]
    if wrong:
        return CheckItem(name="import log", status="problem", detail="; ".join(wrong[:5]))
    return CheckItem(name="import log", status="ok",
                     detail=f"{len(rows)} import(s), each with the events it logged")


def _moderation_item(reg: Register, version: int) -> CheckItem:
    if version < 2:
        return CheckItem(name="moderations", status="ok", detail="(checked from version 2)")
    rows = reg.database.query(
        "SELECT m.id FROM score_events m WHERE m.role = 'moderated' AND NOT ("
        "EXISTS (SELECT 1 FROM score_events l WHERE l.id = m.moderates_linked AND l.id < m.id "
        "AND l.role = 'linked' AND l.cycle = m.cycle AND l.unit = m.unit "
        "AND l.indicator = m.indicator) AND "
        "EXISTS (SELECT 1 FROM score_events u WHERE u.id = m.moderates_unlinked "
        "AND u.id < m.id AND u.role = 'unlinked' AND u.cycle = m.cycle AND u.unit = m.unit "
        "AND u.indicator = m.indicator)) ORDER BY m.id")
    return _events_item("moderations", rows,
                        "moderated event(s) {ids} do not settle an earlier linked and unlinked "
                        "score of the same indicator",
                        "every moderation settles an earlier linked and unlinked score")


def _scores_item(reg: Register) -> CheckItem:
    """Every score a whole number, with text for who and why: what esps writes. PostgreSQL's
    column types hold it; an SQLite column takes any value written around esps (2.5 is on the
    scale, so the scale's trigger lets it in), which stops every read of the scores."""
    if reg.engine != "sqlite":
        return CheckItem(name="scores", status="ok",
                         detail="whole numbers: the database's column types hold it")
    rows = reg.database.query(
        "SELECT id FROM score_events WHERE typeof(score) <> 'integer' "
        "OR typeof(assessor) <> 'text' OR typeof(comment) <> 'text' ORDER BY id")
    return _events_item("scores", rows,
                        "score event(s) {ids} hold a score that is not a whole number, or an "
                        "assessor or comment that is not text: written around esps",
                        "every score a whole number, with text for who and why")


def _events_item(name: str, rows: list[Row], problem: str, ok: str) -> CheckItem:
    """A check of score events: a problem naming the first ten events found (problem's {ids}),
    else ok."""
    if rows:
        ids = ", ".join(str(r["id"]) for r in rows[:10])
        return CheckItem(name=name, status="problem", detail=problem.format(ids=ids))
    return CheckItem(name=name, status="ok", detail=ok)


def check(location: RegisterLocation | Path | str, *, allow_network_sqlite: bool = False,
          mounts_file: Path = MOUNTS_FILE) -> CheckReport:
    """Check a register as it is (it is not upgraded): the engine's own integrity check, the
    schema version, the rule triggers, the import log, moderations, the scores' types, and
    any EXTRA_CHECKS."""
    with Register.open(location, create=False, migrate=False,
                       allow_network_sqlite=allow_network_sqlite,
                       mounts_file=mounts_file) as reg:
        require_whole_view(reg.database, "esps register check")
        version = reg.schema_version
        problems = reg.database.integrity_problems()
        items = [
            CheckItem(name="database integrity", status="problem" if problems else "ok",
                      detail="; ".join(problems[:5]) or f"{reg.engine}: no damage found"),
            _version_item(version),
        ]
        if version <= SCHEMA_VERSION:
            with reg.snapshot():
                items += [_rules_item(reg, version), _coverage_item(reg), _imports_item(reg),
                          _moderation_item(reg, version), _scores_item(reg)]
                for extra in EXTRA_CHECKS:
                    items += extra(reg)
        if not any(i.name == "audit chain" for i in items):
            items.append(CheckItem(name="audit chain", status="ok",
                                   detail="none in this register's schema"))
        counts = {t: reg.count(t) for t, _ in COPY_TABLES if reg.database.has_table(t)}
        return CheckReport(location=str(reg.location), engine=reg.engine,
                           schema_version=version, counts=counts, items=items)


def upgrade(location: RegisterLocation | Path | str) -> tuple[int, int]:
    """Apply the migrations a register lacks (creating it if need be); (version before,
    version after), 0 before for a new register."""
    try:
        with Register.open(location, create=False, migrate=False) as reg:
            before = reg.schema_version
    except RegisterNotFound:
        before = 0
    with Register.open(location, creates=True) as reg:
        return before, reg.schema_version


# -- copy ----------------------------------------------------------------------------------


class CopiedTable(BaseModel):
    table: str
    source_rows: int
    target_rows: int
    same_content: bool

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.same_content


class CopyReport(BaseModel):
    source: str
    target: str
    schema_version: int
    tables: list[CopiedTable]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)


def _digest(rows: list[Row]) -> str:
    canonical = json.dumps([sorted(r.items()) for r in rows], default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _in_time_order(tables: dict[str, list[Row]]) -> Iterator[tuple[str, Row]]:
    """Every row of every table, each table in id order, interleaved by when it was written
    (so rules that depend on what came before see the same history again)."""
    streams = [
        [(row[column], position, table, row) for row in tables[table]]
        for position, (table, column) in enumerate(COPY_TABLES)
    ]
    for _, _, table, row in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
        yield table, row


def copy_register(source: RegisterLocation | Path | str, target: RegisterLocation | Path | str,
                  *, allow_network_sqlite: bool = False,
                  mounts_file: Path = MOUNTS_FILE) -> CopyReport:
    """Copy every row (ids kept) from source into target, an empty register (created if need
    be), in one transaction; then compare both sides' row counts and contents."""
    src_loc, dst_loc = locate(source), locate(target)
    if src_loc == dst_loc:
        raise ConfigError("register copy: FROM and TO are the same register")
    with Register.open(src_loc, create=False, allow_network_sqlite=allow_network_sqlite,
                       mounts_file=mounts_file) as src, \
            Register.open(dst_loc, mounts_file=mounts_file) as dst:
        held = {t: dst.count(t) for t, _ in COPY_TABLES}
        if any(held.values()):
            listed = ", ".join(f"{n} {t}" for t, n in held.items() if n)
            raise ConfigError(f"register copy: the target {dst.location} already holds records "
                              f"({listed}); copy only into a new, empty register")
        with src.snapshot():
            tables = {t: src.rows(t) for t, _ in COPY_TABLES}
        with dst.transaction():
            # consecutive rows of one table go in one batch (one pipeline on PostgreSQL)
            for table, run in groupby(_in_time_order(tables), key=lambda item: item[0]):
                dst.database.insert_rows(table, [row for _, row in run])
            for table, _ in COPY_TABLES:
                dst.database.ids_follow(table)
        return CopyReport(
            source=str(src.location), target=str(dst.location),
            schema_version=dst.schema_version,
            tables=[_compare(t, tables[t], dst) for t, _ in COPY_TABLES],
        )


def _compare(table: str, source_rows: list[Row], dst: Register) -> CopiedTable:
    copied: list[dict[str, Any]] = dst.rows(table)
    return CopiedTable(table=table, source_rows=len(source_rows), target_rows=len(copied),
                       same_content=_digest(source_rows) == _digest(copied))
