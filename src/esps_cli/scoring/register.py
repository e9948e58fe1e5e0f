"""The score register: an embedded SQLite database, the system of record for DCFA scores.

Scores are append-only events (cycle, unit, indicator, role, assessor, score, comment,
recorded at, source). The current score of a (cycle, unit, indicator, role) is its latest event,
by insertion order; history is never lost (triggers refuse UPDATE and DELETE on events). The
linked, the unlinked and the moderated score are separate roles: nothing ever overwrites one
with another.

Reliability: the database runs in WAL mode with a busy timeout, and every write is one
``BEGIN IMMEDIATE`` transaction, so two processes recording at once wait for each other instead
of failing, and a process killed mid-import leaves the register as it was before that import.
The schema is versioned (``schema_version``) and upgraded by ordered migrations on open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from esps_cli.errors import ConfigError

DEFAULT_REGISTER = Path("esps.db")
BUSY_TIMEOUT_MS = 30_000
COMMAND_LINE_SOURCE = "command line"

Role = Literal["linked", "unlinked", "moderated"]
ROLES: tuple[Role, ...] = ("linked", "unlinked", "moderated")

# Ordered migrations: (version, statements). Never edit a released one; append a new one.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE score_events (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                cycle         TEXT NOT NULL,
                unit          TEXT NOT NULL,
                indicator     TEXT NOT NULL,
                role          TEXT NOT NULL CHECK (role IN ('linked', 'unlinked', 'moderated')),
                assessor      TEXT NOT NULL,
                score         INTEGER NOT NULL,
                comment       TEXT NOT NULL DEFAULT '',
                recorded_at   TEXT NOT NULL,
                source        TEXT NOT NULL,
                source_sha256 TEXT,
                import_id     INTEGER REFERENCES imports(id)
            )
            """,
            """
            CREATE INDEX score_events_key
                ON score_events (cycle, unit, indicator, role, id)
            """,
            """
            CREATE TRIGGER score_events_no_update BEFORE UPDATE ON score_events
            BEGIN SELECT RAISE(ABORT, 'score events are append-only'); END
            """,
            """
            CREATE TRIGGER score_events_no_delete BEFORE DELETE ON score_events
            BEGIN SELECT RAISE(ABORT, 'score events are append-only'); END
            """,
            """
            CREATE TABLE allocations (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                cycle         TEXT NOT NULL,
                unit          TEXT NOT NULL,
                unlinked_dcfa TEXT NOT NULL,
                allocated_at  TEXT NOT NULL,
                seed          INTEGER
            )
            """,
            """
            CREATE INDEX allocations_key ON allocations (cycle, unit, id)
            """,
            """
            CREATE TABLE imports (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                cycle         TEXT NOT NULL,
                source        TEXT NOT NULL,
                source_sha256 TEXT NOT NULL,
                kind          TEXT NOT NULL,
                imported_at   TEXT NOT NULL,
                events        INTEGER NOT NULL
            )
            """,
            """
            CREATE INDEX imports_sha ON imports (cycle, source_sha256)
            """,
        ],
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class ScoreEvent(BaseModel):
    """One recorded score: who gave which score to which indicator of which unit, and from where."""

    model_config = ConfigDict(frozen=True)
    id: int = 0
    cycle: str
    unit: str
    indicator: str
    role: Role
    assessor: str
    score: int
    comment: str = ""
    recorded_at: datetime
    source: str = COMMAND_LINE_SOURCE
    source_sha256: str | None = None


class ScorePair(BaseModel):
    """The current linked, unlinked and moderated score of one (unit, indicator)."""

    model_config = ConfigDict(frozen=True)
    linked: ScoreEvent | None = None
    unlinked: ScoreEvent | None = None
    moderated: ScoreEvent | None = None

    def get(self, role: Role) -> ScoreEvent | None:
        return getattr(self, role)


class Allocation(BaseModel):
    model_config = ConfigDict(frozen=True)
    cycle: str
    unit: str
    unlinked_dcfa: str
    allocated_at: datetime
    seed: int | None = None


class ImportRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    cycle: str
    source: str
    source_sha256: str
    kind: str
    imported_at: datetime
    events: int


class NewEvent(BaseModel):
    """A score about to be recorded (the register adds the id and the time)."""

    model_config = ConfigDict(frozen=True)
    cycle: str
    unit: str
    indicator: str
    role: Role
    assessor: str
    score: int
    comment: str = ""
    source: str = COMMAND_LINE_SOURCE
    source_sha256: str | None = None

    def same_as(self, event: ScoreEvent | None) -> bool:
        """Whether recording this would repeat the current event (same score, comment, assessor)."""
        return (
            event is not None
            and event.score == self.score
            and event.comment == self.comment
            and event.assessor == self.assessor
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def default_register_path(option: Path | None, configured: Path | None) -> Path:
    """--register, else esps.toml's `register`, else ./esps.db."""
    return option or configured or DEFAULT_REGISTER


_EVENT_COLUMNS = (
    "id, cycle, unit, indicator, role, assessor, score, comment, recorded_at, source, "
    "source_sha256"
)


def _event(row: sqlite3.Row) -> ScoreEvent:
    return ScoreEvent(
        id=row["id"], cycle=row["cycle"], unit=row["unit"], indicator=row["indicator"],
        role=row["role"], assessor=row["assessor"], score=row["score"], comment=row["comment"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]), source=row["source"],
        source_sha256=row["source_sha256"],
    )


