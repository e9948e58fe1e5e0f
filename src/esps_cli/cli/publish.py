"""`esps publish` and `esps releases`: named releases of a cycle's public edition (version,
date, sign-off, pre-release access), corrections as new versions, and any version again.
The decisions live in community/releases.py."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from esps_cli.cli import options
from esps_cli.cli.challenge import day
from esps_cli.cli.common import handles_errors
from esps_cli.cli.workspace import Workspace, working_folder
from esps_cli.io.output import Format, console, err_console, escape

if TYPE_CHECKING:
    from esps_cli.register.challenges import Release
    from esps_cli.summary.models import SummaryReport

app = typer.Typer()


def write_edition(here: Workspace, edition: "SummaryReport", out: Path, stem: str,
                  classification: str | None, force: bool, pdf: bool = False) -> list[Path]:
    """The edition as residents read it (a single-file web page; with pdf the same page as a
    tagged PDF), as analysts read it (.xlsx) and as data (.json)."""
    from esps_cli.cli.summary import _info
    from esps_cli.io.output import save_workbook
    from esps_cli.io.safety import atomic_write_text, ensure_folder, inside
    from esps_cli.reports.board import board_workbook
    from esps_cli.reports.editions.render import write_edition as write_page
    from esps_cli.reports.editions.summary import summary_html
    from esps_cli.reports.wording import board_title

    ctx = here.context
    ensure_folder(out)
    marking = classification or ctx.settings.classification
    info = _info(here, board_title(True), classification,
                 ctx.framework.cycle(edition.organisation.cycle).name)
    page = summary_html(edition, ctx.framework, classification=marking,
                        contact=ctx.settings.public_contact)
    written = [inside(out, f"{stem}.{suffix}") for suffix in ("html", "xlsx", "json")]
    if pdf:
        written.append(inside(out, f"{stem}.pdf"))
        write_page(written[-1], page, force=force)  # first: a missing PDF engine stops here
    write_page(written[0], page, force=force)
    save_workbook(board_workbook(edition, ctx.framework, info, advisor_names={}), written[1],
                  force=force)
    atomic_write_text(written[2], edition.model_dump_json(indent=2) + "\n", force=force)
    return written


@app.command()
@handles_errors
@working_folder()
def publish(
    here: Workspace,
    signed_off: Annotated[str, typer.Option(
        "--signed-off", help="The Board decision that signed the release off, e.g. 'Diversity "
                             "Board 12/10/2011, minute 7'.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the edition into.")],
    access: Annotated[list[str] | None, typer.Option(
        "--access", help="Who saw the figures before release (repeatable).")] = None,
    correction: Annotated[str, typer.Option(
        "--correction", help="Publish a corrected version: say what changed.")] = "",
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="Also write the edition as a tagged PDF (the pdf extra).")] = False,
    on: options.On = None,
    returns: options.Returns = None,
    recursive: options.Recursive = False,
    classification: options.Classification = None,
    force: options.Force = False,
    jobs: options.Jobs = 0,
) -> None:
    """Release the cycle's public edition as its next version.

    Recorded with its version, date, sign-off and pre-release access list, and written as
    esps-public-CYCLE-vN.html (the web page), .xlsx and .json (with --pdf also .pdf). A new
    version is a correction and must say what changed; earlier versions stay retrievable
    (esps releases --version N) and then carry a "superseded" banner.

    Example: [bold]esps publish --signed-off "Diversity Board, minute 7" --access "Deputy
    Commissioner" --out public/[/bold]
    """
    from esps_cli.cli.summary import _collect
    from esps_cli.community.releases import publish as record_release
    from esps_cli.register import Register

    released_on = day(on)
    location = here.location
    report, _batch = _collect(here, returns, jobs, public=True, recursive=recursive)
    written: list[Path] = []

    def write(release: "Release", edition: "SummaryReport") -> None:
        written.extend(write_edition(here, edition, out,
                                     f"esps-public-{release.cycle}-v{release.version}",
                                     classification, force, pdf))

    with Register.open(location) as reg:
        release, _edition = record_release(reg, report, released_on=released_on,
                                           signed_off=signed_off, access=access or [],
                                           correction=correction, write=write)
    console.print(f"{release.cycle} version {release.version} released "
                  f"{release.released_on:%d/%m/%Y}, signed off: {escape(release.signed_off)}",
                  soft_wrap=True)
    for path in written:
        err_console.print(f"wrote {escape(str(path))}", soft_wrap=True)


@app.command()
@handles_errors
@working_folder(network=True, need_units=False)
def releases(
    here: Workspace,
    version: Annotated[int | None, typer.Option(
        "--version", help="Write this version's edition as released (an earlier one with its "
                          "superseded banner).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder to write the edition into (with --version).")] = None,
    fmt: options.FormatTextJson = Format.text,
    classification: options.Classification = None,
    force: options.Force = False,
) -> None:
    """List the cycle's releases, or with --version write one of them again.

    Example: [bold]esps releases --version 1 --out old/[/bold]
    """
    from esps_cli.community.releases import released_edition
    from esps_cli.errors import ConfigError
    from esps_cli.register import Register
    from esps_cli.register.challenges import releases as recorded
    from esps_cli.reports.render import check_format, show_report

    check_format("releases", fmt)
    ctx = here.context
    with Register.open(here.location, create=False) as reg:
        if version is None:
            found = recorded(reg, ctx.cycle.id)
        else:
            edition = released_edition(reg, ctx.cycle.id, version)
    if version is not None:
        if out is None:
            raise ConfigError("say where to write the edition: --out DIR")
        stem = f"esps-public-{ctx.cycle.id}-v{version}"
        if edition.community and edition.community.release and \
                edition.community.release.superseded_by:
            stem += "-superseded"
        for path in write_edition(here, edition, out, stem, classification, force):
            err_console.print(f"wrote {escape(str(path))}", soft_wrap=True)
        return
    show_report("releases", found, fmt, cycle=ctx.cycle.id)


__all__ = ["app"]
