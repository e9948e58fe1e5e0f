"""The challenge form as a web page, opened in a real browser (as tests/test_editions_browser.py
opens the editions): axe-core finds no WCAG 2.2 A/AA violation, a keyboard alone reaches every
control of the form and can fill one challenge in, and the page asks for nothing over the
network. Skipped, with the reason, where Chromium or Playwright is missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from esps_cli.community.forms import form_for
from esps_cli.domain.community import CommunityGroup
from esps_cli.reports.editions.challenge_form import PRINTED_CHALLENGES, challenge_form_html
from esps_cli.summary.compliance import build_summary
from esps_cli.validation.report import BatchReport

from . import browser
from .conftest import CYCLE


@pytest.fixture(scope="module")
def form_page(tmp_path_factory: pytest.TempPathFactory, framework: Any, units: Any,
              advisors: Any) -> Iterator[tuple[Any, list[str]]]:
    reason = browser.missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    chosen = [u for u in units if u.code in ("TP-EK", "TP-CW")]
    empty = BatchReport(framework_id=framework.meta.id,
                        framework_version=framework.meta.version, checked_on=date(2011, 1, 1))
    report = build_summary(framework, CYCLE, chosen, empty, {}, {}, advisors, public=True)
    group = CommunityGroup(id="west", name="Westminster CPEG", units=("TP-CW", "TP-EK"))
    form = form_for(group, report, framework, response_days=28, return_to="esps@example.org")
    path = tmp_path_factory.mktemp("form") / "form.html"
    path.write_text(challenge_form_html(form, classification="OFFICIAL"), encoding="utf-8")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.chromium_path(),
                                     args=browser.CHROMIUM_ARGS)
        page = chromium.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        yield page, requests
        chromium.close()


def test_axe_finds_no_wcag_violation_on_the_form(form_page: tuple[Any, list[str]]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page, requests = form_page
    result = Axe().run(page, options={"runOnly": {"type": "tag",
                                                  "values": browser.WCAG_TAGS}})
    found = [(v["id"], [n["html"][:80] for n in v["nodes"][:3]])
             for v in result.response["violations"]]
    assert not found
    assert result.response["passes"]
    assert all(u.startswith("file://") for u in requests) and requests


def test_a_keyboard_fills_in_a_challenge(form_page: tuple[Any, list[str]]) -> None:
    page, _ = form_page
    controls = page.evaluate(
        "() => [...document.querySelectorAll('form select, form textarea, form input')]"
        ".map(e => e.id)")
    assert len(controls) == PRINTED_CHALLENGES * 6  # unit, subject, two texts, two replies
    labelled = page.evaluate(
        "() => [...document.querySelectorAll('form select, form textarea, form input')]"
        ".every(e => e.labels.length === 1 && e.labels[0].textContent.trim().length > 0)")
    assert labelled
    page.focus("#unit-1")
    page.keyboard.press("ArrowDown")  # the first unit on the list
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first theme
    page.keyboard.press("Tab")
    page.keyboard.type("The engagement plan was never shared with us.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # In writing
    filled = page.evaluate(
        "() => [document.querySelector('#unit-1').value, "
        "document.querySelector('#subject-1').value, "
        "document.querySelector('#challenged-1').value, "
        "document.querySelector('input[name=\"reply-1\"]:checked').value]")
    assert filled == ["Westminster", "Theme: Operational Delivery",
                      "The engagement plan was never shared with us.", "In writing"]
