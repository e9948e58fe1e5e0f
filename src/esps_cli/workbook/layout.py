"""The workbook layout: one definition shared by the writer (generate) and the reader.

Everything that says where things are in an ESPS workbook lives here: sheet names, header
labels, column order, the Cover's field labels, the metadata keys, and the fingerprint of the
locked content. The writer lays sheets out from these definitions; the reader finds regions by
their header labels (never by fixed coordinates), so a user inserting a row or two does not
break reading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from esps_cli.domain.framework import Framework, Indicator

# Layout 2 dropped the "DCFA Assessment" sheet: the unit's workbook is the unit's, and each
# assessor scores in a scoring pack of their own. Returns made with layout 1 are still read.
LAYOUT_VERSION = "2"
SUPPORTED_LAYOUTS = ("1", "2")

SHEET_COVER = "Cover"
SHEET_GUIDANCE = "Guidance"
SHEET_INDICATORS = "Indicators"
SHEET_EVIDENCE = "Evidence"
SHEET_META = "_esps_meta"
# Layout 1's scoring sheet, kept by older returns: read only to warn that it is not imported.
LEGACY_SHEET_ASSESSMENT = "DCFA Assessment"

VISIBLE_SHEETS = (SHEET_COVER, SHEET_GUIDANCE, SHEET_INDICATORS, SHEET_EVIDENCE)
ALL_SHEETS = (*VISIBLE_SHEETS, SHEET_META)
# Sheets the reader needs; Guidance is for people only.
READ_SHEETS = (SHEET_COVER, SHEET_INDICATORS, SHEET_EVIDENCE, SHEET_META)

NA = "N/A"
HEADER_SEARCH_ROWS = 40  # how far down the reader looks for a header row

Kind = Literal[
    "text", "date", "rating", "score", "indicator_id", "evidence_type", "advisor", "locked"
]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    kind: Kind = "locked"
    wrap: bool = False

    @property
    def is_input(self) -> bool:
        return self.kind != "locked"


@dataclass(frozen=True)
class Table:
    """A header row followed by data rows, found by its header labels."""

    sheet: str
    columns: tuple[Column, ...]
    header_row: int  # where the writer puts the header (the reader searches for it)
    input_rows: int = 0  # rows prepared for input below the header (0: one per indicator)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


# Printed landscape at 75% (8 pt or more), the columns fall on two pages: what the indicator
# asks (up to the evidence minimum), then the guidance and the unit's answers; each page
# holds about 148 width units, the Indicator ID column repeated on both.
INDICATORS = Table(
    sheet=SHEET_INDICATORS,
    header_row=4,
    columns=(
        Column("indicator_id", "Indicator ID", 11),
        Column("theme", "National theme", 14, wrap=True),
        Column("esps_unit", "ESPS unit", 20, wrap=True),
        Column("text", "Indicator", 48, wrap=True),
        Column("stage", "Stage", 11),
        Column("minimum", "Evidence minimum", 38, wrap=True),
        Column("guidance", "Guidance", 36, wrap=True),
        Column("rating", "Self-assessment (1-4 or N/A)", 15, kind="rating"),
        Column("na_reason", "N/A reason", 24, kind="text", wrap=True),
        Column("narrative", "Narrative: what you do and how you know", 60, kind="text", wrap=True),
    ),
)

# The locked columns of an indicator row; their text makes up the fingerprint.
LOCKED_INDICATOR_KEYS = tuple(c.key for c in INDICATORS.columns if not c.is_input)

EVIDENCE = Table(
    sheet=SHEET_EVIDENCE,
    header_row=4,
    input_rows=400,
    columns=(
        Column("indicator_id", "Indicator ID", 13, kind="indicator_id"),
        Column("title", "Evidence title", 34, kind="text", wrap=True),
        Column("description", "Description", 44, kind="text", wrap=True),
        Column("type", "Evidence type", 22, kind="evidence_type"),
        Column("location", "Location (path or reference in local storage)", 46, kind="text",
               wrap=True),
        Column("date", "Date of evidence (dd/mm/yyyy)", 16, kind="date"),
        Column("owner", "Owner", 22, kind="text"),
    ),
)

# Layout 1's DCFA Assessment table and fields, as they were: the layout 1 fingerprint is
# computed from them, and the reader counts the scores typed there to say they are ignored.
LEGACY_ASSESSMENT = Table(
    sheet=LEGACY_SHEET_ASSESSMENT,
    header_row=7,
    columns=(
        Column("indicator_id", "Indicator ID", 11),
        Column("esps_unit", "ESPS unit", 22, wrap=True),
        Column("text", "Indicator", 44, wrap=True),
        Column("linked_score", "Linked DCFA score (1-4)", 13, kind="score"),
        Column("linked_comment", "Linked DCFA comment", 40, kind="text", wrap=True),
        Column("unlinked_score", "Unlinked DCFA score (1-4)", 13, kind="score"),
        Column("unlinked_comment", "Unlinked DCFA comment", 40, kind="text", wrap=True),
    ),
)
LEGACY_ASSESSMENT_FIELD_LABELS = (
    "Linked DCFA (id)", "Unlinked DCFA (id)", "Date assessed (dd/mm/yyyy)",
)

TABLES = (INDICATORS, EVIDENCE)


@dataclass(frozen=True)
class Field:
    """A labelled value: the label in the first column, the value in the next."""

    key: str
    label: str
    kind: Kind = "locked"
    help: str = ""

    @property
    def is_input(self) -> bool:
        return self.kind != "locked"


COVER_FIRST_ROW = 4
COVER_FIELDS = (
    Field("unit_code", "Unit code"),
    Field("unit_name", "Unit name"),
    Field("business_group", "Business group"),
    Field("linked_dcfa", "Linked DCFA"),
    Field("cycle", "Assessment cycle"),
    Field("deadline", "Submission deadline"),
    Field("completed_by", "Completed by (name)", "text", "Who filled in this workbook."),
    Field("completed_role", "Rank or role", "text", "e.g. Superintendent, Band B."),
    Field("completed_date", "Date completed (dd/mm/yyyy)", "date",
          "The date you finished the workbook; evidence must not be dated after it."),
    Field("commander", "Commander sign-off (name)", "text",
          "The (B)OCU commander or head of unit who signs the return off."),
    Field("signoff_date", "Sign-off date (dd/mm/yyyy)", "date", "The date of sign-off."),
)

# -- scoring packs (one per assessor and unit) and moderation packs ---------------------------
# A pack shows the unit's answers read-only beside the columns the assessor fills in; its
# identity (unit, role, assessor, cycle, pack id) is in a hidden sheet and repeated, locked,
# above the table, and import checks both against the register.

SHEET_PACK = "Scoring"
SHEET_MODERATION = "Moderation"
SHEET_PACK_META = "_esps_pack"
PACK_MARKER = "ESPS scoring pack"
PackKind = Literal["scoring", "moderation"]

PACK_FIRST_ROW = 3
PACK_FIELDS = (
    Field("unit_code", "Unit"),
    Field("unit_name", "Unit name"),
    Field("role", "Your role"),
    Field("assessor", "Assessor"),
    Field("cycle", "Cycle"),
    Field("pack_id", "Pack id"),
)
MODERATION_FIELDS = (*PACK_FIELDS[:3], Field("assessor", "Moderated by"), *PACK_FIELDS[4:])
# The unit's answers, locked, on both kinds of pack.
_ANSWER_COLUMNS = (
    Column("indicator", "Indicator", 13),
    Column("text", "Indicator text", 30, wrap=True),
    Column("rating", "Self-assessment", 11),
    Column("na_reason", "N/A reason", 14, wrap=True),
    Column("narrative", "Narrative", 40, wrap=True),
    Column("evidence", "Evidence listed by the unit", 40, wrap=True),
    Column("findings", "Validation findings", 28, wrap=True),
)
PACK_TABLE = Table(
    sheet=SHEET_PACK,
    header_row=PACK_FIRST_ROW + len(PACK_FIELDS) + 2,
    columns=(
        *_ANSWER_COLUMNS,
        Column("score", "Score (1-4)", 12, kind="score"),
        Column("rationale", "Rationale", 40, kind="text", wrap=True),
    ),
)
MODERATION_TABLE = Table(
    sheet=SHEET_MODERATION,
    header_row=PACK_FIRST_ROW + len(MODERATION_FIELDS) + 2,
    columns=(
        Column("indicator", "Indicator", 13),
        Column("text", "Indicator text", 30, wrap=True),
        Column("rating", "Self-assessment", 11),
        Column("narrative", "Narrative", 34, wrap=True),
        Column("linked_score", "Linked DCFA score", 12),
        Column("linked_rationale", "Linked DCFA rationale", 30, wrap=True),
        Column("unlinked_score", "Unlinked DCFA score", 12),
        Column("unlinked_rationale", "Unlinked DCFA rationale", 30, wrap=True),
        Column("score", "Moderated score (1-4)", 11, kind="score"),
        Column("reason", "Reason", 36, kind="text", wrap=True),
    ),
)
PACK_META_KEYS = (
    "esps_pack", "pack_kind", "pack_id", "cycle", "unit_code", "role", "assessor",
    "framework_id", "framework_version", "return_sha256", "generator", "generated_at",
)
# Scores that need a rationale (the low end of the scale): 1 and 2.
RATIONALE_REQUIRED_BELOW = 3

# The hidden metadata sheet: key in column A, value in column B from row 1; then the
# per-indicator fingerprints; drop-down source lists in columns D onwards.
# -- community challenge forms (one per community group) --------------------------------------
# The form shows the public results for the group's units and a table the group fills in, one
# challenge per row. Its identity (form id, group, cycle) is in a very hidden sheet, beside the
# drop-down lists, and repeated, locked, above the table; import checks both against the
# register.

SHEET_RESULTS = "Results"
SHEET_SCORES = "Scores"
SHEET_CHALLENGES = "Challenges"
SHEET_CHALLENGE_META = "_esps_challenge"
CHALLENGE_MARKER = "ESPS community challenge form"
CHALLENGE_META_KEYS = ("esps_challenge_form", "form_id", "cycle", "group_id", "generator",
                       "generated_at")
CHALLENGE_LIST_COLUMNS = {"units": "D", "subjects": "E", "replies": "F"}
CHALLENGE_LIST_NAMES = {"units": "esps_units", "subjects": "esps_subjects",
                        "replies": "esps_replies"}
THEME_PREFIX = "Theme: "
REPLY_CHOICES = ("In writing", "At a meeting")
CHALLENGE_FIRST_ROW = 3
CHALLENGE_FIELDS = (
    Field("group_name", "Group"),
    Field("cycle", "Results for"),
    Field("reply_within", "We reply within"),
    Field("return_to", "Send the form to"),
    Field("form_id", "Form id"),
)
CHALLENGE_INPUT_ROWS = 30
CHALLENGE_TEXT_MAX = 5_000
CHALLENGE_TABLE = Table(
    sheet=SHEET_CHALLENGES,
    header_row=CHALLENGE_FIRST_ROW + len(CHALLENGE_FIELDS) + 2,
    input_rows=CHALLENGE_INPUT_ROWS,
    columns=(
        Column("unit", "Unit (choose from the list)", 26, kind="text", wrap=True),
        Column("subject", "Theme or indicator (choose from the list)", 34, kind="text",
               wrap=True),
        Column("challenged", "What are you challenging?", 50, kind="text", wrap=True),
        Column("evidence", "What evidence can you offer?", 44, kind="text", wrap=True),
        Column("reply", "Reply in writing or at a meeting?", 16, kind="text"),
    ),
)
RESULTS_TABLE = Table(
    sheet=SHEET_RESULTS,
    header_row=5,
    columns=(
        Column("unit", "Unit", 28, wrap=True),
        Column("status", "Where it stands", 30, wrap=True),
        Column("at_or_above", "Baseline indicators at 3 or more", 20),
        Column("mean", "Average score (1-4)", 14),
    ),
)
SCORES_TABLE = Table(
    sheet=SHEET_SCORES,
    header_row=4,
    columns=(
        Column("unit", "Unit", 24, wrap=True),
        Column("indicator", "Indicator", 11),
        Column("theme", "Theme", 18, wrap=True),
        Column("text", "What the indicator asks", 56, wrap=True),
        Column("score", "Score (1-4)", 12),
        Column("meaning", "Meaning", 22, wrap=True),
    ),
)

META_KEYS = (
    "esps_workbook",
    "layout_version",
    "framework_id",
    "framework_version",
    "framework_digest",
    "cycle",
    "unit_code",
    "unit_name",
    "linked_dcfa",
    "generator",
    "generated_at",
    "fingerprint",
    # A random id per workbook sent (esps generate), recorded in the register with its unit:
    # a copy of another unit's workbook relabelled is caught by it (sealed identity).
    "pack_id",
)
META_MARKER = "ESPS self-assessment workbook"
META_INDICATOR_HEADER = ("indicator_id", "indicator_hash")
META_LIST_COLUMNS = {"indicator_ids": "D", "evidence_types": "E", "advisors": "F", "ratings": "G"}
# Defined names the drop-downs use (also useful to anyone reading the workbook by hand).
LIST_NAMES = {
    "indicator_ids": "esps_indicator_ids",
    "evidence_types": "esps_evidence_types",
    "advisors": "esps_advisors",
    "ratings": "esps_ratings",
}


def rating_options(framework: Framework) -> list[int | str]:
    """The self-assessment drop-down: the scores as numbers (so a typed 3 matches) and N/A."""
    return [*framework.scale.scores, NA]


def score_options(framework: Framework) -> list[str]:
    return [str(s) for s in framework.scale.scores]


def indicator_locked_cells(framework: Framework, indicator: Indicator) -> dict[str, str]:
    """The locked text of an indicator's row, by column key, exactly as written."""
    unit = framework.esps_unit_of[indicator.id]
    return {
        "indicator_id": indicator.id,
        "theme": framework.theme_by_id[unit.theme].name,
        "esps_unit": f"{unit.number}. {unit.title}",
        "text": indicator.text,
        "stage": indicator.stage.capitalize(),
        "minimum": indicator.evidence.describe(framework.evidence_type_by_id),
        "guidance": indicator.guidance,
    }


