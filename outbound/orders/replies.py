"""The departments' side of the loop: the follow-ups escalated to a department, its structured
reply (回单) to each, and what a reply sets off: a re-callback (再回访) for the agent who first
took the customer (首问负责), the follow-up sent back (退单) to the call center, or forwarded to
another department with that department's own clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.errors import UserError
from outbound.orders.arrival import Arrival, choose_agents
from outbound.staff.agents import roster_on
from outbound.store import orders
from outbound.store.orders import BUMP, EVENTS, LIST_ITEMS, ORDERS, TICKETS

# fixed: the customer is called back to confirm; cannot_fix (with the reason): the customer is
# told; needs_customer: the first agent arranges it while the department's clock runs on;
# not_ours: back to the call center (退单), or forwarded to another department.
REPLIES = ("fixed", "cannot_fix", "needs_customer", "not_ours")
DEFAULT_RECALL_HOURS = 24


@dataclass(frozen=True)
class Replied:
    order_id: int
    result: str
    recall: int | None  # the re-callback (再回访) the reply opened
    forwarded: int | None  # the other department's follow-up


def reply(
    config: Config,
    engine: sa.Engine,
    order_id: int,
    department: str,
    result: str,
    now: dt.datetime,
    *,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    forward_to: str | None = None,
) -> Replied:
    """DEPARTMENT's reply RESULT to its follow-up ORDER_ID, by ACTOR. Another department's
    order, a closed one, an unknown result, "cannot_fix" without a reason or a forward to an
    unknown department is refused with a sentence saying why."""
    reason, note = (reason or "").strip() or None, (note or "").strip() or None
    _check_reply(config, department, result, reason, forward_to)
    with engine.begin() as connection:
        order = held_by(connection, order_id, department, lock=True)
        if order["state"] in orders.CLOSED_STATES:
            raise UserError.of(
                "reply_closed",
                "work order {order} is answered already ({result}); a supervisor may reopen it",
                order=order_id,
                result=order["result"] or order["state"],
            )
        orders.log(
            connection,
            order_id,
            now,
            actor,
            "replied",
            result,
            department,
            reason=reason,
            note=note,
        )
        recall = forwarded = None
        if result == "not_ours" and forward_to:
            _close(connection, order, now, "forwarded")
            forwarded = _forward(config, connection, order, forward_to, now, actor)
        elif result == "not_ours":
            _close(connection, order, now, "sent_back")
            orders.log(connection, order_id, now, actor, "sent_back", None, reason or note)
            recall = _recall(config, connection, order, result, reason or note, now, actor)
        else:
            if result == "needs_customer":  # still the department's, but changed: no undo
                connection.execute(sa.update(ORDERS).where(ORDERS.c.id == order_id).values(**BUMP))
            else:
                _close(connection, order, now, result)
            recall = _recall(config, connection, order, result, reason or note, now, actor)
    return Replied(order_id, result, recall, forwarded)


def held_by(
    connection: sa.Connection, order_id: int, department: str, *, lock: bool = False
) -> dict[str, Any]:
    """DEPARTMENT's follow-up ORDER_ID; another department's order is no order of theirs."""
    query = sa.select(ORDERS).where(
        ORDERS.c.id == order_id,
        ORDERS.c.channel == "followup",
        ORDERS.c.department == department,
    )
    row = connection.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise UserError.of(
            "no_department_order",
            "{department} has no work order {order}",
            department=department,
            order=order_id,
        )
    return dict(row)


def department_orders(
    connection: sa.Connection, department: str, now: dt.datetime, days: int = 7
) -> pd.DataFrame:
    """DEPARTMENT's follow-ups: the open ones, soonest deadline first, then those answered in
    the last DAYS; each with its ticket, its clock and how often it was urged."""
    urged = (
        sa.select(EVENTS.c.order_id, sa.func.count().label("urged"))
        .where(EVENTS.c.kind == "urged")
        .group_by(EVENTS.c.order_id)
        .subquery()
    )
    query = (
        sa.select(
            ORDERS.c.id,
            ORDERS.c.campaign,
            ORDERS.c.line_id,
            ORDERS.c.phone,
            ORDERS.c.region,
            ORDERS.c.state,
            ORDERS.c.result,
            ORDERS.c.owner_id,
            ORDERS.c.created_at,
            ORDERS.c.due_at,
            ORDERS.c.closed_at,
            ORDERS.c.escalated_to,
            ORDERS.c.text,
            TICKETS.c.external_id,
            TICKETS.c.received_at,
            sa.func.coalesce(urged.c.urged, 0).label("urged"),
        )
        .outerjoin(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
        .outerjoin(urged, urged.c.order_id == ORDERS.c.id)
        .where(
            ORDERS.c.channel == "followup",
            ORDERS.c.department == department,
            sa.or_(
                ORDERS.c.state.in_(orders.OPEN_STATES),
                ORDERS.c.closed_at >= now - dt.timedelta(days=days),
            ),
        )
        .order_by(
            ORDERS.c.state.in_(orders.CLOSED_STATES), sa.nulls_last(ORDERS.c.due_at), ORDERS.c.id
        )
    )
    found = orders.frame(connection, query)
    due = pd.to_datetime(found["due_at"], utc=True)
    found["late"] = (found["state"].isin(orders.OPEN_STATES) & (due < pd.Timestamp(now))).astype(
        bool
    )
    return found


def _check_reply(
    config: Config, department: str, result: str, reason: str | None, forward_to: str | None
) -> None:
    if result not in REPLIES:
        raise UserError.of(
            "reply_unknown",
            "unknown reply {result!r}; a reply is one of {known}",
            result=result,
            known=", ".join(REPLIES),
        )
    if result == "cannot_fix" and not reason:
        raise UserError.of("reply_needs_reason", "say why it cannot be fixed")
    if forward_to is None:
        return
    if result != "not_ours":
        raise UserError.of("forward_not_ours", "only a 'not ours' reply forwards the order")
    known = config.settings.departments
    if forward_to == department or forward_to not in known:
        raise UserError.of(
            "forward_unknown",
            "{to!r} is no other department of config.toml [departments]; departments: {known}",
            to=forward_to,
            known=", ".join(name for name in known if name != department) or "none",
        )


def _close(connection: sa.Connection, order: dict[str, Any], now: dt.datetime, result: str) -> None:
    connection.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id == order["id"])
        .values(state="done", result=result, closed_at=now, **BUMP)
    )


def _forward(
    config: Config,
    connection: sa.Connection,
    order: dict[str, Any],
    to: str,
    now: dt.datetime,
    actor: str,
) -> int:
    hours = config.settings.departments[to].deadline_hours
    values = {k: v for k, v in order.items() if k not in ("id", "version")}
    values |= {
        "department": to,
        "parent_id": order["id"],
        "state": "open",
        "agent_id": None,
        "result": None,
        "closed_at": None,
        "warned_at": None,
        "escalated_to": None,
        "created_on": now.astimezone(config.tz).date(),
        "created_at": now,
        "due_at": now + dt.timedelta(hours=hours),
    }
    new = _insert(connection, values)
    orders.log(connection, order["id"], now, actor, "forwarded", None, f"{new} to {to}")
    orders.log(connection, new, now, actor, "dispatched", None, f"to {to}, from {order['id']}")
    return new


def _recall(
    config: Config,
    connection: sa.Connection,
    followup: dict[str, Any],
    result: str,
    why: str | None,
    now: dt.datetime,
    actor: str,
) -> int:
    """The re-callback of FOLLOWUP's customer, for the agent who first took them (or, absent,
    a colleague of their team), due by the ticket type's recall_hours."""
    call = _row(connection, followup["parent_id"])
    first = _first_agent(connection, call)
    kind = config.settings.tickets.get(call["campaign"]) if call["ticket_id"] else None
    hours = kind.recall_hours if kind else DEFAULT_RECALL_HOURS
    day = now.astimezone(config.tz).date()
    agent = _present(connection, first, day)
    said = f"【再回访】{followup['department']}回单：{_REPLY_ZH[result]}"
    said += f"（{why}）" if why else ""
    values = {k: v for k, v in call.items() if k not in ("id", "version")}
    values |= {
        "channel": "call",
        "parent_id": followup["id"],
        "department": followup["department"],
        "owner_id": first,
        "agent_id": agent,
        "state": "assigned" if agent else "open",
        "assigned_on": day if agent else None,
        "returned_by": None,
        "attempts": 0,
        "last_code": None,
        "result": None,
        "reason": None,
        "next_attempt_at": None,
        "callback_at": None,
        "last_contact_at": None,
        "warned_at": None,
        "closed_at": None,
        "escalated_to": None,
        "created_on": day,
        "created_at": now,
        "due_at": now + dt.timedelta(hours=hours),
        "text": f"{said}\n{call['text']}",
    }
    new = _insert(connection, values)
    orders.log(connection, new, now, actor, "recall", result, f"after {followup['id']}")
    if agent:
        orders.log(connection, new, now, "engine", "dispatched", None, f"to {agent}")
        connection.execute(
            sa.insert(LIST_ITEMS).values(
                day=day, order_id=new, agent_id=agent, campaign=call["campaign"], new=True
            )
        )
    return new


