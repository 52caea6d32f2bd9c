"""Handling time: how long each outcome took its agent, from a softphone's or switch's call
times when it posted them, else from the agent's page (the dial link clicked to the outcome
saved); and its median and 90th percentile per agent, campaign or script version."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.errors import UserError
from outbound.orders.calls import CALLS
from outbound.store import orders
from outbound.store.orders import EVENTS, ORDERS

BY = ("agent_id", "campaign", "script_version")
COLUMNS = [
    "event_id",
    "order_id",
    "campaign",
    "agent_id",
    "script_version",
    "code",
    "reached",
    "at",
    "seconds",
    "source",
]


def times(
    connection: sa.Connection,
    config: Config,
    start: dt.datetime,
    end: dt.datetime,
    campaign: str | None = None,
) -> pd.DataFrame:
    """One row per outcome recorded in [START, END) (of CAMPAIGN) that a call times: its
    order, campaign, agent, script version, code, whether the customer was reached, when, the
    SECONDS it took and their SOURCE.

    The calls of an outcome are those of its order and its agent made after the order's
    previous outcome (whoever recorded it) and up to this one: a switch's call by its start, a
    page's by when the dial link was clicked. The pairing is read from these times whenever a
    report asks, so a switch that posts a call after the outcome was saved still counts, and
    an outcome taken back (undone) hands its calls to the next one. SOURCE "switch": the
    seconds of the outcome's switch calls, start to end, summed (a redial counts both); they
    take precedence. Else "page": from the latest click of the dial link to the outcome's save.
    An outcome with neither has no row."""
    chosen = sa.and_(EVENTS.c.at >= start, EVENTS.c.at < end)
    if campaign is not None:
        chosen = sa.and_(chosen, ORDERS.c.campaign == campaign)
    return _timed(connection, config, chosen)


def of_month(
    connection: sa.Connection, config: Config, month: str, campaign: str | None = None
) -> pd.DataFrame:
    """As times(), for the outcomes of the work orders of extract MONTH (of CAMPAIGN), whenever
    they were recorded: what the month's verdict judges."""
    chosen = ORDERS.c.month == month
    if campaign is not None:
        chosen = sa.and_(chosen, ORDERS.c.campaign == campaign)
    return _timed(connection, config, chosen)


def summary(times: pd.DataFrame, by: str) -> pd.DataFrame:
    """TIMES per value of BY (agent_id, campaign or script_version): how many outcomes were
    timed, the median and the 90th percentile of their seconds (linear, numpy's default), and
    the share timed by a switch."""
    if by not in BY:
        raise UserError.of(
            "unknown_handling_breakdown",
            "unknown breakdown {by!r} of handling times; by: {known}",
            by=by,
            known=", ".join(BY),
        )
    table = (
        times.assign(switch=times["source"] == "switch")
        .groupby(by, dropna=False, sort=True)
        .agg(
            calls=("seconds", "size"),
            median_seconds=("seconds", "median"),
            p90_seconds=("seconds", _p90),
            share_from_switch=("switch", "mean"),
        )
        .reset_index()
    )
    table = table.astype({"calls": int, "share_from_switch": float})
    return table.round({"median_seconds": 1, "p90_seconds": 1, "share_from_switch": 4})


def _p90(seconds: pd.Series) -> float:
    return float(np.percentile(seconds.to_numpy(dtype=float), 90))


def _timed(
    connection: sa.Connection, config: Config, chosen: sa.ColumnElement[bool]
) -> pd.DataFrame:
    """The outcomes CHOSEN (a condition on events and orders) with their handling times."""
    outcome = EVENTS.c.kind == "outcome"
    worked = (
        sa.select(EVENTS.c.order_id)
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(outcome, chosen)
        .distinct()
    )
    # Every outcome of those orders, for the previous one of each: the start of its window.
    events = orders.frame(
        connection,
        sa.select(
            EVENTS.c.id.label("event_id"),
            EVENTS.c.order_id,
            ORDERS.c.campaign,
            # whose attempt it was (outcomes.record keeps it), whoever recorded it
            sa.func.coalesce(EVENTS.c.detail, EVENTS.c.actor).label("agent_id"),
            ORDERS.c.script_version,
            EVENTS.c.code,
            EVENTS.c.at,
            sa.case((chosen, 1), else_=0).label("chosen"),
        )
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(outcome, EVENTS.c.order_id.in_(worked))
        .order_by(EVENTS.c.order_id, EVENTS.c.at, EVENTS.c.id),
    )
    calls = orders.frame(
        connection,
        sa.select(
            CALLS.c.order_id,
            CALLS.c.agent_id,
            CALLS.c.source,
            CALLS.c.opened_at,
            CALLS.c.started_at,
            CALLS.c.ended_at,
        ).where(CALLS.c.order_id.in_(worked)),
    )
    if events.empty:
        return pd.DataFrame(columns=COLUMNS)
    events["at"] = _moments(events["at"])
    events["after"] = events.groupby("order_id")["at"].shift()
    for column in ("opened_at", "started_at", "ended_at"):
        calls[column] = _moments(calls[column])
    pairs = events[["event_id", "order_id", "agent_id", "at", "after"]].merge(
        calls, on=["order_id", "agent_id"]
    )
    moment = pairs["started_at"].where(pairs["source"] == "switch", pairs["opened_at"])
    inside = (moment <= pairs["at"]) & (pairs["after"].isna() | (moment > pairs["after"]))
    switch = pairs[inside & (pairs["source"] == "switch")]
    talk = (switch["ended_at"] - switch["started_at"]).dt.total_seconds()
    switch_seconds = talk.groupby(switch["event_id"]).sum()
    page = pairs[inside & (pairs["source"] == "page")]
    page_seconds = (
        (page["at"] - page["opened_at"]).dt.total_seconds().groupby(page["event_id"]).min()
    )

    found = events[events["chosen"].astype(bool)].copy()
    by_switch = found["event_id"].map(switch_seconds)
    found["seconds"] = by_switch.fillna(found["event_id"].map(page_seconds))
    found["source"] = np.where(by_switch.notna(), "switch", "page")
    found = found[found["seconds"].notna()]
    reached = {code for code, d in config.dispositions.items() if d.category == "reached"}
    found["reached"] = found["code"].isin(reached)
    return found[COLUMNS].reset_index(drop=True)


def _moments(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)
