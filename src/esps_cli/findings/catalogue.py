"""Every finding code esps-cli can report, in one place: its severity, title, hint and the
template of its findings' message.

`esps validate --list-codes` prints this catalogue and the README's table of codes is generated
from it (a test keeps the two in step). Codes are stable: never rename one. This module imports
nothing from the rest of the package, so every layer can use it.

A check passes values, not sentences: with `message="{indicator_id} has no self-assessment
rating"` here, the check says `ctx.add(MISSING_RATING, sheet=..., cell=..., indicator_id=...)`
(and `finding(CODE, file, **values)` elsewhere). The template is a `str.format` string over
those values, the file, sheet, cell and indicator_id included. A code without a template
still takes the sentence as the message argument (`ctx.add(CODE, "...")`); codes are being
moved to templates one by one.
"""

from __future__ import annotations

from esps_cli.findings.model import register

# -- opening and reading a workbook's structure ---------------------------------------------

# Codes raised while opening and reading a workbook's structure.
UNREADABLE_FILE = register(
    "unreadable-file", "error", "The file cannot be read as an .xlsx workbook",
    "Open the file in Excel and save it as an Excel Workbook (.xlsx), without a password.",
)
NOT_ESPS_WORKBOOK = register(
    "not-esps-workbook", "error", "The workbook has no ESPS metadata sheet",
    "Start again from the workbook DCFD sent for your unit; do not copy sheets into a new file.",
)
NOT_A_RETURN = register(
    "not-a-return", "error",
    "The file is a spreadsheet but not an ESPS workbook: none of its sheets is one a return has",
    "Move the file out of the returns folder (another spreadsheet saved there by mistake), or "
    "ask the unit for its return: the workbook DCFD sent, filled in.",
)
METADATA_UNHIDDEN = register(
    "metadata-unhidden", "warning", "The hidden metadata sheet has been made visible",
    "Leave the _esps_meta sheet hidden and unchanged; it identifies the workbook.",
)
MISSING_SHEET = register(
    "missing-sheet", "error", "A required sheet is missing or has been renamed",
    "Rename the sheet back to its original name, or start from the original workbook.",
)
MISSING_HEADER = register(
    "missing-header", "error", "A required column heading is missing or has been changed",
    "Restore the column heading exactly as it was in the original workbook.",
)
MISSING_FIELD = register(
    "missing-field", "error", "A labelled field on the sheet is missing or relabelled",
    "Restore the label in column A exactly as it was in the original workbook.",
)
MACRO_ENABLED = register(
    "macro-enabled", "warning", "The workbook contains macros (saved as .xlsm)",
    "esps-cli reads only the values and never runs macros; save the workbook as an Excel "
    "Workbook (.xlsx) without macros.",
)
LEGACY_ASSESSMENT_SHEET = register(
    "legacy-assessment-sheet", "warning",
    "The return still has a DCFA Assessment sheet (an older pack); scores on it are not imported",
    "Nothing to fix in the return. The unit's workbook is the unit's: each DCFA scores the "
    "return in a scoring pack of their own (esps score packs), so neither sees the other's "
    "scores and the unit cannot type them.",
)
TOO_MANY_ROWS = register(
    "too-many-rows", "error", "A sheet has far more rows than a return can hold",
    "Delete the rows pasted below the table (select them, then Delete Rows), or start from "
    "the original workbook.",
)
UNREADABLE_CELL = register(
    "unreadable-cell", "error",
    "A cell holds a value that cannot be read (a number in a date format that is no date); "
    "the rest of its sheet was not checked",
    "Clear the cell or type a real date in it (dd/mm/yyyy), save the workbook and validate it "
    "again.",
)


# -- checking a returned workbook's content -------------------------------------------------

