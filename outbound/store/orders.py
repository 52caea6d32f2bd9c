"""Work orders in the store: bulk writes for the daily run, the reads planning needs, and the
event log. Every change of an order is an event (who, when, what, why)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from outbound.store.bulk import insert_frame
from outbound.store.models import Event, ListItem, OutboxMessage, Ticket, WorkOrder

OPEN_STATES = ("open", "assigned", "in_progress", "returned")
CLOSED_STATES = ("done", "expired")
STATES = OPEN_STATES + CLOSED_STATES
ORDERS = cast(sa.Table, WorkOrder.__table__)
EVENTS = cast(sa.Table, Event.__table__)
LIST_ITEMS = cast(sa.Table, ListItem.__table__)
OUTBOX = cast(sa.Table, OutboxMessage.__table__)
TICKETS = cast(sa.Table, Ticket.__table__)
ORDER_COLUMNS = [c.name for c in ORDERS.columns if c.name not in ("id", "version")]
# Every write of an order bumps its version (see WorkOrder.version).
BUMP = {"version": ORDERS.c.version + 1}


def insert_orders(connection: sa.Connection, orders: pd.DataFrame) -> None:
    """Write ORDERS (columns of work_orders but id) at once."""
    insert_frame(connection, ORDERS, orders.reindex(columns=ORDER_COLUMNS))


def insert_events(connection: sa.Connection, events: pd.DataFrame) -> None:
    """Write EVENTS (order_id, at, actor, kind, code, detail) at once."""
    columns = ["order_id", "at", "actor", "kind", "code", "detail"]
    insert_frame(connection, EVENTS, events.reindex(columns=columns))


def insert_list_items(connection: sa.Connection, items: pd.DataFrame) -> None:
    """Write the day's list lines (day, order_id, agent_id, campaign, new)."""
    columns = ["day", "order_id", "agent_id", "campaign", "new"]
    insert_frame(connection, LIST_ITEMS, items.reindex(columns=columns))


def relist(connection: sa.Connection, day: dt.date, order_ids: list[int]) -> dict[int, bool]:
    """Take ORDER_IDS off DAY's lists, to be listed again: whether each was new there."""
    was: dict[int, bool] = {}
    for start in range(0, len(order_ids), 1000):
        chunk = order_ids[start : start + 1000]
        where = sa.and_(LIST_ITEMS.c.day == day, LIST_ITEMS.c.order_id.in_(chunk))
        query = sa.select(LIST_ITEMS.c.order_id, LIST_ITEMS.c.new).where(where)
        was.update({int(order): bool(new) for order, new in connection.execute(query)})
        connection.execute(sa.delete(LIST_ITEMS).where(where))
    return was


def log(
    connection: sa.Connection,
    order_id: int,
    at: dt.datetime,
    actor: str,
    kind: str,
    code: str | None = None,
    detail: str | None = None,
    *,
    reason: str | None = None,
    note: str | None = None,
    callback_at: dt.datetime | None = None,
    late: bool | None = None,
) -> int:
    """One event of ORDER_ID (its id); an outcome also keeps its reason, note and callback
    time, and whether it came after the order's deadline."""
    written = connection.execute(
        sa.insert(EVENTS).values(
            order_id=order_id,
            at=at,
            actor=actor,
            kind=kind,
            code=code,
            detail=detail,
            reason=reason,
            note=note,
            callback_at=callback_at,
            late=late,
        )
    )
    assert written.inserted_primary_key is not None
    return int(written.inserted_primary_key[0])


def change_unchanged(
    connection: sa.Connection,
    seen: pd.DataFrame,
    values_of: Callable[..., dict[str, Any]],
    by: str | None = None,
) -> set[int]:
    """Change the orders of SEEN (id, version as read, and column BY) that are still at the
    version they were read with, to values_of(their BY value); the ids changed. An order that
    another writer changed meanwhile is left as that writer left it."""
    changed: set[int] = set()
    keys = ["version", by] if by else ["version"]
    for key, rows in seen.groupby(keys, sort=False):
        version, *rest = key
        ids = [int(i) for i in rows["id"]]
        for start in range(0, len(ids), 1000):
            result = connection.execute(
                sa.update(ORDERS)
                .where(ORDERS.c.id.in_(ids[start : start + 1000]), ORDERS.c.version == int(version))
                .values(**values_of(*rest), **BUMP)
                .returning(ORDERS.c.id)
            )
            changed.update(result.scalars())
    return changed


