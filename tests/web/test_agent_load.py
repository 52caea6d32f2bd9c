"""The agent's list under load: a request holds one connection of the pool at a time (holding
one while waiting for another, every thread of the pool did at once, and none got one), and what
the first pages of a shift read (the customers' names, the numbers as dialled) is read once, as
the server starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from outbound.config import load_config
from outbound.extract import snapshots
from outbound.orders import customers
from outbound.staff import users
from outbound.store.db import open_database
from outbound.store.orders import ORDERS
from outbound.web import agent, numbers
from outbound.web.app import create_app
from outbound.web.main import settled
from outbound.web.names import Names
from tests.web.conftest import DAY, Site

PAGES = ["/agent", "/agent/lines", "/agent/lines?state=all", "/agent/reminders", "/agent/next"]


@pytest.fixture
def one_connection(site: Site) -> Iterator[sa.Engine]:
    """An engine on the site's database with a pool of one connection, which gives up waiting
    for it after two seconds."""
    url = load_config(site.center.folder).database_url
    engine = sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
    yield engine
    engine.dispose()


def test_the_list_pages_and_api_need_one_connection_at_a_time(
    site: Site, one_connection: sa.Engine
) -> None:
    cookie = site.login("wangli").cookies["session"]  # signed with the database's key
    token = users.new_token(one_connection, "wangli")
    app = create_app(load_config(site.center.folder), one_connection, site.clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in PAGES:
            answer = client.get(path, cookies={"session": cookie})
            assert answer.status_code == 200, (path, answer.text[:300])
        item = site.center.calls("A01", DAY)[0]["item"]
        card = client.get(f"/agent/items/{item}", cookies={"session": cookie})
        assert card.status_code == 200
        listing = client.get(
            "/api/agents/A01/list",
            params={"date": DAY},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listing.status_code == 200, listing.text[:300]
        assert listing.json()["items"][0]["item"] == item


def test_the_names_of_the_latest_lists_are_read_before_agents_ask(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(ORDERS.c.month, ORDERS.c.line_id).where(ORDERS.c.agent_id == "A01")
            ).mappings()
            rows = [dict(row) for row in rows]
            expected = customers.Names().of(config, engine, rows)
            assert expected, "the sample extract names its customers"
            names = Names()
            names.warm(config, connection)

            def unread(*_: object) -> None:
                raise AssertionError("read from the snapshot again")

            monkeypatch.setattr(snapshots, "load_lines", unread)
            assert names.of(config, connection, rows) == expected
    finally:
        engine.dispose()


def test_a_server_starting_reads_the_lists_names_and_dial_forms(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(site.center.folder)
    engine = open_database(config.database_url)
    monkeypatch.setattr(agent, "_NAMES", Names())
    numbers.dialable.cache_clear()
    try:
        settled(create_app(config, engine, site.clock))
        phone = site.center.calls("A01", DAY)[0]["phone"]
        before = numbers.dialable.cache_info().hits
        numbers.dialable(phone, config.extract.country)
        assert numbers.dialable.cache_info().hits == before + 1
    finally:
        engine.dispose()
