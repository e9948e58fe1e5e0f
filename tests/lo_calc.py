"""Drive headless LibreOffice Calc through UNO, as a person editing a workbook would.

Run with the *system* Python that has LibreOffice's `uno` module (on Debian: python3-uno for
/usr/bin/python3), not the project's Python:

    /usr/bin/python3 tests/lo_calc.py IN.xlsx OUT.xlsx ['[{"op": "type", ...}]']
    /usr/bin/python3 tests/lo_calc.py --jobs jobs.json

The first form opens IN, applies a JSON list of edits (inline text or a file name), and saves
OUT as .xlsx. The second runs a list of such jobs against one LibreOffice start:
`[{"input": ..., "output": ..., "edits": [...], "inspect": [...], "audit": true}, ...]`.
A JSON report goes to stdout (one line): per job, every edited or inspected cell as Calc holds
it after the edits (content type, value, string, number format), and with "audit" the cells
Calc's own validity check (Tools > Detective > Mark Invalid Data) marks as invalid.

Edits (cell references in A1 form):

    {"op": "type", "sheet": S, "cell": "B5", "text": "13/04/2010"}
        typing into the cell: Calc parses the text as it would keyboard input (numbers, dates
        in the locale's order, formulas); like Enter, it bypasses validity checks
    {"op": "string", "sheet": S, "cell": C, "text": T}   text, never parsed
    {"op": "value", "sheet": S, "cell": C, "value": 3}   a number
    {"op": "clear", "sheet": S, "cell": C}              the Delete key (contents, not formats)
    {"op": "unprotect", "sheet": S}                     Tools > Protect Sheet off (no password)
    {"op": "protect", "sheet": S}                       and on again

Each run starts its own soffice with a fresh private profile (-env:UserInstallation) whose
registrymodifications.xcu sets the locale (default en-GB, so 13/04/2010 is 13 April 2010) and
turns off lock files, connects over a private named pipe, and terminates it at the end. A
watchdog kills soffice (its process group only) and exits with status 3 if the run takes longer
than --timeout seconds. Exit status: 0 ok, 2 bad arguments or a failed edit, 3 LibreOffice
failed to start, crashed or timed out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

XLSX_FILTER = "Calc MS Excel 2007 XML"  # File > Save As > Excel 2007-365 (.xlsx)
# com.sun.star.sheet.CellFlags: VALUE | DATETIME | STRING | FORMULA, what Delete removes.
DELETE_CONTENTS = 1 | 2 | 4 | 16

PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">\
<value>{locale}</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse">\
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">\
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


# Every soffice this driver started, so the watchdog can kill one still starting up.
STARTED: list[subprocess.Popen] = []


class DriverError(Exception):
    """A bad job or an edit Calc refused (exit status 2)."""


class OfficeError(Exception):
    """LibreOffice did not start, or died (exit status 3)."""


def make_profile(root: Path, locale: str) -> str:
    """A fresh user profile with the locale set; returns its file: URL."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_XCU.format(locale=locale),
                                                     encoding="utf-8")
    return root.resolve().as_uri()


class Office:
    """One soffice process, its UNO connection and its desktop."""

    def __init__(self, soffice: str, profile_url: str, log: Path, start_timeout: float):
        # Only the system python has these.
        import uno
        from com.sun.star.connection import NoConnectException

        self.uno = uno
        self.pipe = f"esps_lo_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.log = log.open("wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [soffice, f"-env:UserInstallation={profile_url}", "--headless", "--invisible",
             "--nologo", "--norestore", "--nodefault", "--nolockcheck",
             f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it can be killed as a whole
        )
        STARTED.append(self.proc)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        while True:
            try:
                self.ctx = resolver.resolve(url)
                break
            except NoConnectException:
                if self.proc.poll() is not None:
                    raise OfficeError(
                        f"soffice exited with status {self.proc.returncode} before accepting "
                        f"a connection; see {log}") from None
                if time.monotonic() - started > start_timeout:
                    raise OfficeError(
                        f"soffice did not accept a connection within {start_timeout:.0f} s"
                    ) from None
                time.sleep(0.1)
        self.smgr = self.ctx.ServiceManager
        self.desktop = self.smgr.createInstanceWithContext("com.sun.star.frame.Desktop",
                                                           self.ctx)
        self.startup_seconds = time.monotonic() - started

    def prop(self, name: str, value: Any) -> Any:
        from com.sun.star.beans import PropertyValue

        p = PropertyValue()
        p.Name, p.Value = name, value
        return p

    def config(self, path: str, name: str) -> Any:
        provider = self.smgr.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx)
        access = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationAccess", (self.prop("nodepath", path),))
        return access.getByName(name)

    def version(self) -> str:
        try:
            return str(self.config("/org.openoffice.Setup/Product", "ooSetupVersionAboutBox"))
        except Exception:
            return ""

    def close(self, timeout: float = 30) -> None:
        with contextlib.suppress(Exception):  # the bridge goes away as soffice quits
            self.desktop.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)
        self.log.close()