METADATA_INCOMPLETE = register(
    "metadata-incomplete", "error", "The hidden metadata is missing a value",
    "Start again from the workbook DCFD sent; the hidden _esps_meta sheet must not be edited.",
    message="the hidden metadata has no {key} value",
)
METADATA_TAMPERED = register(
    "metadata-tampered", "error", "The hidden metadata does not match its own fingerprint",
    "The hidden _esps_meta sheet has been edited. Start again from the workbook DCFD sent, "
    "copying your answers across.",
    message=(
        "the fingerprint in the hidden metadata does not match the indicator hashes stored "
        "with it: the hidden sheet was edited"
    ),
)
UNKNOWN_FRAMEWORK = register(
    "unknown-framework", "error", "The workbook was made from a different framework",
    "Validate with the framework the workbook was made from (--framework FILE), or ask DCFD "
    "for a workbook made from the current framework.",
    message=(
        "the workbook was made from framework {made_from!r}; the framework loaded is "
        "{loaded.id!r} (version {loaded.version})"
    ),
)
WRONG_FRAMEWORK_VERSION = register(
    "wrong-framework-version", "error",
    "The workbook was made from another version of the framework",
    "Ask DCFD for a workbook made from the current framework version, or validate with the "
    "framework file of the workbook's version (--framework FILE).",
    message=(
        "the workbook was made from {loaded.id} version {version}; the framework loaded is "
        "version {loaded.version}"
    ),
)
FRAMEWORK_CHANGED = register(
    "framework-changed", "warning",
    "The framework file has changed since the workbook was made (same id and version)",
    "DCFD: when the framework's content changes, give it a new version and generate the "
    "workbooks again, so returns are checked against the text units saw.",
    message=(
        "the framework file's content differs from the one the workbook was made from, though "
        "both are {loaded.id} version {loaded.version}"
    ),
)
UNSUPPORTED_LAYOUT = register(
    "unsupported-layout", "error", "The workbook was made with a different workbook layout",
    "Ask DCFD for a workbook made by the current esps-cli, or validate with the esps-cli "
    "version that made it.",
    message=(
        "the workbook has layout version {layout}; this esps-cli reads layout versions "
        "{supported}"
    ),
)
UNKNOWN_CYCLE = register(
    "unknown-cycle", "error", "The workbook's assessment cycle is not in the framework",
    "Check the framework file lists the cycle (esps framework show), or ask DCFD for a "
    "workbook for the current cycle.",
    message=(
        "the workbook is for cycle {cycle!r}, which the framework does not define (it defines "
        "{known})"
    ),
)
WRONG_CYCLE = register(
    "wrong-cycle", "error", "The workbook is for a different assessment cycle",
    "Return this cycle's workbook (see the Cover's Assessment cycle), or validate with --cycle "
    "set to the workbook's cycle.",
    message=(
        "the workbook is for {found.name} ({found.id}); {expected.name} ({expected.id}) was "
        "expected"
    ),
)
IDENTITY_MISMATCH = register(
    "identity-mismatch", "error",
    "The Cover and the hidden metadata name different units or cycles",
    "The locked Cover cells have been changed or sheets copied between workbooks. Start again "
    "from your unit's own workbook.",
    message="the Cover says {field} {cover!r} but the hidden metadata says {meta!r}",
)
IDENTITY_FORGED = register(
    "identity-forged", "error",
    "The workbook's pack id was issued to another unit (or cycle) than the one it claims",
    "This is a copy of another unit's workbook relabelled. Fill in the workbook DCFD sent to "
    "your unit (ask DCFD for it again if it is lost); do not copy another unit's file.",
    message=(
        "this workbook claims unit {unit} ({cycle}), but its pack id {pack_id} was issued to "
        "unit {owner_unit} ({owner_cycle}): it is a copy of {owner_unit}'s workbook "
        "relabelled as {unit}"
    ),
)
PACK_NOT_ISSUED = register(
    "pack-not-issued", "error",
    "The workbook's pack id is not one issued to its unit, which was sent a workbook",
    "Return the workbook DCFD sent to your unit (its hidden pack id must not be changed); ask "
    "DCFD for it again if it is lost.",
    message=(
        "this workbook claims unit {unit} ({cycle}), but {what} not issued to it: the "
        "register records the workbooks sent to it and this is not one of them"
    ),
)
INDICATOR_CHANGED = register(
    "indicator-changed", "error", "The locked wording of an indicator row has been changed",
    "Put the original wording back (copy the grey cells of the row from the workbook DCFD "
    "sent); every unit must answer the same question.",
    message=(
        "the locked {header!r} of indicator {indicator_id} has been changed: it reads {now!r} "
        "where the original reads {was!r}{also}"
    ),
)
INDICATOR_OUTDATED = register(
    "indicator-outdated", "warning",
    "An indicator's wording is not the loaded framework's (the workbook predates a change)",
    "The workbook was made from an earlier text of the framework; it is checked against the "
    "current minimums. DCFD: regenerate the workbook if the change matters.",
    message=(
        "indicator {indicator_id}'s wording in this workbook differs from the loaded "
        "framework's; it is checked against the loaded framework's minimum"
    ),
)
INDICATOR_MISSING = register(
    "indicator-missing", "error", "An indicator row has been deleted",
    "Copy the row back in from the workbook DCFD sent, in its place, and answer it.",
    message=(
        "the row for indicator {indicator_id} is missing (it belongs after row {after}): "
        "{text}"
    ),
)
INDICATOR_DUPLICATED = register(
    "indicator-duplicated", "error", "An indicator appears on more than one row",
    "Delete the extra copy of the row, keeping your answers on one row per indicator.",
    message="indicator {indicator_id} appears again on row {row} (first on row {first})",
)
INDICATOR_UNEXPECTED = register(
    "indicator-unexpected", "error",
    "A row on the Indicators sheet is not one of the workbook's indicators",
    "Remove the row, or restore its Indicator ID; only the indicators DCFD listed are assessed.",
    message=(
        "row {row} has Indicator ID {indicator_id!r}, which is not one of this workbook's "
        "indicators"
    ),
)
MISSING_RATING = register(
    "missing-rating", "error", "An indicator has no self-assessment rating",
    "Choose a rating from the drop-down: 1 Not at all satisfactory to 4 Very satisfactory.",
    message="{indicator_id} has no self-assessment rating",
)
INVALID_RATING = register(
    "invalid-rating", "error", "A self-assessment rating is not on the scale",
    "Choose 1, 2, 3 or 4 (or N/A where the indicator allows it) from the drop-down.",
    message="{indicator_id}'s rating {rating!r} is not on the scale (choose {options})",
)
NA_NOT_ALLOWED = register(
    "na-not-allowed", "error", "N/A was chosen for an indicator that does not allow it",
    "Give a rating from 1 to 4; this indicator applies to every unit.",
    message="{indicator_id} does not allow N/A; give a rating from {lowest} to {highest}",
)
NA_WITHOUT_REASON = register(
    "na-without-reason", "error", "N/A was chosen without a reason",
    "Say why the indicator does not apply to your unit in the N/A reason column.",
    message="{indicator_id} is rated N/A but no reason is given",
)
NUMBER_AS_TEXT = register(
    "number-as-text", "warning", "A number was typed as text; it was read as the number",
    "Choose the value from the drop-down (or retype it) so the cell holds a number.",
    message="{indicator_id}'s rating was typed as text: {note}; it was read as {read_as}",
)
NARRATIVE_TOO_SHORT = register(
    "narrative-too-short", "error", "A narrative is missing or shorter than the minimum",
    "Say what your unit does for this indicator and how you know it works, in at least the "
    "number of characters the evidence minimum gives.",
    message="{indicator_id} {what}; the minimum is {minimum}",
)
TOO_FEW_EVIDENCE = register(
    "too-few-evidence", "error", "An indicator has fewer usable evidence items than its minimum",
    "List more evidence for the indicator on the Evidence sheet, each row complete and in date.",
)
REQUIRED_TYPE_MISSING = register(
    "required-type-missing", "error", "An indicator lacks an evidence type its minimum requires",
    "Add an evidence row of each required type for the indicator (see its Evidence minimum).",
    message="{indicator_id} needs evidence of type: {types}",
)
EVIDENCE_INCOMPLETE = register(
    "evidence-incomplete", "error", "An evidence row is missing a required value",
    "Fill in the indicator ID, title, type, location and date of every evidence row, or "
    "clear the row.",
    message="evidence row {row} is missing: {missing}",
)
UNKNOWN_INDICATOR = register(
    "unknown-indicator", "error", "An evidence row names an indicator the workbook does not have",
    "Choose the Indicator ID from the drop-down (the IDs on the Indicators sheet).",
    message="evidence row {row} is for indicator {indicator!r}, which {where}",
)
UNKNOWN_EVIDENCE_TYPE = register(
    "unknown-evidence-type", "error", "An evidence type is not one from the list",
    "Choose the evidence type from the drop-down (see the Guidance sheet for the types).",
    message="evidence row {row} has type {type!r}, which is not on the list ({known})",
)
INVALID_DATE = register(
    "invalid-date", "error", "A date cannot be read as a date",
    "Type the date as dd/mm/yyyy, for example 13/04/2010.",
    message="{what} cannot be read as a date: {note}",
)
DATE_AS_TEXT = register(
    "date-as-text", "warning", "A date was typed as text; it was read as the UK date meant",
    "Retype the date as dd/mm/yyyy in the cell so Excel stores it as a date; check the "
    "reading in the message is what you meant.",
    message="{what} was typed as text: {note}",
)
AMBIGUOUS_DATE = register(
    "ambiguous-date", "warning", "A date could be read more than one way; the reading is given",
    "Type the full date as dd/mm/yyyy (four-digit year, with the day) so there is no doubt.",
    message="{what}: {note}",
)
DATE_IN_FUTURE = register(
    "date-in-future", "error", "A Cover date is after today",
    "Give the date the workbook was actually completed or signed off.",
    message="the Cover's {label} is {date}, after today ({today})",
)
DATE_OUTSIDE_CYCLE = register(
    "date-outside-cycle", "warning",
    "A Cover date falls outside the financial year of the workbook's cycle",
    "Check the year: the date the workbook was completed or signed off falls in the cycle's "
    "year (a slip of the year also moves every evidence age).",
    message=(
        "the Cover's {label} is {date}, outside {cycle} ({first} to {last}): is the year "
        "right?"
    ),
)
EVIDENCE_AFTER_SUBMISSION = register(
    "evidence-after-submission", "error", "Evidence is dated after the workbook was completed",
    "Check the evidence date (dd/mm/yyyy) and the Cover's Date completed.",
    message="{row} is dated {dated}, after the submission date {submission}",
)
EVIDENCE_TOO_OLD = register(
    "evidence-too-old", "error", "Evidence is older than the indicator's maximum age",
    "List more recent evidence; the indicator's Evidence minimum gives the maximum age.",
)
DUPLICATE_EVIDENCE = register(
    "duplicate-evidence", "warning", "An evidence row repeats an earlier row; it counts once",
    "Delete the repeated row, or change it if it was meant to be a different item.",
    message="{row} repeats row {first} (same indicator, title, type, location and date)",
)
MISSING_SIGNOFF = register(
    "missing-signoff", "error", "The commander's sign-off or its date is missing",
    "The (B)OCU commander or head of unit signs the return off: fill in the sign-off name and "
    "date on the Cover.",
)
COVER_INCOMPLETE = register(
    "cover-incomplete", "warning", "Who completed the workbook, their role or the date is missing",
    "Fill in the yellow Completed by, Rank or role and Date completed cells on the Cover.",
)
EVIDENCE_LOCATION_BROKEN = register(
    "evidence-location-broken", "warning",
    "An evidence location is a path on this machine that does not exist or cannot be read "
    "(--check-evidence)",
    "Correct the path to where the evidence is kept, or check the file is still there and "
    "readable.",
    message="{row}: {problem}",
)
CHECK_FAILED = register(
    "check-failed", "error", "esps-cli failed while checking the file (a bug)",
    "Report this to the esps-cli maintainers with the file; the rest of the batch was checked.",
)
UNIT_NOT_RETURNED = register(
    "unit-not-returned", "error", "A unit on the units list has not returned a workbook",
    "Chase the unit for its return; check the file is in the folder being validated.",
)
DUPLICATE_RETURN = register(
    "duplicate-return", "error", "Two or more returns are for the same unit; neither is chosen",
    "Keep only the unit's final return in the folder (move the others out), then validate again.",
)
UNIT_NOT_ON_LIST = register(
    "unit-not-on-list", "error", "A return is for a unit that is not on the units list",
    "Check the units list is complete, or that the file belongs in this folder.",
)
IDENTICAL_RESUBMISSION = register(
    "identical-resubmission", "warning",
    "The return is the same as the unit's previous return: nothing was changed",
    "The unit sent its previous return again: check it sent the corrected workbook, and ask "
    "for the changes listed in its findings.",
)
FOLDER_UNREADABLE = register(
    "folder-unreadable", "error", "A folder to search could not be read; its files were not "
    "checked",
    "Check the folder's permissions (or shorten its path), then validate again.",
)

