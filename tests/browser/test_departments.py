"""A department's page and the supervisor's Tickets page in Chromium: Chinese, clean in the
console, fitting a phone, and the department's reply made through its form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import shot
from tests.browser.test_pages import PHONE, WORDS
from tests.language import english_runs
from tests.web.conftest import Site
from tests.web.test_departments import center, people  # noqa: F401
from tests.web.test_departments import escalated as escalate_a_ticket

NOW = "2026-11-02 10:00"


@pytest.fixture
def escalated(people: Site) -> int:  # noqa: F811
    return escalate_a_ticket(people)


def clean(page: Page, path: str, errors: list[str]) -> str:
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + path)
    page.wait_for_load_state("networkidle")
    assert errors == [], (path, errors)
    text = page.evaluate(WORDS)
    assert english_runs(text) == [], path
    return text


def test_a_department_replies_through_its_page_in_chinese_on_a_desk_and_a_phone(
    logged_in: Callable[[str], Page], escalated: int
) -> None:
    page = logged_in("zhuangwei")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    text = clean(page, "/department", errors)
    assert "装维部工单" in text and "光猫故障" in text
    shot(page, "department-desk")

    page.set_viewport_size(PHONE)
    clean(page, "/department", errors)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "department-phone")

    row = page.locator(f"#order-{escalated}")
    row.locator("select[name=result]").select_option("cannot_fix")
    row.locator("input[name=reason]").fill("线路需改造")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "无法修复" in page.locator(f"#order-{escalated}").inner_text()
    assert errors == []


def test_the_supervisors_tickets_page_shows_its_chart_in_chinese(
    logged_in: Callable[[str], Page], escalated: int, site: Site
) -> None:
    orders = site.center.json("orders", "--type", "complaint", now=NOW)["orders"]
    first = next(o["agent"] for o in orders if o["channel"] == "call")
    supervisor = "zhaozz" if first in ("A01", "A02", "A03") else "qianss"
    page = logged_in(supervisor)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    text = clean(page, "/supervisor/tickets?month=2026-11", errors)
    assert "2026-11 受理的工单" in text and "装维部" in text
    assert page.locator("figure.chart svg").count() == 1
    shot(page, "supervisor-tickets-desk")
