"""`esps challenge forms|import|respond|list`: community groups review, test and challenge the
assessment. The decisions live in community/, rendering in reports/community.py."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import EXIT_FINDINGS, Context, handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, escape

if TYPE_CHECKING:
    from datetime import date

    from esps_cli.domain.community import CommunityGroup

app = typer.Typer()
challenge_app = typer.Typer(
    help="Community challenges to the assessment: a form for each community group, import "
         "the filled forms (and meeting notes), answer each challenge, list where they stand.",
    no_args_is_help=True)
app.add_typer(challenge_app, name="challenge")


class OutcomeChoice(StrEnum):
    upheld = "upheld"
    partly_upheld = "partly-upheld"
    not_upheld = "not-upheld"


class StateChoice(StrEnum):
    open = "open"
    overdue = "overdue"
    answered = "answered"


def day(text: str | None, flag: str = "--on") -> "date":
    """A date option (dd/mm/yyyy or yyyy-mm-dd), today when not given."""
    from datetime import date

    from esps_cli.domain.normalise import parse_date
    from esps_cli.errors import ConfigError

    if text is None or not text.strip():
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        parsed = parse_date(text)
    if not parsed.usable or parsed.value is None:
        raise ConfigError(f"{flag} {text!r} is not a date: give dd/mm/yyyy or yyyy-mm-dd")
    return parsed.value


def load_groups_for(ctx: Context, groups: Path | None) -> "list[CommunityGroup]":
    from esps_cli.community.groups import default_groups_path, load_groups

    return load_groups(groups or ctx.settings.groups or default_groups_path(ctx.units_path),
                       ctx.units)


@challenge_app.command("forms")
@handles_errors
@working_folder()
def challenge_forms(
    here: Workspace,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the forms into.")],
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Only this group's form (repeatable).")] = None,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace forms already in --out (they get new form ids).")] = False,
    fmt: options.FormatTextJson = Format.text,
    groups: options.Groups = None,
    classification: options.Classification = None,
    jobs: options.Jobs = 0,
) -> None:
    """Write a challenge form for each community group (.xlsx and .html).

    Each shows the public results for the units the group covers and a table to fill in
    (unit, theme or indicator, what is challenged, evidence, reply in writing or at a
    meeting); the web page has a printable form. Each form is sealed and recorded in the
    register.

    Example: [bold]esps challenge forms --returns returns/ --out forms/[/bold]
    """
    from esps_cli.cli.summary import _collect
    from esps_cli.community.forms import issue_forms
    from esps_cli.community.status import response_days
    from esps_cli.register import Register
    from esps_cli.register.challenges import releases
    from esps_cli.reports.editions.challenge_form import challenge_form_html
    from esps_cli.reports.render import check_format, show_report

    check_format("challenge-forms", fmt)
    ctx = here.context
    marking = classification or ctx.settings.classification
    group_list = load_groups_for(ctx, groups)
    report, _batch = _collect(here, returns, jobs, public=True, recursive=recursive)
    with Register.open(here.location) as reg:
        released = releases(reg, ctx.cycle.id)
        label = (f"version {released[-1].version}, released "
                 f"{released[-1].released_on:%d/%m/%Y}" if released else "")
        result = issue_forms(reg, report, ctx.framework, group_list, out,
                             response_days=response_days(ctx.settings, ctx.framework),
                             return_to=ctx.settings.public_contact or "", release=label,
                             only=group or [], force=force,
                             page=lambda form: challenge_form_html(form, classification=marking))
    show_report("challenge-forms", result, fmt)


@challenge_app.command("import")
@handles_errors
@working_folder()
def challenge_import(
    here: Workspace,
    files: Annotated[list[Path], typer.Argument(
        help="Filled challenge forms (.xlsx), CSVs of challenges raised at meetings "
             "(group,unit,subject,challenged,evidence,reply,date), or folders of them.",
        show_default=False)],
    received: Annotated[str | None, typer.Option(
        "--received", help="The date the forms were received (dd/mm/yyyy); default: today. "
                           "A meeting CSV's date column gives its rows' dates.")] = None,
    fmt: options.FormatTextJson = Format.text,
    groups: options.Groups = None,
) -> None:
    """Record the challenges in filled forms and meeting CSVs.

    A bad row is reported with its file, sheet and cell and left out; the good rows are
    recorded. Importing the same rows again records nothing. Contact details written into a
    challenge are withheld.

    Example: [bold]esps challenge import forms-back/ meeting-2011-01-12.csv[/bold]

    Exit code 0 when every row was good, 1 when some were left out, 2 for usage errors.
    """
    from datetime import date

    from esps_cli.community.importing import import_challenges, lookup
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report

    check_format("challenge-import", fmt)
    ctx = here.context
    group_list = load_groups_for(ctx, groups)
    when = day(received, "--received")
    look = lookup(ctx.framework, ctx.cycle.id, ctx.units, group_list, date.today())
    with Register.open(here.location) as reg:
        result = import_challenges(reg, files, look, when)
    show_report("challenge-import", result, fmt)
    if result.errors:
        raise typer.Exit(EXIT_FINDINGS)


@challenge_app.command("respond")
@handles_errors
@working_folder()
def challenge_respond(
    here: Workspace,
    challenge: Annotated[str, typer.Argument(help="The challenge, e.g. C3 (or 3).",
                                             show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Who answers: your advisor id (or staff id).",
                                    show_default=False)],
    outcome: Annotated[OutcomeChoice, typer.Option(
        "--outcome", help="upheld, partly-upheld or not-upheld.", show_default=False)],
    response: Annotated[str, typer.Option(
        "--response", help="The answer the group reads: what was looked at and what it "
                           "found (a sentence).", show_default=False)],
    on: options.On = None,
    groups: options.Groups = None,
) -> None:
    """Answer a challenge, once, with its outcome.

    Upheld or partly upheld on an indicator: the indicator goes back to moderation by a DCFA
    who is neither of the unit's assessors (esps score packs --moderation), and the
    moderated score is traced to the challenge.

    Example: [bold]esps challenge respond C3 --by dcfa09 --outcome upheld --response "The
    complaints data was missing from the evidence; the indicator is moderated again."[/bold]
    """
    from esps_cli.community.answering import respond
    from esps_cli.community.privacy import contact_redactor
    from esps_cli.register import Register

    redact = contact_redactor(load_groups_for(here.context, groups))
    roster = here.roster()
    with Register.open(here.location) as reg:
        done = respond(reg, roster, challenge, by=by, outcome=outcome.value,
                       response=response, on=day(on), redact=redact)
    c = done.challenge
    console.print(f"{c.ref} ({escape(c.group_name)}, {escape(c.unit)} {escape(c.subject)}): "
                  f"[bold]{outcome.value}[/bold], answered by "
                  f"{escape(c.response.responder if c.response else by)}", soft_wrap=True)
    if done.reopened:
        not_them = " or ".join(done.assessors) or "the unit's assessors"
        console.print(f"{escape(c.unit)} {escape(c.indicator)} goes back to moderation (combined "
                      f"score now {done.combined_before}) by a DCFA who is not {not_them}: "
                      "esps score packs --moderation --out DIR, or esps score moderate.",
                      soft_wrap=True)


@challenge_app.command("list")
@handles_errors
@working_folder(network=True, need_units=False)
def challenge_list(
    here: Workspace,
    state: Annotated[list[StateChoice] | None, typer.Option(
        "--state", help="Only challenges in this state: open (includes overdue), overdue, "
                        "answered (repeatable).")] = None,
    on: options.On = None,
    fmt: options.Format = Format.text,
) -> None:
    """List the cycle's challenges: open, overdue and answered.

    Overdue: not answered by the response deadline (esps.toml's challenge_response_days,
    else the framework's, 28 days by default). Answered ones show the outcome and any score
    an upheld challenge changed.

    Example: [bold]esps challenge list --state overdue[/bold]
    """
    from esps_cli.community.status import lines, response_days
    from esps_cli.register import Register
    from esps_cli.register.challenges import challenges
    from esps_cli.reports.render import check_format, show_report

    check_format("challenges", fmt)
    ctx = here.context
    as_at = day(on)
    days = response_days(ctx.settings, ctx.framework)
    with Register.open(here.location, create=False) as reg:
        found = lines(challenges(reg, ctx.cycle.id), days, as_at)
    wanted = {s.value for s in state or []}
    if "open" in wanted:
        wanted.add("overdue")
    if "answered" in wanted:
        wanted.add("answered-late")
    shown = [c for c in found if not wanted or c.state in wanted]
    show_report("challenges", shown, fmt,
                none=f"No challenges{' in that state' if wanted else ''} for {ctx.cycle.id}.",
                title=f"Challenges to {ctx.cycle.name} as at {as_at:%d/%m/%Y} (reply within "
                      f"{days} days)")


__all__ = ["app"]
