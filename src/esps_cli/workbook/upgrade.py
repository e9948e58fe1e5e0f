"""`esps upgrade`: carry a unit's answers into a fresh workbook for another cycle or version.

Units should not have to copy last year's answers into this year's template by hand. The
return is read with the reader, a new workbook is made with the writer (exactly what `esps
generate` makes for the unit, so it validates like any other), and the unit's answers are
written into its yellow cells: the Cover's names (not its dates: those belong to the new
return), each indicator's rating, N/A reason and narrative, and the evidence rows.

Indicators are matched by id and compared by the fingerprint of their locked wording (the
hashes stored in the return's hidden metadata against the new framework's):

- the same wording: the answers are carried;
- the same question, but its evidence minimum, guidance or place changed: carried, with a note
  on what changed;
- the indicator text reworded: the rating, N/A reason and narrative are not carried (the
  question is not the one answered), but they are kept in a comment on the rating cell for the
  unit to reuse; its evidence rows are carried;
- removed from the new framework: nothing is carried; its evidence rows are listed;
- new in the new framework: nothing to carry; it needs an answer.

Every carried cell is shaded blue for the unit to re-confirm, every indicator row that needs
attention carries a comment, and a first sheet `Carried over` lists per indicator what was and
was not carried. Nothing is written to the return itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from esps_cli.domain.framework import Cycle, Framework
from esps_cli.domain.normalise import clean, is_blank, parse_date, parse_rating
from esps_cli.domain.units import Advisor, Unit
from esps_cli.errors import ConfigError
from esps_cli.io.safety import atomic_write, clean_text, ensure_folder, inside
from esps_cli.io.xlsx import load_for_edit
from esps_cli.register.models import WorkbookIssue
from esps_cli.workbook.generate import (
    build_template,
    fit_table_row,
    heights_grow_with_text,
    render_workbook,
    unit_values,
    workbook_filename,
)
from esps_cli.workbook.layout import (
    COVER_FIELDS,
    COVER_FIRST_ROW,
    EVIDENCE,
    INDICATORS,
    LAYOUT_VERSION,
    LOCKED_INDICATOR_KEYS,
    META_MARKER,
    SHEET_COVER,
    Table,
    indicator_hash,
    indicator_locked_cells,
    workbook_fingerprint,
)
from esps_cli.workbook.pages import PrintInfo, fit_row_height, print_setup, same_furniture
from esps_cli.workbook.reader import ReturnedWorkbook, Row, read_workbook
from esps_cli.workbook.styles import DATE_FORMAT, set_style, style_of

CARRIED_FILL = PatternFill("solid", fgColor="DDEBF7")  # light blue: carried, re-confirm
ANSWER_FILL = PatternFill("solid", fgColor="FFEB9C")  # amber: not carried, needs an answer
COMMENT_AUTHOR = "esps-cli"
CARRIED_SHEET = "Carried over"
COVER_CARRIED = ("completed_by", "completed_role", "commander")
LOCKED_LABELS = {c.key: c.header for c in INDICATORS.columns if not c.is_input}

Status = Literal["carried", "changed", "reworded", "removed", "new"]


class UpgradeRefused(ConfigError):
    """The return cannot be upgraded (exit code 2); nothing is written for it."""


class IndicatorOutcome(BaseModel):
    indicator_id: str
    status: Status
    carried: list[str] = []  # "rating", "N/A reason", "narrative", "3 evidence rows"
    not_carried: list[str] = []
    note: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.status != "carried"


class UpgradeReport(BaseModel):
    source: str
    target: str
    unit_code: str
    unit_name: str
    from_cycle: str
    from_version: str
    to_cycle: str
    to_version: str
    cover_carried: list[str] = []
    indicators: list[IndicatorOutcome] = []
    evidence_carried: int = 0
    evidence_not_carried: list[str] = []  # one line per row left behind, with the reason
    pack_id: str = ""  # the new workbook's pack id (recorded in the register, if configured)

    @property
    def attention(self) -> list[IndicatorOutcome]:
        return [o for o in self.indicators if o.needs_attention]


# -- reading the return -------------------------------------------------------------------


def _check_source(rw: ReturnedWorkbook, framework: Framework, cycle: Cycle) -> None:
    """Refuse a return whose framework version cannot be mapped onto this framework."""
    name = rw.name
    if not rw.readable:
        raise UpgradeRefused(f"{name} cannot be read, so it cannot be upgraded")
    meta = rw.meta
    if meta.get("esps_workbook") != META_MARKER:
        raise UpgradeRefused(f"{name} is not a workbook made by esps generate (no ESPS "
                             "metadata), so its framework version is unknown")
    fw_id, version = clean(meta.get("framework_id")), clean(meta.get("framework_version"))
    if not fw_id or not version:
        raise UpgradeRefused(f"{name}: the hidden metadata does not say which framework "
                             "version the workbook was made from, so it cannot be upgraded")
    if fw_id != framework.meta.id:
        raise UpgradeRefused(
            f"{name} was made from framework {fw_id!r} version {version}, which is unknown "
            f"here: the framework loaded is {framework.meta.id!r} version "
            f"{framework.meta.version}. Upgrade it with the framework it belongs to "
            "(--framework FILE).")
    if clean(meta.get("layout_version")) != LAYOUT_VERSION:
        raise UpgradeRefused(f"{name} has workbook layout version "
                             f"{meta.get('layout_version')!r}; this esps-cli reads layout "
                             f"version {LAYOUT_VERSION}")
    if not rw.meta_indicator_hashes or \
            workbook_fingerprint(rw.meta_indicator_hashes) != clean(meta.get("fingerprint")):
        raise UpgradeRefused(f"{name}: the hidden metadata was edited (its fingerprint does "
                             "not match), so the indicators it was made with are unknown")
    _check_sheets_read(rw)
    if rw.indicators is None:
        raise UpgradeRefused(f"{name} has no readable Indicators sheet, so there is nothing "
                             "to carry")
    if version == framework.meta.version and clean(meta.get("cycle")) == cycle.id and \
            clean(meta.get("framework_digest")) == framework.digest:
        raise UpgradeRefused(f"{name} is already a {cycle.id} workbook of {fw_id} version "
                             f"{version}: there is nothing to upgrade")


def _check_sheets_read(rw: ReturnedWorkbook) -> None:
    """Refuse a return with a sheet whose answers would be carried but cannot be read: an
    upgrade never drops a unit's evidence list (or Cover) without a word."""
    for sheet in (SHEET_COVER, INDICATORS.sheet, EVIDENCE.sheet):
        if sheet in rw.unreadable_sheets:
            found = next((f for f in rw.findings if f.sheet == sheet and f.cell), None)
            why = found.message if found else "its cells cannot be read"
            hint = found.hint if found and found.hint else \
                "Mend the sheet in Excel, save the workbook and upgrade it again."
            raise UpgradeRefused(
                f"{rw.name}: sheet {sheet!r} cannot be read ({why}), so its answers cannot be "
                f"carried; nothing was written. {hint}")
    if rw.evidence is None:
        raise UpgradeRefused(
            f"{rw.name}: the {EVIDENCE.sheet} sheet or its table header is missing, so its "
            "evidence rows cannot be carried; nothing was written. Restore the sheet (or its "
            "header row) from the workbook DCFD sent, copy the rows back and upgrade again.")


