"""The ESPS framework as data: pydantic models, loading and checking.

The framework (themes, ESPS units, indicators, evidence minimums, the scale, cycles, the
baseline and combination rules) lives in a YAML file under ``templates/`` so DCFD can replace
it without touching code. Loading validates it and reports every problem with its location
(the pydantic ``loc`` and, where the YAML gives it, the file's line number).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from esps_cli import __version__
from esps_cli.domain.paths import default_framework_path
from esps_cli.domain.user_cache import read_entry, write_entry
from esps_cli.errors import ConfigError
from esps_cli.findings.catalogue import (
    FRAMEWORK_DUPLICATE_ID,
    FRAMEWORK_INCONSISTENT,
    FRAMEWORK_INVALID_VALUE,
    FRAMEWORK_NOT_YAML,
    FRAMEWORK_UNKNOWN_REFERENCE,
)
from esps_cli.findings.model import Code

if TYPE_CHECKING:  # yaml is imported when a framework file is parsed, not when it is cached
    import yaml

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"
# Cross-reference problems are raised together, one per line, and split again on loading.
PROBLEM_SEPARATOR = "\n"
STAGES = ("baseline", "developing", "achieving", "excelling")
Stage = Literal["baseline", "developing", "achieving", "excelling"]


class _Model(BaseModel):
    # defer_build: a model's validator is built when a framework file is first validated,
    # not at import; a framework from the on-disk cache never needs it (start-up time).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FrameworkMeta(_Model):
    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(min_length=1)
    title: str
    source: str
    status: str = Field(
        min_length=20,
        description="Plain statement of the wording's standing (e.g. a working draft).",
    )
    published: date | None = None


class ScaleLevel(_Model):
    score: int
    label: str


class Scale(_Model):
    name: str = "ESPS assessment scale"
    levels: list[ScaleLevel] = Field(min_length=2)

    @model_validator(mode="after")
    def _consecutive(self) -> Scale:
        scores = [lvl.score for lvl in self.levels]
        if scores != list(range(scores[0], scores[0] + len(scores))):
            raise ValueError(f"scale scores must be consecutive and ascending, got {scores}")
        return self

    @property
    def scores(self) -> list[int]:
        return [lvl.score for lvl in self.levels]

    @property
    def minimum(self) -> int:
        return self.levels[0].score

    @property
    def maximum(self) -> int:
        return self.levels[-1].score

    def label(self, score: int) -> str:
        for lvl in self.levels:
            if lvl.score == score:
                return lvl.label
        raise KeyError(score)


class Tag(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str


class EvidenceType(_Model):
    id: str = Field(pattern=ID_PATTERN)
    label: str
    description: str = ""


class NationalTheme(_Model):
    id: str = Field(pattern=ID_PATTERN)
    name: str


MAX_AGE_MONTHS = 600  # 50 years
MAX_EVIDENCE_ITEMS = 1_000
MAX_NARRATIVE_CHARS = 32_767  # what one Excel cell holds


class EvidenceMinimum(_Model):
    # Upper bounds keep date arithmetic and counts meaningful (a typo such as 10^20 months is
    # a framework problem, not a crash in every validation).
    min_items: int = Field(ge=0, le=MAX_EVIDENCE_ITEMS, default=1)
    required_types: list[str] = Field(default_factory=list)
    max_age_months: int | None = Field(ge=1, le=MAX_AGE_MONTHS, default=24)
    min_narrative_chars: int = Field(ge=0, le=MAX_NARRATIVE_CHARS, default=50)
    rating_required: bool = True
    na_allowed: bool = False

    def describe(self, types: dict[str, EvidenceType]) -> str:
        """The minimum in plain words, as printed in the workbook."""
        parts: list[str] = []
        if self.min_items:
            noun = "item" if self.min_items == 1 else "items"
            parts.append(f"At least {self.min_items} evidence {noun}")
        else:
            parts.append("No evidence items required")
        if self.required_types:
            labels = ", ".join(types[t].label if t in types else t for t in self.required_types)
            parts.append(f"including: {labels}")
        if self.max_age_months:
            parts.append(f"dated within {self.max_age_months} months of submission")
        text = "; ".join(parts) + "."
        if self.min_narrative_chars:
            text += f" Narrative of at least {self.min_narrative_chars} characters."
        if self.rating_required:
            text += " Self-assessment rating required."
        if self.na_allowed:
            text += " N/A allowed with a reason."
        return text


class IndicatorTags(_Model):
    strategy_themes: list[str] = Field(default_factory=list)
    strands: list[str] = Field(default_factory=list)
    hmic: list[str] = Field(default_factory=list)


class Indicator(_Model):
    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=5)
    guidance: str = ""
    stage: Stage = "baseline"
    tags: IndicatorTags = Field(default_factory=IndicatorTags)
    evidence: EvidenceMinimum = Field(default_factory=EvidenceMinimum)


class EspsUnit(_Model):
    """One of the standard's units (22 in the national ESPS), under a national theme."""

    id: str = Field(pattern=ID_PATTERN)
    number: int = Field(ge=1)
    title: str
    theme: str
    strategy_theme: str
    description: str = ""
    indicators: list[Indicator] = Field(min_length=1)


