"""CLI commands for the register as a whole: `esps register check`, `upgrade`, `copy` and
`roles`.

Thin: resolve the register's location, call register/maintenance.py, print the result.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, escape

app = typer.Typer()
register_app = typer.Typer(
    help="Check a score register, or copy it whole between SQLite and PostgreSQL.",
    no_args_is_help=True,
)
app.add_typer(register_app, name="register")

def _say(markup: str) -> None:
    console.print(markup, soft_wrap=True, highlight=False)


@register_app.command("check")
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None, network=True)
def check(
    here: Workspace,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Check a register: integrity, schema version, rules, import log, audit chain.

    The register is checked as it is (not upgraded): the engine's own integrity check, the
    schema version, the rules the database enforces (append-only and role triggers), the
    import log against the events, moderations, and the audit chain where there is one.
    Exit code 1 when a problem is found.

    Example: [bold]esps register check --register postgresql://esps@db.example/esps[/bold]
    """
    from esps_cli.register.maintenance import check as check_register
    from esps_cli.reports.render import check_format, show_report

    check_format("register-check", fmt)
    report = check_register(here.location)
    show_report("register-check", report, fmt)
    raise typer.Exit(EXIT_OK if report.sound else EXIT_FINDINGS)


@register_app.command("upgrade")
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None)
def upgrade(here: Workspace) -> None:
    """Create a register, or bring its schema up to this esps-cli's version.

    Every command does this by itself when it opens an older register; run it yourself when
    the advisors log in as users who may not change the schema (run it as the owner).

    Example: [bold]esps register upgrade --register postgresql://owner@db.example/esps[/bold]
    """
    from esps_cli.register.maintenance import upgrade as upgrade_register

    location = here.location
    before, after = upgrade_register(location)
    if before == 0:
        _say(f"register {escape(str(location))} created at schema version {after}")
    elif before == after:
        _say(f"register {escape(str(location))} is at schema version {after}: nothing to do")
    else:
        _say(f"register {escape(str(location))} upgraded from schema version {before} to "
             f"{after}")


class LoginMethod(StrEnum):
    scram = "scram-sha-256"
    cert = "cert"
    gss = "gss"


@register_app.command("roles")
@handles_errors
@working_folder(cycle=None, units=None, framework=None)
def roles(
    here: Workspace,
    admin: Annotated[list[str] | None, typer.Option(
        "--admin", help="A DCFD administrator's login (may enter scores for others; "
                        "repeat for more).")] = None,
    network: Annotated[str, typer.Option(
        "--network", help="The advisors' network, for the pg_hba.conf lines.")] = "10.0.0.0/8",
    method: Annotated[LoginMethod, typer.Option(
        "--method", help="How logins prove who they are: scram-sha-256 (a password), cert "
                         "(a client certificate) or gss (Kerberos / Active Directory).")
    ] = LoginMethod.scram,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Give each advisor a PostgreSQL login of their own (run as the database's administrator).

    Creates the roles (esps_owner, which owns the tables and which no advisor holds;
    esps_advisor, SELECT and INSERT; esps_admin, allocations and logins), a login per advisor
    on the advisors list (its id) and per --admin, records which advisor each login is, turns
    on row-level security, and prints the pg_hba.conf and pg_ident.conf lines to adapt.
    Run again when advisors join: what is in place is kept.

    Example: [bold]esps register roles --advisors dcfas.csv --admin dcfd.admin --register
    postgresql://postgres@db.example/esps[/bold]
    """
    from esps_cli.io.output import print_json
    from esps_cli.register import Register
    from esps_cli.register.roles import LoginPlan, set_up_roles
    from esps_cli.working.lists import load_advisors

    advisors_file = here.advisors or here.settings.advisors
    if advisors_file is None:
        raise typer.BadParameter("give the advisors list: --advisors FILE",
                                 param_hint="--advisors")
    plans = [LoginPlan(login=a.id, advisor=a.id, email=a.email)
             for a in load_advisors(advisors_file)]
    plans += [LoginPlan(login=name, advisor=name, admin=True) for name in admin or []]
    with Register.open(here.location, create=False) as reg:
        report = set_up_roles(reg, plans, hba_network=network, method=method.value)
    if fmt == Format.json:
        print_json(report)
        return
    _say(f"roles created: {', '.join(report.created) or 'none (all in place)'}")
    _say(f"logins recorded: {len(report.recorded)} ({report.unchanged} already in place)")
    _say("\n# pg_hba.conf: adapt the network, then reload PostgreSQL")
    for line in report.pg_hba:
        _say(escape(line))
    _say("\n# pg_ident.conf (map esps): the organisation's names for each login")
    for line in report.pg_ident:
        _say(escape(line))


@register_app.command("backup")
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None)
def backup(
    here: Workspace,
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Back the register up into FILE: SQLite's online backup, or pg_dump for PostgreSQL.

    Prove it with esps register restore-check FILE.

    Example: [bold]esps register backup backups/esps-2010-11-30.db[/bold]
    """
    from esps_cli.register.backup import backup as back_up

    location = here.location
    written = back_up(location, file, force=force)
    _say(f"backed up {escape(str(location))} to {escape(str(written))} "
         f"({written.stat().st_size:,} bytes); prove it: esps register restore-check "
         f"{escape(str(written))}")


@register_app.command("restore-check")
@handles_errors
def restore_check(
    file: Annotated[Path, typer.Argument(help="A backup made by esps register backup.")],
    scratch: Annotated[str | None, typer.Option(
        "--scratch", help="For a pg_dump backup: a postgresql:// URL on a server where a "
                          "scratch database may be made (and is dropped after).")] = None,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Prove a backup: restore it into a scratch place and run every check on it.

    The checks are register check's: integrity, schema, rules, import log, moderations and
    the audit chain. Exit code 0 when sound, 1 when a problem is found, 2 when the backup
    cannot be restored.

    Example: [bold]esps register restore-check backups/esps-2010-11-30.db[/bold]
    """
    from esps_cli.register.backup import restore_check as check_backup
    from esps_cli.reports.render import check_format, show_report

    check_format("register-check", fmt)
    report = check_backup(file, scratch=scratch)
    if fmt == Format.text:
        _say(f"restored {escape(str(file))} into a scratch {report.engine} register:")
    show_report("register-check", report, fmt)
    raise typer.Exit(EXIT_OK if report.sound else EXIT_FINDINGS)


FromArg = Annotated[str, typer.Argument(
    metavar="FROM", help="The register to copy: a SQLite file or a postgresql:// URL.")]
ToArg = Annotated[str, typer.Argument(
    metavar="TO", help="A new, empty register (created if need be): a file or a URL.")]


@register_app.command("copy")
@handles_errors
def copy(
    source: FromArg,
    target: ToArg,
    allow_network_sqlite: options.AllowNetworkSqlite = False,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Copy a whole register to another, e.g. SQLite to PostgreSQL or back.

    Every record (scores, allocations, imports; ids and times kept) goes from FROM into TO
    in one transaction; then both sides' row counts and contents are compared (exit code 1
    if they differ). TO must be empty: nothing is ever merged or overwritten.

    Example: [bold]esps register copy esps.db postgresql://esps@db.example/esps[/bold]
    """
    from esps_cli.register import register_location as locate_register
    from esps_cli.register.maintenance import copy_register
    from esps_cli.reports.render import check_format, show_report

    check_format("register-copy", fmt)
    report = copy_register(locate_register(source, None,
                                           allow_network_sqlite=allow_network_sqlite),
                           locate_register(target, None))
    show_report("register-copy", report, fmt)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)
