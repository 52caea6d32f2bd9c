"""Marketing staff in Chromium: the rule editor answers as they type, first with the error and a
caret under it, then, corrected, with the count."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.web.conftest import Site


def test_the_rule_editor_shows_an_error_caret_and_then_a_count(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    expected = site.center.json("preview", "high_spend")
    page = logged_in("sunyx")
    page.goto(site.url + "/marketing/rules")
    editor = page.locator("textarea[name=rule]")
    editor.fill("")
    editor.press_sequentially('region == "西峰区" and calls_3d > 1', delay=5)
    caret = page.locator("#result pre.caret")
    expect(caret).to_contain_text("^")
    expect(page.locator("#result")).to_contain_text("calls_3d")
    shot(page, "marketing-rule-error")

    editor.fill("")
    editor.press_sequentially(expected["where"], delay=2)
    expect(page.locator("#result .count strong")).to_have_text(f"{expected['count']:,}")
    expect(page.locator("#result pre.caret")).to_have_count(0)
    shot(page, "marketing-rule-count")
    page.goto(site.url + "/marketing")
    shot(page, "marketing-segments")
