"""Tickets through the API, and a department's page and API: its own orders only, with their
clocks and urges, and its structured reply that brings the customer's first agent a call."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from outbound.config import load_config
from outbound.staff import users
from outbound.store.db import open_database
from tests.e2e.conftest import Center
from tests.e2e.test_ticket_intake import SCRIPT, TICKET_TYPES
from tests.e2e.test_ticket_loop import DEPARTMENTS
from tests.web.conftest import PASSWORD, Site

NOW = "2026-11-02 10:00"


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    made = new_center(TICKET_TYPES + DEPARTMENTS)
    (made.folder / "scripts" / "complaint_ticket.j2").write_text(SCRIPT, encoding="utf-8")
    return made


@pytest.fixture
def people(site: Site) -> Site:
    engine = open_database(load_config(site.center.folder).database_url)
    now = site.clock()
    users.add(engine, "crm", "system", PASSWORD, now)
    users.add(engine, "zhuangwei", "department", PASSWORD, now, "装维部")
    users.add(engine, "wangluo", "department", PASSWORD, now, "网络部")
    users.add(engine, "qianss", "supervisor", PASSWORD, now, "S02")
    engine.dispose()
    return site


def ticket(number: int, kind: str = "complaint", line: str = "QY0000000001") -> dict:
    return {
        "external_id": f"CRM-{number}",
        "source": "crm",
        "type": kind,
        "line_id": line,
        "received_at": "2026-11-02T09:40:00+08:00",
        "text": "客户反映宽带晚上掉线",
    }


def test_a_batch_is_taken_with_each_refused_item_named(people: Site) -> None:
    crm = people.api("crm")
    batch = [ticket(1), ticket(2, kind="praise"), ticket(3, line="QY0000000003")]
    answer = crm.post(people.url + "/api/tickets", json=batch)
    assert answer.status_code == 207
    body = answer.json()
    assert (body["read"], body["taken"], body["dispatched"]) == (3, 2, 2)
    assert [(r["item"], r["field"]) for r in body["refused"]] == [(2, "type")]
    assert set(body["orders"]) == {"1", "3"}

    again = crm.post(people.url + "/api/tickets", json=batch).json()
    assert (again["taken"], again["repeated"]) == (0, 2)
    single = crm.post(people.url + "/api/tickets", json={**ticket(9), "received_at": "明天"})
    assert single.status_code == 422
    assert single.json()["refused"][0]["field"] == "received_at"
    assert people.api("sunyx").post(people.url + "/api/tickets", json=batch).status_code == 403


def escalated(people: Site) -> int:
    crm = people.api("crm")
    order = crm.post(people.url + "/api/tickets", json=ticket(1)).json()["orders"]["1"]
    out = people.center.ok(
        "outcome", str(order), "--code", "escalate", "--note", "光猫故障", now=NOW
    )
    return int(out.rsplit("follow-up order ", 1)[1].split()[0])


def test_a_department_sees_and_answers_only_its_own_orders(people: Site) -> None:
    follow_up = escalated(people)
    people.center.ok("urge", str(follow_up), "--by", "S01", now=NOW)
    network, install = people.api("wangluo"), people.api("zhuangwei")
    assert network.get(people.url + "/api/department/orders").json() == []
    refused = network.post(
        people.url + f"/api/department/orders/{follow_up}/reply", json={"result": "fixed"}
    )
    assert refused.status_code == 404
    assert refused.headers["X-Refusal-Code"] == "no_department_order"

    mine = install.get(people.url + "/api/department/orders").json()
    assert [(o["id"], o["external_id"], o["urged"]) for o in mine] == [(follow_up, "CRM-1", 1)]
    replied = install.post(
        people.url + f"/api/department/orders/{follow_up}/reply",
        json={"result": "fixed", "note": "已更换光猫"},
    ).json()
    assert replied["recall"] is not None


def test_the_department_page_is_chinese_and_its_reply_form_works(people: Site) -> None:
    follow_up = escalated(people)
    browser = people.login("zhuangwei")
    page = browser.page("/department")
    assert "装维部工单" in page.text and f"#{follow_up}" in page.text
    assert "光猫故障" in page.text
    refused = browser.submit(
        f"/department/orders/{follow_up}/reply", {"result": "cannot_fix"}, from_page="/department"
    )
    assert refused.status_code == 409 and "请说明无法修复的原因" in refused.text
    done = browser.submit(
        f"/department/orders/{follow_up}/reply",
        {"result": "cannot_fix", "reason": "线路需改造"},
        from_page="/department",
    )
    assert done.status_code == 200 and "无法修复" in done.text
    assert browser.page("/supervisor/deadlines").status_code in (401, 403)


def test_the_supervisor_reads_the_months_tickets_in_chinese_and_reopens_an_order(
    people: Site,
) -> None:
    follow_up = escalated(people)
    people.api("zhuangwei").post(
        people.url + f"/api/department/orders/{follow_up}/reply", json={"result": "fixed"}
    )
    orders = people.center.json("orders", "--type", "complaint", now=NOW)["orders"]
    first_agent = next(o["agent"] for o in orders if o["channel"] == "call")
    browser = people.login("zhaozz" if first_agent in ("A01", "A02", "A03") else "qianss")
    page = browser.page("/supervisor/tickets?month=2026-11")
    assert page.status_code == 200
    assert "2026-11 受理的工单" in page.text and "投诉回访" in page.text
    assert "装维部" in page.text and "<svg" in page.text

    reopened = browser.submit(
        "/supervisor/orders/reopen",
        {"order": str(follow_up), "reason": "客户说还没修好"},
        from_page="/supervisor/tickets",
    )
    assert reopened.status_code == 200 and f"工单 {follow_up} 已重新打开" in reopened.text
    again = browser.submit(
        "/supervisor/orders/reopen",
        {"order": str(follow_up), "reason": "再开一次"},
        from_page="/supervisor/tickets",
    )
    assert again.status_code == 409 and f"工单 {follow_up} 还没有结束" in again.text
    mine = people.api("zhuangwei").get(people.url + "/api/department/orders").json()
    assert [(o["id"], o["state"]) for o in mine] == [(follow_up, "open")]


def test_an_overdue_order_shows_on_the_department_page_whom_it_went_up_to(
    people: Site,
) -> None:
    follow_up = escalated(people)
    people.center.ok("run", "--date", "2026-11-04", now="2026-11-04 11:00")
    page = people.login("zhuangwei").page("/department")
    row = page.text.split(f'id="order-{follow_up}"', 1)[1].split("</tr>", 1)[0]
    assert "已升级至班长 S0" in row
