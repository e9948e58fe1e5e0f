"""Folders of generated returns for the folder benchmarks (and the before/after JSON check).

    python benchmarks/folders.py OUT_DIR COUNT KIND     # KIND: complete, blank, mixed

Every file is a distinct return for a synthetic unit, made as `esps generate` makes packs: the
cycle's template is filled once per kind (samples.MAKERS) and rendered per unit. "blank" is the
pack as issued (nothing filled: about 200 findings each); "mixed" cycles through complete,
blank, half done, dates typed as text and an edited indicator, with one truncated file and one
e-mail in every hundred.
"""

from __future__ import annotations

import sys
from pathlib import Path

from esps_cli.domain.framework import load_framework
from esps_cli.domain.paths import EXAMPLES_DIR
from esps_cli.domain.units import Unit
from esps_cli.workbook.generate import (
    build_template,
    render_workbook,
    unit_values,
    workbook_filename,
)
from esps_cli.workbook.samples import sample_bytes
from esps_cli.working.lists import load_advisors, load_units

KINDS = ("complete", "blank", "mixed")
_MIX = ("complete", "blank", "incomplete", "dates-as-text", "tampered")


def synthetic_units(base: list[Unit], count: int) -> list[Unit]:
    return [
        base[i % len(base)].model_copy(update={"code": f"U{i:05d}",
                                               "name": f"{base[i % len(base)].name} {i}"})
        for i in range(count)
    ]


def _kind_of(kind: str, i: int) -> str:
    if kind != "mixed":
        return kind
    if i % 100 == 98:
        return "truncated"
    if i % 100 == 99:
        return "email"
    return _MIX[i % len(_MIX)]


def make_folder(out: Path, count: int, kind: str, cycle_id: str = "2010-11") -> list[Path]:
    """Write `count` returns of a kind into out (created); their paths."""
    framework = load_framework()
    cycle = framework.cycle(cycle_id)
    advisors = load_advisors(EXAMPLES_DIR / "dcfas.csv")
    by_id = {a.id: a for a in advisors}
    units = synthetic_units(load_units(EXAMPLES_DIR / "units.csv", framework, advisors), count)
    template = build_template(framework, cycle, advisors)
    filled: dict[str, bytes] = {}
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, unit in enumerate(units):
        k = _kind_of(kind, i)
        data = render_workbook(template, unit_values(unit, framework, by_id))
        if k in ("truncated", "email"):
            data = sample_bytes(data, framework, k)  # type: ignore[arg-type]
        elif k != "blank":
            if k not in filled:
                filled[k] = sample_bytes(template, framework, k)  # type: ignore[arg-type]
            data = render_workbook(filled[k], unit_values(unit, framework, by_id))
        path = out / workbook_filename(unit, cycle)
        path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    made = make_folder(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
    print(f"{len(made)} returns in {sys.argv[1]}")