class Cycle(_Model):
    id: str = Field(pattern=r"^\d{4}-\d{2}$")
    name: str
    stage: Stage = "baseline"
    assessment_start: date
    assessment_end: date
    submission_deadline: date
    kpi_target_pct: float = Field(ge=0, le=100)
    # When units return their business action plans for the next year (esps.toml may set it).
    action_plan_due: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Cycle:
        if self.assessment_start > self.assessment_end:
            raise ValueError("assessment_start is after assessment_end")
        return self


class BaselineRule(_Model):
    """What "meets baseline" means for a unit in a cycle."""

    require_valid_return: bool = True
    min_combined_score: int = 3
    indicator_stage: Stage = "baseline"
    allow_pending_moderation: bool = False


class CombinationRule(_Model):
    """How the linked and the unlinked DCFA scores combine into one."""

    moderation_threshold: int = Field(ge=1, default=2)
    method: Literal["lower", "mean_round_down", "linked"] = "lower"


class QualityRule(_Model):
    """The levels the Board's assessment-quality page holds the DCFAs to."""

    # An assessor pair whose linked and unlinked scores lead to the same meets-baseline
    # verdict for fewer than this % of the units they both scored is listed for the Board.
    min_decision_agreement_pct: float = Field(default=80.0, ge=0, le=100)
    # A DCFA whose mean signed deviation from the seed returns' definitive scores is more than
    # this many points either way is flagged before live scoring.
    calibration_tolerance: float = Field(default=1.0, gt=0)


class Rules(_Model):
    baseline: BaselineRule = Field(default_factory=BaselineRule)
    combination: CombinationRule = Field(default_factory=CombinationRule)
    quality: QualityRule = Field(default_factory=QualityRule)
    action_plan_max_score: int = 2
    # Days the force has to answer a community group's challenge (esps.toml may override).
    challenge_response_days: int = Field(ge=1, le=366, default=28)


Rag = Literal["green", "amber", "red"]


class Band(_Model):
    label: str = Field(min_length=1)
    colour: str = Field(pattern=r"^[0-9A-Fa-f]{6}$", description="Fill colour, RRGGBB.")


class Bands(_Model):
    """RAG status of a compliance percentage against the cycle's KPI target: green at or above
    the target, amber up to `amber_within_pts` points below it, red further below. Every
    output prints the label beside the colour, so it reads in black and white."""

    amber_within_pts: float = Field(default=10.0, ge=0, le=100)
    green: Band = Band(label="On target", colour="C6EFCE")
    amber: Band = Band(label="Near target", colour="FFEB9C")
    red: Band = Band(label="Off target", colour="FFC7CE")

    def rag(self, pct: float, target_pct: float) -> Rag:
        if pct >= target_pct:
            return "green"
        return "amber" if pct >= target_pct - self.amber_within_pts else "red"

    def band(self, rag: Rag) -> Band:
        return {"green": self.green, "amber": self.amber, "red": self.red}[rag]


class Contact(_Model):
    role: str
    name: str
    email: str = ""
    phone: str = ""


