"""`esps register roles`: one login per advisor on a PostgreSQL register (issue 24).

Run once by the database's administrator (a login that may create roles, e.g. postgres), after
the register exists, and again when advisors join: it creates the roles (the owner no advisor
holds, the advisors', the DCFD administrators'), gives the tables and functions to the owner,
grants advisors SELECT and INSERT only, turns on row-level security (FORCE), creates a login per
advisor and records which advisor each login is (``advisor_logins``, in the audit log). It
prints the pg_hba.conf and pg_ident.conf lines to adapt: how the logins prove who they are
(a password, a certificate, or the organisation's Kerberos / Active Directory).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from esps_cli.errors import ConfigError
from esps_cli.register import audit
from esps_cli.register.logins import (
    ADMIN_ROLE,
    ADMIN_WRITES,
    ADVISOR_ROLE,
    ADVISOR_WRITES,
    OWNER_ROLE,
)
from esps_cli.register.models import now_utc, timestamp
from esps_cli.register.store import Register

RLS_TABLES = ("score_events", "audit_log")


class LoginPlan(BaseModel):
    login: str
    advisor: str
    admin: bool = False
    email: str = ""


class RolesReport(BaseModel):
    database: str
    created: list[str]
    recorded: list[LoginPlan]
    unchanged: int
    pg_hba: list[str]
    pg_ident: list[str]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _role_exists(reg: Register, name: str) -> bool:
    return bool(reg.database.scalar("SELECT COUNT(*) AS n FROM pg_roles WHERE rolname = ?",
                                    (name,)))


def _create_role(reg: Register, name: str, login: bool, created: list[str]) -> None:
    if not _role_exists(reg, name):
        reg.database.execute(f"CREATE ROLE {_ident(name)} {'LOGIN' if login else 'NOLOGIN'}")
        created.append(name)


def _give_to_owner(reg: Register) -> None:
    """The tables and the functions to the owner role; advisors SELECT and INSERT only."""
    db = reg.database
    tables = [r["t"] for r in db.query(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()")]
    functions = [r["f"] for r in db.query(
        "SELECT p.oid::regprocedure::text AS f FROM pg_proc p "
        "WHERE p.pronamespace = to_regnamespace(current_schema())")]
    for table in tables:
        db.execute(f"ALTER TABLE {_ident(table)} OWNER TO {OWNER_ROLE}")
        db.execute(f"REVOKE ALL ON {_ident(table)} FROM PUBLIC")
        db.execute(f"GRANT SELECT ON {_ident(table)} TO {ADVISOR_ROLE}")
    for function in functions:
        db.execute(f"ALTER FUNCTION {function} OWNER TO {OWNER_ROLE}")
    for row in db.query("SELECT sequencename AS s FROM pg_sequences "
                        "WHERE schemaname = current_schema()"):
        db.execute(f"ALTER SEQUENCE {_ident(row['s'])} OWNER TO {OWNER_ROLE}")
    for table in ADVISOR_WRITES:
        if table in tables:
            db.execute(f"GRANT INSERT ON {table} TO {ADVISOR_ROLE}")
    if "validation_cache" in tables:  # a cache: rows are replaced and dropped
        db.execute(f"GRANT UPDATE, DELETE ON validation_cache TO {ADVISOR_ROLE}")
    for table in ADMIN_WRITES:
        db.execute(f"GRANT INSERT ON {table} TO {ADMIN_ROLE}")
    for table in RLS_TABLES:
        db.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        db.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def _current_logins(reg: Register) -> dict[str, tuple[str, bool]]:
    rows = reg.database.query(
        "SELECT login, advisor, admin FROM advisor_logins WHERE id IN "
        "(SELECT MAX(id) FROM advisor_logins GROUP BY login)")
    return {r["login"]: (r["advisor"], bool(r["admin"])) for r in rows}


def set_up_roles(reg: Register, logins: Sequence[LoginPlan], *, hba_network: str,
                 method: str) -> RolesReport:
    """Create and grant the roles, map the logins to advisors (see the module docstring)."""
    if reg.engine != "postgresql":
        raise ConfigError("esps register roles is for a PostgreSQL register: on SQLite the "
                          "operating-system user is recorded beside each score instead")
    db = reg.database
    if not db.scalar("SELECT rolcreaterole OR rolsuper AS ok FROM pg_roles "
                     "WHERE rolname = current_user"):
        raise ConfigError(
            f"the login {db.who} may not create roles: run esps register roles as the "
            "database's administrator (e.g. postgres, or a login with CREATEROLE)")
    created: list[str] = []
    recorded: list[LoginPlan] = []
    with reg.transaction():
        for role in (OWNER_ROLE, ADVISOR_ROLE, ADMIN_ROLE):
            _create_role(reg, role, False, created)
        _give_to_owner(reg)
        known = _current_logins(reg)
        at = timestamp(now_utc())
        ids: list[int] = []
        for plan in logins:
            _create_role(reg, plan.login, True, created)
            db.execute(f"GRANT {ADVISOR_ROLE} TO {_ident(plan.login)}")
            if plan.admin:
                db.execute(f"GRANT {ADMIN_ROLE} TO {_ident(plan.login)}")
            if known.get(plan.login) != (plan.advisor, plan.admin):
                ids.append(db.insert("advisor_logins", {
                    "login": plan.login, "advisor": plan.advisor, "admin": int(plan.admin),
                    "recorded_at": at}))
                recorded.append(plan)
        if ids:
            audit.log_rows(db, "advisor_logins", ids[0], ids[-1])
    database = str(db.scalar("SELECT current_database() AS d"))
    return RolesReport(database=database, created=created, recorded=recorded,
                       unchanged=len(logins) - len(recorded),
                       pg_hba=_hba(database, hba_network, method),
                       pg_ident=[f"esps  {p.email or p.login + '@EXAMPLE.ORG'}  {p.login}"
                                 for p in logins])


def _hba(database: str, network: str, method: str) -> list[str]:
    """pg_hba.conf lines: only the advisors' role, over TLS, by the chosen method."""
    how = {"scram-sha-256": "scram-sha-256",
           "cert": "cert map=esps",
           "gss": "gss include_realm=0 map=esps"}[method]
    kind = "hostgssenc" if method == "gss" else "hostssl"
    return [f"{kind}  {database}  +{ADVISOR_ROLE}  {network}  {how}",
            f"hostssl  {database}  {OWNER_ROLE}  127.0.0.1/32  scram-sha-256"]
