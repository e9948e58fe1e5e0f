"""The score register, the system of record for DCFA scores, on SQLite or PostgreSQL.

Scores are append-only events (cycle, unit, indicator, role, assessor, score, comment,
recorded at, source). The current score of a (cycle, unit, indicator, role) is its latest event,
by insertion order; history is never lost. The linked, the unlinked and the moderated score are
separate roles: nothing ever overwrites one with another. The database itself refuses UPDATE and
DELETE, an assessor on both sides of one unit, and a stale moderation (``migrations.py``).

Reliability: every write is one transaction that takes the register's write lock first
(``engines.py``), so two advisors recording at once wait for each other instead of failing,
every check made in the transaction still holds when it commits, and a process killed
mid-import leaves the register as it was before that import.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from esps_cli.errors import ConfigError
from esps_cli.io.collector import collector_paused
from esps_cli.register import audit, schema
from esps_cli.register.engines import (
    Database,
    PostgresDatabase,
    Row,
    SQLiteDatabase,
    TransactionKind,
)
from esps_cli.register.errors import RegisterNotFound
from esps_cli.register.location import RegisterLocation, locate
from esps_cli.register.models import (
    Allocation,
    ImportRecord,
    Mark,
    Marks,
    NewEvent,
    ScoreEvent,
    ScorePair,
    now_utc,
    timestamp,
)
from esps_cli.register.netfs import MOUNTS_FILE, network_filesystem

_EVENT_COLUMNS = ", ".join(ScoreEvent.model_fields)  # what an event read back holds
# The lean read of current marks: the key, the role and a Mark's fields.
_MARK_COLUMNS = ", ".join(("unit", "indicator", "role", *Mark._fields))


def _event(row: Row) -> ScoreEvent:
    return ScoreEvent(**{**row, "recorded_at": datetime.fromisoformat(row["recorded_at"])})


_CHUNK = 10_000  # events per insert: an import's memory stays flat
_LOG_AT_END = 50_000  # events whose audit entries wait for all of them (see _insert_events)
_READ_CHUNK = 10_000  # rows per read of the current scores
_SHARED_TEXT = ("cycle", "unit", "indicator", "role", "assessor", "comment", "source",
                "source_sha256")


@cache
def _events() -> TypeAdapter[list[ScoreEvent]]:
    return TypeAdapter(list[ScoreEvent])


@cache
def _pairs() -> TypeAdapter[list[ScorePair]]:
    return TypeAdapter(list[ScorePair])


def _not_found(location: RegisterLocation) -> RegisterNotFound:
    return RegisterNotFound(
        f"no score register at {location} yet: record a score (esps score set or "
        "esps score import) or run esps allocate first, or pass --register"
    )


def _unreadable_mark(location: RegisterLocation, unit: object, indicator: object, role: object,
                     score: object) -> ConfigError:
    """A current score that is not what esps writes (a whole number, with text for who and
    why): the register was written around esps. Said plainly, never passed on as a score."""
    return ConfigError(
        f"the register {location.display} is damaged: the {role} score of {unit} {indicator} "
        f"is {score!r} (or its assessor or comment is not text), not a score esps wrote. "
        "Restore it from a backup and run `esps register check`")


def _open_sqlite(location: RegisterLocation, create: bool, allow_network_sqlite: bool,
                 mounts_file: Path, creates: bool) -> SQLiteDatabase:
    path = location.path
    network = network_filesystem(path, mounts_file)
    if network and not allow_network_sqlite:
        raise ConfigError(
            f"the register {path} is on a network filesystem ({network}). SQLite cannot keep "
            "a register safe there: its locking and WAL mode need one machine's local disk, "
            "and scores would be lost. Use a shared PostgreSQL register "
            "(register = \"postgresql://user@host/db\", see the README), or pass "
            "--allow-network-sqlite to a reading command (summary, score show, score export, "
            "register check) to read it without writing"
        )
    if not path.exists():
        if not create or network:
            raise _not_found(location)
        if location.named and not creates:
            raise RegisterNotFound(
                f"no register at {path}: --register names a file that does not exist, and "
                "this command does not create registers; nothing was done. Check the path, or "
                "create the register first (esps allocate, or esps generate, with --register)")
        if not path.parent.exists():
            raise ConfigError(f"cannot create the register {path}: folder "
                              f"{path.parent} does not exist")
    if path.exists() and path.is_dir():
        raise ConfigError(f"the register {path} is a folder, not a database file")
    if path.exists():
        _check_is_sqlite(path)
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            # Reading a register on a read-only disk or folder works; recording says why not.
            return SQLiteDatabase(location, read_only=True, why_read_only=(
                "the register file or its folder cannot be written (read-only disk, folder or "
                "file): reading works, recording needs write access to both"))
    return SQLiteDatabase(location, read_only=bool(network))


def _check_is_sqlite(path: Path) -> None:
    """An existing register file must be a SQLite database: an empty file (a failed copy) or
    another kind of file is refused, never silently started afresh or overwritten."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise ConfigError(f"cannot read the register {path}: {exc.strerror}") from None
    if not head:
        raise ConfigError(
            f"the register {path} is an empty file (0 bytes), not a register: if a copy or a "
            "disk problem emptied it, restore it from a backup; to start a new register, "
            "delete the empty file or choose another --register"
        )
    if head != b"SQLite format 3\x00":
        raise ConfigError(f"{path} is not an esps score register (not a SQLite database)")