BATCH_CODES = {UNIT_NOT_RETURNED.code, DUPLICATE_RETURN.code, UNIT_NOT_ON_LIST.code,
               FOLDER_UNREADABLE.code}
# A return with one of these is not what it claims to be: it never displaces a return of its
# unit that passes (validation/returns.py, register/review.py).
IDENTITY_FAILURES = frozenset({IDENTITY_FORGED.code, PACK_NOT_ISSUED.code,
                               IDENTITY_MISMATCH.code})


# -- importing scores (esps score import) --------------------------------------------------

SCORE_FILE_UNREADABLE = register(
    "score-file-unreadable", "error", "A file of scores cannot be read",
    "Check the path and that the file is not open elsewhere; save a CSV of scores as UTF-8 "
    "text (CSV UTF-8 in Excel).",
)
SCORE_MISSING_COLUMN = register(
    "score-missing-column", "error", "A column the scores need is missing from the header row",
    "A CSV needs the header unit,indicator,role,assessor,score,comment; in a scoring pack, put "
    "the table's column headings back as they were.",
)
SCORE_WRONG_CYCLE = register(
    "score-wrong-cycle", "error", "Scores are for a different assessment cycle",
    "Import the file with --cycle set to the cycle it is for, or correct the cycle column.",
)
SCORE_UNKNOWN_UNIT = register(
    "score-unknown-unit", "error", "A score names a unit that is not on the units list",
    "Correct the unit code, or add the unit to the units list (--units).",
)
SCORE_UNKNOWN_INDICATOR = register(
    "score-unknown-indicator", "error", "A score names an indicator not in the framework",
    "Correct the indicator id (as on the workbook's Indicators sheet, e.g. OD1.1).",
)
SCORE_INDICATOR_NOT_ASSESSED = register(
    "score-indicator-not-assessed", "error", "A score is for an indicator this cycle does not "
    "assess",
    "Remove the score, or import it into a cycle that assesses the indicator (--cycle).",
)
SCORE_UNKNOWN_ASSESSOR = register(
    "score-unknown-assessor", "error", "A score names an assessor not on the advisors list",
    "Correct the advisor's id (e.g. dcfa01), or add the advisor to the advisors list.",
)
SCORE_UNKNOWN_ROLE = register(
    "score-unknown-role", "error", "A score's role is not linked, unlinked or moderated",
    "Write linked, unlinked or moderated in the role column.",
)
SCORE_INVALID = register(
    "score-invalid", "error", "A score is blank, not a whole number or not on the scale",
    "Give a whole number on the framework's scale (1, 2, 3 or 4).",
)
SCORE_WRONG_ASSESSOR = register(
    "score-wrong-assessor", "error", "The assessor may not give this unit a score in this role",
    "Linked scores come only from the unit's linked DCFA; unlinked scores from the allocated "
    "unlinked DCFA (--any-unlinked accepts any other advisor), never the linked one.",
)
SCORE_NOT_ALLOCATED = register(
    "score-not-allocated", "error", "No unlinked DCFA is allocated to the unit yet",
    "Run esps allocate first, or pass --any-unlinked to accept unlinked scores from any "
    "advisor other than the linked DCFA.",
)
SCORE_DUPLICATE = register(
    "score-duplicate", "error", "The same unit, indicator and role is scored twice in one file",
    "Keep one score per unit, indicator and role in the file; delete the other.",
)
SCORE_MODERATION_UNEXPLAINED = register(
    "score-moderation-unexplained", "error", "A moderated score has no comment",
    "Say how the moderated score was agreed in the comment.",
)
SCORE_NOTHING_TO_MODERATE = register(
    "score-nothing-to-moderate", "error",
    "A moderated score is given before both the linked and the unlinked score",
    "Record the linked and unlinked scores first (or put them earlier in the same file).",
)
SCORE_MODERATION_NOT_NEEDED = register(
    "score-moderation-not-needed", "error",
    "A moderated score for linked and unlinked scores closer than the moderation threshold",
    "Scores that agree or differ by less than the framework's moderation threshold combine "
    "without moderation (esps score show): drop the moderated score. A community challenge "
    "upheld for the indicator (esps challenge respond) allows moderation at any difference.",
)
SCORE_COMMENT_WITHOUT_SCORE = register(
    "score-comment-without-score", "warning", "A comment was given without a score; it is not "
    "recorded",
    "Give the score beside the comment, or clear the comment.",
)


