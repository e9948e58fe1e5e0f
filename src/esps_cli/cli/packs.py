"""`esps score packs`: write the blind scoring packs (one per assessor and unit) or, with
--moderation, one moderation pack per unit with disagreements. Rendering lives in
reports/scores.py; the decisions in scoring/packs.py."""

from pathlib import Path
from typing import Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.common import handles_errors
from esps_cli.cli.score import score_app
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format

app = typer.Typer()  # its one command belongs to the `esps score` group


@score_app.command("packs")
@handles_errors
@working_folder()
def score_packs(
    here: Workspace,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the packs into.")],
    returns: options.Returns = None,
    unit: options.OnlyUnits = None,
    assessor: Annotated[list[str] | None, typer.Option(
        "--assessor", help="Only this assessor's packs (repeatable); with --moderation, the "
                           "moderator.")] = None,
    role: Annotated[list[options.ScoreRole] | None, typer.Option(
        "--role", help="Only linked or unlinked packs.")] = None,
    moderation: Annotated[bool, typer.Option(
        "--moderation", help="Write moderation packs for the disagreements instead.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace packs already in --out (they get new pack ids).")] = False,
    include_invalid: Annotated[bool, typer.Option(
        "--include-invalid", help="Also issue packs for invalid returns (their scores are "
                                  "provisional: they never count towards the baseline).")
    ] = False,
    fmt: options.FormatTextJson = Format.text,
) -> None:
    """Write blind scoring packs: for every unit with a valid return and an allocation, one
    for its linked DCFA and one for its unlinked DCFA, each showing the unit's answers and a
    score table for that assessor alone. An invalid return gets none unless --include-invalid
    (its scores would be provisional and never count towards the baseline). With
    --moderation: one pack per unit whose scores need moderation, for a third DCFA.

    Example: [bold]esps score packs --out scoring-packs[/bold]
    """
    from esps_cli.register import Register
    from esps_cli.reports.render import check_format, show_report
    from esps_cli.scoring.packs import issue_packs

    check_format("scoring-packs", fmt)
    roster = here.roster()
    with Register.open(here.location) as reg:
        result = issue_packs(
            reg, roster, out, returns=returns or ([here.settings.returns]
                                                  if here.settings.returns else []),
            units=unit or [], assessors=assessor or [], roles=[r.value for r in role or []],
            moderation=moderation, force=force, include_invalid=include_invalid)
    show_report("scoring-packs", result, fmt, out=out,
                title=f"{'Moderation' if moderation else 'Scoring'} packs, {roster.cycle.name}")
