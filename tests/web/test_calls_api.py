"""Calls over real HTTP: the agent's page records its dial link clicked (with the session's
CSRF token, as agent.js sends it), and a softphone or switch posts each call once, every
refusal naming its field."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import sqlalchemy as sa

from outbound.config import load_config
from outbound.orders.calls import CALLS
from outbound.staff import users
from outbound.store.db import open_database
from tests.web.conftest import DAY, PASSWORD, Browser, Site, csrf_of


@pytest.fixture
def people(site: Site) -> Site:
    engine = open_database(load_config(site.center.folder).database_url)
    users.add(engine, "switch", "system", PASSWORD, site.clock())
    engine.dispose()
    return site


def stored_calls(site: Site) -> list[sa.Row]:
    engine = open_database(load_config(site.center.folder).database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(CALLS).order_by(CALLS.c.id)).all()
    engine.dispose()
    return list(rows)


def click(browser: Browser, site: Site, item: int, token: str) -> requests.Response:
    """What agent.js does when a dial link is clicked."""
    return browser.post(f"{site.url}/agent/items/{item}/opened", headers={"X-CSRF-Token": token})


def test_a_dial_link_clicked_records_the_moment_for_the_agents_own_item(site: Site) -> None:
    mine = site.center.calls("A01", DAY)[0]["item"]
    theirs = site.center.calls("A02", DAY)[0]["item"]
    browser = site.login("wangli")
    page = browser.page("/agent")
    assert f'data-opened="/agent/items/{mine}/opened"' in page.text
    token = csrf_of(page.text)
    site.clock.set(f"{DAY}T10:15")
    assert click(browser, site, mine, token).status_code == 204
    assert click(browser, site, theirs, token).status_code == 404
    assert click(browser, site, mine, "stale").status_code == 403
    assert click(browser, site, 2**63, token).status_code == 404
    (row,) = stored_calls(site)
    assert (row.order_id, row.agent_id, row.source, row.started_at) == (mine, "A01", "page", None)
    assert row.opened_at == dt.datetime(2026, 11, 2, 2, 15, tzinfo=dt.UTC)  # 10:15 in Shanghai


def call(item: int, agent: str = "A01", **changes: str) -> dict[str, object]:
    return {
        "order_id": item,
        "agent_id": agent,
        "started_at": f"{DAY}T10:20:05+08:00",
        "ended_at": f"{DAY}T10:23:35+08:00",
        "call_id": "PBX-20261102-0001",
    } | changes


def test_a_switch_posting_the_same_call_twice_stores_it_once(people: Site) -> None:
    item = people.center.calls("A01", DAY)[0]["item"]
    switch = people.api("switch")
    first = switch.post(f"{people.url}/api/calls", json=call(item))
    assert first.status_code == 201, first.text
    again = switch.post(f"{people.url}/api/calls", json=call(item))
    assert again.status_code == 200
    assert again.json() == first.json() | {"new": False}
    assert first.json()["new"] is True
    (row,) = stored_calls(people)
    assert (row.order_id, row.agent_id, row.source, row.external_id) == (
        item,
        "A01",
        "switch",
        "PBX-20261102-0001",
    )
    changed = switch.post(
        f"{people.url}/api/calls", json=call(item, ended_at=f"{DAY}T10:25:00+08:00")
    )
    assert changed.status_code == 409
    assert changed.json()["detail"][0]["loc"] == ["body", "call_id"]
    assert len(stored_calls(people)) == 1


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"started_at": f"{DAY}T10:20:05"}, "started_at", "没有时区"),
        ({"ended_at": f"{DAY}T10:20:00+08:00"}, "ended_at", "早于"),
        ({"ended_at": f"{DAY}T02:20:00Z"}, "ended_at", "早于"),  # 10:20 in Shanghai
        ({"order_id": 99_999}, "order_id", "没有这个工单"),
        ({"agent_id": "A04"}, "agent_id", "不是坐席 A04 的"),
    ],
)
def test_a_switchs_bad_call_is_refused_naming_the_field(
    people: Site, changes: dict[str, object], field: str, says: str
) -> None:
    item = people.center.calls("A01", DAY)[0]["item"]
    answer = people.api("switch").post(f"{people.url}/api/calls", json=call(item) | changes)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", field] and says in problem["msg"]
    assert stored_calls(people) == []


def test_an_agents_token_posts_that_agents_own_calls_only(people: Site) -> None:
    mine = people.center.calls("A01", DAY)[0]["item"]
    theirs = people.center.calls("A02", DAY)[0]["item"]
    agent = people.api("wangli")
    assert agent.post(f"{people.url}/api/calls", json=call(mine)).status_code == 201
    for_another = agent.post(f"{people.url}/api/calls", json=call(theirs, "A02", call_id="PBX-2"))
    assert for_another.status_code == 422
    assert for_another.json()["detail"][0]["loc"] == ["body", "agent_id"]
    english = agent.post(
        f"{people.url}/api/calls",
        json=call(theirs, call_id="PBX-3"),
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422
    assert english.json()["detail"][0]["msg"] == f"work order {theirs} is not agent A01's"
    assert people.api("sunyx").post(f"{people.url}/api/calls", json=call(mine)).status_code == 403
    assert requests.post(f"{people.url}/api/calls", json=call(mine)).status_code == 401
    assert len(stored_calls(people)) == 1