# -- units and advisors lists (a bad list stops the command: exit code 2) -------------------

LIST_EMPTY = register(
    "list-empty", "error", "A units or advisors list is empty, or has a header but no rows",
    "Give the list a header row (units: code,name,business_group,linked_dcfa; advisors: "
    "id,name,email) and one row per unit or advisor.",
)
LIST_MISSING_COLUMN = register(
    "list-missing-column", "error", "A units or advisors list lacks a required column",
    "Add the column with one of the accepted headers the message lists, in row 1.",
)
LIST_REPEATED_COLUMN = register(
    "list-repeated-column", "error", "A column of a units or advisors list is given twice",
    "Keep one column with that heading and delete or rename the others.",
)
LIST_MISSING_VALUE = register(
    "list-missing-value", "error", "A row of a units or advisors list lacks a required value",
    "Fill in the unit code and name, or the advisor id and name, on the row named.",
)
LIST_INVALID_CODE = register(
    "list-invalid-code", "error", "A unit code holds characters a code may not",
    "Use only letters, digits, '-', '_' and '.' in unit codes (they name files).",
)
LIST_DUPLICATE = register(
    "list-duplicate", "error", "A unit code or advisor id appears on more than one row",
    "Keep one row per unit or advisor; codes and ids are compared ignoring case.",
)
LIST_UNKNOWN_BUSINESS_GROUP = register(
    "list-unknown-business-group", "error",
    "A unit's business group is not one the framework defines",
    "Use a business group id or name from the framework (esps framework show).",
)
LIST_UNKNOWN_DCFA = register(
    "list-unknown-dcfa", "error", "A unit's linked DCFA is not on the advisors list",
    "Use an advisor id or name from the advisors list, or add the advisor to it.",
)


