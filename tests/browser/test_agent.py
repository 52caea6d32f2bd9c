"""An agent at work in Chromium: the compact list (a screen shows many customers, a line opens
its card and closes again), an outcome recorded in place, a key recording an outcome in the
next-call mode, and the phone's width (nothing off screen, the title not under the header)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, shot
from tests.e2e.conftest import DAY, Center
from tests.web.conftest import Site

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    """The call center with a day's list of ten customers for A01 (campaign quotas and agent
    capacities raised)."""
    made = new_center("")
    for path in (made.folder / "campaigns").glob("*.toml"):
        text = re.sub(r"per_agent_per_day = \d+", "per_agent_per_day = 20", path.read_text("utf-8"))
        path.write_text(text, "utf-8")
    agents = made.folder / "agents.csv"
    agents.write_text(re.sub(r",\d,(S0\d)", r",30,\1", agents.read_text("utf-8")), "utf-8")
    made.ok("agents", "import", str(agents))
    return made


@pytest.fixture
def agent_at(chromium: Browser, site: Site) -> Callable[[dict[str, int]], Page]:
    """A01's list, logged in, in a window of the given size."""

    def open_at(viewport: dict[str, int]) -> Page:
        context = chromium.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[arg-type]
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(site.url + "/login")
        page.fill("input[name=name]", "wangli")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/agent$"))
        return page

    return open_at


def visible_lines(page: Page) -> int:
    """How many customers' lines lie wholly within the window as it is."""
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll("details.line > summary")].filter(s => {
                 const box = s.getBoundingClientRect();
                 return box.top >= 0 && box.bottom <= window.innerHeight;
               }).length"""
        )
    )


def test_a_screen_of_the_list_shows_many_customers_and_a_line_opens_its_card(
    site: Site, agent_at: Callable[[dict[str, int]], Page]
) -> None:
    calls = site.center.calls("A01", DAY)
    assert len(calls) >= 8
    page = agent_at(DESKTOP)
    expect(page.locator("details.line")).to_have_count(len(calls))
    assert visible_lines(page) >= 8
    shot(page, "agent-list-desktop")

    first = page.locator(f"#line-{calls[0]['item']}")
    first.locator("summary .who").click()
    card = first.locator("article.item")
    expect(card.locator(".script")).to_have_text(calls[0]["script"])
    expect(card.locator("button[data-key='1']")).to_contain_text("无人接听")
    shot(page, "agent-card-open")
    card.locator("[data-close]").click()
    expect(card).to_be_hidden()

    page.fill("input[name=q]", calls[-1]["phone"][-7:])
    expect(page.locator("details.line")).to_have_count(1)


def test_an_agent_records_an_outcome_in_place_and_the_counter_and_done_list_move(
    site: Site, agent_at: Callable[[dict[str, int]], Page]
) -> None:
    calls = site.center.calls("A01", DAY)
    page = agent_at(DESKTOP)
    expect(page.locator("#progress strong")).to_have_text("0")
    line = page.locator(f"#line-{calls[0]['item']}")
    line.locator("summary .who").click()
    card = line.locator("article.item")
    card.locator("textarea[name=note]").fill("客户说下月再考虑")
    card.locator("button[name=code][value=declined]").click()

    expect(card.locator(".result")).to_contain_text("婉拒")
    expect(page.locator("#progress strong")).to_have_text("1")
    expect(line.locator("summary .status")).to_have_text("已完成")
    expect(page.locator("#done")).to_contain_text("婉拒")
    assert page.url.endswith("/agent")  # recorded in place, no page load
    history = site.center.json("orders", "--history", str(calls[0]["item"]))["events"]
    outcome = next(e for e in history if e["kind"] == "outcome")
    assert (outcome["code"], outcome["note"]) == ("declined", "客户说下月再考虑")

    page.locator("#done button.undo").click()
    expect(page.locator("#done")).to_contain_text("已撤销")
    expect(page.locator("#progress strong")).to_have_text("0")
    expect(page.locator(f"#line-{calls[0]['item']} .status")).to_have_text("未拨打")
    shot(page, "agent-undone")


def test_a_key_records_an_outcome_in_the_next_call_mode_and_the_next_customer_comes(
    site: Site, agent_at: Callable[[dict[str, int]], Page]
) -> None:
    first, second, *_ = site.center.calls("A01", DAY)
    page = agent_at(DESKTOP)
    page.get_by_role("link", name="逐个拨打").click()
    expect(page.locator("article.item")).to_have_attribute("id", f"item-{first['item']}")
    page.locator("textarea[name=note]").fill("按 2 不会登记")  # typing a digit records nothing
    page.locator("textarea[name=note]").press("2")
    expect(page.locator("article.item")).to_have_attribute("id", f"item-{first['item']}")
    page.locator("textarea[name=note]").fill("")
    page.locator(".script").click()
    shot(page, "agent-next-desktop")
    page.keyboard.press("2")  # 占线

    expect(page.locator("article.item")).to_have_attribute("id", f"item-{second['item']}")
    expect(page.locator(".just")).to_contain_text("占线")
    assert (
        site.center.json("orders", "--history", str(first["item"]))["events"][-1]["code"] == "busy"
    )
    shot(page, "agent-next-after-key")


def test_at_a_phones_width_nothing_is_off_screen_and_the_title_is_not_under_the_header(
    site: Site, agent_at: Callable[[dict[str, int]], Page]
) -> None:
    calls = site.center.calls("A01", DAY)
    page = agent_at(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    title = page.locator("#list-title").bounding_box()
    header = page.locator("header.top").bounding_box()
    assert title and header and title["y"] >= header["y"] + header["height"]
    shot(page, "agent-list-phone")

    page.locator(f"#line-{calls[0]['item']} summary .who").click()
    expect(page.locator(f"#item-{calls[0]['item']} .script")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.mouse.wheel(0, 400)
    title = page.locator("#list-title").bounding_box()
    header = page.locator("header.top").bounding_box()
    assert (
        title
        and header
        and (title["y"] + title["height"] <= 0 or title["y"] >= header["y"] + header["height"])
    )
    shot(page, "agent-card-phone")

    page.goto(site.url + "/agent/next")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "agent-next-phone")
