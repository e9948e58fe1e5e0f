"""`--format json` writes a model a list item at a time (issue 16: a summary of 1,000 units is
~40 MB of JSON, held three times over as one text): the bytes must be exactly what
model_dump_json(indent=2) gives."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.io.output import json_pieces


class Detail(BaseModel):
    id: str
    value: int | None
    text: str = ""
    tags: list[str] = []


class Item(BaseModel):
    code: str
    detail: list[Detail]
    note: str | None = None


class Report(BaseModel):
    title: str
    items: list[Item]
    counts: dict[str, int]
    empty: list[Item] = []
    words: list[str] = []
    more: list[Detail] = []
    last: bool = True


def sample(items: int) -> Report:
    return Report(
        title='quotes " and \\ backslash, caf\u00e9, \u2026, tab\tand\nnewline, "items": []',
        items=[Item(code=f"U{i}", note=None if i % 2 else "n\u00f6te",
                    detail=[Detail(id=f"D{j}", value=None if j == 1 else j,
                                   text='  "items": []\n  ]', tags=["a", "\u00fc"] * j)
                            for j in range(3)])
               for i in range(items)],
        counts={"a": 1, "\u00e9": 2}, words=["x", "y"],
        more=[Detail(id="M", value=1)])


def test_pieces_join_to_exactly_model_dump_json() -> None:
    for items in (0, 1, 3):
        report = sample(items)
        assert b"".join(json_pieces(report)) == report.model_dump_json(indent=2).encode()


def test_a_model_without_lists_of_models_is_one_piece() -> None:
    detail = Detail(id="x", value=2, tags=["t"])
    assert list(json_pieces(detail)) == [detail.model_dump_json(indent=2).encode()]


def test_validate_json_on_the_command_line_is_the_report(tmp_path: Path,
                                                         blank_workbook: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(blank_workbook), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["workbooks"][0]["file"] == blank_workbook.name
    assert report["workbooks"][0]["valid"] is False
    assert result.stdout.startswith("{\n  \"")
    assert result.stdout.endswith("}\n")