def kill_group(proc: subprocess.Popen) -> None:
    """Kill soffice and its children: only the process group this driver started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def describe(office: Office, doc: Any, sheet_name: str, ref: str) -> dict[str, Any]:
    """A cell as Calc holds it."""
    cell = doc.Sheets.getByName(sheet_name).getCellRangeByName(ref)
    kind = cell.getType().value  # EMPTY, VALUE, TEXT or FORMULA
    fmt = doc.NumberFormats.getByKey(cell.NumberFormat)
    locale = fmt.Locale
    return {
        "sheet": sheet_name,
        "cell": ref,
        "type": kind,
        "value": cell.getValue(),
        "string": cell.getString(),
        "formula": cell.getFormula(),
        "format": fmt.FormatString,
        "format_locale": "-".join(x for x in (locale.Language, locale.Country) if x),
        "locked": bool(cell.CellProtection.IsLocked),
    }


def apply_edit(doc: Any, edit: dict[str, Any]) -> None:
    op = edit.get("op")
    try:
        sheet = doc.Sheets.getByName(edit["sheet"])
    except Exception:
        raise DriverError(f"no sheet {edit.get('sheet')!r} for edit {edit}") from None
    if op == "unprotect":
        sheet.unprotect(edit.get("password", ""))
        if sheet.isProtected():
            raise DriverError(f"could not unprotect {edit['sheet']!r}")
        return
    if op == "protect":
        sheet.protect(edit.get("password", ""))
        return
    cell = sheet.getCellRangeByName(edit["cell"])
    if sheet.isProtected() and cell.CellProtection.IsLocked:
        raise DriverError(
            f"{edit['sheet']}!{edit['cell']} is locked on a protected sheet; a user could not "
            "edit it either (add an unprotect edit first)")
    if op == "type":
        # FormulaLocal parses as keyboard input in the profile's locale; setFormula would
        # parse numbers and dates as en-US whatever the locale (the API's "English" mode).
        cell.setPropertyValue("FormulaLocal", edit["text"])
    elif op == "string":
        cell.setString(edit["text"])
    elif op == "value":
        cell.setValue(float(edit["value"]))
    elif op == "clear":
        cell.clearContents(DELETE_CONTENTS)
    else:
        raise DriverError(f"unknown edit op {op!r} in {edit}")
    # Calc's API refuses some edits silently; check the edit took.
    kind = cell.getType().value
    if op == "clear" and kind != "EMPTY":
        raise DriverError(f"clearing {edit['sheet']}!{edit['cell']} did not take")
    if op == "string" and cell.getString() != edit["text"]:
        raise DriverError(f"setting {edit['sheet']}!{edit['cell']} to text did not take")
    if op in ("type", "value") and kind == "EMPTY" and str(edit.get("text", "x")):
        raise DriverError(f"typing into {edit['sheet']}!{edit['cell']} did not take")


def invalid_cells(doc: Any) -> list[dict[str, str]]:
    """Cells Calc's Detective > Mark Invalid Data circles: data its validity rules reject."""
    found = []
    for i in range(doc.Sheets.getCount()):
        sheet = doc.Sheets.getByIndex(i)
        page = sheet.DrawPage
        before = page.getCount()
        sheet.showInvalid()
        for j in range(before, page.getCount()):
            anchor = page.getByIndex(j).Anchor
            try:
                addr = anchor.getCellAddress()
            except AttributeError:
                continue
            found.append({"sheet": sheet.Name,
                          "cell": f"{column_letter(addr.Column + 1)}{addr.Row + 1}"})
    return found


