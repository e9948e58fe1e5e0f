"""`esps publish`: a named release of a cycle's public edition.

A release records its version, date, the Board decision that signed it off and who saw the
figures before release, with the public edition itself (JSON) so any version can be had again
(`esps releases --version N`). A correction is the next version and must say what changed; the
earlier version stays retrievable and is then shown with a "superseded" banner naming the
version that replaced it and what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from esps_cli.domain.community import CommunityFigures, ReleaseNote
from esps_cli.errors import ConfigError
from esps_cli.io.output import plain
from esps_cli.register import Register
from esps_cli.register.challenges import Release, add_release, release_edition, releases
from esps_cli.summary.models import SummaryReport

MAX_NOTE_CHARS = 2_000


def _clean(text: str) -> str:
    return plain(" ".join(text.split()))


def publish(register: Register, report: SummaryReport, *, released_on: date, signed_off: str,
            access: list[str], correction: str = "",
            write: Callable[[Release, SummaryReport], None] | None = None
            ) -> tuple[Release, SummaryReport]:
    """Record the next release of the report's cycle; returns it and the edition as released
    (carrying its release note). write (the files of the edition) runs inside the recording
    transaction: a release whose files could not be written is not recorded."""
    if not report.public:
        raise ConfigError("only the public edition is published (nothing about advisors)")
    cycle = report.organisation.cycle
    signed_off, correction = _clean(signed_off), _clean(correction)
    people = [_clean(a) for a in access if _clean(a)]
    if not signed_off:
        raise ConfigError("say who signed the release off: --signed-off 'Diversity Board, "
                          "minute 2011/07'")
    for what, text in (("--signed-off", signed_off), ("--correction", correction),
                       *(("--access", a) for a in people)):
        if len(text) > MAX_NOTE_CHARS:
            raise ConfigError(f"{what} is {len(text):,} characters; keep it under "
                              f"{MAX_NOTE_CHARS:,}")
    with register.transaction():
        earlier = releases(register, cycle)
        if earlier and not correction:
            last = earlier[-1]
            raise ConfigError(
                f"{cycle} version {last.version} was released on {last.released_on:%d/%m/%Y}: "
                "a new version is a correction; say what changed with --correction TEXT")
        if correction and not earlier:
            raise ConfigError(f"nothing to correct: {cycle} has no release yet (publish it "
                              "without --correction)")
        note = ReleaseNote(cycle=cycle, version=len(earlier) + 1, released_on=released_on,
                           signed_off=signed_off, pre_release_access=people, changes=correction)
        figures = report.community or CommunityFigures()
        edition = report.model_copy(update={"community": figures.model_copy(
            update={"release": note})})
        text = edition.model_dump_json()
        release = add_release(register, cycle=cycle, released_on=released_on,
                              signed_off=signed_off, pre_release_access=people,
                              changes=correction, edition=text,
                              edition_sha256=hashlib.sha256(text.encode()).hexdigest())
        assert release.version == note.version
        if write is not None:
            write(release, edition)
    return release, edition


def released_edition(register: Register, cycle: str, version: int | None = None
                     ) -> SummaryReport:
    """A release's public edition as published (the latest when version is None); an earlier
    version carries the superseding version, its date and what it changed (the banner)."""
    known = releases(register, cycle)
    if not known:
        raise ConfigError(f"{cycle} has no release yet (esps publish)")
    wanted = version if version is not None else known[-1].version
    text = release_edition(register, cycle, wanted)
    if text is None:
        raise ConfigError(f"{cycle} has no version {wanted} (versions: "
                          f"{', '.join(str(r.version) for r in known)})")
    edition = SummaryReport.model_validate_json(text)
    later = [r for r in known if r.version > wanted]
    if later and edition.community and edition.community.release:
        nxt = later[0]
        note = edition.community.release.model_copy(update={
            "superseded_by": nxt.version, "superseded_on": nxt.released_on,
            "superseded_changes": nxt.changes})
        edition = edition.model_copy(update={"community": edition.community.model_copy(
            update={"release": note})})
    return edition
