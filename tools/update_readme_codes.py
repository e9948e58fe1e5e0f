"""Rewrite the README's table of finding codes from the catalogue (run after adding a code).

    python tools/update_readme_codes.py

tests/test_validate_batch.py fails while the README's table and the catalogue differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from esps_cli.reports.validation import codes_markdown  # noqa: E402


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split("### Finding codes", 1)
    section, sep, tail = rest.partition("\n## ")
    lines = section.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    last = max(i for i, line in enumerate(lines) if line.startswith("|"))
    table = codes_markdown().splitlines()
    lines[first:last + 1] = table
    readme.write_text(head + "### Finding codes" + "\n".join(lines) + sep + tail,
                      encoding="utf-8")
    print(f"README.md: table of codes rewritten ({len(table) - 2} codes)")


if __name__ == "__main__":
    main()