def _normalise(text: object) -> str:
    # Spreadsheet apps may turn line breaks into \r\n or trim trailing spaces on save.
    return " ".join(str(text if text is not None else "").split())


def indicator_hash(cells: Mapping[str, object]) -> str:
    """Fingerprint of one indicator row's locked content."""
    joined = "\x1f".join(_normalise(cells.get(k)) for k in LOCKED_INDICATOR_KEYS)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def structure_signature(layout_version: str = LAYOUT_VERSION) -> str:
    """Sheet names and every header label: changes when the layout changes.

    Layout 1 (with the DCFA Assessment sheet) keeps its own signature, so its returns still
    match the fingerprint they were made with.
    """
    legacy = layout_version == "1"
    parts = [layout_version, *VISIBLE_SHEETS, *((LEGACY_SHEET_ASSESSMENT,) if legacy else ())]
    for table in (*TABLES, *((LEGACY_ASSESSMENT,) if legacy else ())):
        parts.extend(table.headers)
    parts.extend(f.label for f in COVER_FIELDS)
    if legacy:
        parts.extend(LEGACY_ASSESSMENT_FIELD_LABELS)
    return "\x1f".join(parts)


def workbook_fingerprint(indicator_hashes: list[tuple[str, str]],
                         layout_version: str = LAYOUT_VERSION) -> str:
    """Fingerprint of the whole locked content: structure plus every indicator row, in order."""
    return _fingerprint(tuple(indicator_hashes), layout_version)


@lru_cache(maxsize=64)
def _fingerprint(indicator_hashes: tuple[tuple[str, str], ...], layout_version: str) -> str:
    """workbook_fingerprint, remembered: a folder's returns of one framework share it."""
    h = hashlib.sha256(structure_signature(layout_version).encode("utf-8"))
    for ind_id, ind_hash in indicator_hashes:
        h.update(f"\x1e{ind_id}\x1f{ind_hash}".encode())
    return h.hexdigest()[:24]


def expected_indicator_hashes(
    framework: Framework, indicators: list[Indicator]
) -> list[tuple[str, str]]:
    return [(ind.id, indicator_hash(indicator_locked_cells(framework, ind))) for ind in indicators]


@cache
def column_letter(index: int) -> str:
    """1-based column index to letters (1 -> A, 27 -> AA); remembered (a check names a cell
    for each of hundreds of findings, in a few columns)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """1-based row and column to an A1 reference."""
    return f"{column_letter(col)}{row}"

