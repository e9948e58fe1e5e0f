"""Validation of a folder written as it goes (issue 28): workers send plain tuples or the JSON
of each workbook, `--format json` on standard output is written a workbook at a time, and the
bytes are exactly those of the whole report."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import Framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.io.output import list_item_json
from esps_cli.validation.batch import validate_paths
from esps_cli.validation.report import (
    _SCALARS,
    BatchReport,
    WorkbookReport,
    from_light,
    from_wire,
    light_wire,
    to_wire,
)
from esps_cli.validation.validate import validate_workbook

runner = CliRunner()
AS_OF = "01/09/2010"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, pristine_pack: Path) -> Path:
    """The bundled sample returns (valid, warnings, half done, edited, truncated, an e-mail)
    and twelve blank packs as issued: enough files for two worker processes."""
    out = tmp_path_factory.mktemp("streamed")
    returns = out / "returns"
    shutil.copytree(EXAMPLES_DIR / "returned", returns)
    for pack in sorted(pristine_pack.glob("*.xlsx"))[6:18]:
        shutil.copy(pack, returns / pack.name)
    shutil.copy(EXAMPLES_DIR / "units.csv", out / "units.csv")
    shutil.copy(EXAMPLES_DIR / "dcfas.csv", out / "dcfas.csv")
    return out


def _validate(folder: Path, *args: str) -> tuple[int, bytes]:
    result = runner.invoke(app, ["validate", str(folder / "returns"), "--as-of", AS_OF,
                                 "--units", str(folder / "units.csv"), *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout_bytes


def test_streamed_json_is_byte_for_byte_the_whole_report(folder: Path) -> None:
    """`--format json` on standard output (streamed, over two processes and in this one) is
    the same bytes as the whole report written to a file (`--output`, never streamed)."""
    whole = folder / "whole.json"
    code, _ = _validate(folder, "--output", str(whole), "--force")
    assert code == 1
    expected = whole.read_bytes()
    assert expected.count(b'"file": ') >= 18  # every return is in it
    for jobs in ("2", "1"):
        streamed_code, streamed = _validate(folder, "--format", "json", "--jobs", jobs)
        assert (streamed_code, streamed) == (1, expected)


def test_a_streamed_batch_keeps_light_reports_and_writes_each_workbook_in_order(
        folder: Path, framework: Framework) -> None:
    class Sink:
        def __init__(self) -> None:
            self.started: BatchReport | None = None
            self.items: list[bytes] = []

        def start(self, model: BatchReport) -> None:
            self.started = model

        def item(self, piece: bytes) -> None:
            self.items.append(piece)

    sink = Sink()
    light = validate_paths([folder / "returns"], framework, jobs=2, today=date(2010, 9, 1),
                           sink=sink)
    whole = validate_paths([folder / "returns"], framework, jobs=2, today=date(2010, 9, 1))
    assert sink.started is not None and sink.started.workbooks == []
    assert sink.items == [list_item_json(wb) for wb in whole.workbooks]
    # The batch kept holds no findings and no indicator statuses, but the same counts.
    assert all(not wb.findings and not wb.indicators for wb in light.workbooks)
    assert [(wb.file, wb.errors, wb.warnings, wb.valid) for wb in light.workbooks] == \
        [(wb.file, wb.errors, wb.warnings, wb.valid) for wb in whole.workbooks]
    assert light.totals == whole.totals and light.findings == whole.findings
    assert whole.totals.invalid > 12  # the blank packs are invalid, with findings


def test_a_streamed_batch_refuses_a_register_history(folder: Path,
                                                     framework: Framework) -> None:
    with pytest.raises(ValueError, match="streamed"):
        validate_paths([folder / "returns"], framework, history=lambda reports: reports,
                       sink=object())  # type: ignore[arg-type]


def test_the_compact_form_rebuilds_the_same_report(folder: Path,
                                                   framework: Framework) -> None:
    half_done = folder / "returns" / "Westminster ESPS return v2.xlsx"
    report = validate_workbook(half_done, framework, today=date(2010, 9, 1))
    assert report.findings and report.indicators and report.answers
    again = from_wire(to_wire(report))
    assert again == report
    assert again.model_dump_json(indent=2) == report.model_dump_json(indent=2)
    assert again.answers == report.answers
    light = from_light(light_wire(report))
    assert (light.findings, light.indicators, light.answers) == ([], [], None)
    # As model_construct makes it, field for field (the parent's fast path).
    constructed = WorkbookReport.model_construct(**dict(zip(_SCALARS, light_wire(report),
                                                            strict=True)))
    assert light.__dict__ == constructed.__dict__
    assert list(light.__dict__) == list(constructed.__dict__)
    assert light.model_fields_set == constructed.model_fields_set
    assert (light.__pydantic_extra__, light.__pydantic_private__) == \
        (constructed.__pydantic_extra__, constructed.__pydantic_private__)
    assert light.model_dump_json() == constructed.model_dump_json()
    assert light.findings is not from_light(light_wire(report)).findings  # not shared
    assert light.model_dump(exclude={"findings", "indicators"}) == \
        report.model_dump(exclude={"findings", "indicators"})
