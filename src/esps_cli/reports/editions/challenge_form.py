"""The community challenge form as an accessible web page with a printable form: the same
content as the workbook (workbook/challenge_form.py) for a group that reads on a phone or a
library computer, or prints the form and fills it in by hand. The results are tables (each
with its CSV); the form is fieldsets with labelled controls (a list of the units, a list of
themes and indicators, two text boxes, and a choice of reply), with no script and nothing sent
anywhere: the group prints it (or saves it as PDF) and sends it as the page says."""

from __future__ import annotations

from esps_cli.reports.editions.page import EditionInfo, Table, cols
from esps_cli.reports.editions.render import render_html
from esps_cli.workbook.challenge_form import ChallengeForm
from esps_cli.workbook.layout import REPLY_CHOICES

PRINTED_CHALLENGES = 5  # blank challenges on the printed form


def challenge_form_html(form: ChallengeForm, *, classification: str) -> str:
    info = EditionInfo(title=f"Challenge form: {form.group_name}", classification=classification,
                       edition="Community challenge form", cycle=form.cycle_name)
    units = Table(id="units", caption=f"Where each police unit you cover stands, "
                  f"{form.cycle_name}",
                  columns=cols("Police unit", "Where it stands",
                               "Baseline indicators at 3 or more", "Average score (1 to 4)"),
                  rows=[[u.unit, u.status, u.at_or_above, u.mean] for u in form.units])
    scores = Table(id="scores", caption="Score for each indicator (1 to 4; a dash where there "
                   "is none yet)",
                   columns=cols("Police unit", "Indicator", "Theme", "What the indicator asks",
                                "Score", "Meaning"),
                   rows=[[i.unit, i.indicator, i.theme, i.text, i.score, i.meaning]
                         for i in form.indicators])
    return render_html("challenge_form.html.j2", info=info, form=form, units=units,
                       scores=scores, replies=REPLY_CHOICES,
                       challenges=range(1, PRINTED_CHALLENGES + 1))