class CrossReferenceProblems(ValueError):
    """The framework's cross-reference problems, raised together, each with its code."""

    def __init__(self) -> None:
        self.items: list[tuple[Code, str]] = []
        super().__init__()

    def add(self, code: Code, message: str) -> None:
        self.items.append((code, message))
        self.args = (PROBLEM_SEPARATOR.join(m for _, m in self.items),)


class Framework(_Model):
    schema_version: Literal[1] = 1
    meta: FrameworkMeta
    scale: Scale
    evidence_types: list[EvidenceType] = Field(min_length=1)
    national_themes: list[NationalTheme] = Field(min_length=1)
    strategy_themes: list[Tag]
    strands: list[Tag]
    hmic_areas: list[Tag]
    business_groups: list[Tag] = Field(min_length=1)
    cycles: list[Cycle] = Field(min_length=1)
    rules: Rules = Field(default_factory=Rules)
    bands: Bands = Field(default_factory=Bands)
    guidance: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    esps_units: list[EspsUnit] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Framework:
        problems = CrossReferenceProblems()
        unknown = functools.partial(problems.add, FRAMEWORK_UNKNOWN_REFERENCE)

        def unique(kind: str, ids: list[str]) -> None:
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    problems.add(FRAMEWORK_DUPLICATE_ID, f"duplicate {kind} id {i!r}")
                seen.add(i)

        unique("evidence type", [t.id for t in self.evidence_types])
        unique("national theme", [t.id for t in self.national_themes])
        unique("strategy theme", [t.id for t in self.strategy_themes])
        unique("strand", [t.id for t in self.strands])
        unique("HMIC area", [t.id for t in self.hmic_areas])
        unique("business group", [t.id for t in self.business_groups])
        unique("cycle", [c.id for c in self.cycles])
        unique("ESPS unit", [u.id for u in self.esps_units])
        unique("indicator", [i.id for u in self.esps_units for i in u.indicators])

        themes = {t.id for t in self.national_themes}
        strategy = {t.id for t in self.strategy_themes}
        strands = {t.id for t in self.strands}
        hmic = {t.id for t in self.hmic_areas}
        types = {t.id for t in self.evidence_types}
        for unit in self.esps_units:
            if unit.theme not in themes:
                unknown(f"ESPS unit {unit.id}: unknown national theme {unit.theme!r}")
            if unit.strategy_theme not in strategy:
                unknown(f"ESPS unit {unit.id}: unknown strategy theme {unit.strategy_theme!r}")
            for ind in unit.indicators:
                for tag in ind.tags.strategy_themes:
                    if tag not in strategy:
                        unknown(f"indicator {ind.id}: unknown strategy theme {tag!r}")
                for tag in ind.tags.strands:
                    if tag not in strands:
                        unknown(f"indicator {ind.id}: unknown equality strand {tag!r}")
                for tag in ind.tags.hmic:
                    if tag not in hmic:
                        unknown(f"indicator {ind.id}: unknown HMIC area {tag!r}")
                for t in ind.evidence.required_types:
                    if t not in types:
                        unknown(f"indicator {ind.id}: unknown evidence type {t!r}")
                if len(ind.evidence.required_types) > ind.evidence.min_items:
                    problems.add(
                        FRAMEWORK_INCONSISTENT,
                        f"indicator {ind.id}: requires {len(ind.evidence.required_types)} "
                        f"evidence types but only {ind.evidence.min_items} items",
                    )
        rule = self.rules.baseline
        if rule.min_combined_score not in self.scale.scores:
            problems.add(
                FRAMEWORK_INCONSISTENT,
                f"rules.baseline.min_combined_score {rule.min_combined_score} is not on the scale",
            )
        if problems.items:
            raise problems
        return self

    # -- look-ups -------------------------------------------------------------------------

    @cached_property
    def indicators(self) -> list[Indicator]:
        return [i for u in self.esps_units for i in u.indicators]

    @cached_property
    def indicator_ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    @cached_property
    def indicator_by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    @cached_property
    def esps_unit_of(self) -> dict[str, EspsUnit]:
        """ESPS unit by indicator id."""
        return {i.id: u for u in self.esps_units for i in u.indicators}

    @cached_property
    def theme_by_id(self) -> dict[str, NationalTheme]:
        return {t.id: t for t in self.national_themes}

    @cached_property
    def evidence_type_by_id(self) -> dict[str, EvidenceType]:
        return {t.id: t for t in self.evidence_types}

    @cached_property
    def evidence_type_by_label(self) -> dict[str, EvidenceType]:
        return {t.label.casefold(): t for t in self.evidence_types}

    @cached_property
    def business_group_ids(self) -> set[str]:
        return {g.id for g in self.business_groups}

    def cycle(self, cycle_id: str | None) -> Cycle:
        """The named cycle, or the latest one when none is named."""
        if cycle_id is None:
            return self.cycles[-1]
        for c in self.cycles:
            if cycle_id in (c.id, c.name):
                return c
        known = ", ".join(c.id for c in self.cycles)
        raise ConfigError(f"unknown cycle {cycle_id!r}; the framework defines: {known}")

    def indicators_for_stage(self, stage: str) -> list[Indicator]:
        """Indicators of this stage and the stages before it, in framework order."""
        order = list(STAGES)
        limit = order.index(stage)
        return [i for i in self.indicators if order.index(i.stage) <= limit]

    def cycle_indicators(self, cycle: Cycle) -> list[Indicator]:
        """The indicators a cycle's workbook asks about."""
        return self.indicators_for_stage(cycle.stage)

    @cached_property
    def digest(self) -> str:
        """A short hash of the framework content, to tell two files of one version apart.
        The RAG bands are left out: they colour reports, not what a unit's workbook asks, so
        changing them does not make returned workbooks "framework-changed"; nor does the time
        to answer a community challenge, nor the levels the assessment-quality page judges
        the DCFAs by, nor the cycles' action plan due dates."""
        left_out: dict[str, Any] = {"bands": True,
                                    "rules": {"challenge_response_days", "quality"},
                                    "cycles": {"__all__": {"action_plan_due"}}}
        return hashlib.sha256(self.model_dump_json(exclude=left_out).encode()).hexdigest()[:16]


