"""The audit log: one entry per recorded action, hash-chained, so that an edited or deleted row
of the register is detected (`esps log`, `esps log --verify`).

Every write the register makes (a score, a moderation, an allocation, an import, a pack issued)
appends an entry in the same transaction, under the same write lock, as the row it records:
what was done, to which unit, by whom, the row's table and id, and the sha256 of the row as
written. Each entry's own hash covers its content and the previous entry's hash, so the entries
form a chain. Events that write no row of their own (an export, a review) are entries too.

`verify` walks the chain and the rows: an entry edited, deleted or inserted out of place breaks
the chain at that entry; a row edited or deleted after it was recorded no longer matches its
entry's row hash; a row with no entry was added behind esps' back. The database refuses UPDATE
and DELETE on the log (a trigger); verification is what catches someone who removed that rule
first. Deleting the newest entries together with their rows, or re-hashing the whole chain
with esps's own functions, leaves a consistent chain: only a head kept outside the register
catches that. The head (its entry number and hash, `ChainHead`) is printed as a fingerprint on
every Board pack and public edition and written to a checkpoint file (`esps log checkpoint`);
`verify(..., expected=head)` fails unless the chain still holds that entry with that hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any

from pydantic import BaseModel

from esps_cli.register.engines import Database, Row
from esps_cli.register.models import now_utc, timestamp

GENESIS = "0" * 64
TABLE = "audit_log"

# What an entry says about a row of each audited table: (action, cycle, unit, assessor, detail).
Described = tuple[str, str, str, str, dict[str, Any]]


# What a score's entry says about its row besides its unit and assessor: part of the stored
# canonical form (registers already written verify against it), so a new column of
# score_events goes into the row's hash (every column does) but not into this detail.
SCORE_DETAIL = ("indicator", "role", "score", "comment", "source", "source_sha256", "import_id")


def _score(r: Row) -> Described:
    action = "moderation" if r["role"] == "moderated" else "score"
    return (action, r["cycle"], r["unit"], r["assessor"], {k: r[k] for k in SCORE_DETAIL})


def _allocation(r: Row) -> Described:
    return ("allocation", r["cycle"], r["unit"], r["unlinked_dcfa"], {"seed": r["seed"]})


def _import(r: Row) -> Described:
    return ("import", r["cycle"], "", "", {"source": r["source"], "sha256": r["source_sha256"],
                                           "kind": r["kind"], "events": r["events"]})


def _pack(r: Row) -> Described:
    return ("pack-issue", r["cycle"], r["unit"], r["assessor"], {
        "pack_id": r["pack_id"], "kind": r["kind"], "role": r["role"], "file": r["file"],
        "return_sha256": r["return_sha256"]})


def _workbook_issue(r: Row) -> Described:
    return ("workbook-issue", r["cycle"], r["unit"], "", {
        "pack_id": r["pack_id"], "file": r["file"], "framework_version": r["framework_version"]})


def _return(r: Row) -> Described:
    return ("return-received", r["cycle"], r["unit"], "", {
        "file": r["file"], "sha256": r["sha256"], "errors": r["errors"],
        "warnings": r["warnings"], "previous_id": r["previous_id"]})


def _review(r: Row) -> Described:
    return ("review", r["cycle"], r["unit"], r["set_by"], {
        "state": r["state"], "reason": r["reason"], "return_id": r["return_id"]})


def _challenge_form(r: Row) -> Described:
    return ("challenge-form-issue", r["cycle"], "", "", {
        "form_id": r["form_id"], "group": r["group_id"], "file": r["file"]})


def _challenge(r: Row) -> Described:
    # The texts as recorded: contact details were taken out before they reached the register.
    return ("challenge", r["cycle"], r["unit"], "", {
        "challenge": r["id"], "group": r["group_id"], "indicator": r["indicator"],
        "theme": r["theme"], "challenged": r["challenged"], "evidence": r["evidence"],
        "reply_by": r["reply_by"], "received_on": r["received_on"], "source": r["source"]})


def _challenge_response(r: Row) -> Described:
    return ("challenge-response", r["cycle"], r["unit"], r["responder"], {
        "challenge": r["challenge_id"], "indicator": r["indicator"], "outcome": r["outcome"],
        "response": r["response"], "responded_on": r["responded_on"],
        "combined_before": r["combined_before"]})


def _release(r: Row) -> Described:
    return ("release", r["cycle"], "", "", {
        "version": r["version"], "released_on": r["released_on"],
        "signed_off": r["signed_off"], "pre_release_access": r["pre_release_access"],
        "changes": r["changes"], "edition_sha256": r["edition_sha256"]})


def _calibration_seed(r: Row) -> Described:
    return ("calibration-seed", r["cycle"], r["unit"], r["set_by"], {
        "seed": r["seed"], "indicator": r["indicator"], "score": r["score"],
        "rationale": r["rationale"], "return_sha256": r["return_sha256"]})


def _calibration_pack(r: Row) -> Described:
    return ("calibration-pack", r["cycle"], "", r["assessor"], {
        "seed": r["seed"], "pack_id": r["pack_id"], "file": r["file"]})


def _calibration_score(r: Row) -> Described:
    return ("calibration-score", r["cycle"], "", r["assessor"], {
        "seed": r["seed"], "indicator": r["indicator"], "score": r["score"],
        "comment": r["comment"], "pack_id": r["pack_id"], "source_sha256": r["source_sha256"]})


def _link(r: Row) -> Described:
    return ("unit-link", r["cycle"], r["unit"], r["linked_dcfa"], {})


def _cycle_rule(r: Row) -> Described:
    return ("cycle-rule", r["cycle"], "", "", {
        "scale_min": r["scale_min"], "scale_max": r["scale_max"],
        "moderation_threshold": r["moderation_threshold"]})


def _login(r: Row) -> Described:
    return ("login", "", "", r["advisor"], {"login": r["login"], "admin": r["admin"]})


AUDITED: dict[str, Callable[[Row], Described]] = {
    "imports": _import,
    "allocations": _allocation,
    "score_events": _score,
    "pack_issues": _pack,
    # The review loop (schema version 4): workbooks issued, returns received, review states.
    "workbook_issues": _workbook_issue,
    "unit_returns": _return,
    "review_states": _review,
    # Community review (schema version 6).
    "challenge_forms": _challenge_form,
    "challenges": _challenge,
    "challenge_responses": _challenge_response,
    "releases": _release,
    # Calibration (schema version 7): seeds, their packs, the DCFAs' calibration scores.
    "calibration_seeds": _calibration_seed,
    "calibration_packs": _calibration_pack,
    "calibration_scores": _calibration_score,
    # Who may write (schema version 8): linked DCFAs, cycle rules, logins.
    "unit_links": _link,
    "cycle_rules": _cycle_rule,
    "advisor_logins": _login,
}
ACTIONS = ("score", "moderation", "allocation", "import", "pack-issue", "export", "review",
           "workbook-issue", "return-received", "challenge-form-issue", "challenge",
           "challenge-response", "release", "calibration-seed", "calibration-pack",
           "calibration-score", "unit-link", "cycle-rule", "login")


class AuditEntry(BaseModel):
    id: int
    at: datetime
    action: str
    cycle: str = ""
    unit: str = ""
    assessor: str = ""
    detail: dict[str, Any] = {}
    ref_table: str = ""
    ref_id: int | None = None
    row_sha256: str = ""
    prev_hash: str
    entry_hash: str


# One encoder for every entry (json.dumps with options builds a new one on each call). The
# canonical form of an entry and of a row is this encoder's output: never change it, or the
# hashes of every register already written no longer match (`esps log --verify`).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str,
                            ensure_ascii=False)
# The C encoder behind it, made once: encode() makes a new one on every call, which is most
# of the time a small dict takes (an import hashes 100,000 rows). Same output, no circular
# check (every value hashed here is flat). Absent (another Python), the encoder is used.
_C_ENCODE = (None if c_make_encoder is None else c_make_encoder(
    None, str, encode_basestring, None, ":", ",", True, False, True))
# How the encoder writes text (ensure_ascii=False); None is null.
_json_text = encode_basestring


def _canonical(value: Any) -> str:
    if _C_ENCODE is not None and isinstance(value, dict):
        return "".join(_C_ENCODE(value, 0))
    return _ENCODER.encode(value)


@cache
def _text_object(keys: tuple[str, ...]) -> str:
    """A %-template of the canonical JSON object with these keys (in sorted order, as
    sort_keys writes them), for values already written as JSON text or null."""
    return "{" + ",".join(_json_text(k).replace("%", "%%") + ":%s" for k in keys) + "}"


def _texts_canonical(keys: tuple[str, ...], values: Iterable[Any]) -> str:
    """_canonical({key: None if value is None else str(value)}) for sorted keys and their
    values in that order: the same text, without a dict or the encoder per row."""
    return _text_object(keys) % tuple(
        ["null" if v is None else _json_text(str(v)) for v in values])


# Columns added after the audit log: left out of a row's hash while NULL, so that the rows
# recorded before them hash as they always did (a new column then breaks no register).
LATER_COLUMNS = frozenset({"entered_by"})


def _hashed(row: Row) -> Row:
    if LATER_COLUMNS.isdisjoint(row):
        return row
    return {k: v for k, v in row.items() if v is not None or k not in LATER_COLUMNS}


def row_digest(row: Row) -> str:
    """The sha256 of a row as stored: every column, values as text (the same on both engines),
    but a later column while NULL."""
    row = _hashed(row)
    keys = tuple(sorted(row))
    return hashlib.sha256(
        _texts_canonical(keys, [row[k] for k in keys]).encode()).hexdigest()


def row_digests(rows: list[Row]) -> list[str]:
    """row_digest of each of many rows with the same columns (an import's rows)."""
    if not rows:
        return []
    if not LATER_COLUMNS.isdisjoint(rows[0]):
        return [row_digest(r) for r in rows]
    keys = tuple(sorted(rows[0]))
    values = itemgetter(*keys)
    sha256 = hashlib.sha256
    return [sha256(_texts_canonical(keys, values(r)).encode()).hexdigest() for r in rows]


_ENTRY_KEYS = ("id", "at", "action", "cycle", "unit", "assessor", "detail", "ref_table",
               "ref_id", "row_sha256")
_ENTRY_SORTED = tuple(sorted(_ENTRY_KEYS))


def entry_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    body = _texts_canonical(_ENTRY_SORTED, [fields[k] for k in _ENTRY_SORTED])
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _head(db: Database) -> tuple[int, str]:
    # As the owner where the register's logins cannot see every entry (issue 24).
    row = db.query_one("SELECT id, entry_hash FROM esps_audit_head() WHERE id IS NOT NULL"
                       if db.has_definer_functions else
                       f"SELECT id, entry_hash FROM {TABLE} ORDER BY id DESC LIMIT 1")
    return (0, GENESIS) if row is None else (int(row["id"]), str(row["entry_hash"]))


_INSERT = (f"INSERT INTO {TABLE} ({', '.join(_ENTRY_KEYS)}, prev_hash, entry_hash) "
           f"VALUES ({', '.join('?' for _ in range(len(_ENTRY_KEYS) + 2))})")


# An entry to append: action, cycle, unit, assessor, detail as canonical text, the table and
# id of the row it records, and that row's hash.
Item = tuple[str, str, str, str, str, str, int | None, str]


def _item(described: Described, table: str, ref_id: int | None, row_hash: str) -> Item:
    action, cycle, unit, assessor, detail = described
    return action, cycle, unit, assessor, _canonical(detail), table, ref_id, row_hash


def _append(db: Database, items: Iterable[Item]) -> None:
    """Append entries, inside the transaction that wrote the rows (under the chain lock,
    taken here if the rows' numbering has not taken it: one chain, whoever writes)."""
    db.lock_chain()
    last_id, prev = _head(db)
    at = timestamp(now_utc())
    text = _json_text
    at_text = text(at)
    sha256 = hashlib.sha256
    rows: list[tuple[Any, ...]] = []
    for action, cycle, unit, assessor, detail_text, table, ref_id, row_hash in items:
        last_id += 1
        cycle, unit, assessor = cycle or "", unit or "", assessor or ""
        # entry_digest's canonical text, written out (this runs for each of an import's
        # rows): its keys in sorted order, each value as text (tests/test_audit_hashes.py)
        ref = "null" if ref_id is None else text(str(ref_id))
        body = (f'{{"action":{text(action)},"assessor":{text(assessor)},"at":{at_text},'
                f'"cycle":{text(cycle)},"detail":{text(detail_text)},"id":"{last_id}",'
                f'"ref_id":{ref},"ref_table":{text(table)},"row_sha256":{text(row_hash)},'
                f'"unit":{text(unit)}}}')
        entry_hash = sha256(f"{prev}\n{body}".encode()).hexdigest()
        rows.append((last_id, at, action, cycle, unit, assessor, detail_text, table, ref_id,
                     row_hash, prev, entry_hash))
        prev = entry_hash
    db.execute_many(_INSERT, rows)


def log_rows(db: Database, table: str, first_id: int, last_id: int | None = None) -> None:
    """Append an entry for each row first_id..last_id of an audited table (just written)."""
    if not db.has_table(TABLE):
        return  # a register opened as it is, below the version with the log
    rows = db.query(f"SELECT * FROM {table} WHERE id >= ? AND id <= ? ORDER BY id",
                    (first_id, last_id if last_id is not None else first_id))
    describe = AUDITED[table]
    _append(db, [_item(describe(r), table, int(r["id"]), row_digest(r)) for r in rows])


def log_written(db: Database, table: str, rows: list[Row]) -> None:
    """log_rows for rows just inserted, in id order, from the values as inserted rather than
    read back (an import's 100,000 rows). Each row must hold every column of the table, with
    the values the database stores (text as text, integers as int, NULL as None), so that
    its hash is the one verify computes from the stored row; a row with other columns than
    the table's (a register opened as it is, at another version) is read back instead."""
    if not rows or not db.has_table(TABLE):
        return
    if set(rows[0]) != set(db.columns(table)):
        log_rows(db, table, int(rows[0]["id"]), int(rows[-1]["id"]))
        return
    if table == "score_events":
        _append(db, map(_score_logged, rows))
        return
    describe = AUDITED[table]
    _append(db, [_item(describe(r), table, int(r["id"]), digest)
                 for r, digest in zip(rows, row_digests(rows), strict=True)])


@cache
def _score_layout(columns: tuple[str, ...]) -> tuple[str, str, Callable[[Row], Any], list[int]]:
    """For score_events rows with these columns (in their order in the row): the canonical
    row text and detail text as %-templates, a getter of the row's values in sorted column
    order, and where the detail's values are among them."""
    keys = tuple(sorted(columns))
    return (_text_object(keys), _text_object(tuple(sorted(SCORE_DETAIL))), itemgetter(*keys),
            [keys.index(k) for k in sorted(SCORE_DETAIL)])


# How each type of value is written in a row's canonical text (as text, or null).
_AS_TEXT: dict[type, Callable[[Any], str]] = {
    str: _json_text, int: lambda v: f'"{v}"', type(None): lambda v: "null"}


def _score_logged(r: Row) -> Item:
    """What log_written logs for a score_events row (_score's entry, with its detail as
    canonical text, and row_digest's hash), from templates derived from the row's columns:
    an import logs 100,000 of these. Each value is encoded once for both; the equality with
    the general way is tested (tests/test_audit_hashes.py). A value that is neither text, an
    int nor NULL (a float, a bool) takes the general way."""
    r = _hashed(r)
    row_template, detail_template, values_of, detail_at = _score_layout(tuple(r))
    values = values_of(r)
    try:
        texts = [_AS_TEXT[type(v)](v) for v in values]
    except KeyError:
        return _item(_score(r), "score_events", int(r["id"]), row_digest(r))
    # In the detail a number is a number (the row's text has it quoted)
    detail = detail_template % tuple([str(values[i]) if type(values[i]) is int else texts[i]
                                      for i in detail_at])
    action = "moderation" if r["role"] == "moderated" else "score"
    return (action, r["cycle"], r["unit"], r["assessor"], detail, "score_events", r["id"],
            hashlib.sha256((row_template % tuple(texts)).encode()).hexdigest())


def log_event(db: Database, action: str, *, cycle: str = "", unit: str = "",
              assessor: str = "", detail: dict[str, Any] | None = None) -> None:
    """Append an entry for an event that writes no row of its own (an export, a review)."""
    _append(db, [_item((action, cycle, unit, assessor, detail or {}), "", None, "")])


def backfill(db: Database) -> None:
    """Entries for the rows written before the register had an audit log (its upgrade to the
    version that adds it), table by table in id order, marked as backfilled."""
    for table, describe in AUDITED.items():
        if not db.has_table(table):
            continue
        items: list[Item] = []
        for r in db.query(f"SELECT * FROM {table} ORDER BY id"):
            action, cycle, unit, assessor, detail = describe(r)
            items.append(_item((action, cycle, unit, assessor, {**detail, "backfilled": True}),
                               table, int(r["id"]), row_digest(r)))
        _append(db, items)


# -- reading and verifying -----------------------------------------------------------------


def _entry(row: Row) -> AuditEntry:
    return AuditEntry(**{**row, "at": datetime.fromisoformat(row["at"]),
                         "detail": json.loads(row["detail"] or "{}")})


def entries(db: Database, *, unit: str | None = None, assessor: str | None = None,
            actions: Iterable[str] = (), since: datetime | None = None,
            until: datetime | None = None) -> list[AuditEntry]:
    """The log's entries, oldest first, filtered (units and assessors ignore case)."""
    wanted = set(actions)
    out = []
    for row in db.query(f"SELECT * FROM {TABLE} ORDER BY id"):
        e = _entry(row)
        if unit and e.unit.casefold() != unit.casefold():
            continue
        if assessor and e.assessor.casefold() != assessor.casefold():
            continue
        if (wanted and e.action not in wanted) or (since and e.at < since) or \
                (until and e.at >= until):
            continue
        out.append(e)
    return out


FINGERPRINT_HEX = 16  # hex digits of the head shown in a fingerprint (64 bits)


class ChainHead(BaseModel):
    """Where the chain stood: its newest entry's number and hash (entry 0: an empty log)."""

    entry: int
    hash: str

    @property
    def fingerprint(self) -> str:
        """The head as printed on a Board pack: `ENTRY:xxxx-xxxx-xxxx-xxxx` (the first 64 bits
        of the hash), what `esps log --verify --expect-head` takes."""
        digits = self.hash[:FINGERPRINT_HEX]
        return f"{self.entry}:" + "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def parse_head(text: str) -> ChainHead:
    """A head given as `ENTRY:HASH` (a fingerprint, or the full hash); raises ValueError."""
    entry_text, sep, hash_text = text.strip().partition(":")
    digits = "".join(ch for ch in hash_text.lower() if ch not in "- ")
    if not sep or not entry_text.strip().isdigit() or len(digits) < FINGERPRINT_HEX or \
            len(digits) > 64 or any(ch not in "0123456789abcdef" for ch in digits):
        raise ValueError(f"{text!r} is not a chain head: give ENTRY:HASH as a Board pack or "
                         f"`esps log checkpoint` prints it (e.g. 1234:3f2a-91bc-07de-55a1)")
    return ChainHead(entry=int(entry_text), hash=digits)


def chain_head(db: Database) -> ChainHead:
    """The chain's head now."""
    entry, entry_hash = _head(db)
    return ChainHead(entry=entry, hash=entry_hash)


class Verification(BaseModel):
    """What `esps log --verify` found: every entry and row intact, or the first break."""

    entries: int
    rows: int
    head: str  # the newest entry's hash: note it to detect the newest entries being removed
    broken_entry: int | None = None
    problem: str = ""
    fingerprint: str = ""  # the head as ENTRY:xxxx-xxxx-xxxx-xxxx
    expected: str = ""  # the head checked against (a checkpoint's), if any

    @property
    def intact(self) -> bool:
        return not self.problem


_VERIFY_CHUNK = 10_000  # entries or rows read at a time: a national register's log is 500,000


class _Chain:
    """The log's entries gone through once, in order (never all in memory): the first break in
    the chain, the head, the hash of a given entry, and what each entry records (table ->
    row id -> (entry, the row's sha256)), the entries' own rows let go."""

    def __init__(self, anchor: int) -> None:
        self.prev, self.entries, self.anchor = GENESIS, 0, anchor
        self.anchor_hash: str | None = None
        self.broken: tuple[int, str] | None = None
        self.refs: dict[str, dict[int, tuple[int, str]]] = {}

    def add(self, row: Row) -> None:
        self.entries = expected = self.entries + 1
        if row["ref_table"]:
            self.refs.setdefault(row["ref_table"], {})[int(row["ref_id"])] = (
                int(row["id"]), row["row_sha256"])
        if expected == self.anchor:
            self.anchor_hash = str(row["entry_hash"])
        if self.broken is None:
            self.broken = self._break(expected, row)
        self.prev = row["entry_hash"]

    def _break(self, expected: int, row: Row) -> tuple[int, str] | None:
        if int(row["id"]) != expected:
            return expected, (f"entry {expected} is missing: the log goes from entry "
                              f"{expected - 1} to entry {row['id']} (an entry was deleted)")
        if row["prev_hash"] != self.prev:
            return expected, (f"entry {expected} does not follow entry {expected - 1} (entry "
                              f"{expected - 1} was edited or deleted, or this one inserted)")
        if entry_digest(self.prev, row) != row["entry_hash"]:
            return expected, f"entry {expected} was edited after it was written"
        return None


def _row_break(db: Database, refs: dict[str, dict[int, tuple[int, str]]]
               ) -> tuple[int | None, str, int]:
    """The first entry whose row was edited or deleted, or a row with no entry; rows seen.
    Each audited table is read a chunk at a time against what the entries recorded (an entry
    records one row: no two breaks have the same entry)."""
    first: tuple[int, str] | None = None

    def found_break(entry: int, problem: str) -> None:
        nonlocal first
        if first is None or entry < first[0]:
            first = (entry, problem)

    unlogged: tuple[str, int] | None = None
    seen = 0
    for table in AUDITED:
        if not db.has_table(table):
            continue
        recorded, found, lone = refs.get(table, {}), set(), None
        for chunk in db.query_chunks(f"SELECT * FROM {table} ORDER BY id", (), _VERIFY_CHUNK):
            seen += len(chunk)
            for row, digest in zip(chunk, row_digests(chunk), strict=True):
                row_id = int(row["id"])
                ref = recorded.get(row_id)
                if ref is None:
                    lone = row_id if lone is None else min(lone, row_id)
                    continue
                found.add(row_id)
                if digest != ref[1]:
                    found_break(ref[0], f"{table} row {row_id}, recorded by entry {ref[0]}, "
                                        "was edited after it was recorded")
        for row_id, (entry, _) in recorded.items():
            if row_id not in found:
                found_break(entry, f"{table} row {row_id}, recorded by entry {entry}, was "
                                   "deleted")
        if lone is not None and unlogged is None:
            unlogged = (table, lone)
    for table, by_id in refs.items():  # entries naming a table this register lacks
        if table not in AUDITED or not db.has_table(table):
            for row_id, (entry, _) in by_id.items():
                found_break(entry, f"{table} row {row_id}, recorded by entry {entry}, was "
                                   "deleted")
    if first is not None:
        return first[0], first[1], seen
    if unlogged is not None:
        return None, (f"{unlogged[0]} row {unlogged[1]} has no audit entry: it was added "
                      "outside esps"), seen
    return None, "", seen


def _not_extending(chain: _Chain, expected: ChainHead) -> tuple[int, str] | None:
    """Why the chain does not extend a head kept outside the register, or None if it does."""
    if expected.entry == 0:
        return None
    if chain.entries < expected.entry or chain.anchor_hash is None:
        return expected.entry, (
            f"the log ends at entry {chain.entries} but the checkpoint's head is entry "
            f"{expected.entry}: the newest entries were removed (with their rows)")
    found = chain.anchor_hash
    if not found.startswith(expected.hash):
        return expected.entry, (
            f"entry {expected.entry}'s hash is {found[:FINGERPRINT_HEX]}, not the checkpoint's "
            f"{expected.hash[:FINGERPRINT_HEX]}: the log was rewritten (entries re-hashed) at "
            "or before that entry")
    return None


def verify(db: Database, expected: ChainHead | None = None) -> Verification:
    """Check the chain and every row it records (see the module docstring); with expected
    (a head kept outside the register), also that the chain still extends it. The log and
    the rows are read a chunk at a time: a register of 500,000 scores is never all in memory
    (1.4 GB when it was)."""
    chain = _Chain(expected.entry if expected is not None else 0)
    for chunk in db.query_chunks(f"SELECT * FROM {TABLE} ORDER BY id", (), _VERIFY_CHUNK):
        for row in chunk:
            chain.add(row)
    head = ChainHead(entry=chain.entries, hash=chain.prev)
    entry, problem, seen = _row_break(db, chain.refs)
    if chain.broken is not None and (entry is None or chain.broken[0] <= entry):
        entry, problem = chain.broken
    anchor = None if expected is None else _not_extending(chain, expected)
    if anchor is not None and (entry is None or anchor[0] < entry):
        entry, problem = anchor  # a rewrite leaves a consistent chain: only the anchor says so
    return Verification(entries=chain.entries, rows=seen, head=head.hash, broken_entry=entry,
                        problem=problem, fingerprint=head.fingerprint,
                        expected=expected.fingerprint if expected else "")
