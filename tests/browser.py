"""A real browser for the editions' tests: the distribution's Chromium driven by Playwright
(which cannot download its own browser here), and axe-core as axe-playwright-python bundles
it. `missing` says what is absent so the tests skip with the reason."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("ESPS_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def missing() -> str | None:
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return (f"Playwright or axe-playwright-python is not installed ({exc}): "
                "pip install -e '.[test]'")
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium)"
    return None
