"""Every HTML edition opened in a real browser (issue 22): axe-core finds no violation of the
WCAG 2.0/2.1/2.2 A and AA rules, a keyboard-only pass reaches every link and every table, and
the page asks for nothing over the network. One browser for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import browser
from .test_editions import (  # noqa: F401  (the quick start and its pages)
    pages,
    qs,
    unit_pages,
    validation_page,
)

MAX_TABS = 400


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser.chromium_path(),
                              args=browser.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def opened(chromium, pages, unit_pages, validation_page  # noqa: F811
           ) -> Iterator[dict[str, tuple[Any, list[str]]]]:
    """Each page open in its own tab (the Board pack, the public edition, the feedback of a
    unit with an invalid return and of one that meets the baseline, a unit's validation
    report), with every request it made."""
    out = {}
    units = {"feedback " + p.name.split("_")[1]: p for p in unit_pages.glob("*.html")
             if p.name.split("_")[1] in ("TP-CW", "TP-EK")}
    for name, path in {**pages, **units, "validation": validation_page}.items():
        page = chromium.new_page()
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        page.goto(Path(path).as_uri())
        out[name] = (page, requests)
    yield out
    for page, _ in out.values():
        page.close()


def test_axe_finds_no_wcag_violation(opened):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for name, (page, _) in opened.items():
        result = axe.run(page, options={"runOnly": {"type": "tag",
                                                    "values": browser.WCAG_TAGS}})
        found = [(v["id"], [n["html"][:80] for n in v["nodes"][:3]])
                 for v in result.response["violations"]]
        assert not found, (name, found)
        assert result.response["passes"], name  # axe ran its rules


def test_keyboard_reaches_every_link_and_table(opened):
    for name, (page, _) in opened.items():
        targets = page.evaluate(
            "() => [...document.querySelectorAll('a[href], table')].map("
            "e => e.tagName === 'TABLE' ? 'table#' + e.id : 'a:' + e.getAttribute('href')"
            ".slice(0, 60))")
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                      "window.scrollTo(0, 0); }")
        reached: set[str] = set()
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => { const e = document.activeElement; if (!e || e === document.body) "
                "return null; const t = e.querySelector('table'); return t ? 'table#' + t.id "
                ": (e.tagName === 'A' ? 'a:' + e.getAttribute('href').slice(0, 60) : e.tagName)}")
            if focused is None and reached:
                break  # past the last focusable element
            if focused:
                reached.add(focused)
        assert set(targets) <= reached, (name, sorted(set(targets) - reached)[:5])
        # the first Tab lands on the skip link, which leads to the main content
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent") == \
            "Skip to main content"


def test_the_page_makes_no_network_request(opened):
    for name, (page, requests) in opened.items():
        page.reload()
        others = [u for u in requests if not u.startswith("file://")]
        assert not others, (name, others[:5])
        assert requests, name  # the listener saw the page itself