def messages_sent(connection: sa.Connection, sent: Sequence[tuple[int, str, dt.datetime]]) -> None:
    """The orders whose message the provider took (order id, provider id, at): contacted once,
    and the event in their history."""
    if not sent:
        return
    connection.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id == sa.bindparam("order"))
        .values(last_contact_at=sa.bindparam("contact_at"), attempts=1, **BUMP),
        [{"order": order_id, "contact_at": at} for order_id, _, at in sent],
    )
    connection.execute(
        sa.insert(EVENTS),
        [
            {
                "order_id": order_id,
                "at": at,
                "actor": "engine",
                "kind": "sent",
                "code": None,
                "detail": sid,
            }
            for order_id, sid, at in sent
        ],
    )


def close_sent(connection: sa.Connection, sent: Sequence[tuple[int, dt.datetime]]) -> None:
    """Close the open orders whose message went (order id, at) through a channel that reports
    no delivery: sent is as far as anyone will know."""
    if not sent:
        return
    at = dict(sent)
    closed = connection.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id.in_(list(at)), ORDERS.c.state.in_(OPEN_STATES))
        .values(state="done", result="sent", closed_at=max(at.values()), **BUMP)
        .returning(ORDERS.c.id)
    )
    events = [
        {
            "order_id": order_id,
            "at": at[order_id],
            "actor": "engine",
            "kind": "closed",
            "code": "sent",
            "detail": "the channel reports no delivery",
        }
        for order_id in closed.scalars()
    ]
    if events:
        connection.execute(sa.insert(EVENTS), events)


def unreported_sent(connection: sa.Connection) -> list[tuple[int, dt.datetime]]:
    """Open message orders whose message was sent (order id, sent at): what a channel that
    reports no delivery left open before such orders were closed as they went."""
    query = (
        sa.select(ORDERS.c.id, OUTBOX.c.sent_at)
        .join(OUTBOX, OUTBOX.c.order_id == ORDERS.c.id)
        .where(
            ORDERS.c.state.in_(OPEN_STATES),
            ORDERS.c.channel.in_(("sms", "voice")),
            OUTBOX.c.state == "sent",
            OUTBOX.c.survey.is_(None),
        )
    )
    return [(int(row.id), row.sent_at) for row in connection.execute(query)]


def frame(connection: sa.Connection, query: sa.Select[Any]) -> pd.DataFrame:
    result = connection.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def open_work(connection: sa.Connection, channels: Sequence[str] = ("call",)) -> pd.DataFrame:
    """Every order not yet closed, of CHANNELS."""
    query = sa.select(ORDERS).where(ORDERS.c.state.in_(OPEN_STATES), ORDERS.c.channel.in_(channels))
    return frame(connection, query.order_by(ORDERS.c.id))


def open_order_lines(connection: sa.Connection) -> set[str]:
    query = sa.select(ORDERS.c.line_id).where(ORDERS.c.state.in_(OPEN_STATES)).distinct()
    return set(connection.scalars(query))


def contacted_since(connection: sa.Connection, since: dt.datetime) -> set[str]:
    query = sa.select(ORDERS.c.line_id).where(ORDERS.c.last_contact_at >= since).distinct()
    return set(connection.scalars(query))


def lines_in_campaign(connection: sa.Connection, campaign: str, month: str) -> set[str]:
    query = sa.select(ORDERS.c.line_id).where(
        ORDERS.c.campaign == campaign, ORDERS.c.month == month, ORDERS.c.channel != "followup"
    )
    return set(connection.scalars(query))


def lines_in_other_campaigns(connection: sa.Connection, campaign: str, month: str) -> set[str]:
    """The lines campaigns other than CAMPAIGN gave work orders in MONTH (follow-ups aside)."""
    query = sa.select(ORDERS.c.line_id).where(
        ORDERS.c.campaign != campaign, ORDERS.c.month == month, ORDERS.c.channel != "followup"
    )
    return set(connection.scalars(query.distinct()))


def ids_of(
    connection: sa.Connection, campaign: str, channel: str, month: str, line_ids: Iterable[str]
) -> pd.DataFrame:
    """The ids of orders just written, by line."""
    query = sa.select(ORDERS.c.id, ORDERS.c.line_id).where(
        ORDERS.c.campaign == campaign, ORDERS.c.channel == channel, ORDERS.c.month == month
    )
    found = frame(connection, query)
    return found[found["line_id"].isin(set(line_ids))]


def history(connection: sa.Connection, order_id: int) -> pd.DataFrame:
    """ORDER_ID's events, oldest first; an outcome's with its reason, note and callback time."""
    query = sa.select(
        EVENTS.c.at,
        EVENTS.c.actor,
        EVENTS.c.kind,
        EVENTS.c.code,
        EVENTS.c.reason,
        EVENTS.c.note,
        EVENTS.c.callback_at,
        EVENTS.c.late,
        EVENTS.c.detail,
    )
    return frame(connection, query.where(EVENTS.c.order_id == order_id).order_by(EVENTS.c.id))
