"""The thin dialect layer: one small class per engine (SQLite through the standard library's
sqlite3, PostgreSQL through psycopg 3) behind the same few methods.

Everything above this module writes portable SQL with ``?`` placeholders and gets rows as dicts;
the engine classes translate placeholders, start write transactions the way each engine needs,
return new row ids, and turn driver errors into the register's one-line errors (never a
traceback, never a password).

Write transactions, and waiting for another writer (issue 24: many writers at once):
- SQLite: one writer at a time. ``BEGIN IMMEDIATE`` takes the database's write lock at the
  start, so every check made inside the transaction still holds at COMMIT; a writer that finds
  it taken waits, saying so, up to the wait limit.
- PostgreSQL: ``READ COMMITTED`` and advisory locks on only what is changed. A write scoped to
  a cycle's units (an import, a score) takes the register's writers lock shared and each unit's
  lock exclusive, in sorted order, so imports for different units run side by side; any other
  write takes the writers lock exclusive (allocation, returns, reviews). Rows are numbered and
  the audit chain appended under one more lock (the chain), taken at the first row written and
  held to COMMIT, so ids count up with no gaps and the entries form one chain. A trigger takes
  a unit's lock for any INSERT of a score (a script or psql too), so the rules the database
  checks hold under concurrency.
- The wait limit: ``ESPS_REGISTER_WAIT`` seconds (default 300); a waiting writer prints a line
  on stderr after a second, then every ten.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar, Literal

from esps_cli.errors import ConfigError
from esps_cli.register.errors import (
    DriverMissingError,
    RegisterBusyError,
    RegisterConnectionError,
    RegisterRuleError,
)
from esps_cli.register.location import Engine, RegisterLocation, redact

BUSY_TIMEOUT_MS = 30_000  # a PostgreSQL table lock (DDL); writers wait up to the wait limit
WAIT_ENV = "ESPS_REGISTER_WAIT"
DEFAULT_WAIT_S = 300
WAIT_SLICE_MS = 1_000  # how long one try to take a lock waits before saying so again
LARGE_WRITE_CACHE_KIB = 64 * 1024  # SQLite's page cache during an import
CONNECT_TIMEOUT_S = 10
TransactionKind = Literal["write", "migrate", "read"]
Row = dict[str, Any]


def wait_limit() -> float:
    """How long a writer waits for another before giving up (ESPS_REGISTER_WAIT seconds)."""
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT_S
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 86_400:
        raise ConfigError(f"{WAIT_ENV}={text!r} is not a number of seconds from 0 to 86400 "
                          "(how long a writer waits for another before giving up)")
    return value


class Waiting:
    """A writer waiting for a lock: says so on stderr after a second, then every ten, and
    gives up (RegisterBusyError) at the wait limit."""

    def __init__(self, where: str, what: str):
        self.where, self.what = where, what
        self.limit = wait_limit()
        self.started = time.monotonic()
        self.told = 0.0

    def waited(self) -> None:
        """One more try failed: give up at the limit, or say how long so far."""
        so_far = time.monotonic() - self.started
        if so_far >= self.limit:
            raise RegisterBusyError(
                f"the register {self.where} is busy: waited {so_far:.0f} s for {self.what}; "
                f"nothing was recorded. Try again (or wait longer: {WAIT_ENV}=seconds)")
        if so_far >= 1 and (not self.told or so_far - self.told >= 10):
            self.told = so_far
            sys.stderr.write(f"waiting for the register {self.where}: {self.what} "
                             f"({so_far:.0f} s so far; gives up after {self.limit:.0f} s, "
                             f"{WAIT_ENV})\n")
            sys.stderr.flush()


class Database(ABC):
    """One open connection to a register database, in autocommit mode between transactions."""

    engine: ClassVar[Engine]

    def __init__(self, location: RegisterLocation):
        self.location = location

    # -- statements (portable SQL, ``?`` placeholders) -------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.errors():
            return self._query(sql, params)

    def query_tuples(self, sql: str, params: Sequence[Any] = (), size: int = 10_000
                     ) -> Iterator[tuple[Any, ...]]:
        """The rows as plain tuples, in the select's column order, fetched size at a time: for
        reads of many rows, where a dict per row, or every row at once, is most of the cost."""
        with self.errors():
            cursor = self._tuple_cursor(sql, params)
        for rows in self._fetched(cursor, size):
            yield from rows

    def query_chunks(self, sql: str, params: Sequence[Any] = (), size: int = 10_000
                     ) -> Iterator[list[Row]]:
        """The rows of a query, size at a time (a large read without every row in memory)."""
        with self.errors():
            cursor = self._cursor(sql, params)
        yield from self._fetched(cursor, size)

    def _fetched(self, cursor: Any, size: int) -> Iterator[list[Any]]:
        while True:
            with self.errors():
                rows = cursor.fetchmany(size)
            if not rows:
                return
            yield rows

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.query_one(sql, params)
        return None if row is None else next(iter(row.values()))

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """One statement; without params the SQL is sent as written (DDL)."""
        with self.errors():
            self._execute(sql, params)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Add one row to a table with an ``id`` column; returns the new row's id.

        Ids count up from 1 (SQLite's AUTOINCREMENT; on PostgreSQL from schema version 7 a
        sequence per table, so that writers of different units number their rows side by
        side: a write refused or undone may leave a gap there; before, the next id under the
        chain lock)."""
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        if not self.has_id_sequences:
            self.lock_chain()
        with self.errors():
            return self._insert(table, columns, marks, list(values.values()))

    def columns(self, table: str) -> list[str]:
        """The names of a table's columns, in order (what ``SELECT *`` returns)."""
        with self.errors():
            cursor = self._cursor(f"SELECT * FROM {table} WHERE 1 = 0", ())
            return [d[0] for d in cursor.description]

    has_definer_functions = False  # PostgreSQL at schema version 8 (register/logins.py)
    has_id_sequences = False  # likewise

    def reserve_ids(self, table: str, count: int) -> list[int]:
        """Ids for count new rows of table, in increasing order (a sequence's, on PostgreSQL
        from schema version 8: no lock; else counted on under the chain lock)."""
        if self.has_id_sequences:
            return [int(r[0]) for r in self.query_tuples(
                "SELECT esps_reserve_ids(?, ?)", (table, count))]
        start = self.next_id(table)
        return list(range(start, start + count))

    @abstractmethod
    def ids_follow(self, table: str) -> None:
        """After rows were copied in with their ids: the next id follows them."""

    def next_id(self, table: str) -> int:
        """The id the next row of table gets (in a write: takes the chain lock)."""
        self.lock_chain()
        if self.has_definer_functions:  # counted as the owner: a login may not see all rows
            return int(self.scalar("SELECT esps_next_id(?) AS n", (table,)))
        return int(self.scalar(f"SELECT COALESCE(MAX(id), 0) + 1 AS n FROM {table}"))

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Add many rows, each with its id and the same columns, in as few round trips as the
        driver allows (psycopg sends them in one pipeline)."""
        if not rows:
            return
        columns = list(rows[0])
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        with self.errors():
            self._insert_rows(sql, [values(row) for row in rows])

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each row of parameters, in as few round trips as the driver
        allows."""
        if rows:
            with self.errors():
                self._insert_rows(sql, list(rows))

    @contextmanager
    def large_write(self) -> Iterator[None]:
        """Around the writing of many rows in one transaction (an import): whatever the
        engine needs to do it briskly, undone after."""
        yield

    @property
    @abstractmethod
    def who(self) -> str:
        """Who is writing, recorded beside each score: the PostgreSQL login (the database
        checks it), or the operating-system user on SQLite."""

    # -- transactions ----------------------------------------------------------------------

    def begin(self, kind: TransactionKind = "write", *, scoped: bool = False) -> None:
        """Start a transaction. A scoped write locks only the units lock_units names (on
        PostgreSQL); any other write excludes every other writer."""
        with self.errors():
            self._begin(kind, scoped)

    @abstractmethod
    def lock_units(self, cycle: str, units: Collection[str]) -> None:
        """In a scoped write: lock these units of a cycle."""

    @abstractmethod
    def lock_chain(self) -> None:
        """Before numbering rows or appending to the audit chain, in a write (held to
        COMMIT)."""

    def commit(self) -> None:
        with self.errors():
            self._execute("COMMIT", None)

    def rollback(self) -> None:
        """Undo the open transaction; quiet if the connection is already gone."""
        with suppress(Exception):  # the server went away: the transaction is gone with it
            self._execute("ROLLBACK", None)

    # -- engine specifics ------------------------------------------------------------------

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def triggers(self) -> set[str]:
        """Names of the triggers defined in the register."""

    @abstractmethod
    def table_names(self) -> set[str]:
        """Names of the register's tables."""

    def trigger_states(self) -> dict[str, str]:
        """Each trigger's state: "always" (fires for every session), "origin" (skipped by a
        session in replica role), "replica" (fires only in replica role), "disabled"."""
        return dict.fromkeys(self.triggers(), "always")

    def replication_role(self) -> str:
        """This session's session_replication_role ("origin": triggers fire as defined)."""
        return "origin"

    @abstractmethod
    def integrity_problems(self) -> list[str]:
        """What the engine's own integrity check finds (empty when sound)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any]) -> list[Row]: ...

    @abstractmethod
    def _tuple_cursor(self, sql: str, params: Sequence[Any]) -> Any: ...

    @abstractmethod
    def _cursor(self, sql: str, params: Sequence[Any]) -> Any: ...

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] | None) -> None: ...

    @abstractmethod
    def _insert(self, table: str, columns: str, marks: str, params: list[Any]) -> int: ...

    @abstractmethod
    def _insert_rows(self, sql: str, rows: list[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _begin(self, kind: TransactionKind, scoped: bool) -> None: ...

    @abstractmethod
    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn this driver's errors into the register's errors."""
        yield


