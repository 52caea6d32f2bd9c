"""Every unhappy customer worked again: a call ended unsatisfied, or a survey reply scoring at
or below [care]'s bounds, becomes one care ticket (its type's deadline, for a senior agent) with
the customer's words. Looked for after the undo window, so an outcome taken back opens none;
taken in like any ticket, so looking again opens none twice."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from outbound.config import CareSettings, Config
from outbound.messages.scores import REPLIES
from outbound.orders import intake
from outbound.orders.tickets import Ticket
from outbound.orders.undo import UNDO_WINDOW
from outbound.store.orders import EVENTS, ORDERS


def sweep(config: Config, engine: sa.Engine, now: dt.datetime) -> intake.Taken:
    """Take in a care ticket for each unhappy customer of the last [care] within_days not
    cared for yet (none without [care])."""
    care = config.settings.care
    if care is None:
        return intake.Taken()
    since = now - dt.timedelta(days=care.within_days)
    with engine.connect() as connection:
        labels = {code: d.label for code, d in config.dispositions.items()}
        found = _unhappy_calls(connection, care, labels, since, now - UNDO_WINDOW)
        found += _unhappy_replies(connection, care, since)
    return intake.take_in(config, engine, found, now, "care")


def _unhappy_calls(
    connection: sa.Connection,
    care: CareSettings,
    labels: dict[str, str],
    since: dt.datetime,
    settled: dt.datetime,
) -> list[Ticket]:
    """The calls whose outcome (still standing after the undo window) is one of care's."""
    query = (
        sa.select(
            EVENTS.c.order_id,
            EVENTS.c.at,
            EVENTS.c.code,
            EVENTS.c.note,
            ORDERS.c.line_id,
            ORDERS.c.phone,
        )
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(
            EVENTS.c.kind == "outcome",
            EVENTS.c.code.in_(care.outcomes),
            EVENTS.c.at >= since,
            EVENTS.c.at <= settled,
            ORDERS.c.campaign != care.type,
        )
        .order_by(EVENTS.c.id)
    )
    return [
        Ticket(
            external_id=f"order-{row.order_id}",
            source="outcome",
            type=care.type,
            line_id=row.line_id,
            phone=row.phone,
            received_at=row.at,
            text=f"回访结果“{labels.get(row.code, row.code)}”：{row.note or '（坐席未记录原话）'}",
            department=None,
        )
        for row in connection.execute(query)
    ]


def _unhappy_replies(
    connection: sa.Connection, care: CareSettings, since: dt.datetime
) -> list[Ticket]:
    """The survey replies scoring at or below care's bound on their scale."""
    low = sa.or_(
        sa.and_(REPLIES.c.scale == "satisfaction", REPLIES.c.score <= care.satisfaction_at_most),
        sa.and_(REPLIES.c.scale == "nps", REPLIES.c.score <= care.nps_at_most),
    )
    query = (
        sa.select(
            REPLIES.c.id,
            REPLIES.c.scale,
            REPLIES.c.score,
            REPLIES.c.body,
            REPLIES.c.received_at,
            REPLIES.c.line_id,
            REPLIES.c.phone,
        )
        .where(low, REPLIES.c.received_at >= since)
        .order_by(REPLIES.c.id)
    )
    scale = {"satisfaction": "满意度", "nps": "推荐度"}
    return [
        Ticket(
            external_id=f"reply-{row.id}",
            source="survey",
            type=care.type,
            line_id=row.line_id,
            phone=row.phone,
            received_at=row.received_at,
            text=f"短信{scale.get(row.scale, row.scale)}评分 {row.score}：{row.body}",
            department=None,
        )
        for row in connection.execute(query)
    ]
