"""The audit log's hashes are a stored format (issue 16's import speed-up): the fast ways the
log now computes them (text templates, the rows hashed as inserted instead of read back) give
exactly the hashes of the documented canonical form, so registers written before and after
verify alike, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Advisor, Unit
from esps_cli.register import Register, audit

from .conftest import CYCLE
from .packs import record_returns
from .test_register import raw

runner = CliRunner()

AWKWARD = [
    "", " ", 'say "agreed"', "back\\slash", "C:\\packs\\TP-CW.xlsx", "tab\there",
    "line\nbreak\r\n", "".join(chr(c) for c in range(32)), "\x7f\x80\x9f", "é ü ß Ł",
    "“smart” quotes — and … ellipsis", "日本語", "emoji 👍🏽", "\u2028\u2029", "\ufeffbom",
    "%s %d %%", "{\"json\": [1, 2]}", "</script>", "null", "0", "-1",
]


def reference(value: Any) -> str:
    """The canonical form as the register has always written it (never to change)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str,
                      ensure_ascii=False)


def reference_row_digest(row: dict[str, Any]) -> str:
    texts = {k: None if v is None else str(v) for k, v in row.items()}
    return hashlib.sha256(reference(texts).encode()).hexdigest()


def reference_entry_hash(row: dict[str, Any]) -> str:
    keys = ("id", "at", "action", "cycle", "unit", "assessor", "detail", "ref_table", "ref_id",
            "row_sha256")
    texts = {k: None if row[k] is None else str(row[k]) for k in keys}
    return hashlib.sha256(f"{row['prev_hash']}\n{reference(texts)}".encode()).hexdigest()


def _rows() -> list[dict[str, Any]]:
    """Rows with every awkward text in every position, None, and numbers of every size."""
    numbers: list[Any] = [0, 1, -7, 2**63 - 1, 3.5, True]
    rows = []
    for i, text in enumerate(AWKWARD):
        rows.append({"id": i + 1, "comment": text, "unit": AWKWARD[-1 - i], "score": numbers[
            i % len(numbers)], "source_sha256": None if i % 2 else text, "a\"%key": text})
    return rows


@pytest.mark.parametrize("row", _rows(), ids=lambda r: f"row{r['id']}")
def test_a_row_hashes_as_the_canonical_form_says(row: dict[str, Any]) -> None:
    assert audit.row_digest(row) == reference_row_digest(row)


def test_many_rows_hash_each_as_one_row_does() -> None:
    rows = _rows()
    for key in rows[0]:  # the same columns in a different order in each row
        rows[1] = {key: rows[1][key], **rows[1]}
    assert audit.row_digests(rows) == [reference_row_digest(r) for r in rows]
    assert audit.row_digests([]) == []
    assert audit.row_digest({}) == reference_row_digest({})


def _score_rows() -> list[dict[str, Any]]:
    """score_events rows as an import inserts them, with awkward text in every text column,
    and a few with numbers of other types (those take the general way)."""
    rows = []
    for i, text in enumerate(AWKWARD):
        rows.append({
            "id": 10 + i, "cycle": text, "unit": AWKWARD[-1 - i], "indicator": text[::-1],
            "role": ("linked", "unlinked", "moderated")[i % 3], "assessor": text + "x",
            "score": i % 5, "comment": text * 2, "recorded_at": "2010-11-01T09:00:00+00:00",
            "source": f"C:\\{text}.csv", "source_sha256": None if i % 4 == 1 else text,
            "import_id": None if i % 3 == 1 else i, "moderates_linked": None if i % 2 else i,
            "moderates_unlinked": None if i % 5 else 7 * i})
    rows[0]["score"] = True
    rows[1]["import_id"] = "2"
    rows[2]["score"] = 3.0
    return rows


@pytest.mark.parametrize("row", _score_rows(), ids=lambda r: f"score{r['id']}")
def test_a_score_row_logged_as_inserted_is_logged_as_the_general_way_says(
    row: dict[str, Any]
) -> None:
    fast = audit._score_logged(row)
    assert fast == audit._item(audit._score(row), "score_events", row["id"],
                               reference_row_digest(row))
    assert fast[4] == reference(audit._score(row)[4])


