"""Where the summary's pieces used to live, all in one module: each name now comes from the
module of its job (models, rules, standing, sources, public, buddies, compare). Kept so
code written against `summary.compliance` keeps working; new code imports from those
modules."""

from esps_cli.summary.buddies import (  # noqa: F401
    BuddyPair,
    suggest_buddies,
)
from esps_cli.summary.compare import (  # noqa: F401
    CycleComparison,
    RollupChange,
    Trend,
    UnitChange,
    compare,
    compare_rollups,
    trend,
)
from esps_cli.summary.models import (  # noqa: F401
    STATUS_LABEL,
    STATUS_ORDER,
    VIEW_LABEL,
    VIEWS,
    ExceptionItem,
    Gap,
    IndicatorStanding,
    Organisation,
    Rollup,
    SummaryReport,
    UnitStanding,
    UnitStatus,
    View,
)
from esps_cli.summary.public import (  # noqa: F401
    PUBLIC_NOTE,
    advisor_redactor,
    make_public,
)
from esps_cli.summary.rules import (  # noqa: F401
    EXCEPTION_NEXT,
    EXCEPTION_TEXT,
    compliance_pct,
    exception_detail,
    gaps_for,
    has_data,
    indicator_problems,
    meets_baseline,
    previous_cycle_id,
    reasons_for,
    rollup,
    rule_text,
    units_needed,
    view_groups,
)
from esps_cli.summary.sources import (  # noqa: F401
    collect_summary,
    previous_summary,
    read_register,
    summary_from_batch,
    validation_cache,
)
from esps_cli.summary.standing import (  # noqa: F401
    IndicatorFacts,
    build_summary,
    indicator_facts,
    unit_standing,
)