# -- the framework file (a bad framework stops the command: exit code 2) -----------------------

FRAMEWORK_NOT_YAML = register(
    "framework-not-yaml", "error", "The framework file is not valid YAML, or not a mapping",
    "Fix the YAML at the line given (indentation, a missing colon or quote), then run "
    "esps framework check.",
)
FRAMEWORK_INVALID_VALUE = register(
    "framework-invalid-value", "error",
    "A framework value is missing, of the wrong kind or out of range",
    "Correct the value at the location and line given; the bundled framework shows the "
    "expected shape.",
)
FRAMEWORK_DUPLICATE_ID = register(
    "framework-duplicate-id", "error", "Two framework entries of one kind share an id",
    "Give every theme, strand, group, cycle, ESPS unit and indicator its own id.",
)
FRAMEWORK_UNKNOWN_REFERENCE = register(
    "framework-unknown-reference", "error",
    "A framework entry refers to an id the framework does not define",
    "Use an id defined in the framework (a theme, strand, HMIC area or evidence type), or "
    "define it.",
)
FRAMEWORK_INCONSISTENT = register(
    "framework-inconsistent", "error", "Two framework rules contradict each other",
    "Make the rule possible to meet: e.g. no more required evidence types than items, a "
    "baseline minimum score on the scale.",
)

