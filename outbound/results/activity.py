"""What the campaigns of a month did, beside whether it worked: reach and attempts per campaign,
quota attainment per agent and per day, orders given back or expired, and each SMS wave's
deliveries and opt-outs. A campaign's month is its orders' extract month, as in results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from outbound.config import Disposition
from outbound.messages.outbox import OUTBOX
from outbound.store import orders
from outbound.store.models import InboundMessage
from outbound.store.orders import EVENTS, LIST_ITEMS, ORDERS

INBOUND = InboundMessage.__table__
FAILED = ("undelivered", "failed")
_QUOTA_COLUMNS = ["agent", "quota", "attempted", "quota_attained"]
AGENT_COLUMNS = [
    "agent",
    "days",
    *_QUOTA_COLUMNS[1:],
    "attempts",
    "reached",
    "converted",
    "returned",
]


@dataclass(frozen=True)
class Scope:
    """Whose work is counted: the orders of MONTH (follow-ups and tickets aside), of CAMPAIGNS
    only if given."""

    month: str
    campaigns: Collection[str] | None = None

    def orders(self) -> sa.ColumnElement[bool]:
        # Tickets' work is measured on its own clock (results.tickets).
        chosen = [
            ORDERS.c.month == self.month,
            ORDERS.c.channel != "followup",
            ORDERS.c.ticket_id.is_(None),
        ]
        if self.campaigns is not None:
            chosen.append(ORDERS.c.campaign.in_(sorted(self.campaigns)))
        return sa.and_(*chosen)


@dataclass(frozen=True)
class Activity:
    """SCOPE's work, one row a campaign, an agent, a day of the lists and a message wave."""

    campaigns: pd.DataFrame
    agents: pd.DataFrame
    days: pd.DataFrame
    waves: pd.DataFrame


def of_month(
    connection: sa.Connection,
    scope: Scope,
    quotas: dict[str, int],
    dispositions: dict[str, Disposition],
    tz: ZoneInfo,
) -> Activity:
    """What SCOPE's campaigns did, from one read of its orders' outcomes, returns and list
    items; QUOTAS, each campaign's per_agent_per_day."""
    outcomes = orders.frame(connection, _events(scope, "outcome"))
    # Whose attempt: the agent whose list held the order (the event's detail), else whoever
    # recorded it (events written before the holder was kept).
    outcomes["agent"] = outcomes["detail"].fillna(outcomes["actor"])
    outcomes["category"] = outcomes["code"].map({c: d.category for c, d in dispositions.items()})
    outcomes["effect"] = outcomes["code"].map({c: d.effect for c, d in dispositions.items()})
    returned = orders.frame(connection, _events(scope, "returned"))
    items = _list_items(connection, scope.orders(), quotas, tz)
    return Activity(
        campaigns=_campaigns(_orders(connection, scope, outcomes, returned)),
        agents=_agents(items, outcomes, returned),
        days=_by_day(items),
        waves=_waves(connection, scope),
    )


def _campaigns(found: pd.DataFrame) -> pd.DataFrame:
    """One row a campaign: orders, attempted, attempts, reached, reach rate (of the attempted
    orders), attempts per reached customer, converted, returned and expired."""
    found = found.assign(attempted=found["attempts"] > 0)
    counted = ["attempted", "attempts", "reached", "converted", "returned", "expired"]
    grouped = found.groupby("campaign", sort=True)
    table = grouped[counted].sum().astype(int)
    table.insert(0, "orders", grouped.size())
    table.insert(3, "reach_rate", _share(table["reached"], table["attempted"]))
    table.insert(5, "attempts_per_reach", _share(table["attempts"], table["reached"], places=2))
    return table.reset_index()


