"""`esps challenge forms`: one challenge form per community group, showing the public results
for the units it covers, each recorded in the register as issued (its form id seals it)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from esps_cli.domain.community import CommunityGroup
from esps_cli.domain.framework import Framework
from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write_bytes, ensure_folder, inside, safe_filename
from esps_cli.register import Register
from esps_cli.register.challenges import record_form
from esps_cli.summary.models import STATUS_LABEL, SummaryReport, UnitStanding
from esps_cli.workbook.challenge_form import (
    ChallengeForm,
    IndicatorResult,
    UnitResult,
    build_challenge_form,
)
from esps_cli.workbook.layout import THEME_PREFIX

SUBJECT_TEXT_MAX = 90  # an indicator's text in the drop-down, cut at a word


class FormOutcome(BaseModel):
    group: str
    file: str
    units: int
    status: Literal["written", "kept"]
    form_id: str = ""


class FormsResult(BaseModel):
    cycle: str
    forms: list[FormOutcome] = []

    @property
    def written(self) -> int:
        return sum(f.status == "written" for f in self.forms)


def _short(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUBJECT_TEXT_MAX:
        return text
    return text[:SUBJECT_TEXT_MAX].rsplit(" ", 1)[0] + "..."


def subject_choices(framework: Framework, cycle_id: str) -> list[str]:
    """The theme-or-indicator drop-down: each national theme, then each of the cycle's
    indicators as 'ID: what it asks'."""
    themes = [f"{THEME_PREFIX}{t.name}" for t in framework.national_themes]
    indicators = [f"{i.id}: {_short(i.text)}"
                  for i in framework.cycle_indicators(framework.cycle(cycle_id))]
    return themes + indicators


def _unit_result(s: UnitStanding) -> UnitResult:
    return UnitResult(
        unit=s.unit_name, status=STATUS_LABEL[s.status],
        at_or_above=f"{s.baseline_at_or_above} of {s.baseline_indicators}",
        mean="-" if s.mean_combined is None else f"{s.mean_combined:.1f}")


def _indicator_results(s: UnitStanding, framework: Framework) -> list[IndicatorResult]:
    themes = framework.theme_by_id
    texts = framework.indicator_by_id
    return [IndicatorResult(
        unit=s.unit_name, indicator=d.indicator_id,
        theme=themes[d.theme].name if d.theme in themes else d.theme,
        text=texts[d.indicator_id].text if d.indicator_id in texts else "",
        score="-" if d.combined is None else str(d.combined),
        meaning="" if d.combined is None else framework.scale.label(d.combined))
        for d in s.detail]


def form_for(group: CommunityGroup, report: SummaryReport, framework: Framework, *,
             response_days: int, return_to: str, release: str = "") -> ChallengeForm:
    """What one group's form shows (report: the cycle's public summary)."""
    if not report.public:
        raise ConfigError("a challenge form shows the public edition's results only")
    standings = [s for s in report.units if group.covers(s.unit_code)]
    cycle = framework.cycle(report.organisation.cycle)
    return ChallengeForm(
        form_id=secrets.token_hex(16), group_id=group.id, group_name=group.name,
        cycle=cycle.id, cycle_name=cycle.name, response_days=response_days,
        return_to=return_to, unit_names=[s.unit_name for s in standings],
        subjects=subject_choices(framework, cycle.id),
        units=[_unit_result(s) for s in standings],
        indicators=[r for s in standings for r in _indicator_results(s, framework)],
        release=release)


def form_filename(group: CommunityGroup, cycle: str) -> str:
    return safe_filename("challenge-form", group.id, cycle)


def issue_forms(register: Register, report: SummaryReport, framework: Framework,
                groups: Sequence[CommunityGroup], out_dir: Path, *,
                response_days: int, return_to: str, release: str = "",
                only: Sequence[str] = (), force: bool = False,
                generated_at: datetime | None = None,
                page: Callable[[ChallengeForm], str] | None = None) -> FormsResult:
    """Write and record one form per group (those named in only, else all); a form already
    in out_dir is kept unless force (then it is replaced, with a new form id). page: the
    form as a web page (written beside the workbook, same name, .html)."""
    wanted = {o.casefold() for o in only}
    unknown = wanted - {g.id.casefold() for g in groups}
    if unknown:
        raise ConfigError(f"unknown group(s) {', '.join(sorted(unknown))} (not in the groups "
                          "list)")
    ensure_folder(out_dir)
    result = FormsResult(cycle=report.organisation.cycle)
    for group in groups:
        if wanted and group.id.casefold() not in wanted:
            continue
        name = form_filename(group, result.cycle)
        target = inside(out_dir, name)
        covered = sum(1 for s in report.units if group.covers(s.unit_code))
        outcome = FormOutcome(group=group.id, file=str(target), units=covered, status="kept")
        if target.exists() and not force:
            result.forms.append(outcome)
            continue
        form = form_for(group, report, framework, response_days=response_days,
                        return_to=return_to, release=release)
        data = build_challenge_form(form, generated_at)
        with register.transaction():  # a form on disk is a form on record
            record_form(register, form_id=form.form_id, cycle=form.cycle, group_id=group.id,
                        file=name)
            atomic_write_bytes(target, data, force=force)
            if page is not None:
                atomic_write_bytes(target.with_suffix(".html"), page(form).encode("utf-8"),
                                   force=force)
        result.forms.append(outcome.model_copy(update={"status": "written",
                                                       "form_id": form.form_id}))
    return result