def _rows_by_indicator(rw: ReturnedWorkbook) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    assert rw.indicators is not None
    for row in rw.indicators.rows:
        rows.setdefault(clean(row.values.get("indicator_id")).casefold(), row)
    return rows


def _changed_parts(row: Row | None, new_cells: dict[str, str]) -> list[str]:
    """Which locked columns of the return's row differ from the new framework's."""
    if row is None:
        return []
    return [LOCKED_LABELS[k] for k in LOCKED_INDICATOR_KEYS
            if " ".join(clean(row.values.get(k)).split()) != " ".join(new_cells[k].split())]


class _Answers(BaseModel):
    rating: int | str | None = None
    na_reason: str = ""
    narrative: str = ""

    def given(self) -> list[str]:
        return [what for what, v in (("rating", self.rating), ("N/A reason", self.na_reason),
                                     ("narrative", self.narrative)) if v not in (None, "")]


def _answers(row: Row | None, framework: Framework) -> _Answers:
    if row is None:
        return _Answers()
    raw = row.values.get("rating")
    parsed = parse_rating(raw, framework.scale.scores)
    rating: int | str | None = parsed.value
    if rating is None and not is_blank(raw):
        rating = clean(raw)  # carried as typed, so validation says what is wrong with it
    text = {k: "" if is_blank(row.values.get(k)) else str(row.values.get(k)).strip()
            for k in ("na_reason", "narrative")}
    return _Answers(rating=rating, **text)


