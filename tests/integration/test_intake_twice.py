"""Two takers of the same tickets at once (two API workers given one batch, a consumer and a
file import of the same stream): each ticket becomes one work order, and what one took the
other counts as already taken."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.orders import intake, tickets
from outbound.store.db import open_database
from outbound.store.orders import ORDERS, TICKETS
from tests.e2e.conftest import Center, new_center  # noqa: F401
from tests.e2e.test_ticket_intake import TICKET_TYPES

NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:  # noqa: F811
    return new_center(TICKET_TYPES)


def test_two_takers_of_one_batch_at_once_make_each_ticket_one_order(center: Center) -> None:
    config = load_config(center.folder)
    rows = [
        {
            "external_id": f"CRM-{n}",
            "source": "crm",
            "type": "fault" if n % 3 == 0 else "complaint",
            "line_id": f"QY{n:010d}",
            "phone": f"139{n:08d}",
            "received_at": "2026-11-02T09:00:00+08:00",
            "text": "宽带断线，已报修",
        }
        for n in range(1, 301)
    ]
    batch = tickets.read(rows, config, NOW)
    assert not batch.problems
    engines = [open_database(config.database_url) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[intake.Taken] = []

    def take(engine: sa.Engine) -> None:
        start.wait()
        results.append(intake.take_in(config, engine, batch.tickets, NOW, "api"))

    threads = [threading.Thread(target=take, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 2
    assert sum(len(r.orders) for r in results) == 300
    assert sum(r.repeated for r in results) == 300
    assert all(not r.problems for r in results)
    with engines[0].connect() as connection:
        orders = connection.scalar(
            sa.select(sa.func.count()).select_from(ORDERS).where(ORDERS.c.ticket_id.is_not(None))
        )
        taken = connection.scalar(sa.select(sa.func.count()).select_from(TICKETS))
        unlinked = connection.scalar(
            sa.select(sa.func.count()).select_from(TICKETS).where(TICKETS.c.order_id.is_(None))
        )
    assert (orders, taken, unlinked) == (300, 300, 0)
    for engine in engines:
        engine.dispose()
