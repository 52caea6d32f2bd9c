"""A department's page and the supervisor's Tickets page in Chromium: Chinese, clean in the
console, fitting a phone, and the department's reply made through its form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from outbound.config import load_config
from outbound.staff import users
from outbound.store.db import open_database
from tests.browser.conftest import shot
from tests.browser.test_pages import PHONE, WORDS
from tests.e2e.conftest import Center
from tests.e2e.test_ticket_intake import SCRIPT, TICKET_TYPES
from tests.e2e.test_ticket_loop import DEPARTMENTS
from tests.language import english_runs
from tests.web.conftest import PASSWORD, Site

NOW = "2026-11-02 10:00"


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    made = new_center(TICKET_TYPES + DEPARTMENTS)
    (made.folder / "scripts" / "complaint_ticket.j2").write_text(SCRIPT, encoding="utf-8")
    return made


@pytest.fixture
def escalated(site: Site) -> int:
    engine = open_database(load_config(site.center.folder).database_url)
    users.add(engine, "zhuangwei", "department", PASSWORD, site.clock(), "装维部")
    engine.dispose()
    path = site.center.folder / "tickets.csv"
    path.write_text(
        "external_id,source,type,line_id,received_at,text\n"
        "CRM-1,crm,complaint,QY0000000001,2026-11-02 09:30,宽带晚上掉线\n",
        encoding="utf-8",
    )
    site.center.ok("tickets", "import", str(path), now=NOW)
    order = site.center.json("orders", "--type", "complaint", now=NOW)["orders"][0]["id"]
    out = site.center.ok("outcome", str(order), "--code", "escalate", "--note", "光猫故障", now=NOW)
    return int(out.rsplit("follow-up order ", 1)[1].split()[0])


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
    if supervisor == "qianss":
        engine = open_database(load_config(site.center.folder).database_url)
        users.add(engine, "qianss", "supervisor", PASSWORD, site.clock(), "S02")
        engine.dispose()
    page = logged_in(supervisor)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    text = clean(page, "/supervisor/tickets?month=2026-11", errors)
    assert "2026-11 受理的工单" in text and "装维部" in text
    assert page.locator("figure.chart svg").count() == 1
    shot(page, "supervisor-tickets-desk")
