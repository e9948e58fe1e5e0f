"""Who writes is who they are, on a PostgreSQL register (issue 24).

Each advisor connects with a login of their own; ``advisor_logins`` maps a login to an advisor
id (``esps register roles`` records it). The database then holds the rules for every login,
whatever client it uses:

- a score's assessor must be the connected login's advisor, unless the login is a DCFD
  administrator's (then it is recorded as entered by that login for the assessor); the login is
  recorded beside every score (``entered_by``), checked against the connection;
- a login holding the advisors' role but mapped to no advisor may not record scores;
- row-level security (FORCE, so the tables' owner is held to it too) hides the other
  assessor's score and rationale of a unit's indicator from an advisor's login until both are
  in, in the scores and in the audit log;
- the tables and these functions belong to a role (``esps_owner``) no advisor holds; advisors
  get SELECT and INSERT only.

Functions that must see every row whoever asks (the next id, the head of the audit chain, the
rule checks) are SECURITY DEFINER: they run as the owner, whom the policies let see all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esps_cli.errors import ConfigError

if TYPE_CHECKING:
    from esps_cli.register.engines import Database

OWNER_ROLE = "esps_owner"
ADVISOR_ROLE = "esps_advisor"
ADMIN_ROLE = "esps_admin"

# Tables advisors may insert into (the rest they read); the record of logins, unit links,
# cycle rules and allocations are the administrators'.
ADVISOR_WRITES = ("score_events", "imports", "audit_log", "pack_issues", "unit_returns",
                  "review_states", "workbook_issues", "validation_cache", "calibration_scores")
ADMIN_WRITES = ("allocations", "unit_links", "cycle_rules", "advisor_logins", "challenge_forms",
                "challenges", "challenge_responses", "releases", "calibration_seeds",
                "calibration_packs")

# The rule functions of score_events that read other rows: run as the owner (see all).
RULE_FUNCTIONS = (
    "score_events_stale_moderation", "score_events_unlinked_independent",
    "score_events_linked_independent", "score_events_moderator_independent",
    "score_events_on_the_scale", "score_events_linked_from_linked_dcfa",
    "score_events_one_unlinked_assessor", "score_events_moderation_needed",
    "allocations_independent", "pack_issues_moderator_independent",
)

_IS_ADVISOR_LOGIN = f"""
CREATE FUNCTION esps_advisor_login() RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM advisor_logins WHERE login = session_user::text) THEN
        RETURN true;
    END IF;
    IF to_regrole('{ADVISOR_ROLE}') IS NULL THEN
        RETURN false;
    END IF;
    RETURN pg_has_role(session_user, to_regrole('{ADVISOR_ROLE}'), 'MEMBER');
END $$
"""

_LOGIN_ADVISOR = """
CREATE FUNCTION esps_login_advisor(OUT advisor text, OUT admin boolean) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT advisor, admin = 1 FROM advisor_logins WHERE login = session_user::text
    ORDER BY id DESC LIMIT 1
$$
"""

_MAY_READ = """
CREATE FUNCTION esps_may_read(p_cycle text, p_unit text, p_indicator text, p_role text,
                              p_assessor text, p_user text) RETURNS boolean LANGUAGE plpgsql
STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE me record;
BEGIN
    -- p_user: who runs the query the policy guards. The owner (these functions reading as
    -- it) sees all; so does a login that is no advisor's.
    IF p_user = (SELECT tableowner FROM pg_tables WHERE tablename = 'score_events'
                 AND schemaname = current_schema()) OR NOT esps_advisor_login() THEN
        RETURN true;
    END IF;
    SELECT * INTO me FROM esps_login_advisor();
    IF me.admin OR p_role = 'moderated' OR p_assessor = me.advisor THEN
        RETURN true;
    END IF;
    RETURN EXISTS (SELECT 1 FROM score_events WHERE cycle = p_cycle AND unit = p_unit
                   AND indicator = p_indicator AND role = 'linked')
       AND EXISTS (SELECT 1 FROM score_events WHERE cycle = p_cycle AND unit = p_unit
                   AND indicator = p_indicator AND role = 'unlinked');
