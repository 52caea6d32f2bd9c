"""Why lines go unused, as agents heard it: the reason codes recorded with reached customers
(config [reasons]), counted per campaign and broken down by region, plan, agent or ISO week.
An order counts once, with the reason of its current outcome (an undone one is no outcome)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, get_args

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.results.period import Period
from outbound.store import orders
from outbound.store.orders import EVENTS, ORDERS
from outbound.workspace.campaigns import Campaign

Breakdown = Literal["region", "plan", "agent", "week"]
BREAKDOWNS: tuple[Breakdown, ...] = get_args(Breakdown)
ALL = "all"
UNKNOWN = "unknown"
COLUMNS = ["campaign", "by", "value", "reason", "label", "count", "share"]
RECORDED = ["order_id", "campaign", "reason", *BREAKDOWNS]


def labels_of(config: Config, campaigns: Iterable[Campaign]) -> dict[str, dict[str, str]]:
    """The reason codes and labels (搬迁 …) of each campaign and ticket type that asks for
    reasons, in config.toml's order."""
    sets = config.settings.reasons
    named = {c.name: c.spec.reasons for c in campaigns} | {
        kind: ticket.reasons for kind, ticket in config.settings.tickets.items()
    }
    return {name: sets[chosen] for name, chosen in named.items() if chosen in sets}


def recorded(
    config: Config, connection: sa.Connection, period: Period, campaign: str | None = None
) -> pd.DataFrame:
    """One row an order (of CAMPAIGN only, if given) whose current outcome was recorded in
    PERIOD with a reason: its campaign, the reason, and the values it is broken down by: the
    order's region, the line's plan in its month's extract, the agent whose attempt it was and
    the ISO week of the outcome's local day."""
    start, end = period.bounds(config.tz)
    current = (
        sa.select(sa.func.max(EVENTS.c.id))
        .where(EVENTS.c.kind == "outcome")
        .group_by(EVENTS.c.order_id)
    )
    query = (
        sa.select(
            EVENTS.c.order_id,
            ORDERS.c.campaign,
            EVENTS.c.reason,
            ORDERS.c.region,
            ORDERS.c.line_id,
            ORDERS.c.month,
            # Whose attempt: the list's holder kept on the event, else whoever recorded it.
            sa.func.coalesce(EVENTS.c.detail, EVENTS.c.actor).label("agent"),
            EVENTS.c.at,
        )
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(
            EVENTS.c.id.in_(current),
            EVENTS.c.reason.is_not(None),
            EVENTS.c.at >= start,
            EVENTS.c.at < end,
        )
        .order_by(EVENTS.c.order_id)
    )
    if campaign is not None:
        query = query.where(ORDERS.c.campaign == campaign)
    found = orders.frame(connection, query)
    local = pd.to_datetime(found["at"], utc=True).dt.tz_convert(config.tz)
    iso = local.dt.isocalendar()
    found["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    found["plan"] = _plans(config, connection, found)
    return found[RECORDED]


def _plans(config: Config, connection: sa.Connection, found: pd.DataFrame) -> pd.Series:
    """Each order's line's plan in the snapshot of the order's month (None when the month is
    no longer loaded or the workspace maps no plan column)."""
    plans = pd.Series(None, index=found.index, dtype=object)
    if "plan" not in {column.name for column in config.settings.extract.columns.values()}:
        return plans
    for month, rows in found.groupby("month"):
        lines = snapshots.load_lines(config, connection, str(month), set(rows["line_id"]))
        if lines is None:
            continue
        plan_of = dict(zip(lines["line_id"], lines["plan"].astype(object), strict=True))
        plans[rows.index] = rows["line_id"].map(plan_of)
    return plans


def counted(
    found: pd.DataFrame, labels: Mapping[str, Mapping[str, str]], by: Breakdown
) -> pd.DataFrame:
    """FOUND's reasons counted per campaign and value of BY, with each reason's share of that
    value's reasons: one row a campaign, value and reason, the campaign's whole first (value
    "all"), then its values in order; every reason of the campaign's set shows, counted 0 if
    no one gave it. A code no longer in the set is shown as its code."""
    if by not in BREAKDOWNS:
        raise UserError(f"reasons by {by!r}: break them down by one of {', '.join(BREAKDOWNS)}")
    found = found.assign(value=found[by].fillna(UNKNOWN).astype(str))
    parts = []
    for campaign, rows in found.groupby("campaign", sort=True):
        known = dict(labels.get(str(campaign), {}))
        codes = [*known, *sorted(set(rows["reason"]) - set(known))]
        values = [ALL, *sorted(set(rows["value"]))]
        counts = pd.concat([rows.assign(value=ALL), rows]).groupby(["value", "reason"]).size()
        grid = pd.MultiIndex.from_product([values, codes], names=["value", "reason"])
        table = counts.reindex(grid, fill_value=0).rename("count").reset_index()
        totals = table.groupby("value")["count"].transform("sum")
        table["share"] = (table["count"] / totals).round(3)
        table["label"] = table["reason"].map(lambda code, known=known: known.get(code, code))
        parts.append(table.assign(campaign=campaign, by=by))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    return table.astype({"count": int})[COLUMNS]


def table(
    config: Config,
    connection: sa.Connection,
    campaigns: Iterable[Campaign],
    period: Period,
    by: Breakdown,
    campaign: str | None = None,
) -> pd.DataFrame:
    """The reasons recorded in PERIOD (of CAMPAIGN only, if given), broken down BY."""
    return counted(recorded(config, connection, period, campaign), labels_of(config, campaigns), by)


def wide(counted: pd.DataFrame) -> pd.DataFrame:
    """One campaign's COUNTED reasons as a table to read: a row a value (the whole first), its
    reasons in all, then a column of counts a reason, by its label."""
    values = list(dict.fromkeys(counted["value"]))
    labels = list(dict.fromkeys(counted["label"]))
    table = counted.pivot(index="value", columns="label", values="count").reindex(values)
    table = table[labels].astype(int)
    table.insert(0, "total", table.sum(axis=1))
    return table.reset_index().rename_axis(columns=None)