class Register:
    """The score register. Open it with ``Register.open(location)`` (a context manager)."""

    def __init__(self, location: RegisterLocation, db: Database):
        self.location = location
        self._db = db
        self._in_transaction = False

    @property
    def path(self) -> RegisterLocation | Path:
        """The SQLite file, or the (password-free when printed) location of a server register."""
        return self.location.path if self.location.engine == "sqlite" else self.location

    @property
    def engine(self) -> str:
        return self.location.engine

    @property
    def read_only(self) -> bool:
        return bool(getattr(self._db, "read_only", False))

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, location: RegisterLocation | Path | str, *, create: bool = True,
             allow_network_sqlite: bool = False, migrate: bool = True,
             mounts_file: Path = MOUNTS_FILE, creates: bool = False) -> Register:
        """Open (and create, or upgrade) the register at a path or postgresql:// URL.

        A SQLite file on a network filesystem is refused; with allow_network_sqlite it is
        opened read-only. create=False refuses a register that does not exist yet
        (RegisterNotFound); so does a file named by --register unless creates (the command
        is one that makes registers: allocate, generate, register copy); migrate=False opens
        it as it is (for checking).
        """
        loc = locate(location)
        db: Database
        if loc.engine == "sqlite":
            allowed = allow_network_sqlite or loc.allow_network_sqlite
            db = _open_sqlite(loc, create, allowed, mounts_file, creates)
        else:
            db = PostgresDatabase(loc)
        reg = cls(loc, db)
        try:
            version = schema.read_version(db)
            if version == 0:
                schema.refuse_foreign(db, loc)
            if isinstance(db, SQLiteDatabase):
                db.configure()
            if version == 0 and not create:
                raise _not_found(loc)
            if migrate:
                schema.migrate(db, loc, version, read_only=reg.read_only,
                               transaction=lambda: reg.transaction(kind="migrate"))
        except BaseException:
            db.close()
            raise
        return reg

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema (register/schema.py) ----------------------------------------------------

    @property
    def schema_version(self) -> int:
        return schema.schema_version(self._db)

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self, kind: TransactionKind = "write", *,
                    scope: tuple[str, Collection[str]] | None = None) -> Iterator[Register]:
        """One write transaction: all of it is recorded, or none of it. Nested use joins the
        outer transaction.

        scope (cycle, units): the transaction changes only these units' scores (and appends
        to the audit log); on PostgreSQL only they are locked, so writers of other units go
        on at the same time. Without it, the transaction excludes every other writer."""
        if self._in_transaction:
            if scope is not None:
                self._db.lock_units(*scope)
            yield self
            return
        self._db.begin(kind, scoped=scope is not None)
        self._in_transaction = True
        try:
            if scope is not None:
                self._db.lock_units(*scope)
            yield self
        except BaseException:
            self._in_transaction = False
            self._db.rollback()
            raise
        self._in_transaction = False
        self._db.commit()

    @contextmanager
    def snapshot(self) -> Iterator[Register]:
        """Read several tables as of one moment (takes no write lock; writers carry on)."""
        with self.transaction(kind="read"):
            yield self

    # -- score events ---------------------------------------------------------------------

    def record(self, event: NewEvent, *, import_id: int | None = None,
               at: datetime | None = None) -> ScoreEvent:
        """Append one event (in its own transaction unless inside one).

        A moderated score without the ids of the events it settles settles the current ones.
        """
        return self.record_many([event], import_id=import_id, at=at)[0]

    def record_many(self, events: list[NewEvent], *, import_id: int | None = None,
                    at: datetime | None = None) -> list[ScoreEvent]:
        """Append events in order, in one transaction and few round trips (an import).

        Ids are given here, under the write lock; a moderated score without the ids of the
        events it settles settles the ones current when it is recorded (earlier events of the
        same batch included). The database checks every row as if recorded one by one.
        """
        recorded_at = at or now_utc()
        rows: list[Row] = []
        _append_events(self, events, import_id, recorded_at, keep=rows)
        return _events().validate_python([{**row, "recorded_at": recorded_at} for row in rows])

    def record_import(self, events: Iterable[NewEvent | Row], *, import_id: int, count: int,
                      moderated: Mapping[str, Collection[str]]) -> int:
        """record_many for an import's 100,000 rows: the same rows and checks, in chunks, and
        how many were recorded (no event models kept: memory stays flat). The events may be
        a stream (made as they are recorded) of count events, in which moderated (cycle ->
        units) names every unit with a moderated score. An event may be given as a plain dict
        of NewEvent's fields, checked by the importer (no model each); such a dict is
        completed in place into the row recorded."""
        return _append_events(self, events, import_id, now_utc(), keep=None, count=count,
                              moderated=moderated)

    def current(self, cycle: str, unit: str, indicator: str) -> ScorePair:
        """The current scores of one (unit, indicator)."""
        rows = self._db.query(
            f"SELECT {_EVENT_COLUMNS} FROM score_events WHERE id IN ("
            "SELECT MAX(id) FROM score_events WHERE cycle = ? AND unit = ? AND indicator = ? "
            "GROUP BY role)",
            (cycle, unit, indicator),
        )
        return ScorePair(**{row["role"]: _event(row) for row in rows})

    def current_scores(self, cycle: str) -> dict[tuple[str, str], ScorePair]:
        """Current scores of a cycle, keyed (unit_code, indicator_id)."""
        pairs: dict[tuple[str, str], ScorePair] = {}
        parts: dict[tuple[str, str], dict[str, Row]] = {}
        shared: dict[object, object] = {}
        # Read in chunks, each validated at once (in pydantic's core) rather than row by row:
        # a summary reads 100,000 scores. A unit's indicator's rows are consecutive; the last
        # one of a chunk may go on in the next.
        for chunk in self._db.query_chunks(
                f"SELECT {_EVENT_COLUMNS} FROM score_events WHERE id IN ("
                "SELECT MAX(id) FROM score_events WHERE cycle = ? "
                "GROUP BY unit, indicator, role) ORDER BY unit, indicator, role", (cycle,),
                _READ_CHUNK):
            for row in chunk:
                for column in _SHARED_TEXT:  # one copy of each repeated text, not one a row
                    row[column] = shared.setdefault(row[column], row[column])
                parts.setdefault((row["unit"], row["indicator"]), {})[row["role"]] = row
            last = (chunk[-1]["unit"], chunk[-1]["indicator"])
            open_part = parts.pop(last)
            pairs.update(zip(parts, _pairs().validate_python(list(parts.values())), strict=True))
            parts = {last: open_part}
        pairs.update(zip(parts, _pairs().validate_python(list(parts.values())), strict=True))
        return pairs

    def current_marks(self, cycle: str, units: Collection[str] | None = None
                      ) -> dict[tuple[str, str], Marks]:
        """The current scores of a cycle (or of some of its units), lean: (unit, indicator)
        -> [linked, unlinked, moderated] marks (who, score, comment), for the reads of every
        score at once (export, agreement, summary, an import). current_scores gives the full
        events."""
        only, args = _units_filter(units)
        return _marks(self.location, self._db.query_tuples(
            f"SELECT {_MARK_COLUMNS} FROM score_events "
            "WHERE id IN (SELECT MAX(id) FROM score_events WHERE cycle = ?"
            f"{only} GROUP BY unit, indicator, role)", (cycle, *args)))

    def history(self, cycle: str, unit: str | None = None,
                indicator: str | None = None) -> list[ScoreEvent]:
        """Every event of a cycle (optionally one unit, one indicator), oldest first."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM score_events WHERE cycle = ?"
        args: list[object] = [cycle]
        if unit is not None:
            sql += " AND unit = ?"
            args.append(unit)
        if indicator is not None:
            sql += " AND indicator = ?"
            args.append(indicator)
        return [_event(r) for r in self._db.query(sql + " ORDER BY id", args)]

    def event_count(self, cycle: str | None = None) -> int:
        if cycle is None:
            return int(self._db.scalar("SELECT COUNT(*) AS n FROM score_events"))
        return int(self._db.scalar(
            "SELECT COUNT(*) AS n FROM score_events WHERE cycle = ?", (cycle,)))

    # -- imports --------------------------------------------------------------------------

    def find_import(self, cycle: str, sha256: str) -> ImportRecord | None:
        """The earlier import of a file with these exact bytes, if any."""
        row = self._db.query_one(
            "SELECT * FROM imports WHERE cycle = ? AND source_sha256 = ? ORDER BY id LIMIT 1",
            (cycle, sha256),
        )
        if row is None:
            return None
        return ImportRecord(**{**row, "imported_at": datetime.fromisoformat(row["imported_at"])})

    def log_import(self, cycle: str, source: str, sha256: str, kind: str, events: int) -> int:
        """Log an import (inside the import's transaction); returns its id."""
        with self.transaction():
            new_id = self._db.insert("imports", {
                "cycle": cycle, "source": source, "source_sha256": sha256, "kind": kind,
                "imported_at": timestamp(now_utc()), "events": events,
            })
            audit.log_rows(self._db, "imports", new_id)
            return new_id

    # -- allocations ----------------------------------------------------------------------

    def allocation_records(self, cycle: str) -> dict[str, Allocation]:
        """The current allocation of each unit in a cycle (its latest record)."""
        rows = self._db.query(
            "SELECT * FROM allocations WHERE id IN ("
            "SELECT MAX(id) FROM allocations WHERE cycle = ? GROUP BY unit) ORDER BY unit",
            (cycle,),
        )
        return {
            r["unit"]: Allocation(
                cycle=r["cycle"], unit=r["unit"], unlinked_dcfa=r["unlinked_dcfa"],
                allocated_at=datetime.fromisoformat(r["allocated_at"]), seed=r["seed"],
            )
            for r in rows
        }

    def allocations(self, cycle: str) -> dict[str, str]:
        """unit_code -> the allocated unlinked DCFA's id, for a cycle."""
        return {u: a.unlinked_dcfa for u, a in self.allocation_records(cycle).items()}

    def allocate(self, cycle: str, assignments: dict[str, str], seed: int | None) -> None:
        """Record allocations (appended; earlier ones stay in the history)."""
        at = timestamp(now_utc())
        with self.transaction():
            ids = [self._db.insert("allocations", {"cycle": cycle, "unit": unit,
                                                   "unlinked_dcfa": dcfa, "allocated_at": at,
                                                   "seed": seed})
                   for unit, dcfa in sorted(assignments.items())]
            if ids:
                audit.log_rows(self._db, "allocations", ids[0], ids[-1])

    # -- the audit log --------------------------------------------------------------------

    def log_event(self, action: str, *, cycle: str = "", unit: str = "", assessor: str = "",
                  detail: dict[str, object] | None = None) -> None:
        """An audit entry for an action that writes no row of its own (an export, a review);
        nothing on a register opened read-only."""
        if self.read_only:
            return
        with self.transaction(scope=(cycle, ())):  # no unit's scores: the audit log only
            audit.log_event(self._db, action, cycle=cycle, unit=unit, assessor=assessor,
                            detail=detail)

    # -- whole-register reading (check, copy) ---------------------------------------------

    def rows(self, table: str) -> list[Row]:
        """Every row of one of the register's tables, in id order."""
        order = "version" if table == "schema_version" else "id"
        return self._db.query(f"SELECT * FROM {table} ORDER BY {order}")

    def count(self, table: str) -> int:
        return int(self._db.scalar(f"SELECT COUNT(*) AS n FROM {table}"))

    @property
    def database(self) -> Database:
        """The engine connection, for the register's own maintenance code (check, copy)."""
        return self._db


def _marks(location: RegisterLocation, rows: Iterable[tuple[Any, ...]]
           ) -> dict[tuple[str, str], Marks]:
    """Register.current_marks of its rows (unit, indicator, role, assessor, score, comment);
    a row that is not what esps writes stops the read (_unreadable_mark)."""
    with collector_paused():  # 100,000 marks that all live on: no collector walks
        slot = {"linked": 0, "unlinked": 1, "moderated": 2}
        shared: dict[str, str] = {}  # one copy of each repeated text (units, assessors, ...)
        out: dict[tuple[str, str], Marks] = {}
        for unit, indicator, role, assessor, score, comment in rows:
            if type(score) is not int or type(assessor) is not str or type(comment) is not str:
                raise _unreadable_mark(location, unit, indicator, role, score)
            key = (shared.setdefault(unit, unit), shared.setdefault(indicator, indicator))
            marks = out.get(key)
            if marks is None:
                marks = out[key] = [None, None, None]
            marks[slot[role]] = Mark(shared.setdefault(assessor, assessor), score,
                                     shared.setdefault(comment, comment))
    return out


def _units_filter(units: Collection[str] | None) -> tuple[str, list[str]]:
    """SQL restricting a score_events read to some units (nothing: all), and its values."""
    if units is None:
        return "", []
    chosen = sorted(set(units))
    return f" AND unit IN ({', '.join('?' for _ in chosen) or 'NULL'})", chosen


def _field(event: NewEvent | Row, name: str) -> Any:
    return event[name] if isinstance(event, dict) else getattr(event, name)


def _append_events(register: Register, events: Iterable[NewEvent | Row], import_id: int | None,
                   recorded_at: datetime, keep: list[Row] | None, count: int | None = None,
                   moderated: Mapping[str, Collection[str]] | None = None) -> int:
    """Append events for Register.record_many, in chunks; their rows kept in keep if given.
    Without count and moderated (see record_import), events is a list and they are found."""
    stamp = timestamp(recorded_at)
    if count is None or moderated is None:
        assert isinstance(events, Sequence)
        count, found = len(events), dict[str, set[str]]()
        for e in events:
            if _field(e, "role") == "moderated":
                found.setdefault(_field(e, "cycle"), set()).add(_field(e, "unit"))
        moderated = found
    moderated = {cycle: units for cycle, units in moderated.items() if units}
    with register.transaction():
        latest: dict[tuple[str, str, str, str], int] = {}
        for cycle, units in sorted(moderated.items()):
            # The current linked and unlinked events' ids, which a moderation settles.
            only, args = _units_filter(units)
            for unit, indicator, role, current_id in register._db.query_tuples(
                    "SELECT unit, indicator, role, MAX(id) FROM score_events WHERE cycle = ? "
                    f"AND role IN ('linked', 'unlinked'){only} GROUP BY unit, indicator, role",
                    (cycle, *args)):
                latest[(cycle, unit, indicator, role)] = int(current_id)
        with register._db.large_write():
            recorded = _insert_events(register, events, count, latest, moderated, stamp,
                                      import_id, keep)
        if recorded != count:  # a stream that was not what its reader counted: none kept
            raise ConfigError(f"{recorded} score events were to be recorded, not {count}; "
                              "nothing was recorded")
    return recorded


def _insert_events(register: Register, events: Iterable[NewEvent | Row], count: int,
                   latest: dict[tuple[str, str, str, str], int],
                   moderated: Mapping[str, Collection[str]], stamp: str,
                   import_id: int | None, keep: list[Row] | None) -> int:
    """Insert events, in chunks, each with its audit entry, and say how many. latest: the
    current (cycle, unit, indicator, role) -> event id, which a moderation settles; kept
    only for the units with a moderated score (moderated: cycle -> units).

    The entries of up to _LOG_AT_END events are appended after all of them are in: the
    audit chain's lock, which other writers wait for, is then held only for that moment."""
    who = register._db.who
    at_end: list[Row] | None = [] if count <= _LOG_AT_END else None
    recorded = 0
    stream = iter(events)
    while chunk := list(islice(stream, _CHUNK)):
        rows = [e if isinstance(e, dict) else e.model_dump() for e in chunk]
        del chunk
        recorded += len(rows)
        ids = iter(register._db.reserve_ids("score_events", len(rows)))
        for row in rows:  # plain dicts, no model per row: each a whole row as inserted
            next_id = next(ids)
            key = (row["cycle"], row["unit"], row["indicator"])
            if row["role"] == "moderated":
                for role in ("linked", "unlinked"):
                    row[f"moderates_{role}"] = (row[f"moderates_{role}"]
                                                or latest.get((*key, role)))
            elif row["unit"] in moderated.get(row["cycle"], ()):
                latest[(*key, row["role"])] = next_id
            row["id"] = next_id
            row["recorded_at"] = stamp
            row["import_id"] = import_id
            row["entered_by"] = who
        register._db.insert_rows("score_events", rows)
        # Hashed as inserted: the same hashes as reading them back (audit.log_written).
        if at_end is None:
            audit.log_written(register._db, "score_events", rows)
        else:
            at_end.extend(rows)
        if keep is not None:
            keep.extend(rows)
    if at_end:
        audit.log_written(register._db, "score_events", at_end)
    return recorded

