"""CLI commands for the register as a whole: `esps register check` and `esps register copy`.

Thin: resolve the register's location, call register/maintenance.py, print the result.
"""

from typing import Annotated

import typer
from rich.markup import escape

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, EXIT_OK, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console

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
