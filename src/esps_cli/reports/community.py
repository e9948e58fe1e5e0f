"""What people read about community review: `esps challenge` output on the terminal and as
CSV, and the pages the Board pack and the public edition carry (the challenge counts, the
release, the challenge route, "You said, we did"). No contact detail reaches any of it: the
register holds none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esps_cli.community.forms import FormsResult
from esps_cli.community.importing import ChallengeImport
from esps_cli.community.status import ChallengeLine
from esps_cli.domain.community import (
    OUTCOME_LABEL,
    REPLY_LABEL,
    CommunityFigures,
    ReleaseNote,
    YouSaidWeDid,
)
from esps_cli.reports.printing import Page, PrintInfo, print_setup, table_sheet

if TYPE_CHECKING:
    from esps_cli.reports.render import Destination

STATE_LABEL = {"open": "Open", "overdue": "OVERDUE", "answered": "Answered",
               "answered-late": "Answered late"}
CHALLENGE_COLUMNS = ("challenge", "group", "unit", "subject", "received_on", "due_on", "state",
                     "days_left", "reply_by", "challenged", "outcome", "response", "responder",
                     "responded_on", "score_before", "rescore_event", "score_after")


def challenge_rows(lines: Iterable[ChallengeLine]) -> list[list[Any]]:
    return [[c.ref, c.group, c.unit, c.subject, c.received_on.isoformat(),
             c.due_on.isoformat(), c.state, c.days_left, c.reply_by, c.challenged, c.outcome,
             c.response, c.responder, c.responded_on.isoformat() if c.responded_on else "",
             c.score_before, c.rescore_event, c.score_after] for c in lines]


def _when(c: ChallengeLine) -> str:
    if c.state == "overdue":
        return f"due {c.due_on:%d/%m/%Y}, {-c.days_left} day(s) overdue"
    if c.state == "open":
        return f"due {c.due_on:%d/%m/%Y}" + (" (today)" if c.days_left == 0 else
                                             f", {c.days_left} day(s) left")
    assert c.responded_on is not None
    return f"answered {c.responded_on:%d/%m/%Y}"


def challenge_table(title: str, lines: Sequence[ChallengeLine]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for heading in ("Id", "Group", "Unit", "About", "State", "When", "Challenge",
                    "Outcome"):
        table.add_column(heading, overflow="fold")
    for c in lines:
        outcome = OUTCOME_LABEL.get(c.outcome, "")
        if c.score_after is not None:
            outcome += f"; score {c.score_before} -> {c.score_after} (event {c.rescore_event})"
        elif c.outcome in ("upheld", "partly-upheld") and c.subject and c.score_before:
            outcome += "; awaiting moderation"
        table.add_row(c.ref, escape(c.group), escape(c.unit), escape(c.subject),
                      STATE_LABEL[c.state], _when(c), escape(c.challenged[:200]),
                      escape(outcome))
    return table


def print_import(console: Console, result: ChallengeImport) -> None:
    for f in result.files:
        what = {"form": "form", "meeting": "meeting CSV"}.get(f.kind, "file")
        ids = ", ".join(f"C{i}" for i in f.recorded)
        console.print(f"{escape(f.file)} ({what}{', ' + escape(f.group) if f.group else ''}): "
                      f"{len(f.recorded)} challenge(s) recorded"
                      + (f" ({ids})" if ids else "")
                      + (f", {f.already} already on record" if f.already else ""),
                      soft_wrap=True)
    for p in result.findings:
        where = p.file + (f" {p.sheet}!{p.cell}" if p.sheet and p.cell else
                          f" {p.cell}" if p.cell else "")
        colour = "red" if p.severity == "error" else "yellow"
        console.print(f"  [{colour}]{p.severity}[/{colour}] {escape(where)}: "
                      f"{escape(p.message)} \\[{p.code}]", soft_wrap=True)
        console.print(f"    fix: {escape(p.hint)}", soft_wrap=True)
    left = sum(f.left_out for f in result.files)
    unread = sum(1 for f in result.files if f.left_out == 0 and f.rows == 0 and f.kind == "")
    console.print(f"{result.recorded} challenge(s) recorded for {result.cycle}; {left} bad "
                  f"row(s) left out" + (f"; {unread} file(s) not read" if unread else "") + ".")


def print_forms(console: Console, result: FormsResult) -> None:
    for f in result.forms:
        state = "written" if f.status == "written" else "kept (already there; --force replaces)"
        console.print(f"{escape(f.file)}: {f.group}, {f.units} unit(s), {state}", soft_wrap=True)
    console.print(f"{result.written} challenge form(s) written for {result.cycle}.")


# -- the Board pack and the public edition ----------------------------------------------------


def release_lines(note: ReleaseNote | None) -> list[str]:
    """The lines at the top of an edition that say which release it is."""
    if note is None:
        return ["Draft: these figures are not yet a published release."]
    out = []
    if note.superseded_by is not None:
        out.append(f"SUPERSEDED: this is version {note.version}. Version {note.superseded_by} "
                   f"replaced it on {note.superseded_on:%d/%m/%Y}: {note.superseded_changes}")
    out.append(f"Version {note.version}, released {note.released_on:%d/%m/%Y}; signed off: "
               f"{note.signed_off}.")
    if note.changes:
        out.append(f"Correction: {note.changes}")
    out.append("Seen before release by: " + (", ".join(note.pre_release_access) or "no one")
               + ".")
    return out


def community_sheet(wb: Workbook, figures: CommunityFigures, info: PrintInfo,
                    public: bool) -> None:
    """The Board pack's challenge figures or, in the public edition, the release, the route
    and "You said, we did"."""
    ws = wb.create_sheet("You said, we did" if public else "Community challenges")
    page = Page(ws, [9, 22, 20, 12, 40, 40, 14])
    page.text("Community review: you said, we did" if public else
              "Community challenges to the assessment", size=14, bold=True, gap=1)
    if public:
        for line in release_lines(figures.release):
            page.text(line, size=10, bold=line.startswith("SUPERSEDED"))
        page.row += 1
        page.text(figures.challenge_route, size=10, gap=1)
    c = figures.counts
    if c is not None and not public:
        page.header(["Received", "Open", "Overdue", "Answered", "Upheld", "Partly upheld",
                     "Scores changed"])
        page.values([c.received, c.open, c.overdue, c.answered, c.upheld, c.partly_upheld,
                     c.scores_changed])
        page.text(f"As at {c.as_at:%d/%m/%Y}. Overdue: not answered within the response "
                  "time. Scores changed: an upheld challenge sent the indicator back to "
                  "moderation by a third DCFA and the combined score moved.", size=9,
                  italic=True, gap=1)
        if figures.this_cycle:
            page.text("This cycle's challenges", size=12, bold=True)
            _said_table(page, figures.this_cycle, with_state=True)
            page.row += 1
    said = figures.you_said_we_did
    title = (f"You said, we did: challenges to the {figures.you_said_we_did_cycle} results"
             if figures.you_said_we_did_cycle else "You said, we did")
    page.text(title, size=12, bold=True)
    if not said:
        page.text("No challenges were received." if figures.you_said_we_did_cycle else
                  "There is no earlier cycle.", size=10)
    else:
        top = _said_table(page, said, with_state=False)
        ws.print_title_rows = f"{top}:{top}"
    print_setup(ws, info, title_rows=ws.print_title_rows)


def _said_table(page: Page, said: Sequence[YouSaidWeDid], *, with_state: bool) -> int:
    top = page.header(["Ref", "Group", "Unit", "About", "You said", "We did", "Outcome"])
    for s in said:
        outcome = s.outcome
        if with_state and s.state in ("open", "overdue"):
            outcome = STATE_LABEL[s.state]
        if s.score_after is not None:
            outcome += f" (score {s.score_before} to {s.score_after})"
        page.values([s.challenge, s.group, s.unit, s.subject, s.you_said, s.we_did, outcome])
    return top


def challenge_list_sheet(wb: Workbook, lines: Sequence[ChallengeLine], info: PrintInfo) -> None:
    table_sheet(wb, "Challenges", ["Ref", "Group", "Unit", "About", "Received", "Due", "State",
                                   "Reply", "Challenge", "Outcome", "Response"],
                [[c.ref, c.group, c.unit, c.subject, c.received_on, c.due_on,
                  STATE_LABEL[c.state], REPLY_LABEL.get(c.reply_by, c.reply_by), c.challenged,
                  OUTCOME_LABEL.get(c.outcome, ""), c.response] for c in lines], info,
                empty="No challenges received.")


# -- writers (the renderer table, reports/render.py) ----------------------------------------


def forms_text(result: FormsResult, dest: Destination, **_: Any) -> None:
    print_forms(dest.console, result)


def import_text(result: ChallengeImport, dest: Destination, **_: Any) -> None:
    print_import(dest.console, result)


def import_json(result: ChallengeImport, dest: Destination, **_: Any) -> None:
    dest.write_json({**result.model_dump(mode="json"), "recorded": result.recorded})


def challenges_text(shown: Sequence[ChallengeLine], dest: Destination, *, title: str,
                    none: str, **_: Any) -> None:
    if not shown:
        dest.console.print(none)
    else:
        dest.console.print(challenge_table(title, shown))


def challenges_csv(shown: Sequence[ChallengeLine], dest: Destination, **_: Any) -> None:
    dest.write_csv(CHALLENGE_COLUMNS, challenge_rows(shown))


def releases_text(found: Sequence[Any], dest: Destination, *, cycle: str, **_: Any) -> None:
    """Each release of the cycle, the latest marked."""
    console = dest.console
    if not found:
        console.print(f"No releases of {cycle} yet (esps publish).")
    for r in found:
        latest = " (latest)" if r is found[-1] else ""
        console.print(f"version {r.version}{latest}: released {r.released_on:%d/%m/%Y}, signed "
                      f"off: {escape(r.signed_off)}; seen before release by: "
                      f"{escape(', '.join(r.pre_release_access) or 'no one')}"
                      + (f"; correction: {escape(r.changes)}" if r.changes else ""),
                      soft_wrap=True)