END $$
"""

_MAY_READ_ENTRY = """
CREATE FUNCTION esps_may_read_entry(p_table text, p_id bigint, p_user text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE e record;
BEGIN
    IF p_table <> 'score_events' OR NOT esps_advisor_login() THEN
        RETURN true;
    END IF;
    SELECT * INTO e FROM score_events WHERE id = p_id;
    RETURN e IS NULL OR esps_may_read(e.cycle, e.unit, e.indicator, e.role, e.assessor,
                                      p_user);
END $$
"""

# Ids from a sequence per table (the audit log's excepted: its entries count up with no gap,
# under the chain lock), so that writers of different units number their rows side by side.
SEQUENCED = ("imports", "allocations", "score_events", "pack_issues", "workbook_issues",
             "unit_returns", "review_states", "challenge_forms", "challenges",
             "challenge_responses", "releases", "calibration_seeds", "calibration_packs",
             "calibration_scores", "unit_links", "cycle_rules", "advisor_logins")

_NEXT_ID = """
CREATE FUNCTION esps_next_id(p_table text) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    RETURN nextval(format('esps_ids_%s', p_table)::regclass);
END $$
"""

_RESERVE_IDS = """
CREATE FUNCTION esps_reserve_ids(p_table text, p_count integer) RETURNS SETOF bigint
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT nextval(format('esps_ids_%s', p_table)::regclass) FROM generate_series(1, p_count)
    ORDER BY 1
$$
"""


def _sequences() -> list[str]:
    return [statement for table in SEQUENCED for statement in (
        f"CREATE SEQUENCE esps_ids_{table}",
        f"SELECT setval('esps_ids_{table}', (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), "
        "false)")]

_AUDIT_HEAD = """
CREATE FUNCTION esps_audit_head(OUT id bigint, OUT entry_hash text) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT id, entry_hash FROM audit_log ORDER BY id DESC LIMIT 1
$$
"""

# First of score_events' BEFORE INSERT triggers (they fire in name order): the unit's lock,
# so that any writer's rule checks see what the unit's other writers committed, then who.
_WHO = """
CREATE FUNCTION score_events_0_who() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE me record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('esps unit ' || NEW.cycle), hashtext(NEW.unit));
    IF NOT esps_advisor_login() THEN
        RETURN NEW;
    END IF;
    SELECT * INTO me FROM esps_login_advisor();
    IF me.advisor IS NULL THEN
        RAISE EXCEPTION 'the login % is mapped to no advisor (esps register roles)',
            session_user
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.entered_by IS DISTINCT FROM session_user::text THEN
        RAISE EXCEPTION 'a score must name the login that enters it (%), not %', session_user,
            COALESCE(NEW.entered_by, 'nobody') USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.assessor <> me.advisor AND NOT me.admin THEN
        RAISE EXCEPTION 'the login % is advisor %: it cannot record a score as %', session_user,
            me.advisor, NEW.assessor USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.role = 'unlinked' AND NOT me.admin AND NEW.assessor IS DISTINCT FROM (
            SELECT a.unlinked_dcfa FROM allocations a WHERE a.id = (SELECT MAX(id)
            FROM allocations WHERE cycle = NEW.cycle AND unit = NEW.unit)) THEN
        RAISE EXCEPTION 'an unlinked score comes only from the unit''s allocated unlinked DCFA'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$
"""


def pg_who_may_write() -> list[str]:
    """Migration 6's PostgreSQL statements: the functions, the login trigger, the rule
    functions run as the owner, and the row-level security policies (enabled, and FORCEd, by
    `esps register roles`, when a force gives its advisors logins of their own)."""
    return [
        *_sequences(), _RESERVE_IDS,
        _IS_ADVISOR_LOGIN, _LOGIN_ADVISOR, _MAY_READ, _MAY_READ_ENTRY, _NEXT_ID, _AUDIT_HEAD,
        _WHO,
        "CREATE TRIGGER score_events_0_who BEFORE INSERT ON score_events "
        "FOR EACH ROW EXECUTE FUNCTION score_events_0_who()",
        *(f"ALTER FUNCTION {name}() SECURITY DEFINER" for name in RULE_FUNCTIONS),
        "CREATE POLICY scores_blind ON score_events FOR SELECT "
        "USING (esps_may_read(cycle, unit, indicator, role, assessor, current_user::text))",
        "CREATE POLICY scores_insert ON score_events FOR INSERT WITH CHECK (true)",
        "CREATE POLICY entries_blind ON audit_log FOR SELECT "
        "USING (esps_may_read_entry(ref_table, ref_id, current_user::text))",
        "CREATE POLICY entries_insert ON audit_log FOR INSERT WITH CHECK (true)",
    ]


def require_whole_view(db: Database, what: str) -> None:
    """Refuse (exit 2) to check the whole register through an advisor's own login: row-level
    security hides the other assessor's scores and their audit entries from it, so the chain
    would look broken where it is not, or "intact" over only the entries it sees. The owner,
    an administrator's login and a superuser see every row."""
    if db.engine != "postgresql" or not db.scalar(
            "SELECT to_regprocedure('esps_advisor_login()') IS NOT NULL"):
        return
    if db.scalar(  # as esps_may_read decides, for a login row-level security applies to
            "SELECT esps_advisor_login() AND NOT COALESCE((SELECT admin FROM "
            "esps_login_advisor()), false) AND NOT (SELECT rolsuper OR rolbypassrls FROM "
            "pg_roles WHERE rolname = current_user) AND current_user <> (SELECT tableowner "
            "FROM pg_tables WHERE tablename = 'score_events' AND schemaname = "
            "current_schema())"):
        raise ConfigError(
            f"{what} needs to see every row, and the login {db.who} is an advisor's: "
            "row-level security hides from it the other assessor's scores (and their audit "
            "entries) until both are in. Run it as the register's owner or an "
            "administrator's login (esps register roles --admin); nothing was checked")
