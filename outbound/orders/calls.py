"""Agents' calls on work orders, for handling times: when the agent's page dialled an item (the
dial link clicked), and a softphone's or switch's start and end of a call, taken once by its call
id. Which outcome a call belongs to is read from the times by results.handling."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from outbound.errors import UserError
from outbound.store.models import Call
from outbound.store.orders import EVENTS, ORDERS

CALLS = cast(sa.Table, Call.__table__)


@dataclass(frozen=True)
class SwitchCall:
    """A call as a softphone or switch reports it: CALL_ID is its own id for the call."""

    order_id: int
    agent_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    call_id: str


@dataclass(frozen=True)
class Taken:
    id: int
    new: bool  # False: the same call was posted before


def opened(engine: sa.Engine, order_id: int, agent_id: str, now: dt.datetime) -> int:
    """AGENT_ID's page dialled ORDER_ID NOW: the call's id. Refused unless the order is on the
    agent's list."""
    with engine.begin() as connection:
        holder = connection.execute(
            sa.select(ORDERS.c.agent_id).where(ORDERS.c.id == order_id)
        ).scalar()
        if holder is None or holder != agent_id:
            raise UserError.of(
                "call_item_not_agents",
                "work order {order} is not on agent {agent}'s list",
                order=order_id,
                agent=agent_id,
            )
        written = connection.execute(
            sa.insert(CALLS).values(
                order_id=order_id, agent_id=agent_id, source="page", opened_at=now, recorded_at=now
            )
        )
    assert written.inserted_primary_key is not None
    return int(written.inserted_primary_key[0])


def switched(engine: sa.Engine, call: SwitchCall, now: dt.datetime) -> Taken:
    """CALL, taken once by its call id: posted again with the same values it is the call taken
    before. Refused naming the field: a time without a zone, an end before the start, an
    unknown order or one that is not the agent's, a call id posted before with other values."""
    _check_times(call)
    try:
        with engine.begin() as connection:
            before = _taken(connection, call)
            if before is not None:
                return before
            _check_order(connection, call)
            written = connection.execute(
                sa.insert(CALLS).values(
                    order_id=call.order_id,
                    agent_id=call.agent_id,
                    source="switch",
                    external_id=call.call_id,
                    started_at=call.started_at,
                    ended_at=call.ended_at,
                    recorded_at=now,
                )
            )
    except sa.exc.IntegrityError:  # the same call posted at the same moment: taken by that post
        with engine.connect() as connection:
            taken = _taken(connection, call)
        assert taken is not None, "only the call id is unique"
        return taken
    assert written.inserted_primary_key is not None
    return Taken(int(written.inserted_primary_key[0]), True)


def _check_times(call: SwitchCall) -> None:
    for field, moment in (("started_at", call.started_at), ("ended_at", call.ended_at)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise UserError.of(
                "call_time_without_zone",
                "{field} {time} has no time zone; send it with its offset, e.g. "
                "2026-11-02T10:15:00+08:00",
                field=field,
                time=moment.isoformat(),
            )
    if call.ended_at < call.started_at:
        raise UserError.of(
            "call_ends_before_start",
            "ended_at {end} is before started_at {start}; send the call's end after its start",
            field="ended_at",
            end=call.ended_at.isoformat(),
            start=call.started_at.isoformat(),
        )


def _taken(connection: sa.Connection, call: SwitchCall) -> Taken | None:
    """The call posted before under CALL's id, if it was; refused if it said something else."""
    row = connection.execute(
        sa.select(CALLS).where(CALLS.c.source == "switch", CALLS.c.external_id == call.call_id)
    ).first()
    if row is None:
        return None
    same = (row.order_id, row.agent_id, row.started_at, row.ended_at) == (
        call.order_id,
        call.agent_id,
        call.started_at,
        call.ended_at,
    )
    if not same:
        raise UserError.of(
            "call_posted_differently",
            "call {call_id} was posted before with another order, agent or times; a call is "
            "taken once: send a new call under a new call_id",
            field="call_id",
            call_id=call.call_id,
        )
    return Taken(int(row.id), False)


def _check_order(connection: sa.Connection, call: SwitchCall) -> None:
    """The order exists and is the agent's: on their list now, or theirs when an outcome of it
    was recorded (an order may move to another agent after a call)."""
    holder = connection.execute(
        sa.select(ORDERS.c.agent_id).where(ORDERS.c.id == call.order_id)
    ).first()
    if holder is None:
        raise UserError.of(
            "call_order_unknown",
            "order_id {order}: there is no such work order; send the id of the item the agent "
            "called",
            field="order_id",
            order=call.order_id,
        )
    had_it = connection.execute(
        sa.select(EVENTS.c.id).where(
            EVENTS.c.order_id == call.order_id,
            EVENTS.c.kind == "outcome",
            EVENTS.c.detail == call.agent_id,
        )
    ).first()
    if holder.agent_id != call.agent_id and had_it is None:
        raise UserError.of(
            "call_order_not_agents",
            "work order {order} is not on agent {agent}'s list; send the agent who made the call",
            field="agent_id",
            order=call.order_id,
            agent=call.agent_id,
        )
