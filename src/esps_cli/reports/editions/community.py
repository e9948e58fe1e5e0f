"""What the web editions say about community review: in the public edition, which release it
is (with a "superseded" banner on an earlier version), how to challenge a result, and "You
said, we did"; in the Board pack, the challenge counts and this cycle's challenges. Built from
the report's CommunityFigures (no contact details: the register holds none)."""

from __future__ import annotations

from pydantic import BaseModel

from esps_cli.domain.community import CommunityFigures, YouSaidWeDid
from esps_cli.reports.community import STATE_LABEL, release_lines
from esps_cli.reports.editions.page import Table, cols


def said_table(items: list[YouSaidWeDid], table_id: str, caption: str, *,
               with_state: bool = False) -> Table:
    rows = []
    for s in items:
        outcome = STATE_LABEL[s.state] if with_state and s.state in ("open", "overdue") \
            else s.outcome
        if s.score_after is not None:
            outcome += f" (score {s.score_before} to {s.score_after})"
        rows.append([s.challenge, s.group, s.unit, s.subject, s.you_said, s.we_did, outcome])
    return Table(id=table_id, caption=caption,
                 columns=cols("Challenge", "Group", "Police unit", "About", "You said",
                              "We did", "Outcome"), rows=rows)


class PublicCommunity(BaseModel):
    release: list[str] = []
    superseded: str = ""
    route: str = ""
    you_said: Table | None = None
    you_said_note: str = ""


def public_community(figures: CommunityFigures | None) -> PublicCommunity:
    if figures is None:
        return PublicCommunity()
    lines = release_lines(figures.release)
    superseded = next((line for line in lines if line.startswith("SUPERSEDED")), "")
    cycle = figures.you_said_we_did_cycle
    table = said_table(figures.you_said_we_did, "you-said-we-did",
                       f"Challenges to the {cycle} results, what we did and the outcome"
                       ) if figures.you_said_we_did else None
    note = ("" if table else f"No community group challenged the {cycle} results."
            if cycle else "This is the first year of results, so there are no earlier "
            "challenges to report.")
    return PublicCommunity(release=[line for line in lines if line != superseded],
                           superseded=superseded, route=figures.challenge_route,
                           you_said=table, you_said_note=note)


def board_community(figures: CommunityFigures | None) -> list[Table]:
    """The counts and this cycle's challenges, for the Board (none without a register)."""
    if figures is None or figures.counts is None:
        return []
    c = figures.counts
    counts = Table(
        id="challenge-counts", caption=f"Community challenges to this cycle's results, as at "
        f"{c.as_at:%d/%m/%Y}" if c.as_at else "Community challenges to this cycle's results",
        columns=cols("Received", "Open", "Overdue", "Answered", "Upheld", "Partly upheld",
                     "Scores changed", numeric=(0, 1, 2, 3, 4, 5, 6)),
        rows=[[c.received, c.open, c.overdue, c.answered, c.upheld, c.partly_upheld,
               c.scores_changed]])
    tables = [counts]
    if figures.this_cycle:
        tables.append(said_table(figures.this_cycle, "challenges",
                                 "This cycle's challenges and where each stands",
                                 with_state=True))
    return tables