def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def run_job(office: Office, job: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    src = Path(job["input"]).resolve()
    dst = Path(job["output"]).resolve()
    if not src.is_file():
        raise DriverError(f"input {src} does not exist")
    dst.parent.mkdir(parents=True, exist_ok=True)
    # Hidden: headless Calc has no usable window (a visible load fails or crashes).
    doc = office.desktop.loadComponentFromURL(
        src.as_uri(), "_blank", 0, (office.prop("Hidden", True),))
    if doc is None:
        raise DriverError(f"LibreOffice could not open {src}")
    try:
        edits = job.get("edits", [])
        for edit in edits:
            apply_edit(doc, edit)
        seen: set[tuple[str, str]] = set()
        cells = []
        for item in [e for e in edits if "cell" in e] + list(job.get("inspect", [])):
            key = (item["sheet"], item["cell"])
            if key not in seen:
                seen.add(key)
                cells.append(describe(office, doc, *key))
        doc.storeToURL(dst.as_uri(), (office.prop("FilterName", job.get("filter", XLSX_FILTER)),
                                      office.prop("Overwrite", True)))
        audit = invalid_cells(doc) if job.get("audit") else None
    finally:
        doc.close(True)
    return {"input": str(src), "output": str(dst), "cells": cells, "invalid_cells": audit,
            "seconds": round(time.monotonic() - started, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="?", help="workbook to open")
    ap.add_argument("output", nargs="?", help="where to save it as .xlsx")
    ap.add_argument("edits", nargs="?", help="JSON list of edits, inline or a file name")
    ap.add_argument("--jobs", help="JSON file with a list of jobs (instead of IN OUT EDITS)")
    ap.add_argument("--locale", default="en-GB", help="locale for parsing input (en-GB)")
    ap.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    ap.add_argument("--timeout", type=float, default=180, help="whole run, seconds")
    ap.add_argument("--start-timeout", type=float, default=60)
    args = ap.parse_args(argv)

    if args.jobs:
        jobs = json.loads(Path(args.jobs).read_text(encoding="utf-8"))
    elif args.input and args.output:
        edits: Any = []
        if args.edits:
            text = args.edits
            if not text.lstrip().startswith("[") and Path(text).is_file():
                text = Path(text).read_text(encoding="utf-8")
            edits = json.loads(text)
        jobs = [{"input": args.input, "output": args.output, "edits": edits}]
    else:
        ap.error("give IN OUT [EDITS] or --jobs FILE")

    work = Path(tempfile.mkdtemp(prefix="esps-lo-"))
    office: Office | None = None

    def watchdog() -> None:
        print(f"lo_calc: timed out after {args.timeout:.0f} s; killing soffice",
              file=sys.stderr, flush=True)
        for proc in STARTED:
            kill_group(proc)
        shutil.rmtree(work, ignore_errors=True)
        os._exit(3)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()
    status = 0
    try:
        profile_url = make_profile(work / "profile", args.locale)
        office = Office(args.soffice, profile_url, work / "soffice.log", args.start_timeout)
        report: dict[str, Any] = {
            "soffice": office.version(),
            "locale": str(office.config("/org.openoffice.Setup/L10N", "ooSetupSystemLocale")),
            "startup_seconds": round(office.startup_seconds, 3),
            "jobs": [run_job(office, job) for job in jobs],
        }
        print(json.dumps(report))
    except DriverError as exc:
        print(f"lo_calc: {exc}", file=sys.stderr)
        status = 2
    except OfficeError as exc:
        print(f"lo_calc: {exc}", file=sys.stderr)
        status = 3
    except Exception as exc:  # a UNO exception: soffice crashed or refused
        log = work / "soffice.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        print(f"lo_calc: LibreOffice failed: {type(exc).__name__}: {exc}\n{tail}",
              file=sys.stderr)
        status = 3
    finally:
        if office is not None:
            office.close()
        for proc in STARTED:  # one that failed to start properly
            if proc.poll() is None:
                kill_group(proc)
        timer.cancel()
        shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
