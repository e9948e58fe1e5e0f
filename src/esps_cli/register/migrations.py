"""The register's one schema, as ordered migrations rendered for SQLite and PostgreSQL.

Why a thin dialect layer and not SQLAlchemy Core + Alembic: the schema is a handful of
append-only tables; the differences between the engines are three (how a primary key counts up,
how a trigger refuses a change, how a transaction takes the write lock). Rendering those three
here keeps the SQL readable, adds no dependency to the SQLite default, and keeps one migration
list for both engines, applied inside the same transaction as the version it records.

How to add a migration (the next issues add tables: an audit log with a hash chain, pack ids,
returns and resubmissions, review states, a validation cache):

1. Append ``Migration(version=<last + 1>, title=..., steps=(...))`` to ``MIGRATIONS``. Never
   edit or reorder a released migration: registers in use have already applied it.
2. Steps are portable SQL strings: types ``TEXT``, ``INTEGER``, ``BIGINT`` (ids and
   references), ``ID_PK`` for the auto-numbered primary key column; times are ISO 8601 UTC
   ``TEXT`` (``models.timestamp``). No engine-specific functions. Create a table before a table
   that references it (PostgreSQL checks references at once).
3. Rules go in the database: ``append_only(table, message)`` refuses UPDATE and DELETE (and
   TRUNCATE on PostgreSQL); ``refuse_insert(name, table, condition, message)`` refuses an INSERT
   when a condition on ``NEW.column`` (subqueries allowed) holds. Both render a trigger for each
   engine and their names are listed in ``expected_triggers()``, which ``esps register check``
   verifies. When nothing portable exists, a step may be a function ``engine -> [statements]``.
4. A new table is copied by ``esps register copy`` once it is added to ``COPY_TABLES`` in
   ``maintenance.py`` (in an order where referenced rows come first), and counted by check.
5. Queries use ``?`` placeholders; ``engines.py`` turns them into the driver's.
6. tests/test_register.py runs on both engines: add a test that the new rule refuses at its
   exact boundary, and that a register at the previous version upgrades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from esps_cli.register.location import Engine
from esps_cli.register.logins import pg_who_may_write

Step = str | Callable[[Engine], list[str]]

_ID_PK = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    # esps numbers rows itself under the write lock (engines.py): no gaps, as on SQLite.
    "postgresql": "BIGINT PRIMARY KEY",
}
PG_RULE_ERRCODE = "check_violation"
PG_APPEND_ONLY_ERRCODE = "restrict_violation"


def _quote(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def _pg_refusal(message: str, errcode: str) -> str:
    # RAISE's format string treats % as a placeholder: double it.
    return (f"RAISE EXCEPTION {_quote(message.replace('%', '%%'))} "
            f"USING ERRCODE = '{errcode}';")


@dataclass(frozen=True)
class _Trigger:
    """A step that renders one refusing trigger; carries its name for the check."""

    names: tuple[str, ...]
    render: Callable[[Engine], list[str]]

    def __call__(self, engine: Engine) -> list[str]:
        return self.render(engine)


def append_only(table: str, message: str) -> _Trigger:
    """Refuse every UPDATE and DELETE on table (and TRUNCATE on PostgreSQL)."""
    no_update, no_delete = f"{table}_no_update", f"{table}_no_delete"

    def render(engine: Engine) -> list[str]:
        if engine == "sqlite":
            return [
                f"CREATE TRIGGER {name} BEFORE {what} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, {_quote(message)}); END"
                for name, what in ((no_update, "UPDATE"), (no_delete, "DELETE"))
            ]
        function = f"{table}_append_only"
        return [
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{_pg_refusal(message, PG_APPEND_ONLY_ERRCODE)} END $$",
            f"CREATE TRIGGER {no_update} BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {no_delete} BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            *(_always(table, name) for name in (no_update, no_delete, f"{table}_no_truncate")),
        ]

    return _Trigger((no_update, no_delete), render)


def _always(table: str, trigger: str) -> str:
    """A PostgreSQL trigger that fires in replica-role sessions too (by default such a session,
    a superuser's, skips every trigger without a trace)."""
    return f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}"