# -- SQLite ------------------------------------------------------------------------------


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL register needs its -shm file, which cannot be made on a
    read-only disk; then the file is opened as immutable (nobody can be writing it there)."""
    base = path.resolve().as_uri()
    conn = sqlite3.connect(base + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        conn = sqlite3.connect(base + "?mode=ro&immutable=1", uri=True, isolation_level=None)
    return conn


class SQLiteDatabase(Database):
    engine = "sqlite"

    def __init__(self, location: RegisterLocation, *, read_only: bool = False,
                 why_read_only: str = ""):
        super().__init__(location)
        path = location.path
        self.read_only = read_only
        self.why_read_only = why_read_only or (
            "it is open read-only (--allow-network-sqlite): nothing can be recorded in it; use "
            "a register on a local disk or a shared PostgreSQL register")
        try:
            if read_only:
                self.conn = _connect_read_only(path)
            else:
                self.conn = sqlite3.connect(str(path), timeout=wait_limit(),
                                            isolation_level=None)
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open the register {path}: {exc}") from None
        self.conn.row_factory = _dict_row
        self._checked = read_only

    def configure(self) -> None:
        """WAL mode, a busy timeout, full sync, foreign keys (per connection)."""
        path = self.location.path
        with self.errors():
            self.conn.execute(f"PRAGMA busy_timeout = {int(wait_limit() * 1000)}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self.read_only:
                self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                return
            mode = next(iter(self.conn.execute("PRAGMA journal_mode = WAL").fetchone().values()))
            if str(mode).lower() != "wal":
                raise ConfigError(f"the register {path} cannot use WAL mode (got {mode})")
            self.conn.execute("PRAGMA synchronous = FULL")
            # Statement journals in memory: each row an import inserts is a statement whose
            # triggers may refuse it, journalled apart; once the import outgrows the page
            # cache these went to a temporary file, 2.2 million writes for 464,000 rows (most
            # of its system time, and why it grew faster than its rows). A statement's journal
            # is a few pages; temporary tables of reads stay small.
            self.conn.execute("PRAGMA temp_store = MEMORY")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def large_write(self) -> Iterator[None]:
        """A larger page cache while the rows go in: a large import writes many pages in one
        transaction, and with SQLite's default cache they are spilled to the journal and read
        back again and again. Memory: up to this much more, for the import's duration."""
        before = self.scalar("PRAGMA cache_size")
        self.execute(f"PRAGMA cache_size = -{LARGE_WRITE_CACHE_KIB}")
        try:
            yield
        finally:
            self.execute(f"PRAGMA cache_size = {int(before)}")

    def _query(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def _tuple_cursor(self, sql: str, params: Sequence[Any]) -> Any:
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples for this cursor only
        return cursor.execute(sql, tuple(params))

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        return self.conn.execute(sql, tuple(params))

    def _execute(self, sql: str, params: Sequence[Any] | None) -> None:
        if params is None:
            self.conn.execute(sql)
        else:
            self.conn.execute(sql, tuple(params))

    def _insert(self, table: str, columns: str, marks: str, params: list[Any]) -> int:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        return int(self.conn.execute(sql, tuple(params)).lastrowid or 0)

    def _insert_rows(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def _begin(self, kind: TransactionKind, scoped: bool) -> None:
        if kind == "read":  # a consistent snapshot for reading several tables
            self.conn.execute("BEGIN")
            return
        if self.read_only:
            raise ConfigError(f"the register {self.location} cannot take changes: "
                              f"{self.why_read_only}")
        self._begin_immediate()
        if not self._checked:
            # A damaged file must not take new scores as if all were well: look before the
            # first write of this connection (a quick check; `esps register check` is full).
            self._checked = True
            bad = [r["quick_check"] for r in self._query("PRAGMA quick_check(5)", ())
                   if r["quick_check"] != "ok"]
            if bad:
                self.conn.execute("ROLLBACK")
                raise ConfigError(
                    f"the register {self.location.display} is damaged ({bad[0]}); nothing was "
                    "recorded. Restore it from a backup (or `esps register copy` what can be "
                    "read into a new one) and run `esps register check`"
                )

    @property
    def who(self) -> str:
        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no name for this user id (a container)
            return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"

    def ids_follow(self, table: str) -> None:
        """Nothing to do: AUTOINCREMENT follows the largest id there."""

    def lock_units(self, cycle: str, units: Collection[str]) -> None:
        """Nothing more: SQLite's one write lock, taken at BEGIN IMMEDIATE, covers them."""

    def lock_chain(self) -> None:
        """Nothing more: SQLite's one write lock covers the chain."""

    def _begin_immediate(self) -> None:
        """BEGIN IMMEDIATE, waiting (and saying so) while another process writes."""
        waiting: Waiting | None = None
        self.conn.execute(f"PRAGMA busy_timeout = {WAIT_SLICE_MS}")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                waiting = waiting or Waiting(self.location.display,
                                             "another esps process is writing to it")
                waiting.waited()
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(wait_limit() * 1000)}")

    def has_table(self, name: str) -> bool:
        return bool(self.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def triggers(self) -> set[str]:
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {r["name"] for r in rows}

    def table_names(self) -> set[str]:
        rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%'")
        return {r["name"] for r in rows}

    def integrity_problems(self) -> list[str]:
        problems = [r["integrity_check"] for r in self.query("PRAGMA integrity_check")
                    if r["integrity_check"] != "ok"]
        for r in self.query("PRAGMA foreign_key_check"):
            problems.append(f"{r['table']} row {r['rowid']}: its {r['parent']} row is missing")
        return problems

    @contextmanager
    def errors(self) -> Iterator[None]:
        where = self.location.display
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise RegisterRuleError(f"the register refused the change: {exc}") from None
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise RegisterBusyError(
                    f"the register {where} is busy: another esps process has held it for over "
                    f"{wait_limit():.0f} s; nothing was recorded. Try again (or wait longer: "
                    f"{WAIT_ENV}=seconds)"
                ) from None
            if "readonly" in text or "read-only" in text:
                raise ConfigError(f"the register {where} cannot be written: {text}") from None
            if "disk is full" in text or "disk I/O error" in text:
                raise ConfigError(
                    f"the register {where} could not be written: the disk is full (or failing); "
                    "nothing was recorded. Free some space and run the command again"
                ) from None
            if text.startswith(("no such table", "no such column")):
                raise ConfigError(
                    f"the register {where} is damaged ({text}): restore it from a backup and "
                    "run `esps register check`; nothing was recorded") from None
            if "unable to open database file" in text:
                raise ConfigError(
                    f"the register {where} cannot be opened for writing: check you may write to "
                    "the file and to its folder (SQLite keeps lock files beside it)"
                ) from None
            raise
        except sqlite3.DatabaseError as exc:
            if type(exc) is sqlite3.DatabaseError:  # not a database, or a damaged one
                raise ConfigError(
                    f"{where} is not a usable esps score register: {exc}. If it is your "
                    "register, it is damaged: restore it from a backup and run "
                    "`esps register check`"
                ) from None
            raise


# -- PostgreSQL --------------------------------------------------------------------------


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise DriverMissingError(
            "a PostgreSQL register needs the PostgreSQL driver, which is not installed: "
            "pip install 'esps-cli[postgres]'"
        ) from None
    return psycopg


# The advisory locks' keys (hashed by hashtext; a unit's lock by its cycle's and its own).
WRITERS_LOCK = "esps register writers"
CHAIN_LOCK = "esps audit chain"
UNITS_LOCK_SPACE = "esps unit "


def _pg_sql(sql: str) -> str:
    """``?`` placeholders become psycopg's ``%s`` (a literal % is doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase(Database):
    engine = "postgresql"

    def __init__(self, location: RegisterLocation):
        super().__init__(location)
        psycopg = _psycopg()
        from psycopg.conninfo import conninfo_to_dict
        from psycopg.rows import dict_row

        from esps_cli.register.pgerrors import connection_problem

        try:
            params = conninfo_to_dict(location.target)
        except psycopg.ProgrammingError as exc:
            raise ConfigError(
                f"the register {location} is not a valid PostgreSQL URL: "
                f"{redact(str(exc)).splitlines()[0]}"
            ) from None
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params.setdefault("application_name", "esps-cli")
        try:
            self.conn = psycopg.connect(autocommit=True, row_factory=dict_row, **params)
        except psycopg.Error as exc:
            raise RegisterConnectionError(connection_problem(location, exc)) from None
        self._chain_held = False
        self._definer: bool | None = None
        self._sequences: bool | None = None
        self._who: str | None = None
        with self.errors():
            self.conn.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("SET client_min_messages = warning")

    def close(self) -> None:
        self.conn.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Row]:
        # psycopg is optional, so untyped here (Any); dict_row makes every row a Row.
        rows: list[Row] = self.conn.execute(_pg_sql(sql), tuple(params)).fetchall()
        return rows

    def _tuple_cursor(self, sql: str, params: Sequence[Any]) -> Any:
        from psycopg.rows import tuple_row

        return self.conn.cursor(row_factory=tuple_row).execute(_pg_sql(sql), tuple(params))

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        return self.conn.execute(_pg_sql(sql), tuple(params))

    def _execute(self, sql: str, params: Sequence[Any] | None) -> None:
        if params is None:
            self.conn.execute(sql)
        else:
            self.conn.execute(_pg_sql(sql), tuple(params))

    @property
    def has_definer_functions(self) -> bool:  # type: ignore[override]
        if self._definer is None:
            self._definer = bool(self._query(
                "SELECT to_regproc('esps_next_id') IS NOT NULL AS f", ())[0]["f"])
        return self._definer

    @property
    def has_id_sequences(self) -> bool:  # type: ignore[override]
        if self._sequences is None:
            self._sequences = bool(self._query(
                "SELECT to_regproc('esps_reserve_ids') IS NOT NULL AS f", ())[0]["f"])
        return self._sequences

    def ids_follow(self, table: str) -> None:
        if self.has_id_sequences and table != "audit_log":
            self.query(f"SELECT setval('esps_ids_{table}', (SELECT COALESCE(MAX(id), 0) + 1 "
                       f"FROM {table}), false)")

    def _insert(self, table: str, columns: str, marks: str, params: list[Any]) -> int:
        first = (f"esps_next_id('{table}')" if self.has_definer_functions else
                 f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})")
        sql = (f"INSERT INTO {table} (id, {columns}) VALUES ({first}, {marks}) RETURNING id")
        return int(self.conn.execute(_pg_sql(sql), tuple(params)).fetchone()["id"])

    def _insert_rows(self, sql: str, rows: list[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_pg_sql(sql), rows)

    def _begin(self, kind: TransactionKind, scoped: bool) -> None:
        self._chain_held = False
        self._definer = self._sequences = None  # looked up again: a migration may make them
        if kind == "read":
            self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        elif kind == "migrate":
            # READ COMMITTED: each statement sees what the previous migrator committed.
            self.conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('esps register schema'))")
            self._chain_held = True  # nobody else writes during a migration
        else:
            # Each statement sees what was committed before it: under these locks, what every
            # other writer of the same units (and of the chain) committed.
            self.conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            self._acquire("_shared" if scoped else "", (WRITERS_LOCK,),
                          "another esps process is writing to it")

    @property
    def who(self) -> str:
        if self._who is None:
            self._who = str(self._query("SELECT session_user AS who", ())[0]["who"])
        return self._who

    def lock_units(self, cycle: str, units: Collection[str]) -> None:
        for unit in sorted(set(units)):  # one order for every writer: no deadlock
            self._acquire("", (UNITS_LOCK_SPACE + cycle, unit),
                          f"another esps process is recording scores for {unit}")

    def lock_chain(self) -> None:
        if not self._chain_held:
            self._acquire("", (CHAIN_LOCK,), "another esps process is recording")
            self._chain_held = True

    def _acquire(self, shared: str, keys: tuple[str, ...], what: str) -> None:
        """Take an advisory lock (held to the end of the transaction), keyed by the hash of
        one text or of two; wait for it in slices, saying so, up to the wait limit."""
        import psycopg

        args = ", ".join("hashtext(%s)" for _ in keys)
        if self.conn.execute(f"SELECT pg_try_advisory_xact_lock{shared}({args}) AS got",
                             keys).fetchone()["got"]:
            return
        waiting = Waiting(str(self.location), what)
        while True:
            self.conn.execute("SAVEPOINT esps_wait")
            self.conn.execute(f"SET LOCAL lock_timeout = {WAIT_SLICE_MS}")
            try:
                self.conn.execute(f"SELECT pg_advisory_xact_lock{shared}({args})", keys)
            except psycopg.errors.LockNotAvailable:
                self.conn.execute("ROLLBACK TO SAVEPOINT esps_wait")
                waiting.waited()
                continue
            self.conn.execute("RELEASE SAVEPOINT esps_wait")
            self.conn.execute(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            return

    def has_table(self, name: str) -> bool:
        return self._query("SELECT to_regclass(?) AS t", (name,))[0]["t"] is not None

    def triggers(self) -> set[str]:
        rows = self.query(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' "
            "AND c.relnamespace = to_regnamespace(current_schema())"
        )
        return {r["tgname"] for r in rows}

    def table_names(self) -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r["tablename"] for r in rows}

    def trigger_states(self) -> dict[str, str]:
        rows = self.query(
            "SELECT tgname, t.tgenabled::text AS state FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = to_regnamespace(current_schema())")
        words = {"O": "origin", "A": "always", "R": "replica", "D": "disabled"}
        return {r["tgname"]: words.get(r["state"], str(r["state"])) for r in rows}

    def replication_role(self) -> str:
        return str(self.scalar("SELECT current_setting('session_replication_role') AS r"))

    def integrity_problems(self) -> list[str]:
        """Constraints PostgreSQL does not enforce until validated."""
        rows = self.query(
            "SELECT conname FROM pg_constraint WHERE NOT convalidated "
            "AND connamespace = to_regnamespace(current_schema())"
        )
        return [f"constraint {r['conname']} is not validated" for r in rows]

    @contextmanager
    def errors(self) -> Iterator[None]:
        from esps_cli.register.pgerrors import translate

        try:
            yield
        except Exception as exc:
            mapped = translate(self.location, exc)
            if mapped is None:
                raise
            raise mapped from None
