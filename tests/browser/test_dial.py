"""The dial link in Chromium: clicking it tells the server when the item was opened, the start
of its handling time, with the page's CSRF token."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from playwright.sync_api import Page

from outbound.config import load_config
from outbound.orders.calls import CALLS
from outbound.store.db import open_database
from tests.browser.test_agent import DESKTOP, agent_at, center  # noqa: F401
from tests.e2e.conftest import DAY
from tests.web.conftest import Site


def test_clicking_the_dial_link_records_the_item_opened_by_its_agent(
    site: Site,
    agent_at: Callable[[dict[str, int]], Page],  # noqa: F811
) -> None:
    first = site.center.calls("A01", DAY)[0]["item"]
    page = agent_at(DESKTOP)
    site.clock.set(f"{DAY}T10:42")
    with page.expect_response(lambda answer: answer.url.endswith(f"/{first}/opened")) as sent:
        page.locator(f"#sum-{first} a.phone").click()
    assert sent.value.status == 204
    engine = open_database(load_config(site.center.folder).database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(CALLS.c.order_id, CALLS.c.agent_id, CALLS.c.source))
        assert rows.all() == [(first, "A01", "page")]
    engine.dispose()
