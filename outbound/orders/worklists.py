"""What people read off the work orders: an agent's list for a day, the supervisor's order
listings and the day's progress report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa

from outbound.config import Disposition
from outbound.errors import UserError
from outbound.store import orders
from outbound.store.models import Agent, Run
from outbound.store.orders import EVENTS, ORDERS, TICKETS
from outbound.workspace.campaigns import Campaign

# The events an agent reads in a line's history; the run's own bookkeeping is left out.
HISTORY_KINDS = (
    "received",
    "outcome",
    "undone",
    "returned",
    "warned",
    "urged",
    "escalated",
    "replied",
    "sent_back",
    "forwarded",
    "recall",
    "escalated_up",
    "reopened",
    "expired",
)

LIST_COLUMNS = [
    "item",
    "campaign",
    "line_id",
    "phone",
    "region",
    "attempts",
    "callback_at",
    "due_at",
    "script",
]


def calls(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    agent: str,
    day: dt.date,
    now: dt.datetime,
) -> pd.DataFrame:
    """AGENT's list for DAY as a frame, in the order todays_calls gives at NOW."""
    _known(connection, agent)
    rows = todays_calls(connection, campaigns, agent, day, now)
    found = pd.DataFrame(rows, columns=[column.name for column in _LIST_READ])
    return found.rename(columns={"id": "item", "text": "script"})[LIST_COLUMNS]


def _known(connection: sa.Connection, agent: str) -> None:
    if connection.execute(sa.select(Agent.agent_id).where(Agent.agent_id == agent)).first() is None:
        raise UserError(
            f"no agent {agent!r} in the roster; see engine agents list",
            "unknown_agent",
            agent=agent,
        )


