"""A supervisor at work in Chromium, on a desktop screen (1366×768) and a phone (390×844): an
overdue complaint callback reassigned with one click shows on the other agent's list, several
rows reassigned at once report row by row, the Agents page refreshes itself, and on a phone
the deadline rows keep Reassign and Urge on screen."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.e2e.conftest import DAY
from tests.web.conftest import Site

LATE = "2026-11-05"  # the complaint callbacks of DAY 07:30 had 72 hours
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def complaint_of(site: Site, agent: str) -> int:
    calls = site.center.calls(agent, DAY)
    return int(next(c["item"] for c in calls if c["campaign"] == "complaint_callback"))


def deadlines(site: Site, logged_in: Callable[[str], Page], size: dict[str, int]) -> Page:
    site.clock.set(f"{LATE}T08:00")
    page = logged_in("zhaozz")
    page.set_viewport_size(size)
    page.goto(site.url + "/supervisor/deadlines")
    return page


def test_a_supervisor_reassigns_an_overdue_item_and_the_other_agent_sees_it(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    item = complaint_of(site, "A01")
    supervisor = deadlines(site, logged_in, DESKTOP)
    row = supervisor.locator(f"#order-{item}")
    expect(row).to_contain_text("已超时")
    expect(row.locator("select[name=to]")).to_have_value("")
    shot(supervisor, "supervisor-deadlines")
    row.locator("select[name=to]").select_option("A02")
    row.get_by_role("button", name="改派", exact=True).click()
    expect(supervisor.locator(f"#order-{item}")).to_contain_text("已改派给 A02")
    assert supervisor.url.endswith("/supervisor/deadlines")  # no page load: htmx swapped the row

    other = logged_in("liqiang")
    other.goto(site.url + "/agent")
    expect(other.locator(f"#line-{item}")).to_be_visible()


def test_a_supervisor_reassigns_several_rows_at_once_and_reads_what_happened_to_each(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    first, second = complaint_of(site, "A01"), complaint_of(site, "A03")
    page = deadlines(site, logged_in, DESKTOP)
    for order in (first, second):
        page.locator(f"#order-{order} td.pick input").check()
    page.locator("form.bulk select[name=to]").select_option("A02")
    page.get_by_role("button", name="批量改派").click()
    expect(page.locator("p.summary")).to_have_text("已把 2 张工单中的 2 张改派给 A02。")
    for order in (first, second):
        expect(page.locator(f"#order-{order}")).to_contain_text("已改派给 A02")
    shot(page, "supervisor-bulk-reassign")


def test_on_a_phone_the_deadline_rows_keep_reassign_and_urge_on_screen(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    item = complaint_of(site, "A01")
    page = deadlines(site, logged_in, PHONE)
    row = page.locator(f"#order-{item}")
    expect(row).to_contain_text("已超时")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for name in ("改派", "催办"):
        button = row.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    shot(page, "supervisor-deadlines-phone")
    row.locator("select[name=to]").select_option("A02")
    row.get_by_role("button", name="改派", exact=True).click()
    expect(page.locator(f"#order-{item}")).to_contain_text("已改派给 A02")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_agents_page_refreshes_its_counts_every_minute_without_a_reload(
    site: Site, logged_in: Callable[[str], Page]
) -> None:
    page = logged_in("zhaozz")
    page.set_viewport_size(DESKTOP)
    page.clock.install()
    page.goto(site.url + "/supervisor")
    attempted = page.locator("#agent-A01 td.attempted")
    expect(attempted).to_have_text("0")
    page.evaluate("window.loadedOnce = true")
    site.center.ok(
        "outcome", str(complaint_of(site, "A01")), "--code", "no_answer", now=f"{DAY} 10:00"
    )
    page.clock.run_for(61_000)
    expect(attempted).to_have_text("1")
    assert page.evaluate("window.loadedOnce")  # the same page: only the tables came again
    shot(page, "supervisor-agents")
    page.set_viewport_size(PHONE)
    page.goto(site.url + "/supervisor/absences")
    shot(page, "supervisor-absences-phone")
