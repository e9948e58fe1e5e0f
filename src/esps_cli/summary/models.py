"""What a summary is made of: the unit statuses and views, their labels, and the models of a
cycle's summary (each unit's standing, the roll-ups, the organisation's KPI, exceptions, gaps).
The rules that fill them are in summary/rules.py."""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol, get_args

from pydantic import BaseModel

from esps_cli.domain.community import CommunityFigures
from esps_cli.domain.framework import Rag
from esps_cli.domain.status import STATUS_LABEL as STATUS_LABEL  # the one set of words
from esps_cli.domain.status import STATUS_ORDER as STATUS_ORDER
from esps_cli.domain.status import UnitStatus as UnitStatus
from esps_cli.domain.status import status_text
from esps_cli.scoring.quality import AssessmentQuality

View = Literal["business-group", "theme", "strategy", "strand", "hmic"]
VIEWS: tuple[View, ...] = get_args(View)
VIEW_LABEL: dict[str, str] = {
    "business-group": "business group", "theme": "national theme",
    "strategy": "strategy theme", "strand": "equality strand", "hmic": "HMIC area",
}


class IndicatorFigures(Protocol):
    """What the baseline rule reads of a unit's standing on one indicator (IndicatorStanding,
    or the same figures as plain attributes: summary.standing.indicator_figures)."""

    @property
    def indicator_id(self) -> str: ...
    @property
    def in_baseline(self) -> bool: ...
    @property
    def linked(self) -> int | None: ...
    @property
    def unlinked(self) -> int | None: ...
    @property
    def moderated(self) -> int | None: ...
    @property
    def combined(self) -> int | None: ...
    @property
    def combined_status(self) -> str: ...


class IndicatorStanding(BaseModel):
    unit_code: str
    indicator_id: str
    theme: str
    stage: str
    in_baseline: bool
    minimum_met: bool | None
    rating: int | None
    na: bool
    linked: int | None
    linked_assessor: str | None
    linked_comment: str
    unlinked: int | None
    unlinked_assessor: str | None
    unlinked_comment: str
    moderated: int | None
    combined: int | None
    combined_status: str


class UnitStanding(BaseModel):
    unit_code: str
    unit_name: str
    business_group: str
    linked_dcfa: str
    unlinked_dcfa: str | None
    returned: bool
    return_files: list[str]
    readable: bool | None = None  # None: no return, or more than one
    submission_date: date | None = None
    valid: bool | None
    errors: int
    warnings: int
    evidence_completeness_pct: float | None
    indicators: int
    indicators_minimum_met: int
    baseline_indicators: int
    linked_scored: int
    unlinked_scored: int
    moderation_pending: int
    baseline_at_or_above: int
    mean_combined: float | None
    meets_baseline: bool
    status: UnitStatus
    reasons: list[UnitStatus]
    detail: list[IndicatorStanding]
    # Where DCFD's review of the unit's return stands (esps review; "" when never set).
    review_state: str = ""


class Rollup(BaseModel):
    view: str
    key: str
    label: str
    units: int
    returned: int
    valid: int
    meeting: int
    compliance_pct: float
    target_pct: float
    met: bool
    rag: Rag = "red"


class Organisation(BaseModel):
    cycle: str
    cycle_name: str
    target_pct: float
    units: int
    returned: int
    valid: int
    meeting: int
    compliance_pct: float
    kpi: Literal["MET", "NOT MET"]
    units_needed: int
    rag: Rag = "red"


class ExceptionItem(BaseModel):
    unit_code: str
    unit_name: str
    business_group: str
    category: UnitStatus  # the unit's status: the most blocking of its reasons
    detail: str
    also: list[UnitStatus] = []  # its other reasons not to meet the baseline
    linked_dcfa: str
    linked_dcfa_name: str
    review_state: str = ""

    @property
    def status_text(self) -> str:
        return status_text(self.category, self.also)


class Gap(BaseModel):
    unit_code: str
    indicator_id: str
    esps_unit: str
    indicator: str
    reason: str
    rating: int | None
    linked: int | None
    unlinked: int | None
    combined: int | None
    rationale: str = ""  # the advisors' reasons for their scores, said by whom


class SummaryReport(BaseModel):
    framework_id: str
    framework_version: str
    rule: str
    organisation: Organisation
    units: list[UnitStanding]
    rollups: list[Rollup]
    exceptions: list[ExceptionItem]
    gaps: list[Gap]
    score_distribution: dict[str, dict[int, int]]
    public: bool = False
    edition_note: str = ""
    # Community review (issue 23): the release, the challenge route, challenge counts and
    # "You said, we did"; None where no one asked for them.
    community: CommunityFigures | None = None
    # The Board pack's assessment-quality page (summary.quality); never in a public edition.
    assessment_quality: AssessmentQuality | None = None
    # The register's audit chain head when the figures were made (ENTRY:xxxx-xxxx-xxxx-xxxx;
    # "" without a register): every edition prints it, so a rewritten log is caught later.
    chain_fingerprint: str = ""