# -- planning what to carry ---------------------------------------------------------------


class _Plan(BaseModel):
    outcomes: dict[str, IndicatorOutcome] = {}
    answers: dict[str, _Answers] = {}  # by new indicator id: what to write
    previous: dict[str, _Answers] = {}  # reworded: the old answers, for the comment
    evidence: list[dict[str, Any]] = []
    evidence_notes: dict[int, str] = {}  # index into evidence -> a note for the row
    evidence_not_carried: list[str] = []


def _plan(rw: ReturnedWorkbook, framework: Framework, cycle: Cycle) -> _Plan:
    plan = _Plan()
    rows = _rows_by_indicator(rw)
    stored = dict(rw.meta_indicator_hashes)
    new_indicators = {ind.id: ind for ind in framework.cycle_indicators(cycle)}
    for old_id, old_hash in rw.meta_indicator_hashes:
        row = rows.get(old_id.casefold())
        answers = _answers(row, framework)
        ind = new_indicators.get(old_id)
        if ind is None:
            plan.outcomes[old_id] = IndicatorOutcome(
                indicator_id=old_id, status="removed", not_carried=answers.given(),
                note=f"{old_id} is not in {framework.meta.id} {framework.meta.version} "
                     f"for {cycle.id}")
            continue
        cells = indicator_locked_cells(framework, ind)
        if indicator_hash(cells) == old_hash:
            plan.outcomes[old_id] = IndicatorOutcome(indicator_id=old_id, status="carried",
                                                     carried=answers.given())
            plan.answers[old_id] = answers
            continue
        parts = _changed_parts(row, cells)
        if "Indicator" in parts or row is None:
            plan.outcomes[old_id] = IndicatorOutcome(
                indicator_id=old_id, status="reworded", not_carried=answers.given(),
                note="the indicator was reworded: answer the new wording")
            plan.previous[old_id] = answers
        else:
            names = [p.lower() for p in parts] or ["locked wording"]
            changed = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1
                                   else names)
            plan.outcomes[old_id] = IndicatorOutcome(
                indicator_id=old_id, status="changed", carried=answers.given(),
                note=f"the {changed} changed: check the answer still meets it")
            plan.answers[old_id] = answers
    for new_id in new_indicators:
        if new_id not in stored:
            plan.outcomes[new_id] = IndicatorOutcome(
                indicator_id=new_id, status="new", note="a new indicator: it needs an answer")
    _plan_evidence(rw, framework, plan, new_indicators)
    return plan