def listing(
    connection: sa.Connection,
    now: dt.datetime,
    *,
    overdue: bool = False,
    agent: str | None = None,
    state: str | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Work orders for a supervisor, filtered; overdue means open past its deadline. A
    ticket's order names its TYPE and external id; KIND keeps one ticket type's (or one
    campaign's) orders. Each has its full phone, the reason and note of its current outcome,
    when it closed, and its department: a follow-up's own, or the one an order escalated to."""
    follow_up, outcome = ORDERS.alias("follow_up"), EVENTS.alias("outcome")
    # Joined on the last of each, not looked up order by order: parent_id has no index.
    last_follow_up = (
        sa.select(follow_up.c.parent_id, sa.func.max(follow_up.c.id).label("id"))
        .where(follow_up.c.channel == "followup", follow_up.c.parent_id.is_not(None))
        .group_by(follow_up.c.parent_id)
        .subquery()
    )
    last_outcome = (
        sa.select(outcome.c.order_id, sa.func.max(outcome.c.id).label("id"))
        .where(outcome.c.kind == "outcome")
        .group_by(outcome.c.order_id)
        .subquery()
    )
    query = sa.select(
        ORDERS.c.id,
        ORDERS.c.campaign,
        TICKETS.c.type,
        TICKETS.c.source,
        TICKETS.c.external_id,
        ORDERS.c.channel,
        ORDERS.c.line_id,
        ORDERS.c.phone,
        ORDERS.c.state,
        ORDERS.c.agent_id.label("agent"),
        sa.func.coalesce(ORDERS.c.department, follow_up.c.department).label("department"),
        ORDERS.c.attempts,
        ORDERS.c.last_code,
        ORDERS.c.result,
        ORDERS.c.reason,
        outcome.c.note,
        TICKETS.c.received_at,
        ORDERS.c.created_at,
        ORDERS.c.due_at.label("deadline"),
        ORDERS.c.closed_at,
        ORDERS.c.warned_at,
        ORDERS.c.escalated_to,
    ).select_from(
        ORDERS.outerjoin(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
        .outerjoin(last_follow_up, last_follow_up.c.parent_id == ORDERS.c.id)
        .outerjoin(follow_up, follow_up.c.id == last_follow_up.c.id)
        .outerjoin(last_outcome, last_outcome.c.order_id == ORDERS.c.id)
        .outerjoin(outcome, outcome.c.id == last_outcome.c.id)
    )
    if overdue:
        query = query.where(ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at < now)
    if agent:
        _known(connection, agent)
        query = query.where(ORDERS.c.agent_id == agent)
    if state:
        if state not in orders.STATES:
            known = ", ".join(orders.STATES)
            raise UserError(f"unknown state {state!r}; states: {known}")
        query = query.where(ORDERS.c.state == state)
    if kind:
        query = query.where(ORDERS.c.campaign == kind)
    # Orders without a deadline last, on every database (SQLite sorts NULL first by default).
    return orders.frame(connection, query.order_by(sa.nulls_last(ORDERS.c.due_at), ORDERS.c.id))


def report(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    dispositions: dict[str, Disposition],
    day: dt.date,
    now: dt.datetime,
    tz: ZoneInfo,
    only: str | None = None,
    last: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's progress per campaign and per agent: assigned, attempted, reached, converted,
    quota attainment and overdue; of campaign (or ticket type) ONLY when given. With LAST, the
    days from DAY to LAST added up (a week, a month): each list item counts on its day."""
    last = last or day
    ran = sa.select(Run.day).where(Run.day.between(day, last))
    if connection.execute(ran).first() is None:
        raise UserError(
            f"no run for {day} yet; run it with: engine run --date {day}", "no_run_yet", day=day
        )
    items = orders.LIST_ITEMS
    listed = orders.frame(
        connection,
        sa.select(
            items.c.order_id.label("id"),
            items.c.day,
            items.c.campaign,
            items.c.agent_id,
            items.c.new,
        ).where(items.c.day.between(day, last)),
    )
    outcomes = orders.frame(
        connection,
        sa.select(EVENTS.c.order_id, items.c.day, EVENTS.c.code, EVENTS.c.at)
        .join(items, items.c.order_id == EVENTS.c.order_id)
        .where(items.c.day.between(day, last), EVENTS.c.kind == "outcome"),
    )
    # An outcome counts for the list it was on: the item of its order on the day it was made.
    local = pd.to_datetime(outcomes["at"], utc=True).dt.tz_convert(tz).dt.date
    outcomes = outcomes[(local == pd.to_datetime(outcomes["day"]).dt.date).to_numpy(dtype=bool)]
    overdue = orders.frame(
        connection,
        sa.select(ORDERS.c.id, ORDERS.c.campaign, ORDERS.c.agent_id).where(
            ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at < now
        ),
    )
    if only is not None:
        listed = listed[listed["campaign"] == only].reset_index(drop=True)
        overdue = overdue[overdue["campaign"] == only].reset_index(drop=True)
    category = outcomes["code"].map({c: d.category for c, d in dispositions.items()})
    effect = outcomes["code"].map({c: d.effect for c, d in dispositions.items()})
    listed_key = pd.MultiIndex.from_arrays([listed["id"], pd.to_datetime(listed["day"])])

    def on_list(kept: pd.Series) -> np.ndarray:
        done = outcomes[kept.to_numpy(dtype=bool)]
        key = pd.MultiIndex.from_arrays([done["order_id"], pd.to_datetime(done["day"])])
        return np.asarray(listed_key.isin(key))

    listed["attempted"] = on_list(pd.Series(True, index=outcomes.index))
    listed["reached"] = on_list(category == "reached")
    listed["converted"] = on_list(effect == "converted")
    listed["quota"] = listed["campaign"].map(
        {name: c.spec.per_agent_per_day for name, c in campaigns.items()}
    )
    return _progress(listed, overdue, "campaign"), _progress(listed, overdue, "agent_id")


def _progress(listed: pd.DataFrame, overdue: pd.DataFrame, by: str) -> pd.DataFrame:
    grouped = listed.groupby(by, sort=True)
    table = pd.DataFrame(
        {
            "assigned": grouped.size(),
            "attempted": grouped["attempted"].sum(),
            "reached": grouped["reached"].sum(),
            "converted": grouped["converted"].sum(),
        }
    )
    # Quota: each agent's per_agent_per_day for each campaign they had new items of that day.
    firsts = listed[listed["new"]].drop_duplicates(["agent_id", "campaign", "day"])
    quota = firsts.groupby(by)["quota"].sum()
    done = listed[listed["new"] & listed["attempted"]].groupby(by).size()
    table["quota"] = quota.reindex(table.index).fillna(0).astype(int)
    table["quota_attained"] = (
        (done.reindex(table.index).fillna(0) / table["quota"]).where(table["quota"] > 0).round(3)
    )
    table["overdue"] = overdue.groupby(by).size().reindex(table.index).fillna(0).astype(int)
    return table.reset_index().rename(columns={"agent_id": "agent"})


# The agent pages read these on every request: plain rows, no frames, and statements built once
# (only their parameters change), from a few indexed queries.

_LIST_READ = [
    ORDERS.c[name]
    for name in (
        "id",
        "campaign",
        "line_id",
        "phone",
        "region",
        "value",
        "attempts",
        "state",
        "result",
        "rank",
        "callback_at",
        "due_at",
        "next_attempt_at",
        "text",
        "month",
    )
]
_TODAYS_CALLS = sa.select(*_LIST_READ).where(
    ORDERS.c.state == "assigned",
    ORDERS.c.agent_id == sa.bindparam("agent"),
    ORDERS.c.assigned_on == sa.bindparam("day"),
)
_ORDER_ROW = sa.select(*_LIST_READ).where(ORDERS.c.id == sa.bindparam("order_id"))
_DAYS_ORDERS = (
    sa.select(*_LIST_READ)
    .join(orders.LIST_ITEMS, orders.LIST_ITEMS.c.order_id == ORDERS.c.id)
    .where(
        orders.LIST_ITEMS.c.day == sa.bindparam("day"),
        orders.LIST_ITEMS.c.agent_id == sa.bindparam("agent"),
        sa.or_(ORDERS.c.state != "assigned", ORDERS.c.assigned_on != sa.bindparam("day")),
    )
    .order_by(ORDERS.c.id)
)
_DONE = (
    sa.select(
        EVENTS.c.id.label("event"),
        EVENTS.c.order_id,
        EVENTS.c.at,
        EVENTS.c.actor,
        EVENTS.c.code,
        ORDERS.c.campaign,
        ORDERS.c.line_id,
        ORDERS.c.phone,
        ORDERS.c.month,
    )
    .join(orders.LIST_ITEMS, orders.LIST_ITEMS.c.order_id == EVENTS.c.order_id)
    .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
    .where(
        orders.LIST_ITEMS.c.day == sa.bindparam("day"),
        orders.LIST_ITEMS.c.agent_id == sa.bindparam("agent"),
        EVENTS.c.kind == "outcome",
        EVENTS.c.at >= sa.bindparam("start"),
        EVENTS.c.at < sa.bindparam("end"),
    )
    .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
)
_LINE_HISTORY = (
    sa.select(
        ORDERS.c.line_id,
        ORDERS.c.campaign,
        EVENTS.c.order_id,
        EVENTS.c.at,
        EVENTS.c.actor,
        EVENTS.c.kind,
        EVENTS.c.code,
        EVENTS.c.detail,
        EVENTS.c.reason,
        EVENTS.c.note,
        EVENTS.c.callback_at,
    )
    .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
    .where(
        ORDERS.c.line_id.in_(sa.bindparam("line_ids", expanding=True)),
        EVENTS.c.kind.in_(HISTORY_KINDS),
    )
    .order_by(EVENTS.c.at.desc(), EVENTS.c.id.desc())
)
_ATTEMPTED = (
    sa.select(EVENTS.c.id)
    .where(
        EVENTS.c.order_id == orders.LIST_ITEMS.c.order_id,
        EVENTS.c.kind == "outcome",
        EVENTS.c.at >= sa.bindparam("start"),
        EVENTS.c.at < sa.bindparam("end"),
    )
    .exists()
)
_DAY_ITEMS = sa.select(
    orders.LIST_ITEMS.c.campaign, orders.LIST_ITEMS.c.new, _ATTEMPTED.label("attempted")
).where(
    orders.LIST_ITEMS.c.day == sa.bindparam("day"),
    orders.LIST_ITEMS.c.agent_id == sa.bindparam("agent"),
)


@dataclass(frozen=True)
class Progress:
    """An agent's day: list items with an outcome recorded that day, against the quota."""

    attempted: int
    quota: int


def todays_calls(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    agent: str,
    day: dt.date,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """AGENT's open orders on DAY's list in the order to call: callbacks due by NOW first
    (earliest first), then by campaign priority and the campaign's rank."""
    rows = _dicts(connection.execute(_TODAYS_CALLS, {"agent": agent, "day": day}))
    priority = {name: campaign.spec.priority for name, campaign in campaigns.items()}

    def key(row: dict[str, Any]) -> tuple[bool, dt.datetime, int, int, int]:
        callback = row["callback_at"]
        due = callback is not None and callback <= now
        return (
            not due,
            callback if due else now,
            -priority.get(row["campaign"], 0),
            row["rank"],
            row["id"],
        )

    return sorted(rows, key=key)


def finished_today(connection: sa.Connection, agent: str, day: dt.date) -> list[dict[str, Any]]:
    """The orders of AGENT's list of DAY no longer on it (closed, waiting for another day,
    given back), with the columns of todays_calls."""
    return _dicts(connection.execute(_DAYS_ORDERS, {"agent": agent, "day": day}))


def done_today(
    connection: sa.Connection, agent: str, day: dt.date, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """The outcomes recorded on DAY for the orders of AGENT's list of DAY, newest first: the
    event, its order, when, who, the code, and the order's campaign, line and phone."""
    start = dt.datetime.combine(day, dt.time(), tz)
    parameters = {"agent": agent, "day": day, "start": start, "end": start + dt.timedelta(days=1)}
    return _dicts(connection.execute(_DONE, parameters))


def order_row(connection: sa.Connection, order_id: int) -> dict[str, Any] | None:
    """One order with the columns of todays_calls, whatever its state."""
    rows = _dicts(connection.execute(_ORDER_ROW, {"order_id": order_id}))
    return rows[0] if rows else None


def line_history(
    connection: sa.Connection, line_ids: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """What happened to every order of LINE_IDS (this one and earlier ones), newest first."""
    history: dict[str, list[dict[str, Any]]] = {}
    if not line_ids:
        return history
    for row in _dicts(connection.execute(_LINE_HISTORY, {"line_ids": list(line_ids)})):
        history.setdefault(row["line_id"], []).append(row)
    return history


def agent_progress(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    agent: str,
    day: dt.date,
    tz: ZoneInfo,
) -> Progress:
    """AGENT's items of DAY's list with an outcome that day, and the quota as report() counts
    it: per_agent_per_day of each campaign the agent got new items of."""
    start = dt.datetime.combine(day, dt.time(), tz)
    parameters = {"agent": agent, "day": day, "start": start, "end": start + dt.timedelta(days=1)}
    rows = connection.execute(_DAY_ITEMS, parameters).all()
    quota = sum(
        campaigns[name].spec.per_agent_per_day
        for name in {row.campaign for row in rows if row.new}
        if name in campaigns
    )
    return Progress(sum(bool(row.attempted) for row in rows), quota)


def _dicts(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    """RESULT's rows as dicts, fetched at once (quicker than a mapping a row)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]
