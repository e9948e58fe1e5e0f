"""`esps log`: the audit log of every recorded action; `esps log --verify`, which checks its
hash chain and the register rows it records (against a checkpoint with --since-checkpoint or
--expect-head); `esps log checkpoint FILE`, which keeps the chain's head outside the register.
Rendering lives in reports/audit.py."""

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format

if TYPE_CHECKING:
    from esps_cli.register.audit import ChainHead

app = typer.Typer()
log_app = typer.Typer(invoke_without_command=True)
app.add_typer(log_app, name="log")


def _day(text: str | None, option: str) -> datetime | None:
    from esps_cli.errors import ConfigError

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r}: give a date as YYYY-MM-DD") from None
    return datetime(day.year, day.month, day.day).astimezone()


def _expected_head(checkpoint: Path | None, expect_head: str | None) -> "ChainHead | None":
    from esps_cli.errors import ConfigError
    from esps_cli.register.audit import parse_head
    from esps_cli.register.checkpoint import read

    if checkpoint is not None and expect_head is not None:
        raise ConfigError("give --since-checkpoint or --expect-head, not both")
    if checkpoint is not None:
        return read(checkpoint).chain_head
    if expect_head is not None:
        try:
            return parse_head(expect_head)
        except ValueError as exc:
            raise ConfigError(f"--expect-head {exc}") from None
    return None


@log_app.callback()
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None, network=True)
def log(
    ctx: typer.Context,
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
    since_checkpoint: Annotated[Path | None, typer.Option(
        "--since-checkpoint", show_default=False,
        help="With --verify: also fail unless the chain still holds the head this checkpoint "
             "file records (written by `esps log checkpoint`): catches a log re-hashed end "
             "to end or cut short.")] = None,
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", show_default=False,
        help="With --verify: the head the chain must still hold, as ENTRY:HASH (the "
             "fingerprint a Board pack prints, e.g. 1234:3f2a-91bc-07de-55a1).")] = None,
    fmt: options.Format = Format.text,
) -> None:
    """Every recorded action (scores, moderations, allocations, imports with file hashes, packs
    issued, exports, unit workbooks issued, returns received, review states), oldest first,
    filtered by unit, assessor, action and date. With --verify,
    check that no entry and no register row was edited or deleted.

    Example: [bold]esps log --unit TP-EK --action score --format csv[/bold]
    [bold]esps log --verify --since-checkpoint checkpoints/2026-12-01.json[/bold]
    """
    if ctx.invoked_subcommand is not None:
        return
    from datetime import timedelta

    from esps_cli.errors import ConfigError
    from esps_cli.register import Register, audit
    from esps_cli.register.logins import require_whole_view
    from esps_cli.reports.render import check_format, show_report

    wanted = list(action or [])
    unknown = [a for a in wanted if a not in audit.ACTIONS]
    if unknown:
        raise ConfigError(f"unknown action(s) {', '.join(unknown)}: use "
                          f"{', '.join(audit.ACTIONS)}")
    check_format("log-verification" if verify else "log", fmt)
    first, last = _day(since, "--since"), _day(until, "--until")
    expected = _expected_head(since_checkpoint, expect_head)
    if expected is not None and not verify:
        raise ConfigError("--since-checkpoint and --expect-head check the chain: add --verify")
    location = here.location
    with Register.open(location, create=False) as reg, reg.snapshot():
        if verify:
            require_whole_view(reg.database, "esps log --verify")
            result = audit.verify(reg.database, expected)
        else:
            entries = audit.entries(reg.database, unit=unit, assessor=assessor, actions=wanted,
                                    since=first, until=last + timedelta(days=1) if last else None)
    if verify:
        show_report("log-verification", result, fmt, location=str(location))
        if not result.intact:
            raise typer.Exit(EXIT_FINDINGS)
        return
    show_report("log", entries, fmt)


@log_app.command("checkpoint")
@handles_errors
@working_folder(cycle=None, units=None, advisors=None, framework=None, network=True)
def checkpoint(
    here: Workspace,
    file: Annotated[Path, typer.Argument(
        help="The checkpoint file to write (JSON); keep it where the register's writers "
             "cannot change it.", show_default=False)],
    force: options.Force = False,
) -> None:
    """Write the audit chain's head (entry number and hash) to a checkpoint file, so that a
    later [bold]esps log --verify --since-checkpoint FILE[/bold] fails if the log was re-hashed
    or its newest entries removed. Exit 0, or 2 if the file exists (use --force).

    Example: [bold]esps log checkpoint checkpoints/2026-12-07.json[/bold]
    """
    from rich.markup import escape

    from esps_cli.io.output import console
    from esps_cli.register import Register
    from esps_cli.register import checkpoint as checkpoints

    with Register.open(here.location, create=False) as reg, reg.snapshot():
        taken = checkpoints.take(reg)
    checkpoints.write(taken, file, force=force)
    console.print(f"Checkpoint written to {escape(str(file))}: the chain's head is entry "
                  f"{taken.entry}, fingerprint {taken.fingerprint}")