def _plan_evidence(rw: ReturnedWorkbook, framework: Framework, plan: _Plan,
                   new_indicators: dict[str, Any]) -> None:
    if rw.evidence is None:
        return
    by_ci = {i.casefold(): i for i in new_indicators}
    types = {t.label.casefold(): t.label for t in framework.evidence_types}
    types.update({t.id.casefold(): t.label for t in framework.evidence_types})
    counts: dict[str, int] = {}
    for row in rw.evidence.rows:
        values = dict(row.values)
        raw_id = clean(values.get("indicator_id"))
        new_id = by_ci.get(raw_id.casefold())
        if new_id is None or plan.outcomes.get(new_id, None) is None:
            why = (f"indicator {raw_id} is not in the new workbook" if raw_id
                   else "it names no indicator")
            plan.evidence_not_carried.append(
                f"Evidence row {row.row} ({_short(clean(values.get('title')))}): {why}")
            continue
        values["indicator_id"] = new_id
        note = ""
        raw_type = clean(values.get("type"))
        if raw_type:
            label = types.get(raw_type.casefold())
            if label is None:
                note = f"evidence type {raw_type!r} is not in the new list: choose one"
            else:
                values["type"] = label
        when = parse_date(values.get("date"))
        if when.value is not None and when.usable:
            values["date"] = when.value
        if plan.outcomes[new_id].status == "reworded":
            note = "; ".join(x for x in (note, f"{new_id} was reworded: check this evidence "
                                               "still supports it") if x)
        if note:
            plan.evidence_notes[len(plan.evidence)] = note
        plan.evidence.append(values)
        counts[new_id] = counts.get(new_id, 0) + 1
    for ind_id, n in counts.items():
        plan.outcomes[ind_id].carried.append(f"{n} evidence row{'s' if n > 1 else ''}")
    for line in plan.evidence_not_carried:
        for outcome in plan.outcomes.values():
            if outcome.status == "removed" and f"indicator {outcome.indicator_id} " in line:
                outcome.not_carried.append(line.split(" (")[0])


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- writing the new workbook -------------------------------------------------------------


def _col(table: Table, key: str) -> int:
    return table.columns.index(table.column(key)) + 1


def _put(ws: Worksheet, row: int, col: int, value: Any, fill: PatternFill) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = clean_text(value) if isinstance(value, str) else value
    if cell.data_type == "f":
        cell.data_type = "s"  # text a unit typed is never run as a formula
    if isinstance(value, (date, datetime)):
        cell.number_format = DATE_FORMAT
    cell.fill = fill


