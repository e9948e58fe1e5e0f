"""Regenerate examples/returned/: sample returned workbooks for the README quick start.

    python examples/make_returns.py

Each sample starts from a workbook freshly generated from the bundled framework for an example
unit (so the samples follow the layout whenever it changes), then is filled in or damaged the
way real returns are:

| file | what it shows |
|---|---|
| TP-EK_Camden_2010-11.xlsx | a complete return: valid |
| TP-BS_Kensington-Chelsea_2010-11.xlsx | dates and a rating typed as text: valid, warnings |
| Westminster ESPS return v2.xlsx | renamed by the unit and only half done: invalid |
| TP-FH_Hammersmith-Fulham_2010-11.xlsx | an indicator's wording edited, a row deleted |
| TP-RP_Royal-Parks-OCU_2010-11.xlsx | cut short in transfer (a truncated file): unreadable |
| TP-NI_Islington_2010-11.xlsx | an e-mail saved with a workbook's name: unreadable |
| README.txt | this list, for people (validation lists it as ignored) |

The other units on examples/units.csv have not returned. The samples and the filling are the
package's (esps_cli.workbook.samples.SAMPLES), which `esps demo` uses on the packs it issues.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from esps_cli.domain.framework import load_framework
from esps_cli.workbook.generate import (
    build_template,
    render_workbook,
    unit_values,
    workbook_filename,
)
from esps_cli.workbook.samples import MAKERS, SAMPLES, sample_bytes
from esps_cli.working.lists import load_advisors, load_units

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "returned"
CYCLE = "2010-11"
GENERATED_AT = datetime(2010, 4, 12, 9, 0)


def stable(data: bytes) -> bytes:
    """The same workbook with fixed zip timestamps and save time, so running the script again
    without a layout change rewrites identical files."""
    stamp = GENERATED_AT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp,
                              body)
            fixed = zipfile.ZipInfo(info.filename, date_time=GENERATED_AT.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, body)
    return out.getvalue()


def main() -> None:
    framework = load_framework()
    cycle = framework.cycle(CYCLE)
    advisors = load_advisors(ROOT / "examples" / "dcfas.csv")
    units = {u.code: u for u in load_units(ROOT / "examples" / "units.csv", framework,
                                           advisors)}
    by_id = {a.id: a for a in advisors}
    template = build_template(framework, cycle, advisors, generated_at=GENERATED_AT)

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.suffix.lower() == ".xlsx" or old.name == "README.txt":
            old.unlink()
    for sample in SAMPLES:
        unit = units[sample.unit]
        target = OUT / (sample.name or workbook_filename(unit, cycle))
        data = render_workbook(template, unit_values(unit, framework, by_id))
        if sample.kind in MAKERS:
            data = stable(sample_bytes(data, framework, sample.kind))
        else:
            data = sample_bytes(stable(data), framework, sample.kind)
        target.write_bytes(data)
        print(f"wrote {target.relative_to(ROOT)}")
    readme = OUT / "README.txt"
    readme.write_text(
        "Sample returned workbooks, made by examples/make_returns.py from freshly generated "
        "ones.\nRun `python examples/make_returns.py` to make them again; "
        "`esps validate examples/returned --units examples/units.csv` checks them.\n",
        encoding="utf-8",
    )
    print(f"wrote {readme.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