@pytest.mark.parametrize("detail", [
    {}, *({"text": t, "n": i, "none": None, "yes": True, "x": 1.25, t: i}
          for i, t in enumerate(AWKWARD)),
    {"nested": {"b": [1, "é", None], "a": {"z": "\\"}}, "at": datetime(2010, 4, 1, tzinfo=UTC),
      "path": Path("/returns/TP-CW.xlsx"), "big": 10**30, "neg": -0.0},
])
def test_an_entry_detail_is_written_in_the_canonical_form(detail: dict[str, Any]) -> None:
    assert audit._canonical(detail) == reference(detail)


@pytest.mark.parametrize("text", AWKWARD)
def test_an_entry_hashes_as_the_canonical_form_says(text: str) -> None:
    fields = {"id": 12, "at": "2010-11-01T09:00:00.000000+00:00", "action": text,
              "cycle": CYCLE, "unit": text, "assessor": "", "detail": reference({"c": text}),
              "ref_table": "score_events", "ref_id": None if "\n" in text else 99,
              "row_sha256": "ab" * 32, "prev_hash": audit.GENESIS}
    assert audit.entry_digest(audit.GENESIS, fields) == reference_entry_hash(fields)


def _awkward_csv(path: Path, units: list[Unit], advisors: list[str]) -> list[str]:
    """Linked and unlinked scores with awkward comments, then moderations of them."""
    comments = [c.replace("\x00", "") for c in AWKWARD]  # a NUL makes it not a text file
    lines = ["unit,indicator,role,assessor,score,comment"]

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    for n, unit in enumerate(units):
        other, third = [a for a in advisors if a != unit.linked_dcfa][:2]
        for i, ind in enumerate(("OD1.1", "OD1.2", "OD1.3")):
            comment = comments[(n * 3 + i) % len(comments)]
            lines += [f"{unit.code},{ind},linked,{unit.linked_dcfa},{1 + i},{cell(comment)}",
                      f"{unit.code},{ind},unlinked,{other},{4 - i},{cell(comment[::-1])}",
                      f"{unit.code},{ind},moderated,{third},2,"
                      f"{cell('agreed — ' + comment + ' ok')}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def test_an_import_hashes_each_row_as_stored_and_the_log_verifies(
    register_at: str, tmp_path: Path, units: list[Unit], advisors: list[Advisor],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows hashed as inserted (not read back) hash as the stored rows do: each entry's
    row hash and entry hash recomputed here from the database, with the reference form."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESPS_CONFIG", raising=False)
    chosen = units[:4]
    with Register.open(register_at) as reg:
        record_returns(reg, [u.code for u in chosen])
    scores = tmp_path / "awkward.csv"
    lines = _awkward_csv(scores, chosen, sorted(a.id for a in advisors))
    common = ["--register", register_at, "--cycle", CYCLE, "--units",
              str(EXAMPLES_DIR / "units.csv")]
    done = runner.invoke(app, ["score", "import", str(scores), "--any-unlinked", *common])
    assert done.exit_code == 0, done.output
    with Register.open(register_at) as reg:
        stored = {int(r["id"]): r for r in reg.rows("score_events")}
        log = reg.rows("audit_log")
    assert len(stored) == len(lines) - 1
    score_entries = [e for e in log if e["ref_table"] == "score_events"]
    assert [e["ref_id"] for e in score_entries] == sorted(stored)
    for entry in score_entries:
        row = stored[entry["ref_id"]]
        assert entry["row_sha256"] == reference_row_digest(row)
        assert entry["detail"] == reference(audit._score(row)[4])  # in the canonical form
        assert (entry["action"], entry["unit"], entry["assessor"]) == (
            "moderation" if row["role"] == "moderated" else "score", row["unit"],
            row["assessor"])
    for entry in log:
        assert entry["entry_hash"] == reference_entry_hash(entry)
    assert {r["comment"] for r in stored.values()} >= {"say \"agreed\"", "日本語"}
    verified = runner.invoke(app, ["log", "--verify", "--register", register_at])
    assert verified.exit_code == 0, verified.output
    # and an edit to one imported row is still caught
    with raw(register_at) as conn:
        if register_at.endswith(".db"):
            conn.execute("DROP TRIGGER score_events_no_update")
        else:
            conn.execute("ALTER TABLE score_events DISABLE TRIGGER USER")
        conn.execute("UPDATE score_events SET comment = 'x' WHERE id = 5")
    broken = runner.invoke(app, ["log", "--verify", "--register", register_at])
    assert broken.exit_code == 1
    assert "score_events row 5" in broken.output
