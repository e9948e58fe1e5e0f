"""What an edition says about community review (CommunityFigures on the summary report): the
challenge route, the cycle's challenge counts (the Board pack), and "You said, we did" for the
cycle before (the next cycle's public edition). Read from the register; none of it holds a
contact detail (the register has none)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from esps_cli.community.status import counts, response_days, you_said_we_did
from esps_cli.domain.community import CommunityFigures
from esps_cli.domain.config import Settings
from esps_cli.domain.framework import Framework
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Register, RegisterLocation, RegisterNotFound
from esps_cli.register.challenges import challenges
from esps_cli.summary.models import SummaryReport
from esps_cli.summary.public import advisor_redactor, redact_all
from esps_cli.summary.rules import previous_cycle_id

DEFAULT_CONTACT = "the force's equality and diversity team"  # as the public edition says


def challenge_route(days: int, contact: str) -> str:
    """How the public challenges a result, in plain words."""
    send = f"send it to {contact.strip() or DEFAULT_CONTACT}"
    return ("How to challenge these results: community groups, such as Community Police "
            "Engagement Groups, can question any unit's result. Ask for your group's challenge "
            f"form, fill it in and {send}, or raise the challenge at a community meeting. We "
            f"reply within {days} days, in writing or at a meeting, and report what we did in "
            "the next edition under \"You said, we did\".")


def community_figures(location: RegisterLocation | None, framework: Framework, cycle_id: str,
                      units: list[Unit], settings: Settings | None, on: date
                      ) -> CommunityFigures:
    days = response_days(settings, framework)
    route = challenge_route(days, (settings.public_contact or "") if settings else "")
    before = previous_cycle_id(framework, cycle_id)
    figures = CommunityFigures(challenge_route=route, you_said_we_did_cycle=(
        framework.cycle(before).name if before else ""))
    if location is None:
        return figures
    try:
        with Register.open(location, create=False) as register:
            if not register.database.has_table("challenges"):
                return figures
            these = challenges(register, framework.cycle(cycle_id).id)
            earlier = challenges(register, before) if before else []
    except RegisterNotFound:
        return figures
    names = {u.code: u.name for u in units}
    subjects = {t.id: f"Theme: {t.name}" for t in framework.national_themes}
    subjects.update((i.id, f"{i.id}: {i.text}") for i in framework.indicators)
    return figures.model_copy(update={
        "counts": counts(these, days, on),
        "you_said_we_did": you_said_we_did(earlier, names, subjects, days, on),
        "this_cycle": you_said_we_did(these, names, subjects, days, on)})


def with_community(report: SummaryReport, figures: CommunityFigures,
                   advisors: Iterable[Advisor] = ()) -> SummaryReport:
    """The report carrying its community figures; on a public report, any advisor's id, name
    or e-mail inside a response is replaced by "[advisor]" as everywhere else in it."""
    if report.public:
        data = redact_all(figures.model_dump(mode="json"), advisor_redactor(advisors))
        figures = CommunityFigures.model_validate(data)
    return report.model_copy(update={"community": figures})


def report_with_community(report: SummaryReport, location: RegisterLocation | None,
                          framework: Framework, units: list[Unit], settings: Settings | None,
                          advisors: Iterable[Advisor], on: date) -> SummaryReport:
    """The cycle's report carrying its community figures as at a date."""
    figures = community_figures(location, framework, report.organisation.cycle, units,
                                settings, on)
    return with_community(report, figures, advisors)