_REPLY_ZH = {
    "fixed": "已修复",
    "cannot_fix": "无法修复",
    "needs_customer": "需客户配合",
    "not_ours": "非本部门（退回）",
}


def _row(connection: sa.Connection, order_id: int) -> dict[str, Any]:
    query = sa.select(ORDERS).where(ORDERS.c.id == order_id)
    return dict(connection.execute(query).mappings().one())


def _first_agent(connection: sa.Connection, order: dict[str, Any]) -> str | None:
    """The agent who first took ORDER's customer: the owner of the loop's first order."""
    while order["parent_id"] is not None:
        order = _row(connection, order["parent_id"])
    return order["owner_id"] or order["agent_id"]


def _present(connection: sa.Connection, agent: str | None, day: dt.date) -> str | None:
    """AGENT when at work on DAY, else the colleague of their team with the shortest list;
    None when nobody of the team is."""
    if agent is None:
        return None
    roster = roster_on(connection, day)
    team = roster.loc[roster["agent_id"] == agent, "team"]
    if team.empty:
        return None
    load = {
        a: int(n)
        for a, n in connection.execute(
            sa.select(LIST_ITEMS.c.agent_id, sa.func.count())
            .where(LIST_ITEMS.c.day == day)
            .group_by(LIST_ITEMS.c.agent_id)
        )
    }
    chosen = choose_agents([Arrival(0, (), agent)], roster[roster["team"] == team.iloc[0]], load)
    return chosen.get(0)


def _insert(connection: sa.Connection, values: dict[str, Any]) -> int:
    written = connection.execute(sa.insert(ORDERS).values(**values)).inserted_primary_key
    assert written is not None
    return int(written[0])