def _agents(items: pd.DataFrame, outcomes: pd.DataFrame, returned: pd.DataFrame) -> pd.DataFrame:
    """One row an agent who had the orders on their lists: days on the lists, quota, new items
    attempted the day they were given and attainment; then the outcomes of the orders their
    lists held (attempts), orders reached and converted, orders given back (twice if twice)."""
    if items.empty:
        return pd.DataFrame(columns=AGENT_COLUMNS)
    table = _quota(items, "agent")
    table.insert(0, "days", items.groupby("agent")["day"].nunique())
    table["attempts"] = outcomes.groupby("agent").size().reindex(table.index, fill_value=0)
    for column, kept in (
        ("reached", outcomes["category"] == "reached"),
        ("converted", outcomes["effect"] == "converted"),
    ):
        counted = outcomes[kept].groupby("agent")["order_id"].nunique()
        table[column] = counted.reindex(table.index, fill_value=0)
    table["returned"] = returned.groupby("actor").size().reindex(table.index, fill_value=0)
    return table.reset_index()


def calendar_days(
    connection: sa.Connection,
    first: dt.date,
    last: dt.date,
    agents: Collection[str] | None,
    quotas: dict[str, int],
    tz: ZoneInfo,
) -> pd.DataFrame:
    """As days, for the lists of AGENTS (everyone's if None) from FIRST to LAST whatever month
    their orders are of: a supervisor's view of their teams' month so far."""
    chosen: sa.ColumnElement[bool] = LIST_ITEMS.c.day.between(first, last)
    if agents is not None:
        chosen = sa.and_(chosen, LIST_ITEMS.c.agent_id.in_(sorted(agents)))
    return _by_day(_list_items(connection, chosen, quotas, tz))


def calendar_agents(
    connection: sa.Connection,
    first: dt.date,
    last: dt.date,
    quotas: dict[str, int],
    tz: ZoneInfo,
) -> pd.DataFrame:
    """Each agent's quota, attempted and quota_attained over the lists of FIRST to LAST,
    whatever month their orders are of."""
    items = _list_items(connection, LIST_ITEMS.c.day.between(first, last), quotas, tz)
    if items.empty:
        return pd.DataFrame(columns=_QUOTA_COLUMNS)
    return _quota(items, "agent").reset_index()