# -- scoring packs (esps score packs, esps score import) -------------------------------------

SCORE_NOT_A_PACK = register(
    "score-not-a-pack", "error", "The workbook is a unit's return, not a scoring pack",
    "Scores are given in scoring packs (esps score packs --out DIR), one per assessor; a "
    "unit's return holds no scores to import.",
)
PACK_UNKNOWN_ID = register(
    "score-pack-unknown-id", "error", "The pack's id was never issued by this register",
    "Import the pack into the register that wrote it (--register), or ask for a new pack "
    "(esps score packs --unit CODE --force).",
)
PACK_IDENTITY_MISMATCH = register(
    "score-pack-identity-mismatch", "error",
    "The pack's identity (unit, role, assessor or cycle) is not what the register issued",
    "Fill in the pack issued to you for that unit, unchanged; ask for a new one if in doubt. "
    "Nothing from this file was recorded.",
)
PACK_IDENTITY_EDITED = register(
    "score-pack-identity-edited", "error", "An identity cell above the pack's table was edited",
    "Put the cell back as it was (or start again from the pack as issued). Nothing from this "
    "file was recorded.",
)
SCORE_RATIONALE_MISSING = register(
    "score-rationale-missing", "error", "A score of 1 or 2 has no rationale",
    "Say why the indicator is not satisfactory in the Rationale cell beside the score.",
)
MODERATION_REASON_TOO_SHORT = register(
    "score-moderation-reason-too-short", "error",
    "A moderated score's reason says nothing (blank, a mark or a single word)",
    "Say in a few words why the moderated score was chosen, e.g. 'evidence of the plan seen "
    "on the shared drive'.",
)
SCORE_NO_RETURN = register(
    "score-no-return", "error", "The unit has no readable return on record",
    "Scores are given on a readable return: issue the unit's scoring packs from its return "
    "(esps score packs) before scoring it.",
)
MODERATOR_NOT_INDEPENDENT = register(
    "score-moderator-not-independent", "error",
    "The moderator is the unit's linked DCFA or its unlinked DCFA",
    "Moderation is by a third DCFA: neither the unit's linked DCFA nor its unlinked DCFA.",
)
PACK_UNSCORED = register(
    "score-pack-unscored", "warning", "Some indicators in the pack have no score yet",
    "Give every indicator a score (1-4) and import the pack again; the scores given were "
    "recorded.",
)