def _note(cell: Any, text: str) -> None:
    lines = sum(1 + len(line) // 60 for line in text.splitlines())
    cell.comment = Comment(clean_text(text), COMMENT_AUTHOR, width=420,
                           height=min(600, 16 * lines + 20))


def _previous_text(old: _Answers) -> str:
    parts = []
    if old.rating not in (None, ""):
        parts.append(f"rating {old.rating}")
    if old.na_reason:
        parts.append(f"N/A reason: {old.na_reason}")
    if old.narrative:
        parts.append(f"narrative: {old.narrative}")
    return "; ".join(parts) if parts else "no answer"


def _write_indicators(ws: Worksheet, plan: _Plan, framework: Framework, cycle: Cycle,
                      source: str, from_cycle: str) -> None:
    cols = {k: _col(INDICATORS, k) for k in ("rating", "na_reason", "narrative")}
    for offset, ind in enumerate(framework.cycle_indicators(cycle)):
        r = INDICATORS.first_data_row + offset
        outcome = plan.outcomes[ind.id]
        rating_cell = ws.cell(row=r, column=cols["rating"])
        answers = plan.answers.get(ind.id)
        if answers is not None:
            for key, value in (("rating", answers.rating), ("na_reason", answers.na_reason),
                               ("narrative", answers.narrative)):
                if value not in (None, ""):
                    _put(ws, r, cols[key], value, CARRIED_FILL)
            # Show the whole narrative (spreadsheet apps do not size rows on opening).
            fit_table_row(ws, INDICATORS, r, {c.key: ws.cell(row=r, column=i).value
                                              for i, c in enumerate(INDICATORS.columns, 1)})
            if answers.given():
                extra = f" Note: {outcome.note}." if outcome.note else ""
                _note(rating_cell, f"Carried from your {from_cycle} return ({source}): check "
                                   f"it still holds for {cycle.id} and change it if not."
                                   f"{extra}")
        elif outcome.status == "reworded":
            rating_cell.fill = ANSWER_FILL
            _note(rating_cell, f"{ind.id} was reworded since your {from_cycle} return, so your "
                               "answer was not carried: answer the new wording. Your previous "
                               f"answer, to reuse where it still fits: "
                               f"{_previous_text(plan.previous[ind.id])}")
        elif outcome.status == "new":
            rating_cell.fill = ANSWER_FILL
            _note(rating_cell, f"{ind.id} is new since your {from_cycle} return: it needs an "
                               "answer.")


def _write_evidence(ws: Worksheet, plan: _Plan) -> None:
    cols = {c.key: _col(EVIDENCE, c.key) for c in EVIDENCE.columns}
    styles = {k: style_of(ws.cell(row=EVIDENCE.first_data_row, column=c))
              for k, c in cols.items()}
    last_prepared = EVIDENCE.first_data_row + EVIDENCE.input_rows - 1
    for i, values in enumerate(plan.evidence):
        r = EVIDENCE.first_data_row + i
        for key, col in cols.items():
            if r > last_prepared:
                set_style(ws.cell(row=r, column=col), styles[key])  # an inserted row
            value = values.get(key)
            if not is_blank(value):
                _put(ws, r, col, value, CARRIED_FILL)
        if i in plan.evidence_notes:
            _note(ws.cell(row=r, column=cols["indicator_id"]), plan.evidence_notes[i])
            ws.cell(row=r, column=cols["indicator_id"]).fill = ANSWER_FILL


def _write_cover(ws: Worksheet, rw: ReturnedWorkbook, source: str, from_cycle: str
                 ) -> list[str]:
    carried = []
    for offset, f in enumerate(COVER_FIELDS):
        if f.key in COVER_CARRIED and f.key in rw.cover and not is_blank(rw.cover[f.key].value):
            _put(ws, COVER_FIRST_ROW + offset, 2, str(rw.cover[f.key].value).strip(),
                 CARRIED_FILL)
            carried.append(f.label)
    if carried:
        first = COVER_FIRST_ROW + [f.key for f in COVER_FIELDS].index("completed_by")
        _note(ws.cell(row=first, column=2),
              f"Names carried from your {from_cycle} return ({source}): check them. The dates "
              "completed and signed off are for this return, so they were not carried.")
    return carried


def _write_summary_sheet(wb: Workbook, report: UpgradeReport) -> None:
    """A first sheet saying, per indicator, what was carried and what needs attention."""
    from esps_cli.workbook.styles import (
        BOLD,
        HEADER_FILL,
        HEADER_FONT,
        SUBTITLE,
        TITLE,
        WRAP_TOP,
    )

    ws = wb.create_sheet(CARRIED_SHEET, 0)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    wb.active = 0
    ws["A1"] = "Carried over from your previous return"
    ws["A1"].font = TITLE
    ws["A2"] = (f"{report.unit_code} {report.unit_name}: answers carried from "
                f"{report.source} ({report.from_cycle}, framework {report.from_version}) into "
                f"this {report.to_cycle} workbook (framework {report.to_version}).")
    ws["A2"].font = BOLD
    ws["A3"] = ("Blue cells were carried: check each still holds and change it if not. Amber "
                "cells need a new answer. Comments on the cells say why.")
    ws["A3"].font = SUBTITLE
    header = ("Indicator", "Status", "Carried", "Not carried", "Note")
    widths = (11, 11, 34, 34, 70)
    for col, (text, width) in enumerate(zip(header, widths, strict=True), 1):
        c = ws.cell(row=5, column=col, value=text)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions["ABCDE"[col - 1]].width = width
    for r, o in enumerate(report.indicators, start=6):
        values = (o.indicator_id, o.status, ", ".join(o.carried), ", ".join(o.not_carried),
                  o.note)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=clean_text(value))
            cell.alignment = WRAP_TOP
            cell.fill = (
                ANSWER_FILL if o.status in ("reworded", "new", "removed") else CARRIED_FILL
            ) if col == 2 else PatternFill()
        fit_row_height(ws, r, widths)
    ws.freeze_panes = "A6"
    print_setup(ws, PrintInfo(title=""), landscape=True, title_rows="5:5")
    same_furniture(ws, wb[SHEET_COVER])  # the unit's name, the marking, the footer


