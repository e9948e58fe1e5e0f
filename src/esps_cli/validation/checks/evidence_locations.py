"""Evidence locations (with --check-evidence): a path on this machine exists and can be read.

Only paths and file: URLs that point at this machine are checked, and only for existence and
read permission (the file is never opened). Web links are never fetched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from esps_cli.domain.normalise import clean
from esps_cli.findings import EVIDENCE_LOCATION_BROKEN
from esps_cli.validation.context import EvidenceRow, WorkbookCheck
from esps_cli.validation.runner import Check
from esps_cli.workbook.layout import EVIDENCE

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _local_path(text: str, base_dir: Path) -> Path | None:
    """The path on this machine a location names, or None if it names none."""
    parsed = urlparse(text)
    if parsed.scheme.lower() == "file":
        if parsed.netloc not in ("", "localhost"):
            return None  # a file on another machine (file://server/share)
        if os.name == "nt" and re.match(r"^/[A-Za-z]:", parsed.path):
            return Path(unquote(parsed.path[1:]))
        return Path(unquote(parsed.path))
    if text.startswith(("\\\\", "//")) or _WINDOWS_DRIVE.match(text):
        # A Windows share or drive (whose letter urlparse takes for a scheme): reachable only
        # from Windows.
        return Path(text) if os.name == "nt" else None
    if parsed.scheme:
        return None  # http:, https:, mailto:, sharepoint links...: never fetched
    if text.startswith(("/", "~")):
        return Path(text).expanduser()
    if text.startswith(("./", "../", ".\\", "..\\")):
        return base_dir / text
    return None  # a document reference, not a path


def location_problem(location: str, base_dir: Path) -> str | None:
    """Why a local evidence location is broken, or None if it is fine or not checkable here.

    Drive-letter and UNC paths are checked only on Windows; references that are not paths are
    left alone.
    """
    text = location.strip().strip('"').strip("'")
    path = _local_path(text, base_dir) if text else None
    if path is None:
        return None
    try:
        if not path.exists():
            return f"{text!r} does not exist on this machine"
        if not os.access(path, os.R_OK):
            return f"{text!r} exists but cannot be read (permission denied)"
    except OSError as exc:
        return f"{text!r} cannot be checked: {exc.strerror or exc}"
    return None


def _location(ctx: WorkbookCheck, row: EvidenceRow) -> None:
    if not ctx.check_evidence or "location" not in row.sheet.table.columns:
        return
    location = clean(row.values.get("location"))
    problem = location_problem(location, ctx.rw.path.parent) if location else None
    if problem:
        ctx.add(EVIDENCE_LOCATION_BROKEN, row=row, problem=problem,
                sheet=EVIDENCE.sheet, cell=row.ref("location"), indicator_id=row.indicator_id)


EVIDENCE_LOCATION = Check("evidence location", (EVIDENCE_LOCATION_BROKEN,), _location)