# -- community review: groups list, challenge forms and meeting CSVs (esps challenge import) --

GROUP_UNKNOWN_UNIT = register(
    "group-unknown-unit", "error", "A community group covers a unit code not on the units list",
    "Use unit codes from the units list in the group's units column (separated by ';'), or "
    "leave it empty for a group that covers every unit.",
)
CHALLENGE_FILE_UNREADABLE = register(
    "challenge-file-unreadable", "error", "A challenge form or meeting CSV cannot be read",
    "Save the form as an Excel Workbook (.xlsx) or the meeting notes as CSV UTF-8, then "
    "import it again.",
)
CHALLENGE_NOT_A_FORM = register(
    "challenge-not-a-form", "error", "The workbook is not a challenge form esps issued",
    "Import the form DCFD sent the group (esps challenge forms), filled in; do not copy its "
    "sheets into a new file.",
)
CHALLENGE_FORM_NOT_ISSUED = register(
    "challenge-form-not-issued", "error",
    "The form's id is not on record, or its group or cycle differs from the form issued",
    "Import the form as it was issued to the group (its hidden identity sheet unchanged), or "
    "issue the group a new form.",
)
CHALLENGE_MISSING_COLUMN = register(
    "challenge-missing-column", "error", "A column a challenge needs is missing",
    "A meeting CSV needs the header group,unit,subject,challenged,evidence,reply,date; in a "
    "form, put the table's column headings back as they were.",
)
CHALLENGE_UNKNOWN_GROUP = register(
    "challenge-unknown-group", "error", "A challenge names a group not on the groups list",
    "Use a group id or name from groups.csv, or add the group to it.",
)
CHALLENGE_UNKNOWN_UNIT = register(
    "challenge-unknown-unit", "error", "A challenge names a unit not on the units list",
    "Choose the unit from the drop-down (its name) or give its code from the units list.",
)
CHALLENGE_UNIT_NOT_COVERED = register(
    "challenge-unit-not-covered", "warning",
    "A group challenges a unit outside the area groups.csv gives it; recorded all the same",
    "Nothing to fix if the group may speak for that unit; otherwise add the unit to the "
    "group's units in groups.csv.",
)
CHALLENGE_UNKNOWN_SUBJECT = register(
    "challenge-unknown-subject", "error",
    "A challenge names no indicator or theme, or one the framework does not have",
    "Choose the theme or indicator from the drop-down (e.g. 'OD1.1' or 'Theme: Operational "
    "Delivery').",
)
CHALLENGE_MISSING_TEXT = register(
    "challenge-missing-text", "error", "A challenge does not say what is challenged",
    "Say in the 'What are you challenging?' cell what the group questions about the result.",
)
CHALLENGE_BAD_REPLY = register(
    "challenge-bad-reply", "error", "A challenge's reply is not 'In writing' or 'At a meeting'",
    "Choose In writing or At a meeting from the drop-down (blank means in writing).",
)
CHALLENGE_BAD_DATE = register(
    "challenge-bad-date", "error", "A challenge's date is not a date, or is in the future",
    "Give the date the challenge was raised as dd/mm/yyyy, not after today.",
)
CHALLENGE_TOO_LONG = register(
    "challenge-too-long", "error", "A challenge's text is far longer than a challenge needs",
    "Keep each cell under 5,000 characters; attach longer evidence separately and describe "
    "it in the evidence cell.",
)
PACK_IS_CALIBRATION = register(
    "score-pack-is-calibration", "error",
    "The pack is a calibration pack (a seed return), not a unit's scoring pack",
    "Import calibration packs with esps calibrate import; their scores never count towards "
    "any unit.",
)
PACK_IS_LIVE = register(
    "score-pack-is-live", "error",
    "The pack is a unit's live scoring pack, not a calibration pack",
    "Import it with esps score import; esps calibrate import takes only calibration packs.",
)
