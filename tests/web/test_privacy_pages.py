"""Customers' numbers on the pages and in the API: an agent dials their own items (full number,
tel: link, nothing logged); every other role sees them masked, unless [privacy]
full_phone_roles grants its role the full number, each page or answer then one audit row."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from outbound import privacy
from outbound.config import load_config
from outbound.extract.phones import dialable
from outbound.store.db import open_database
from outbound.store.models import AuditEntry
from tests.e2e.conftest import DAY, Center
from tests.e2e.test_ticket_intake import SCRIPT, TICKET_TYPES
from tests.e2e.test_ticket_loop import DEPARTMENTS
from tests.web.conftest import Site
from tests.web.test_departments import escalated, people  # noqa: F401
from tests.web.test_supervisor_pages import LATE, complaint_of

FULL = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|\+86|\d{4}-\d{7}")  # mobiles, +86, 0934-3955739
MASKED = re.compile(r"\d{3}\*{3,4}\d{4}")
GRANTED = ["supervisor", "department", "admin"]


@pytest.fixture
def center(request: pytest.FixtureRequest, new_center: Callable[[str], Center]) -> Center:
    """The call center with tickets and departments; the roles of the test's parameter (none
    by default) granted full numbers."""
    roles: list[str] = getattr(request, "param", [])
    grant = f"\n[privacy]\nfull_phone_roles = {roles!r}\n".replace("'", '"') if roles else ""
    made = new_center(TICKET_TYPES + DEPARTMENTS + grant)
    (made.folder / "scripts" / "complaint_ticket.j2").write_text(SCRIPT, encoding="utf-8")
    return made


def audit_rows(site: Site) -> list[tuple[str, str, str, str | None, int]]:
    """The audit rows the web app wrote (the tests' own command listings left aside)."""
    engine = open_database(load_config(site.center.folder).database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                AuditEntry.who,
                AuditEntry.role,
                AuditEntry.where,
                AuditEntry.subject,
                AuditEntry.numbers,
            )
            .where(AuditEntry.role != privacy.COMMAND)
            .order_by(AuditEntry.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def masked_only(text: str, phones: list[str]) -> None:
    """TEXT shows numbers, each masked, and not one of PHONES in any form."""
    assert FULL.search(text) is None, FULL.search(text)
    assert MASKED.search(text)
    assert not any(phone[-8:] in re.sub(r"\D", "", text) for phone in phones)


def test_an_agent_dials_their_own_items_with_nothing_written_to_the_audit_log(
    people: Site,  # noqa: F811
) -> None:
    calls = people.center.calls("A01", DAY)
    wangli = people.login("wangli")
    page = wangli.page("/agent").text
    item = wangli.page(f"/agent/items/{calls[0]['item']}").text
    answer = people.api("wangli").get(people.url + "/api/agents/A01/list")
    assert answer.status_code == 200
    for call in calls:
        assert f'href="tel:{call["phone"]}"' in page
        assert f">{dialable(call['phone'])}</a>" in page
    assert f'href="tel:{calls[0]["phone"]}"' in item
    assert [i["phone"] for i in answer.json()["items"]] == [c["phone"] for c in calls]
    assert MASKED.search(page + item + answer.text) is None
    assert audit_rows(people) == []


def test_without_the_grant_every_other_role_sees_numbers_masked_and_nothing_is_logged(
    people: Site,  # noqa: F811
) -> None:
    order = escalated(people)
    phones = [c["phone"] for agent in ("A01", "A02") for c in people.center.calls(agent, DAY)]
    complaint_of(people, "A01")
    texts = [
        people.login("root").page("/agent?agent=A01").text,  # an admin on an agent's list
        people.api("zhaozz").get(people.url + "/api/agents/A01/list").text,
        people.login("zhuangwei").page("/department").text,
        people.api("zhuangwei").get(people.url + "/api/department/orders").text,
    ]
    assert f"#{order}" in texts[2]
    people.clock.set(f"{LATE}T08:00")
    deadlines = people.login("zhaozz").page("/supervisor/deadlines").text
    assert 'class="phone"' in deadlines
    for text in [*texts, deadlines]:
        masked_only(text, phones)
        assert "tel:" not in text
    assert audit_rows(people) == []


@pytest.mark.parametrize("center", [GRANTED], indirect=True)
def test_a_granted_supervisor_sees_the_full_numbers_each_page_written_once_to_the_log(
    people: Site,  # noqa: F811
) -> None:
    item = complaint_of(people, "A01")
    phone = next(c["phone"] for c in people.center.calls("A01", DAY) if c["item"] == item)
    people.clock.set(f"{LATE}T08:00")
    page = people.login("zhaozz").page("/supervisor/deadlines").text
    row = re.search(rf'<tr id="order-{item}">(.*?)</tr>', page, re.S)
    assert row and f'href="tel:{phone}">{dialable(phone)}</a>' in row.group(1)
    shown = len(re.findall(r'<tr id="order-(\d+)">', page))
    ((who, role, where, subject, numbers),) = audit_rows(people)
    assert (who, role, where) == ("zhaozz", "supervisor", "/supervisor/deadlines")
    assert numbers == shown and subject is not None and subject.startswith(f"{shown}: ")
    assert str(item) in subject.split(": ")[1].split(",")

    asked = f"{people.url}/api/agents/A01/list?date={DAY}"
    listed = people.api("zhaozz").get(asked).json()["items"]
    assert FULL.search(str([i["phone"] for i in listed])) and MASKED.search(str(listed)) is None
    (_, api) = audit_rows(people)
    assert api[:3] == ("zhaozz", "supervisor", "/api/agents/A01/list")
    assert api[4] == len({i["phone"] for i in listed}) > 0


@pytest.mark.parametrize("center", [GRANTED], indirect=True)
def test_a_granted_department_sees_its_orders_numbers_in_full_each_view_logged(
    people: Site,  # noqa: F811
) -> None:
    order = escalated(people)
    page = people.login("zhuangwei").page("/department").text
    answer = people.api("zhuangwei").get(people.url + "/api/department/orders").json()
    assert [o["id"] for o in answer] == [order] and answer[0]["phone"].startswith("+86")
    assert dialable(answer[0]["phone"]) in page and MASKED.search(page) is None
    viewed = ("zhuangwei", "department", "/department", f"1: {order}", 1)
    assert audit_rows(people) == [
        viewed,  # the page the log-in lands on
        viewed,
        ("zhuangwei", "department", "/api/department/orders", f"1: {order}", 1),
    ]


@pytest.mark.parametrize("center", [GRANTED], indirect=True)
def test_with_the_grant_an_agent_still_dials_their_own_items_unlogged(
    people: Site,  # noqa: F811
) -> None:
    calls = people.center.calls("A01", DAY)
    page = people.login("wangli").page("/agent").text
    assert all(f'href="tel:{call["phone"]}"' in page for call in calls)
    assert audit_rows(people) == []