def refuse_insert(name: str, table: str, condition: str, message: str) -> _Trigger:
    """Refuse an INSERT into table when condition (SQL on NEW.column) is true."""

    def render(engine: Engine) -> list[str]:
        if engine == "sqlite":
            return [f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW "
                    f"WHEN {condition} BEGIN SELECT RAISE(ABORT, {_quote(message)}); END"]
        return [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN {_pg_refusal(message, PG_RULE_ERRCODE)} END IF; "
            "RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            _always(table, name),
        ]

    return _Trigger((name,), render)


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    steps: tuple[Step, ...] = field(default_factory=tuple)
    # Run after the steps, in the same transaction, with the engine connection: for work SQL
    # alone cannot do (hashing the rows already there into the new audit log).
    after: Callable[[Any], None] | None = None

    def statements(self, engine: Engine) -> list[str]:
        out: list[str] = []
        for step in self.steps:
            if isinstance(step, str):
                out.append(step.replace("ID_PK", _ID_PK[engine]))
            else:
                out.extend(step(engine))
        return out


def _current(role: str) -> str:
    """The id of NEW's (cycle, unit, indicator) current event of a role (NULL if none)."""
    return ("(SELECT MAX(id) FROM score_events WHERE cycle = NEW.cycle AND unit = NEW.unit "
            f"AND indicator = NEW.indicator AND role = '{role}')")


def _rule(column: str) -> str:
    """NEW's cycle's latest rule of this column (NULL when none is recorded)."""
    return (f"(SELECT r.{column} FROM cycle_rules r WHERE r.id = (SELECT MAX(id) FROM "
            "cycle_rules WHERE cycle = NEW.cycle))")


def _latest_of_unit(table: str, column: str) -> str:
    """NEW's (cycle, unit)'s latest record of a column (NULL when none is recorded)."""
    return (f"(SELECT x.{column} FROM {table} x WHERE x.id = (SELECT MAX(id) FROM {table} "
            "WHERE cycle = NEW.cycle AND unit = NEW.unit))")


def _sqlite_only(*statements: str) -> Callable[[Engine], list[str]]:
    return lambda engine: list(statements) if engine == "sqlite" else []


def _postgresql_only(*statements: str) -> Callable[[Engine], list[str]]:
    return lambda engine: list(statements) if engine == "postgresql" else []