class Register:
    """The score register. Open it with ``Register.open(path)`` (a context manager)."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        self._in_transaction = False

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> Register:
        """Open (and create, or upgrade) the register at path."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise ConfigError(
                    f"no score register at {path} yet: record a score (esps score set or "
                    "esps score import) or run esps allocate first, or pass --register"
                )
            if not path.parent.exists():
                raise ConfigError(f"cannot create the register {path}: folder "
                                  f"{path.parent} does not exist")
        if path.exists() and path.is_dir():
            raise ConfigError(f"the register {path} is a folder, not a database file")
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the register {path}: {exc}") from None
        conn.row_factory = sqlite3.Row
        reg = cls(path, conn)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError(f"the register {path} cannot use WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            reg._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ConfigError(
                f"{path} is not a usable esps score register: {exc}"
            ) from None
        except BaseException:
            conn.close()
            raise
        return reg

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _read_version(self) -> int:
        exists = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        return self.schema_version if exists else 0

    def _migrate(self) -> None:
        if self._read_version() == SCHEMA_VERSION:
            return  # the usual case: no write lock needed just to open
        with self.transaction():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version
            if current > SCHEMA_VERSION:
                raise ConfigError(
                    f"the register {self.path} has schema version {current}, newer than this "
                    f"esps-cli understands ({SCHEMA_VERSION}); upgrade esps-cli"
                )
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for sql in statements:
                    self._conn.execute(sql)
                self._conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, _ts(now_utc())),
                )

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Register]:
        """One write transaction (BEGIN IMMEDIATE): all of it is recorded, or none of it.

        Nested use joins the outer transaction.
        """
        if self._in_transaction:
            yield self
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._in_transaction = False
            self._conn.execute("ROLLBACK")
            raise
        self._in_transaction = False
        self._conn.execute("COMMIT")

    # -- score events ---------------------------------------------------------------------

    def record(self, event: NewEvent, *, import_id: int | None = None,
               at: datetime | None = None) -> ScoreEvent:
        """Append one event (in its own transaction unless inside one)."""
        recorded_at = at or now_utc()
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO score_events (cycle, unit, indicator, role, assessor, score, "
                "comment, recorded_at, source, source_sha256, import_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event.cycle, event.unit, event.indicator, event.role, event.assessor,
                 int(event.score), event.comment, _ts(recorded_at), event.source,
                 event.source_sha256, import_id),
            )
        return ScoreEvent(id=int(cur.lastrowid or 0), recorded_at=recorded_at,
                          **event.model_dump())

    def current(self, cycle: str, unit: str, indicator: str) -> ScorePair:
        """The current scores of one (unit, indicator)."""
        rows = self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM score_events WHERE id IN ("
            "SELECT MAX(id) FROM score_events WHERE cycle = ? AND unit = ? AND indicator = ? "
            "GROUP BY role)",
            (cycle, unit, indicator),
        ).fetchall()
        return ScorePair(**{row["role"]: _event(row) for row in rows})

    def current_scores(self, cycle: str) -> dict[tuple[str, str], ScorePair]:
        """Current scores of a cycle, keyed (unit_code, indicator_id)."""
        rows = self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM score_events WHERE id IN ("
            "SELECT MAX(id) FROM score_events WHERE cycle = ? "
            "GROUP BY unit, indicator, role) ORDER BY unit, indicator, role",
            (cycle,),
        ).fetchall()
        parts: dict[tuple[str, str], dict[str, ScoreEvent]] = {}
        for row in rows:
            parts.setdefault((row["unit"], row["indicator"]), {})[row["role"]] = _event(row)
        return {key: ScorePair(**roles) for key, roles in parts.items()}

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
        rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_event(r) for r in rows]

    def event_count(self, cycle: str | None = None) -> int:
        if cycle is None:
            return int(self._conn.execute("SELECT COUNT(*) FROM score_events").fetchone()[0])
        return int(self._conn.execute(
            "SELECT COUNT(*) FROM score_events WHERE cycle = ?", (cycle,)
        ).fetchone()[0])

    # -- imports --------------------------------------------------------------------------

    def find_import(self, cycle: str, sha256: str) -> ImportRecord | None:
        """The earlier import of a file with these exact bytes, if any."""
        row = self._conn.execute(
            "SELECT * FROM imports WHERE cycle = ? AND source_sha256 = ? ORDER BY id LIMIT 1",
            (cycle, sha256),
        ).fetchone()
        if row is None:
            return None
        return ImportRecord(
            id=row["id"], cycle=row["cycle"], source=row["source"],
            source_sha256=row["source_sha256"], kind=row["kind"],
            imported_at=datetime.fromisoformat(row["imported_at"]), events=row["events"],
        )

    def log_import(self, cycle: str, source: str, sha256: str, kind: str, events: int) -> int:
        """Log an import (inside the import's transaction); returns its id."""
        with self.transaction():
            cur = self._conn.execute(
                "INSERT INTO imports (cycle, source, source_sha256, kind, imported_at, events) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (cycle, source, sha256, kind, _ts(now_utc()), events),
            )
        return int(cur.lastrowid or 0)

    # -- allocations ----------------------------------------------------------------------

    def allocation_records(self, cycle: str) -> dict[str, Allocation]:
        """The current allocation of each unit in a cycle (its latest record)."""
        rows = self._conn.execute(
            "SELECT * FROM allocations WHERE id IN ("
            "SELECT MAX(id) FROM allocations WHERE cycle = ? GROUP BY unit) ORDER BY unit",
            (cycle,),
        ).fetchall()
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
        at = _ts(now_utc())
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO allocations (cycle, unit, unlinked_dcfa, allocated_at, seed) "
                "VALUES (?, ?, ?, ?, ?)",
                [(cycle, unit, dcfa, at, seed) for unit, dcfa in sorted(assignments.items())],
            )
