"""The framework file: the bundled one's shape, and every kind of bad framework."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from esps_cli.cli.app import app
from esps_cli.domain.framework import FrameworkError, load_framework
from esps_cli.domain.paths import default_framework_path

runner = CliRunner()


def test_bundled_framework_has_the_esps_shape(framework):
    assert [t.name for t in framework.national_themes] == [
        "Operational Delivery", "People and Culture", "Organisational Processes",
    ]
    assert len(framework.esps_units) == 22
    assert [u.number for u in framework.esps_units] == list(range(1, 23))
    assert all(2 <= len(u.indicators) <= 4 for u in framework.esps_units)
    strategy = {t.id for t in framework.strategy_themes}
    assert all(u.strategy_theme in strategy for u in framework.esps_units)
    assert [(lvl.score, lvl.label) for lvl in framework.scale.levels] == [
        (1, "Not at all satisfactory"), (2, "Not very satisfactory"),
        (3, "Fairly satisfactory"), (4, "Very satisfactory"),
    ]
    assert "draft" in framework.meta.status.lower()
    targets = {c.id: c.kpi_target_pct for c in framework.cycles}
    assert targets == {"2010-11": 80, "2011-12": 100}
    assert framework.rules.combination.moderation_threshold == 2
    assert framework.rules.combination.method == "lower"


def test_indicator_ids_are_unique_and_stable(framework):
    ids = framework.indicator_ids
    assert len(ids) == len(set(ids))
    assert ids[0] == "OD1.1"


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(default_framework_path().read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "framework.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_every_problem_is_reported_with_location_and_line(tmp_path):
    def mutate(d):
        d["esps_units"][0]["indicators"][0]["evidence"]["required_types"] = ["memo"]
        d["esps_units"][1]["indicators"][1]["evidence"]["min_items"] = -1
        d["esps_units"][2]["theme"] = "XX"
        d["scale"]["levels"][1]["score"] = 7

    path = _write(tmp_path, mutate)
    with pytest.raises(FrameworkError) as exc:
        load_framework(path)
    problems = {(p.location, p.message) for p in exc.value.problems}
    assert any(
        loc == "esps_units[1:OD2].indicators[1:OD2.2].evidence.min_items"
        and "greater than or equal to 0" in msg
        for loc, msg in problems
    )
    assert any(loc == "scale" and "consecutive" in msg for loc, msg in problems)
    assert all(p.line for p in exc.value.problems)
    text = path.read_text().splitlines()
    min_items = next(p for p in exc.value.problems if p.location.endswith("min_items"))
    assert "min_items" in text[min_items.line - 1]


def test_cross_reference_problems_each_named(tmp_path):
    def mutate(d):
        d["esps_units"][0]["indicators"][0]["evidence"]["required_types"] = ["memo"]
        d["esps_units"][2]["theme"] = "XX"
        d["esps_units"][3]["indicators"][0]["id"] = d["esps_units"][3]["indicators"][1]["id"]

    path = _write(tmp_path, mutate)
    with pytest.raises(FrameworkError) as exc:
        load_framework(path)
    messages = [p.message for p in exc.value.problems]
    assert "indicator OD1.1: unknown evidence type 'memo'" in messages
    codes = {p.message: p.code for p in exc.value.problems}
    assert codes["indicator OD1.1: unknown evidence type 'memo'"] == "framework-unknown-reference"
    assert codes["ESPS unit OD3: unknown national theme 'XX'"] == "framework-unknown-reference"
    assert codes["duplicate indicator id 'OD4.2'"] == "framework-duplicate-id"
    assert "unknown evidence type 'memo' [framework-unknown-reference]" in str(exc.value)
    assert "ESPS unit OD3: unknown national theme 'XX'" in messages
    dup = next(m for m in messages if m.startswith("duplicate indicator id"))
    assert dup == "duplicate indicator id 'OD4.2'"
    od11 = next(p for p in exc.value.problems if p.location == "OD1.1")
    assert "id: OD1.1" in path.read_text().splitlines()[od11.line - 1]


def test_framework_check_cli_reports_and_exits_2(tmp_path):
    path = _write(tmp_path, lambda d: d["meta"].pop("status"))
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 2
    assert "1 problem(s)" in result.output
    assert "meta.status: Field required [framework-invalid-value]" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("meta: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "expected a YAML mapping"),
    ],
)
def test_unparseable_framework(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 2
    assert expected in result.output


def test_missing_framework_file(tmp_path):
    result = runner.invoke(app, ["framework", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_framework_check_ok_and_show(framework):
    result = runner.invoke(app, ["framework", "check"])
    assert result.exit_code == 0
    assert f"22 ESPS units, {len(framework.indicators)} indicators" in result.output
    shown = runner.invoke(app, ["framework", "show", "--format", "json"])
    assert shown.exit_code == 0
    assert '"id": "OD1.1"' in shown.output
    tree = runner.invoke(app, ["framework", "show"])
    assert "Operational Delivery" in tree.output and "OP22" in tree.output


def test_unknown_cycle(framework):
    from esps_cli.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown cycle '2099-00'"):
        framework.cycle("2099-00")
    assert framework.cycle("FY2011/12").id == "2011-12"


def test_framework_problem_codes(tmp_path):
    def mutate(d):
        d["esps_units"][0]["indicators"][0]["evidence"]["min_items"] = 1  # 2 types required
        d["rules"]["baseline"]["min_combined_score"] = 9

    with pytest.raises(FrameworkError) as exc:
        load_framework(_write(tmp_path, mutate))
    assert {(p.code, p.message.split(":")[0]) for p in exc.value.problems} >= {
        ("framework-inconsistent", "indicator OD1.1"),
    }
    assert any(p.code == "framework-inconsistent" and "min_combined_score" in p.message
               for p in exc.value.problems)
    bad = tmp_path / "bad.yaml"
    bad.write_text("meta: [unclosed\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as exc:
        load_framework(bad)
    assert [(p.code, p.location) for p in exc.value.problems] == [("framework-not-yaml", "(file)")]
