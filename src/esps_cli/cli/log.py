"""`esps log`: the audit log of every recorded action, and `esps log --verify`, which checks its
hash chain and the register rows it records. Rendering lives in reports/audit.py."""

from datetime import date, datetime
from typing import Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format

app = typer.Typer()


def _day(text: str | None, option: str) -> datetime | None:
    from esps_cli.errors import ConfigError

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r}: give a date as YYYY-MM-DD") from None
    return datetime(day.year, day.month, day.day).astimezone()


@app.command("log")
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None, network=True)
def log(
    here: Workspace,
    unit: Annotated[str | None, typer.Option("--unit", "-u", help="Only this unit.")] = None,
    assessor: Annotated[str | None, typer.Option("--assessor",
                                                 help="Only this assessor.")] = None,
    action: Annotated[list[str] | None, typer.Option(
        "--action", help="Only this action (repeatable): score, moderation, allocation, import, "
                         "pack-issue, export, review, workbook-issue, return-received, "
                         "challenge-form-issue, challenge, challenge-response, release.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day (YYYY-MM-DD).")
                     ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to and including this day.")
                     ] = None,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Check the hash chain and every row it records; exit 1 naming the "
                         "first broken entry.")] = False,
    fmt: options.Format = Format.text,
) -> None:
    """Every recorded action (scores, moderations, allocations, imports with file hashes, packs
    issued, exports, unit workbooks issued, returns received, review states), oldest first,
    filtered by unit, assessor, action and date. With --verify,
    check that no entry and no register row was edited or deleted.

    Example: [bold]esps log --unit TP-EK --action score --format csv[/bold]
    """
    from datetime import timedelta

    from esps_cli.errors import ConfigError
    from esps_cli.register import Register, audit
    from esps_cli.reports.render import check_format, show_report

    wanted = list(action or [])
    unknown = [a for a in wanted if a not in audit.ACTIONS]
    if unknown:
        raise ConfigError(f"unknown action(s) {', '.join(unknown)}: use "
                          f"{', '.join(audit.ACTIONS)}")
    check_format("log-verification" if verify else "log", fmt)
    first, last = _day(since, "--since"), _day(until, "--until")
    location = here.location
    with Register.open(location, create=False) as reg, reg.snapshot():
        if verify:
            result = audit.verify(reg.database)
        else:
            entries = audit.entries(reg.database, unit=unit, assessor=assessor, actions=wanted,
                                    since=first, until=last + timedelta(days=1) if last else None)
    if verify:
        show_report("log-verification", result, fmt, location=str(location))
        if not result.intact:
            raise typer.Exit(EXIT_FINDINGS)
        return
    show_report("log", entries, fmt)