def _unit_from_return(rw: ReturnedWorkbook) -> Unit:
    group = rw.cover.get("business_group")
    return Unit(code=clean(rw.meta.get("unit_code")), name=clean(rw.meta.get("unit_name")),
                business_group=clean(group.value) if group else "",
                linked_dcfa=clean(rw.meta.get("linked_dcfa")))


def upgrade_return(
    path: Path,
    framework: Framework,
    cycle: Cycle,
    advisors: list[Advisor],
    out_dir: Path,
    *,
    units: list[Unit] | None = None,
    force: bool = False,
    template: bytes | None = None,
    before_issue: Callable[[WorkbookIssue], None] | None = None,
) -> UpgradeReport:
    """Write the unit's answers from the return at path into a new workbook in out_dir.

    units: the units list, for the unit's current name, business group and linked DCFA
    (default: as the return says). template: build_template's output for (framework, cycle,
    advisors), when upgrading many returns. Raises UpgradeRefused (nothing written) for a
    return of an unknown framework version or one that cannot be read, OutputExistsError
    when the new workbook exists and not force.
    """
    rw = read_workbook(path)
    _check_source(rw, framework, cycle)
    code = clean(rw.meta.get("unit_code"))
    unit = next((u for u in units or [] if u.code.casefold() == code.casefold()), None) \
        or _unit_from_return(rw)
    target = inside(out_dir, workbook_filename(unit, cycle))
    if target.exists() and target.resolve() == Path(path).resolve():
        raise UpgradeRefused(f"refusing to write the upgraded workbook over {path}")
    plan = _plan(rw, framework, cycle)
    from_cycle = clean(rw.meta.get("cycle"))
    template = template or build_template(framework, cycle, advisors)
    values = unit_values(unit, framework, {a.id: a for a in advisors})
    data = render_workbook(template, values)
    wb = load_for_edit(data)
    cover_carried = _write_cover(wb[SHEET_COVER], rw, path.name, from_cycle)
    _write_indicators(wb[INDICATORS.sheet], plan, framework, cycle, path.name, from_cycle)
    _write_evidence(wb[EVIDENCE.sheet], plan)
    order = [ind.id for ind in framework.cycle_indicators(cycle)]
    outcomes = sorted(plan.outcomes.values(), key=lambda o: (
        order.index(o.indicator_id) if o.indicator_id in order else len(order)))
    report = UpgradeReport(
        source=str(path), target=str(target), unit_code=unit.code, unit_name=unit.name,
        from_cycle=from_cycle, from_version=clean(rw.meta.get("framework_version")),
        to_cycle=cycle.id, to_version=framework.meta.version, cover_carried=cover_carried,
        indicators=outcomes, evidence_carried=len(plan.evidence),
        evidence_not_carried=plan.evidence_not_carried, pack_id=values["pack_id"],
    )
    _write_summary_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    data = heights_grow_with_text(buf.getvalue())
    ensure_folder(out_dir)
    if before_issue is not None:  # recorded before it is written: never an unrecorded pack
        before_issue(WorkbookIssue(
            pack_id=values["pack_id"], cycle=cycle.id, unit=unit.code,
            framework_id=framework.meta.id, framework_version=framework.meta.version,
            file=target.name))
    atomic_write(ensure_folder(target.parent) / target.name,
                 lambda fh: fh.write(data), force=force)
    return report
