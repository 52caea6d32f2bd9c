"""The outbox in the store: each SMS or voice message a row that moves pending → sending →
sent → delivered / undelivered / failed, or blocked; claimed by a conditional update so that no
two senders take one row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from outbound.store import orders
from outbound.store.bulk import insert_frame
from outbound.store.orders import OUTBOX

FINAL = ("delivered", "undelivered", "failed", "blocked")
# Where a delivery status may move from: a late or repeated callback never moves it back.
STATUS_ORDER = {
    "pending": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
}


def add(
    connection: sa.Connection,
    messages: pd.DataFrame,
    day: dt.date,
    marketing: bool,
    now: dt.datetime,
) -> None:
    """One pending row per message (order_id, campaign, channel, line_id, phone, text)."""
    if messages.empty:
        return
    rows = pd.DataFrame(
        {
            "key": messages["campaign"] + ":" + messages["line_id"] + ":1:" + day.isoformat(),
            "order_id": messages["order_id"],
            "campaign": messages["campaign"],
            "channel": messages["channel"],
            "marketing": marketing,
            "line_id": messages["line_id"],
            "phone": messages["phone"],
            "day": day,
            "body": messages["text"],
            "state": "pending",
            "tries": 0,
            "created_at": now,
        }
    )
    insert_frame(connection, OUTBOX, rows)


def add_survey(
    connection: sa.Connection,
    order: Mapping[str, Any],
    body: str,
    scale: str,
    day: dt.date,
    now: dt.datetime,
) -> bool:
    """The survey question to the customer of the call ORDER, once per order: False when it
    is already in. Not marketing: it follows a call the customer took."""
    key = f"{order['campaign']}:{order['line_id']}:survey:{order['id']}"
    if connection.execute(sa.select(OUTBOX.c.id).where(OUTBOX.c.key == key)).first():
        return False
    connection.execute(
        sa.insert(OUTBOX).values(
            key=key,
            order_id=order["id"],
            campaign=order["campaign"],
            channel="sms",
            marketing=False,
            line_id=order["line_id"],
            phone=order["phone"],
            day=day,
            body=body,
            state="pending",
            tries=0,
            created_at=now,
            survey=scale,
        )
    )
    return True


def is_survey(row: Mapping[str, Any]) -> bool:
    """Whether ROW is a survey question, which leaves the call's order as its outcome left it."""
    return isinstance(row.get("survey"), str)


def due(
    connection: sa.Connection, now: dt.datetime, day: dt.date | None, campaign: str | None
) -> pd.DataFrame:
    """Pending rows whose time has come, oldest first."""
    query = sa.select(OUTBOX).where(
        OUTBOX.c.state == "pending",
        sa.or_(OUTBOX.c.next_try_at.is_(None), OUTBOX.c.next_try_at <= now),
    )
    if day is not None:
        query = query.where(OUTBOX.c.day <= day)
    if campaign is not None:
        query = query.where(OUTBOX.c.campaign == campaign)
    return orders.frame(connection, query.order_by(OUTBOX.c.id))


def in_sending(connection: sa.Connection) -> pd.DataFrame:
    """Rows a sender claimed and did not settle: a crash between the provider and us."""
    return orders.frame(connection, sa.select(OUTBOX).where(OUTBOX.c.state == "sending"))


def claim(connection: sa.Connection, ids: Sequence[int], now: dt.datetime) -> set[int]:
    """Take the pending rows of IDS for sending; the ids taken (another sender has the rest)."""
    if not ids:
        return set()
    taken = connection.execute(
        sa.update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.state == "pending")
        .values(state="sending", sending_since=now, tries=OUTBOX.c.tries + 1)
        .returning(OUTBOX.c.id)
    )
    return set(taken.scalars())


def release(connection: sa.Connection, ids: Sequence[int]) -> None:
    """Give back rows claimed and not sent: pending again, their try not counted."""
    if not ids:
        return
    connection.execute(
        sa.update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.state == "sending")
        .values(state="pending", sending_since=None, tries=OUTBOX.c.tries - 1)
    )


def mark_sent(connection: sa.Connection, sent: Sequence[tuple[int, str, dt.datetime]]) -> None:
    """The provider took these (id, provider id, at): sent, unless a status callback, faster
    than the API's answer, already moved one further."""
    if not sent:
        return
    # Not IN (...): an expanding list cannot go in an executemany.
    not_yet = sa.or_(OUTBOX.c.state == "pending", OUTBOX.c.state == "sending")
    connection.execute(
        sa.update(OUTBOX)
        .where(OUTBOX.c.id == sa.bindparam("sent_id"))
        .values(
            state=sa.case((not_yet, "sent"), else_=OUTBOX.c.state),
            provider_id=sa.func.coalesce(OUTBOX.c.provider_id, sa.bindparam("sent_sid")),
            sent_at=sa.bindparam("sent_at"),
            error=None,
        ),
        [{"sent_id": id_, "sent_sid": sid, "sent_at": at} for id_, sid, at in sent],
    )


def settle(connection: sa.Connection, message_id: int, **values: Any) -> None:
    connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == message_id).values(**values))


def by_provider_id(connection: sa.Connection, provider_id: str) -> dict[str, Any] | None:
    row = (
        connection.execute(sa.select(OUTBOX).where(OUTBOX.c.provider_id == provider_id))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def by_id(connection: sa.Connection, message_id: int) -> dict[str, Any] | None:
    row = connection.execute(sa.select(OUTBOX).where(OUTBOX.c.id == message_id)).mappings().first()
    return dict(row) if row else None


def listing(
    connection: sa.Connection, day: dt.date | None, campaign: str | None, state: str | None
) -> pd.DataFrame:
    query = sa.select(
        OUTBOX.c.id,
        OUTBOX.c.campaign,
        OUTBOX.c.channel,
        OUTBOX.c.phone,
        OUTBOX.c.day,
        OUTBOX.c.state,
        OUTBOX.c.tries,
        OUTBOX.c.provider_id,
        OUTBOX.c.error_code,
        OUTBOX.c.error,
        OUTBOX.c.body,
    )
    if day is not None:
        query = query.where(OUTBOX.c.day == day)
    if campaign is not None:
        query = query.where(OUTBOX.c.campaign == campaign)
    if state is not None:
        query = query.where(OUTBOX.c.state == state)
    return orders.frame(connection, query.order_by(OUTBOX.c.id))
