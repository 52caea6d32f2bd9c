"""A supervisor at work in Chromium: an overdue complaint callback reassigned with one click
shows on the other agent's list."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.e2e.conftest import DAY
from tests.web.conftest import Site

LATE = "2026-11-05"  # the complaint callbacks of DAY 07:30 had 72 hours


def test_a_supervisor_reassigns_an_overdue_item_and_the_other_agent_sees_it(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    calls = site.center.calls("A01", DAY)
    item = next(c["item"] for c in calls if c["campaign"] == "complaint_callback")
    site.clock.set(f"{LATE}T08:00")
    supervisor = logged_in("zhaozz")
    supervisor.goto(site.url + "/supervisor/deadlines")
    row = supervisor.locator(f"#order-{item}")
    expect(row).to_contain_text("已超时")
    shot(supervisor, "supervisor-deadlines")
    row.locator("select[name=to]").select_option("A02")
    row.get_by_role("button", name="改派").click()
    expect(supervisor.locator(f"#order-{item}")).to_contain_text("已改派给 A02")
    assert supervisor.url.endswith("/supervisor/deadlines")  # no page load: htmx swapped the row

    other = logged_in("liqiang")
    other.goto(site.url + "/agent")
    expect(other.locator(f"#item-{item}")).to_be_visible()
    supervisor.goto(site.url + "/supervisor")
    shot(supervisor, "supervisor-agents")