MIGRATIONS: list[Migration] = [
    Migration(1, "score events, allocations and imports; score events append-only", (
        """
        CREATE TABLE imports (
            id            ID_PK,
            cycle         TEXT NOT NULL,
            source        TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            kind          TEXT NOT NULL,
            imported_at   TEXT NOT NULL,
            events        INTEGER NOT NULL
        )
        """,
        "CREATE INDEX imports_sha ON imports (cycle, source_sha256)",
        """
        CREATE TABLE score_events (
            id            ID_PK,
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
            import_id     BIGINT REFERENCES imports(id)
        )
        """,
        "CREATE INDEX score_events_key ON score_events (cycle, unit, indicator, role, id)",
        append_only("score_events", "score events are append-only"),
        """
        CREATE TABLE allocations (
            id            ID_PK,
            cycle         TEXT NOT NULL,
            unit          TEXT NOT NULL,
            unlinked_dcfa TEXT NOT NULL,
            allocated_at  TEXT NOT NULL,
            seed          BIGINT
        )
        """,
        "CREATE INDEX allocations_key ON allocations (cycle, unit, id)",
    )),
    Migration(2, "role rules and stale moderation refused in the database; allocations and "
                 "imports append-only", (
        "ALTER TABLE score_events ADD COLUMN moderates_linked BIGINT REFERENCES score_events(id)",
        "ALTER TABLE score_events ADD COLUMN moderates_unlinked BIGINT "
        "REFERENCES score_events(id)",
        # Moderations recorded before this version settle the events current before them.
        # (A one-off correction inside the migration: the append-only trigger is lifted for it.)
        _sqlite_only("DROP TRIGGER score_events_no_update"),
        lambda engine: [] if engine == "sqlite" else [
            "ALTER TABLE score_events DISABLE TRIGGER score_events_no_update"],
        *[
            f"""
            UPDATE score_events SET moderates_{role} = (
                SELECT MAX(e.id) FROM score_events e WHERE e.cycle = score_events.cycle
                AND e.unit = score_events.unit AND e.indicator = score_events.indicator
                AND e.role = '{role}' AND e.id < score_events.id)
            WHERE role = 'moderated'
            """
            for role in ("linked", "unlinked")
        ],
        _sqlite_only("CREATE TRIGGER score_events_no_update BEFORE UPDATE ON score_events "
                     "BEGIN SELECT RAISE(ABORT, 'score events are append-only'); END"),
        lambda engine: [] if engine == "sqlite" else [
            "ALTER TABLE score_events ENABLE TRIGGER score_events_no_update"],
        "CREATE INDEX score_events_assessor ON score_events (cycle, unit, role, assessor)",
        append_only("allocations", "allocations are append-only: allocate again instead"),
        append_only("imports", "the import log is append-only"),
        append_only("schema_version", "the schema history is append-only"),
        refuse_insert(
            "score_events_settles_only_when_moderated", "score_events",
            "NEW.role <> 'moderated' AND (NEW.moderates_linked IS NOT NULL "
            "OR NEW.moderates_unlinked IS NOT NULL)",
            "only a moderated score settles other scores",
        ),
        refuse_insert(
            "score_events_stale_moderation", "score_events",
            "NEW.role = 'moderated' AND (NEW.moderates_linked IS NULL "
            "OR NEW.moderates_unlinked IS NULL "
            f"OR NEW.moderates_linked <> COALESCE({_current('linked')}, 0) "
            f"OR NEW.moderates_unlinked <> COALESCE({_current('unlinked')}, 0))",
            "stale moderation: the linked or unlinked score it settles is missing or no "
            "longer the current one; nothing was recorded",
        ),
        refuse_insert(
            "score_events_unlinked_independent", "score_events",
            "NEW.role = 'unlinked' AND EXISTS (SELECT 1 FROM score_events e "
            "WHERE e.cycle = NEW.cycle AND e.unit = NEW.unit AND e.role = 'linked' "
            "AND e.assessor = NEW.assessor)",
            "an assessor who gave a unit a linked score cannot give it an unlinked score",
        ),
        refuse_insert(
            "score_events_linked_independent", "score_events",
            "NEW.role = 'linked' AND (EXISTS (SELECT 1 FROM score_events e "
            "WHERE e.cycle = NEW.cycle AND e.unit = NEW.unit AND e.role = 'unlinked' "
            "AND e.assessor = NEW.assessor) OR NEW.assessor = (SELECT a.unlinked_dcfa "
            "FROM allocations a WHERE a.id = (SELECT MAX(id) FROM allocations "
            "WHERE cycle = NEW.cycle AND unit = NEW.unit)))",
            "the unit's unlinked assessor cannot give it a linked score",
        ),
        refuse_insert(
            "allocations_independent", "allocations",
            "EXISTS (SELECT 1 FROM score_events e WHERE e.cycle = NEW.cycle "
            "AND e.unit = NEW.unit AND e.role = 'linked' AND e.assessor = NEW.unlinked_dcfa)",
            "an assessor who gave a unit a linked score cannot be its unlinked DCFA",
        ),
    )),
    Migration(3, "packs issued and the hash-chained audit log, both append-only", (
        """
        CREATE TABLE pack_issues (
            id            ID_PK,
            pack_id       TEXT NOT NULL UNIQUE,
            kind          TEXT NOT NULL CHECK (kind IN ('scoring', 'moderation')),
            cycle         TEXT NOT NULL,
            unit          TEXT NOT NULL,
            role          TEXT NOT NULL,
            assessor      TEXT NOT NULL,
            file          TEXT NOT NULL,
            return_source TEXT NOT NULL,
            return_sha256 TEXT NOT NULL,
            issued_at     TEXT NOT NULL
        )
        """,
        "CREATE INDEX pack_issues_unit ON pack_issues (cycle, unit, id)",
        append_only("pack_issues", "the record of packs issued is append-only"),
        refuse_insert(
            "pack_issues_moderator_independent", "pack_issues",
            "NEW.kind = 'moderation' AND EXISTS (SELECT 1 FROM score_events e "
            "WHERE e.cycle = NEW.cycle AND e.unit = NEW.unit "
            "AND e.role IN ('linked', 'unlinked') AND e.assessor = NEW.assessor)",
            "a moderation pack cannot go to one of the unit's own assessors",
        ),
        refuse_insert(
            "score_events_moderator_independent", "score_events",
            "NEW.role = 'moderated' AND EXISTS (SELECT 1 FROM score_events e "
            "WHERE e.cycle = NEW.cycle AND e.unit = NEW.unit "
            "AND e.role IN ('linked', 'unlinked') AND e.assessor = NEW.assessor)",
            "the unit's linked or unlinked assessor cannot moderate its scores",
        ),
        """
        CREATE TABLE audit_log (
            id          ID_PK,
            at          TEXT NOT NULL,
            action      TEXT NOT NULL,
            cycle       TEXT NOT NULL DEFAULT '',
            unit        TEXT NOT NULL DEFAULT '',
            assessor    TEXT NOT NULL DEFAULT '',
            detail      TEXT NOT NULL,
            ref_table   TEXT NOT NULL DEFAULT '',
            ref_id      BIGINT,
            row_sha256  TEXT NOT NULL DEFAULT '',
            prev_hash   TEXT NOT NULL,
            entry_hash  TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_log_unit ON audit_log (unit, id)",
        append_only("audit_log", "the audit log is append-only"),
    ), after=lambda db: _backfill_audit(db)),
    Migration(4, "workbooks issued (sealed identity), returns received and review states, "
                 "all append-only", (
        """
        CREATE TABLE workbook_issues (
            id                ID_PK,
            pack_id           TEXT NOT NULL UNIQUE,
            cycle             TEXT NOT NULL,
            unit              TEXT NOT NULL,
            framework_id      TEXT NOT NULL,
            framework_version TEXT NOT NULL,
            file              TEXT NOT NULL,
            issued_at         TEXT NOT NULL
        )
        """,
        "CREATE INDEX workbook_issues_unit ON workbook_issues (cycle, unit, id)",
        append_only("workbook_issues", "the record of workbooks issued is append-only"),
        """
        CREATE TABLE unit_returns (
            id             ID_PK,
            cycle          TEXT NOT NULL,
            unit           TEXT NOT NULL,
            file           TEXT NOT NULL,
            sha256         TEXT NOT NULL,
            pack_id        TEXT NOT NULL DEFAULT '',
            received_at    TEXT NOT NULL,
            readable       INTEGER NOT NULL,
            errors         INTEGER NOT NULL,
            warnings       INTEGER NOT NULL,
            findings       TEXT NOT NULL,
            answers        TEXT NOT NULL,
            answers_sha256 TEXT NOT NULL,
            previous_id    BIGINT REFERENCES unit_returns(id)
        )
        """,
        "CREATE INDEX unit_returns_unit ON unit_returns (cycle, unit, id)",
        "CREATE INDEX unit_returns_sha ON unit_returns (cycle, unit, sha256)",
        append_only("unit_returns", "the record of returns received is append-only"),
        """
        CREATE TABLE review_states (
            id          ID_PK,
            cycle       TEXT NOT NULL,
            unit        TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN ('received', 'has-issues', 'approved',
                                                       'rejected', 'resubmitted')),
            set_by      TEXT NOT NULL,
            reason      TEXT NOT NULL DEFAULT '',
            set_at      TEXT NOT NULL,
            return_id   BIGINT REFERENCES unit_returns(id)
        )
        """,
        "CREATE INDEX review_states_unit ON review_states (cycle, unit, id)",
        append_only("review_states", "review states are append-only: set a new state instead"),
        refuse_insert(
            "review_states_reason_required", "review_states",
            "NEW.state IN ('has-issues', 'rejected') AND TRIM(NEW.reason) = ''",
            "a review state of has-issues or rejected needs a reason",
        ),
    )),
    Migration(5, "validation cache: each return's validation, by file sha256, framework, esps "
                 "version and options", (
        # A cache, not a record: rows may be dropped at any time (not copied, not audited,
        # not append-only). cache_key is the sha256 of everything the report depends on.
        """
        CREATE TABLE validation_cache (
            cache_key     TEXT PRIMARY KEY,
            file_sha256   TEXT NOT NULL,
            framework     TEXT NOT NULL,
            esps_version  TEXT NOT NULL,
            stored_at     TEXT NOT NULL,
            report        TEXT NOT NULL
        )
        """,
    )),
    Migration(6, "community review: challenge forms issued, challenges, responses and "
                 "published releases, all append-only", (
        # No contact details in any of these: a group's contact stays in groups.csv.
        """
        CREATE TABLE challenge_forms (
            id          ID_PK,
            form_id     TEXT NOT NULL UNIQUE,
            cycle       TEXT NOT NULL,
            group_id    TEXT NOT NULL,
            file        TEXT NOT NULL,
            issued_at   TEXT NOT NULL
        )
        """,
        append_only("challenge_forms", "the record of challenge forms issued is append-only"),
        """
        CREATE TABLE challenges (
            id            ID_PK,
            cycle         TEXT NOT NULL,
            challenge_key TEXT NOT NULL UNIQUE,
            group_id      TEXT NOT NULL,
            group_name    TEXT NOT NULL,
            unit          TEXT NOT NULL,
            indicator     TEXT NOT NULL DEFAULT '',
            theme         TEXT NOT NULL DEFAULT '',
            challenged    TEXT NOT NULL,
            evidence      TEXT NOT NULL DEFAULT '',
            reply_by      TEXT NOT NULL CHECK (reply_by IN ('writing', 'meeting')),
            received_on   TEXT NOT NULL,
            source        TEXT NOT NULL,
            source_sha256 TEXT NOT NULL DEFAULT '',
            form_id       TEXT NOT NULL DEFAULT '',
            recorded_at   TEXT NOT NULL
        )
        """,
        "CREATE INDEX challenges_unit ON challenges (cycle, unit, indicator, id)",
        append_only("challenges", "challenges are append-only: answer them instead"),
        refuse_insert(
            "challenges_say_something", "challenges",
            "TRIM(NEW.challenged) = '' OR (TRIM(NEW.indicator) = '' AND TRIM(NEW.theme) = '')",
            "a challenge needs what is challenged and an indicator or theme",
        ),
        """
        CREATE TABLE challenge_responses (
            id              ID_PK,
            challenge_id    BIGINT NOT NULL REFERENCES challenges(id),
            cycle           TEXT NOT NULL,
            unit            TEXT NOT NULL,
            indicator       TEXT NOT NULL DEFAULT '',
            responder       TEXT NOT NULL,
            outcome         TEXT NOT NULL CHECK (outcome IN ('upheld', 'partly-upheld',
                                                             'not-upheld')),
            response        TEXT NOT NULL,
            responded_on    TEXT NOT NULL,
            responded_at    TEXT NOT NULL,
            events_before   BIGINT NOT NULL,
            combined_before INTEGER
        )
        """,
        "CREATE INDEX challenge_responses_key ON challenge_responses (cycle, unit, indicator)",
        append_only("challenge_responses", "responses to challenges are append-only"),
        refuse_insert(
            "challenge_responses_once", "challenge_responses",
            "TRIM(NEW.response) = '' OR EXISTS (SELECT 1 FROM challenge_responses r "
            "WHERE r.challenge_id = NEW.challenge_id)",
            "a challenge is answered once, with a response that says something",
        ),
        """
        CREATE TABLE releases (
            id                 ID_PK,
            cycle              TEXT NOT NULL,
            version            INTEGER NOT NULL,
            released_on        TEXT NOT NULL,
            signed_off         TEXT NOT NULL,
            pre_release_access TEXT NOT NULL,
            changes            TEXT NOT NULL DEFAULT '',
            edition            TEXT NOT NULL,
            edition_sha256     TEXT NOT NULL,
            published_at       TEXT NOT NULL,
            UNIQUE (cycle, version)
        )
        """,
        append_only("releases", "releases are append-only: publish a correction instead"),
        refuse_insert(
            "releases_in_order", "releases",
            "TRIM(NEW.signed_off) = '' OR NEW.version <> 1 + COALESCE((SELECT MAX(version) "
            "FROM releases WHERE cycle = NEW.cycle), 0) OR (NEW.version > 1 "
            "AND TRIM(NEW.changes) = '')",
            "a release needs a sign-off, the next version number, and (a correction) what "
            "changed",
        ),
    )),
    Migration(7, "calibration: seed returns with definitive scores, the calibration packs "
                 "issued, the DCFAs' calibration scores; all append-only, none a unit's score", (
        # Seed scores live apart from score_events, so no unit's standing, agreement, export
        # or Board pack can ever read them. The latest row of a (cycle, seed, indicator) is
        # its definitive score; the latest of a (cycle, seed, indicator, assessor) is theirs.
        """
        CREATE TABLE calibration_seeds (
            id            ID_PK,
            cycle         TEXT NOT NULL,
            seed          TEXT NOT NULL,
            unit          TEXT NOT NULL,
            unit_name     TEXT NOT NULL,
            return_source TEXT NOT NULL,
            return_sha256 TEXT NOT NULL,
            indicator     TEXT NOT NULL,
            score         INTEGER NOT NULL,
            rationale     TEXT NOT NULL DEFAULT '',
            set_by        TEXT NOT NULL,
            set_at        TEXT NOT NULL
        )
        """,
        "CREATE INDEX calibration_seeds_key ON calibration_seeds (cycle, seed, indicator, id)",
        append_only("calibration_seeds", "definitive scores are append-only: set them again "
                                         "instead"),
        refuse_insert(
            "calibration_seeds_at_most_three", "calibration_seeds",
            "(SELECT COUNT(DISTINCT s.seed) FROM calibration_seeds s WHERE s.cycle = NEW.cycle "
            "AND s.seed <> NEW.seed) >= 3",
            "a cycle's calibration uses one to three seed returns; this would be a fourth",
        ),
        refuse_insert(
            "calibration_seeds_keep_their_return", "calibration_seeds",
            "EXISTS (SELECT 1 FROM calibration_seeds s WHERE s.cycle = NEW.cycle "
            "AND s.seed = NEW.seed AND s.return_sha256 <> NEW.return_sha256)",
            "a seed keeps the return it was set with: give another return its own seed id",
        ),
        """
        CREATE TABLE calibration_packs (
            id            ID_PK,
            pack_id       TEXT NOT NULL UNIQUE,
            cycle         TEXT NOT NULL,
            seed          TEXT NOT NULL,
            assessor      TEXT NOT NULL,
            file          TEXT NOT NULL,
            issued_at     TEXT NOT NULL
        )
        """,
        "CREATE INDEX calibration_packs_seed ON calibration_packs (cycle, seed, id)",
        append_only("calibration_packs", "the record of calibration packs issued is "
                                         "append-only"),
        refuse_insert(
            "calibration_packs_blind", "calibration_packs",
            "NOT EXISTS (SELECT 1 FROM calibration_seeds s WHERE s.cycle = NEW.cycle "
            "AND s.seed = NEW.seed) OR EXISTS (SELECT 1 FROM calibration_seeds s "
            "WHERE s.cycle = NEW.cycle AND s.seed = NEW.seed AND s.set_by = NEW.assessor)",
            "a calibration pack needs a seed with definitive scores, and never goes to the "
            "advisor who set them",
        ),
        """
        CREATE TABLE calibration_scores (
            id            ID_PK,
            cycle         TEXT NOT NULL,
            seed          TEXT NOT NULL,
            indicator     TEXT NOT NULL,
            assessor      TEXT NOT NULL,
            score         INTEGER NOT NULL,
            comment       TEXT NOT NULL DEFAULT '',
            pack_id       TEXT NOT NULL,
            source        TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            recorded_at   TEXT NOT NULL
        )
        """,
        "CREATE INDEX calibration_scores_key ON calibration_scores (cycle, seed, assessor, id)",
        append_only("calibration_scores", "calibration scores are append-only"),
        refuse_insert(
            "calibration_scores_from_their_pack", "calibration_scores",
            "NOT EXISTS (SELECT 1 FROM calibration_packs p WHERE p.pack_id = NEW.pack_id "
            "AND p.cycle = NEW.cycle AND p.seed = NEW.seed AND p.assessor = NEW.assessor)",
            "a calibration score comes only from the calibration pack issued to that advisor "
            "for that seed",
        ),
    )),
    Migration(8, "who may write: each unit's linked DCFA and each cycle's scale and "
                 "moderation threshold in the register, the login beside each score, logins "
                 "mapped to advisors; the scoring rules in the database", (
        # NULL in the rows recorded before: their hashes leave it out (audit.LATER_COLUMNS).
        "ALTER TABLE score_events ADD COLUMN entered_by TEXT",
        """
        CREATE TABLE unit_links (
            id          ID_PK,
            cycle       TEXT NOT NULL,
            unit        TEXT NOT NULL,
            linked_dcfa TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX unit_links_key ON unit_links (cycle, unit, id)",
        append_only("unit_links", "the record of linked DCFAs is append-only: record anew"),
        """
        CREATE TABLE cycle_rules (
            id                   ID_PK,
            cycle                TEXT NOT NULL,
            scale_min            INTEGER NOT NULL,
            scale_max            INTEGER NOT NULL,
            moderation_threshold INTEGER NOT NULL,
            recorded_at          TEXT NOT NULL
        )
        """,
        append_only("cycle_rules", "the record of cycle rules is append-only: record anew"),
        """
        CREATE TABLE advisor_logins (
            id          ID_PK,
            login       TEXT NOT NULL,
            advisor     TEXT NOT NULL,
            admin       INTEGER NOT NULL DEFAULT 0,
            recorded_at TEXT NOT NULL
        )
        """,
        append_only("advisor_logins", "the record of logins is append-only: record anew"),
        refuse_insert(
            "score_events_on_the_scale", "score_events",
            f"NEW.score < COALESCE({_rule('scale_min')}, NEW.score) "
            f"OR NEW.score > COALESCE({_rule('scale_max')}, NEW.score)",
            "the score is not on the cycle's scale",
        ),
        refuse_insert(
            "score_events_linked_from_linked_dcfa", "score_events",
            "NEW.role = 'linked' AND NEW.assessor <> COALESCE("
            f"{_latest_of_unit('unit_links', 'linked_dcfa')}, NEW.assessor)",
            "a linked score comes only from the unit's linked DCFA",
        ),
        # One unlinked assessor per unit per cycle (--any-unlinked, the DCFD's choice, may
        # name another than the allocated one; an advisor's own login may not: logins.py).
        refuse_insert(
            "score_events_one_unlinked_assessor", "score_events",
            "NEW.role = 'unlinked' AND EXISTS (SELECT 1 FROM score_events e "
            "WHERE e.cycle = NEW.cycle AND e.unit = NEW.unit AND e.role = 'unlinked' "
            "AND e.assessor <> NEW.assessor)",
            "a unit has one unlinked assessor a cycle: another has given it unlinked scores",
        ),
        refuse_insert(
            "score_events_moderation_needed", "score_events",
            "NEW.role = 'moderated' AND ABS((SELECT l.score FROM score_events l "
            "WHERE l.id = NEW.moderates_linked) - (SELECT u.score FROM score_events u "
            f"WHERE u.id = NEW.moderates_unlinked)) < COALESCE({_rule('moderation_threshold')}, "
            "0) AND NOT EXISTS (SELECT 1 FROM challenge_responses r WHERE r.cycle = NEW.cycle "
            "AND r.unit = NEW.unit AND r.indicator = NEW.indicator "
            "AND r.outcome IN ('upheld', 'partly-upheld'))",
            "moderation only where the linked and unlinked scores differ by the cycle's "
            "moderation threshold or more, or a community challenge to the indicator was "
            "upheld",
        ),
        lambda engine: [] if engine == "sqlite" else pg_who_may_write(),
    )),
    Migration(9, "rule triggers fire in replica-role sessions too (PostgreSQL)", (
        _postgresql_only(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT c.relname, t.tgname "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND t.tgenabled = 'O' AND c.relnamespace = to_regnamespace(current_schema()) "
            "LOOP EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I', r.relname, "
            "r.tgname); END LOOP; END $$"),
    )),
    Migration(10, "validation cache entries carry a digest of what was stored", (
        # An entry whose digest does not match is not used (register/cache.py); the entries
        # stored before this version have none, and a cache may be emptied at any time.
        "DELETE FROM validation_cache",
        "ALTER TABLE validation_cache ADD COLUMN report_sha256 TEXT NOT NULL DEFAULT ''",
    )),
    Migration(11, "validation cache entries keep beside each report what a summary reads", (
        # The report without the findings a summary does not read, and a digest binding it to
        # the entry's key, file hash and report digest (register/cache.py). The entries
        # stored before could not be found again (the validating code changed with them).
        "DELETE FROM validation_cache",
        "ALTER TABLE validation_cache ADD COLUMN summary TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE validation_cache ADD COLUMN summary_sha256 TEXT NOT NULL DEFAULT ''",
    )),
]
SCHEMA_VERSION = MIGRATIONS[-1].version


def _backfill_audit(db: Any) -> None:
    from esps_cli.register.audit import backfill  # the audit module needs the engines

    backfill(db)

SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)


def expected_triggers(engine: Engine, up_to: int = SCHEMA_VERSION) -> set[str]:
    """The names of the rule triggers every register at this version must have."""
    names: set[str] = set()
    for migration in MIGRATIONS:
        if migration.version > up_to:
            break
        for step in migration.steps:
            if isinstance(step, _Trigger):
                names.update(step.names)
    if engine == "postgresql":
        names |= {f"{n.removesuffix('_no_update')}_no_truncate" for n in names
                  if n.endswith("_no_update")}
    return names
