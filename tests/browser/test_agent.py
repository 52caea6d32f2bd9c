"""An agent at work in Chromium: log in, open the list, record an outcome in place and watch the
counter against the quota move."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.e2e.conftest import DAY
from tests.web.conftest import Site


def test_an_agent_records_an_outcome_and_the_counter_moves(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    calls = site.center.calls("A01", DAY)
    page = logged_in("wangli")
    assert page.url.endswith("/agent")
    cards = page.locator("article.item")
    expect(cards).to_have_count(len(calls))
    expect(page.locator("#progress strong")).to_have_text("0")
    shot(page, "agent-list")

    first = page.locator(f"#item-{calls[0]['item']}")
    expect(first.locator("a.phone")).to_have_attribute("href", f"tel:{calls[0]['phone']}")
    first.locator("select[name=code]").select_option("declined")
    reasons = first.locator("select[name=reason] option")
    if reasons.count() > 1:
        first.locator("select[name=reason]").select_option(index=1)
    first.locator("textarea[name=note]").fill("客户说下月再考虑")
    first.get_by_role("button", name="登记").click()

    expect(page.locator(f"#item-{calls[0]['item']} .result")).to_contain_text("婉拒")
    expect(page.locator("#progress strong")).to_have_text("1")
    assert page.url.endswith("/agent")  # recorded in place, no page load
    history = site.center.json("orders", "--history", str(calls[0]["item"]))["events"]
    assert (history[-2]["code"], history[-2]["note"]) == ("declined", "客户说下月再考虑")
    shot(page, "agent-recorded")