# -- loading ------------------------------------------------------------------------------


class FrameworkProblem(BaseModel):
    location: str
    line: int | None
    message: str
    code: str = FRAMEWORK_INVALID_VALUE.code  # from the catalogue's framework section

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.location}: {self.message} [{self.code}]"


class FrameworkError(ConfigError):
    def __init__(self, path: Path, problems: list[FrameworkProblem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"framework {path} has {len(problems)} problem(s):\n{lines}\n"
            "Fix the file and run `esps framework check` again."
        )


MAX_FRAMEWORK_CHARS = 5_000_000


# A cheap first look: only a file with something like "*name" is composed and walked.
_MAY_HAVE_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")


def _first_alias(root: yaml.Node | None) -> yaml.Node | None:
    """The first node reached twice (an alias), or None.

    Aliases are how a small YAML file expands to gigabytes (a "billion laughs" file) or refers
    to itself; the composed graph shares the aliased node, so a walk that remembers what it has
    seen finds them without expanding anything.
    """
    import yaml

    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                stack.extend((key_node, value_node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each YAML path (keys and list indices) to its 1-based line number."""
    import yaml

    index: dict[tuple[Any, ...], int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            index[(*path, key)] = key_node.start_mark.line + 1
            index.update(_line_index(value_node, (*path, key)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*path, i)))
    return index


def _id_lines(node: yaml.Node, out: dict[str, int] | None = None) -> dict[str, int]:
    """Map every ``id:`` value in the YAML to the line of the mapping that holds it."""
    import yaml

    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                out.setdefault(str(value_node.value), key_node.start_mark.line + 1)
            _id_lines(value_node, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _id_lines(item, out)
    return out


def _describe_loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Render a pydantic loc with ids where list items have them: esps_units[OD1].indicators[2]."""
    out: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and "id" in node:
                    label = f"{part}:{node['id']}"
            else:
                node = None
            out.append(f"[{label}]")
        else:
            node = node.get(part) if isinstance(node, dict) else None
            out.append(("." if out else "") + str(part))
    return "".join(out) or "(top level)"


def _loader() -> type[yaml.SafeLoader]:
    """libyaml's loader when available (several times faster); the same safe subset either
    way."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def load_framework(path: Path | str | None = None) -> Framework:
    """Load and validate a framework file; raise FrameworkError listing every problem.

    Loaded frameworks are cached by path, size and modification time (they are immutable)
    for the life of the process, and on disk by content (`user_cache`): a later run with the
    same file skips the YAML parse and the models' validation.
    """
    path = Path(path) if path else default_framework_path()
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns) if stat else None
    if key and key in _CACHE:
        return _CACHE[key]
    text = _read_framework_text(path)
    cache_key = _user_cache_key(text)
    framework = read_entry("framework", cache_key)
    if not isinstance(framework, Framework):
        framework = _load_framework(path, text)
        _ = framework.digest  # computed once and kept in the entry (every validation uses it)
        write_entry("framework", cache_key, framework)
    if key:
        _CACHE[key] = framework
    return framework


_CACHE: dict[tuple[str, int, int], Framework] = {}


def _user_cache_key(text: str) -> str:
    """What a checked framework depends on: the file's text, and the code and versions that
    checked it and will unpickle it."""
    import pydantic

    code = Path(__file__).stat()
    parts = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), __version__,
             f"{code.st_size}:{code.st_mtime_ns}", pydantic.VERSION, sys.version)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _read_framework_text(path: Path) -> str:
    if path.exists() and not path.is_file():
        raise ConfigError(f"framework file {path} is not a file (a folder or a device)")
    if path.is_file() and path.stat().st_size > MAX_FRAMEWORK_CHARS * 4:
        raise ConfigError(f"framework file {path} is far too large to be a framework")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"framework file {path} not found. Pass --framework or set it in esps.toml."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read framework file {path}: {exc}") from None


def _load_framework(path: Path, text: str) -> Framework:
    if len(text) > MAX_FRAMEWORK_CHARS:
        raise FrameworkError(path, [FrameworkProblem(
            location="(file)", line=None,
            message=f"the file is {len(text):,} characters long; a framework is far smaller "
                    f"(limit {MAX_FRAMEWORK_CHARS:,}): is this the right file?")])
    import yaml

    try:
        if _MAY_HAVE_ALIAS.search(text):
            alias = _first_alias(yaml.compose(text, Loader=_loader()))
            if alias is not None:
                raise FrameworkError(path, [FrameworkProblem(
                    location="(file)", line=alias.start_mark.line + 1,
                    message="YAML anchors and aliases (&name, *name) are not accepted in a "
                            "framework file; write each value out in full")])
        data = yaml.load(text, Loader=_loader())  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise FrameworkError(
            path, [FrameworkProblem(location="(file)", line=line, message=f"not valid YAML: {exc}",
                                    code=FRAMEWORK_NOT_YAML.code)]
        ) from None
    if not isinstance(data, dict):
        raise FrameworkError(
            path, [FrameworkProblem(location="(file)", line=1, message="expected a YAML mapping",
                                    code=FRAMEWORK_NOT_YAML.code)]
        )
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        # The node tree (for line numbers) is parsed only when there are problems to place.
        node = yaml.compose(text, Loader=_loader())
        assert node is not None  # the document is a mapping, so not empty
        lines = _line_index(node)
        problems = []
        id_lines = _id_lines(node)
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = None
            for cut in range(len(loc), -1, -1):
                if loc[:cut] in lines:
                    line = lines[loc[:cut]]
                    break
            error = err.get("ctx", {}).get("error")
            if isinstance(error, CrossReferenceProblems):
                parts = error.items
            else:
                msg = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
                parts = [(FRAMEWORK_INVALID_VALUE, part) for part in msg.split(PROBLEM_SEPARATOR)]
            for code, part in parts:
                where, part_line = _describe_loc(data, loc), line
                # "indicator OD1.1: ..." names the object; point at its line and id.
                m = re.match(r"^(?:indicator|ESPS unit) (\S+): ", part)
                if not loc and m and m.group(1) in id_lines:
                    where, part_line = m.group(1), id_lines[m.group(1)]
                problems.append(FrameworkProblem(location=where, line=part_line, message=part,
                                                 code=code.code))
        raise FrameworkError(path, problems) from None
