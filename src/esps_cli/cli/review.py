"""`esps review set|show`: where DCFD's review of each unit's return stands (the register)."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, escape

if TYPE_CHECKING:
    from esps_cli.cli.common import Context

app = typer.Typer()
review_app = typer.Typer(
    help="Review states of units' returns: received, has-issues, approved, rejected, "
         "resubmitted; every change kept with who, when and why.",
    no_args_is_help=True)
app.add_typer(review_app, name="review")


class State(StrEnum):
    received = "received"
    has_issues = "has-issues"
    approved = "approved"
    rejected = "rejected"
    resubmitted = "resubmitted"


def _unit_code(ctx: "Context", unit: str) -> str:
    """The unit's code as the units list writes it (any case typed); without a units list,
    as typed."""
    from esps_cli.errors import ConfigError

    if not ctx.units:
        return unit.strip()
    found = {u.code.casefold(): u.code for u in ctx.units}.get(unit.strip().casefold())
    if found is None:
        raise ConfigError(f"unit {unit!r} is not on the units list {ctx.units_path}")
    return found


@review_app.command("set")
@handles_errors
@working_folder(need_units=False)
def review_set(
    here: Workspace,
    unit: Annotated[str, typer.Argument(help="The unit's code, e.g. TP-CW.")],
    state: Annotated[State, typer.Argument(help="The new state.")],
    by: Annotated[str, typer.Option("--by", help="Your advisor id (on the advisors list).",
                                    show_default=False)],
    reason: Annotated[str, typer.Option(
        "--reason", help="Why (required for has-issues and rejected).")] = "",
) -> None:
    """Set the review state of a unit's return; the change is appended, never overwritten.

    Example: [bold]esps review set TP-CW has-issues --by dcfa01 --reason "OD1.2 has no
    evidence"[/bold]
    """
    from esps_cli.errors import ConfigError
    from esps_cli.io.output import plain
    from esps_cli.register import Register
    from esps_cli.register.models import REASON_REQUIRED, ReviewChange, now_utc
    from esps_cli.register.review import set_state

    reason = plain(reason).strip()  # an escape sequence typed in is not kept nor shown
    if state.value in REASON_REQUIRED and not reason:
        raise ConfigError(f"a review state of {state.value} needs a reason: --reason TEXT "
                          "(what the unit must put right)")
    ctx = here.context
    known = {a.id.casefold(): a.id for a in ctx.advisors}
    advisor = known.get(by.strip().casefold())
    if advisor is None:
        raise ConfigError(f"--by {by!r} is not on the advisors list; use your advisor id "
                          f"(one of: {', '.join(sorted(known.values()))})")
    code = _unit_code(ctx, unit)
    with Register.open(here.location) as reg:
        change = set_state(reg, ReviewChange(
            cycle=ctx.cycle.id, unit=code, state=state.value, set_by=advisor,
            reason=reason, set_at=now_utc()))
    console.print(f"{escape(code)} ({ctx.cycle.id}): [bold]{change.state}[/bold], set by "
                  f"{escape(advisor)}" + (f": {escape(change.reason)}" if change.reason else ""),
                  soft_wrap=True)


@review_app.command("show")
@handles_errors
@working_folder(network=True, need_units=False)
def review_show(
    here: Workspace,
    unit: Annotated[str | None, typer.Argument(
        help="One unit's code: every change of its state; default: each unit's current state.",
        show_default=False)] = None,
    fmt: options.Format = Format.text,
) -> None:
    """Show review states: each unit's current state, or one unit's whole history.

    Example: [bold]esps review show TP-CW --format csv[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.register.review import current_states, returns_of, review_history
    from esps_cli.reports.render import check_format, show_report

    check_format("review", fmt)
    ctx = here.context
    code = _unit_code(ctx, unit) if unit else None
    with Register.open(here.location, create=False) as reg, reg.snapshot():
        changes = (review_history(reg, ctx.cycle.id, code) if code
                   else list(current_states(reg, ctx.cycle.id).values()))
        files = {r.id: r.file for r in returns_of(reg, ctx.cycle.id, code)}
    show_report("review", changes, fmt, files=files, unit=code, cycle=ctx.cycle.id)


__all__ = ["app"]