def _by_day(items: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame(columns=["day", *_QUOTA_COLUMNS[1:]])
    return _quota(items, "day").reset_index()


def _waves(connection: sa.Connection, scope: Scope) -> pd.DataFrame:
    """One row an SMS or voice wave (campaign and day) of SCOPE's orders: messages, sent,
    delivered, failed, blocked, and opt-outs: STOP replies to the wave's messages (a STOP
    counts for the last message that number was sent before it). The survey after a call is
    no wave: its figures are the scores'."""
    sent = orders.frame(
        connection,
        sa.select(
            OUTBOX.c.id,
            OUTBOX.c.campaign,
            OUTBOX.c.channel,
            OUTBOX.c.day,
            OUTBOX.c.phone,
            OUTBOX.c.state,
        )
        .join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
        .where(scope.orders(), OUTBOX.c.survey.is_(None)),
    )
    columns = ["campaign", "channel", "day", "messages", "sent", "delivered", "failed"]
    if sent.empty:
        return pd.DataFrame(columns=[*columns, "blocked", "opt_outs", "delivery_rate"])
    state = sent["state"]
    sent = sent.assign(
        messages=1,
        sent=state.isin(("sent", "delivered", *FAILED)),
        delivered=state == "delivered",
        failed=state.isin(FAILED),
        blocked=state == "blocked",
        opt_outs=sent["id"].isin(_opted_out_after(connection, sent)),
    )
    grouped = sent.groupby(["campaign", "channel", "day"], sort=True)
    table = grouped[[*columns[3:], "blocked", "opt_outs"]].sum().astype(int)
    table["delivery_rate"] = _share(table["delivered"], table["sent"])
    return table.reset_index()


def _quota(items: pd.DataFrame, by: str) -> pd.DataFrame:
    """Quota is each agent's per_agent_per_day for each campaign they were given new items of
    that day (as the day's report counts it); attempted, the new items with an outcome the same
    day."""
    new = items[items["new"]]
    firsts = new.drop_duplicates(["day", "agent", "campaign"])
    table = pd.DataFrame(
        {
            "quota": firsts.groupby(by)["quota"].sum(),
            "attempted": new[new["attempted_that_day"]].groupby(by).size(),
        }
    )
    table = table.reindex(sorted(items[by].unique())).fillna(0).astype(int)
    table["quota_attained"] = _share(table["attempted"], table["quota"])
    return table.rename_axis(by)


def _list_items(
    connection: sa.Connection,
    chosen: sa.ColumnElement[bool],
    quotas: dict[str, int],
    tz: ZoneInfo,
) -> pd.DataFrame:
    """The CHOSEN list items (day, id, agent, campaign, new, quota), each marked attempted when
    its order has an outcome that local day."""
    items_of_orders = LIST_ITEMS.join(ORDERS, ORDERS.c.id == LIST_ITEMS.c.order_id)
    items = orders.frame(
        connection,
        sa.select(
            LIST_ITEMS.c.day,
            LIST_ITEMS.c.order_id.label("id"),
            LIST_ITEMS.c.agent_id.label("agent"),
            LIST_ITEMS.c.campaign,
            LIST_ITEMS.c.new,
        )
        .select_from(items_of_orders)
        .where(chosen),
    )
    outcomes = orders.frame(
        connection,
        sa.select(EVENTS.c.order_id, EVENTS.c.at)
        .select_from(items_of_orders.join(EVENTS, EVENTS.c.order_id == LIST_ITEMS.c.order_id))
        .where(chosen, EVENTS.c.kind == "outcome")
        .distinct(),
    )
    outcome_days = set(zip(outcomes["order_id"], _local_days(outcomes["at"], tz), strict=True))
    items["new"] = items["new"].astype(bool)
    items["quota"] = items["campaign"].map(quotas).fillna(0).astype(int)
    items["attempted_that_day"] = [
        (order, day) in outcome_days for order, day in zip(items["id"], items["day"], strict=True)
    ]
    return items


def _orders(
    connection: sa.Connection, scope: Scope, outcomes: pd.DataFrame, returned: pd.DataFrame
) -> pd.DataFrame:
    """The orders in SCOPE: campaign, attempts and whether each was reached, converted, ever
    given back (RETURNED's events) and expired."""
    found = orders.frame(
        connection,
        sa.select(ORDERS.c.id, ORDERS.c.campaign, ORDERS.c.attempts, ORDERS.c.state).where(
            scope.orders()
        ),
    )
    found["reached"] = found["id"].isin(outcomes.loc[outcomes["category"] == "reached", "order_id"])
    found["converted"] = found["id"].isin(
        outcomes.loc[outcomes["effect"] == "converted", "order_id"]
    )
    found["returned"] = found["id"].isin(returned["order_id"])
    found["expired"] = found["state"] == "expired"
    return found


def _events(scope: Scope, kind: str) -> sa.Select[Any]:
    return (
        sa.select(EVENTS.c.order_id, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.code, EVENTS.c.detail)
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(scope.orders(), EVENTS.c.kind == kind)
    )


def _opted_out_after(connection: sa.Connection, sent: pd.DataFrame) -> set[int]:
    """The ids of SENT's messages whose number answered STOP next, before any later message
    (of any month)."""
    stops = orders.frame(
        connection,
        sa.select(INBOUND.c.phone, INBOUND.c.received_at).where(INBOUND.c.action == "stop"),
    )
    stops = stops[stops["phone"].isin(sent["phone"])]
    if stops.empty:
        return set()
    before = orders.frame(
        connection,
        sa.select(OUTBOX.c.id, OUTBOX.c.phone, OUTBOX.c.sent_at).where(
            OUTBOX.c.phone.in_(sorted(set(stops["phone"]))), OUTBOX.c.sent_at.is_not(None)
        ),
    )
    matched = pd.merge_asof(
        stops.assign(at=pd.to_datetime(stops["received_at"], utc=True)).sort_values("at"),
        before.assign(at=pd.to_datetime(before["sent_at"], utc=True)).sort_values("at"),
        on="at",
        by="phone",
        direction="backward",
    )
    return set(matched["id"].dropna().astype(int)) & set(sent["id"])


def _local_days(moments: pd.Series, tz: ZoneInfo) -> list[dt.date]:
    return list(pd.to_datetime(moments, utc=True).dt.tz_convert(tz).dt.date)


def _share(part: pd.Series, whole: pd.Series, places: int = 3) -> pd.Series:
    return (part / whole.where(whole > 0)).round(places)
