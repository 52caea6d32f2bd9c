"""What people read off the work orders: an agent's list for a day, the supervisor's order
listings and the day's progress report."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from outbound import orders
from outbound.campaigns import Campaign
from outbound.config import Disposition
from outbound.errors import UserError
from outbound.orders import EVENTS, ORDERS
from outbound.store.models import Agent, Run

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
    connection: sa.Connection, campaigns: dict[str, Campaign], agent: str, day: dt.date
) -> pd.DataFrame:
    """AGENT's list for DAY: callbacks first, then by campaign priority and the campaign's order."""
    if connection.execute(sa.select(Agent.agent_id).where(Agent.agent_id == agent)).first() is None:
        raise UserError(f"no agent {agent!r} in the roster; see engine agents list")
    query = sa.select(ORDERS).where(
        ORDERS.c.agent_id == agent,
        ORDERS.c.assigned_on == day,
        ORDERS.c.state == "assigned",
    )
    found = orders.frame(connection, query)
    if found.empty:
        return pd.DataFrame(columns=LIST_COLUMNS)
    found["priority"] = (
        found["campaign"].map({name: c.spec.priority for name, c in campaigns.items()}).fillna(0)
    )
    found["callback_first"] = found["callback_at"].isna()
    found = found.sort_values(
        ["callback_first", "priority", "rank", "id"], ascending=[True, False, True, True]
    )
    return found.rename(columns={"id": "item", "text": "script"})[LIST_COLUMNS].reset_index(
        drop=True
    )


def listing(
    connection: sa.Connection,
    now: dt.datetime,
    *,
    overdue: bool = False,
    agent: str | None = None,
    state: str | None = None,
) -> pd.DataFrame:
    """Work orders for a supervisor, filtered; overdue means open past its deadline."""
    query = sa.select(
        ORDERS.c.id.label("order"),
        ORDERS.c.campaign,
        ORDERS.c.channel,
        ORDERS.c.line_id,
        ORDERS.c.state,
        ORDERS.c.agent_id,
        ORDERS.c.department,
        ORDERS.c.attempts,
        ORDERS.c.last_code,
        ORDERS.c.result,
        ORDERS.c.created_at,
        ORDERS.c.due_at,
        ORDERS.c.warned_at,
    )
    if overdue:
        query = query.where(ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at < now)
    if agent:
        query = query.where(ORDERS.c.agent_id == agent)
    if state:
        if state not in orders.OPEN_STATES + orders.CLOSED_STATES:
            known = ", ".join(orders.OPEN_STATES + orders.CLOSED_STATES)
            raise UserError(f"unknown state {state!r}; states: {known}")
        query = query.where(ORDERS.c.state == state)
    return orders.frame(connection, query.order_by(ORDERS.c.due_at, ORDERS.c.id))


def report(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    dispositions: dict[str, Disposition],
    day: dt.date,
    now: dt.datetime,
    tz: ZoneInfo,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The day's progress per campaign and per agent: assigned, attempted, reached, converted,
    quota attainment and overdue."""
    if connection.execute(sa.select(Run.day).where(Run.day == day)).first() is None:
        raise UserError(f"no run for {day} yet; run it with: engine run --date {day}")
    items = orders.LIST_ITEMS
    listed = orders.frame(
        connection,
        sa.select(
            items.c.order_id.label("id"), items.c.campaign, items.c.agent_id, items.c.new
        ).where(items.c.day == day),
    )
    outcomes = orders.frame(
        connection,
        sa.select(EVENTS.c.order_id, EVENTS.c.code, EVENTS.c.at)
        .join(items, sa.and_(items.c.order_id == EVENTS.c.order_id, items.c.day == day))
        .where(EVENTS.c.kind == "outcome"),
    )
    on_day = pd.to_datetime(outcomes["at"], utc=True).dt.tz_convert(tz).dt.date == day
    outcomes = outcomes[on_day.to_numpy(dtype=bool)]
    overdue = orders.frame(
        connection,
        sa.select(ORDERS.c.id, ORDERS.c.campaign, ORDERS.c.agent_id).where(
            ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at < now
        ),
    )
    category = outcomes["code"].map({c: d.category for c, d in dispositions.items()})
    effect = outcomes["code"].map({c: d.effect for c, d in dispositions.items()})
    listed["attempted"] = listed["id"].isin(outcomes["order_id"])
    listed["reached"] = listed["id"].isin(outcomes.loc[category == "reached", "order_id"])
    listed["converted"] = listed["id"].isin(outcomes.loc[effect == "converted", "order_id"])
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
    # Quota: each agent's per_agent_per_day for each campaign they had new items of today.
    firsts = listed[listed["new"]].drop_duplicates(["agent_id", "campaign"])
    quota = firsts.groupby(by)["quota"].sum()
    done = listed[listed["new"] & listed["attempted"]].groupby(by).size()
    table["quota"] = quota.reindex(table.index).fillna(0).astype(int)
    table["quota_attained"] = (
        (done.reindex(table.index).fillna(0) / table["quota"]).where(table["quota"] > 0).round(3)
    )
    table["overdue"] = overdue.groupby(by).size().reindex(table.index).fillna(0).astype(int)
    return table.reset_index().rename(columns={"agent_id": "agent"})
