"""Handling time: each outcome timed by the switch's calls when it posted them, else by the
page (dial link clicked to outcome saved); per agent and campaign the median and the 90th
percentile, all against times worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.orders import calls, undo
from outbound.results import handling
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center


def at(hms: str, day: str = DAY) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hms}+08:00")


def switch(engine: sa.Engine, item: int, agent: str, start: str, end: str, call_id: str) -> None:
    call = calls.SwitchCall(item, agent, at(start), at(end), call_id)
    calls.switched(engine, call, at(end))


class World:
    def __init__(self, center: Center) -> None:
        self.center = center
        self.config: Config = load_config(center.folder)
        self.engine = open_database(self.config.database_url)
        self.items: dict[str, int] = {}

    def outcome(self, item: int, code: str, hms: str, *more: str, agent: str = "A01") -> None:
        now = f"{DAY}T{hms}"
        self.center.ok("outcome", str(item), "--code", code, "--agent", agent, *more, now=now)

    def times(self, start: str = "00:00:00", end: str = "23:59:59") -> pd.DataFrame:
        with self.engine.connect() as connection:
            return handling.times(connection, self.config, at(start), at(end))


@pytest.fixture
def world(center: Center) -> World:
    """DAY run; A01 works three complaint callbacks (P, S, R) and two zero-usage customers (C,
    N), A02 one zero-usage customer (U):

    - P: dial link clicked 09:58:00 and again 10:00:00, outcome no_answer 10:01:30: the page's
      90 s from the latest click.
    - S: clicked 10:05:00, the softphone's call 10:05:10–10:08:40, outcome satisfied 10:09:00:
      the switch's 210 s take precedence over the page's 240.
    - R: two softphone calls (a dropped line, a redial) 10:20:00–10:20:30 and 10:21:00–10:23:00,
      posted after the outcome satisfied of 10:24:00: 30 + 120 = 150 s.
    - C: clicked 11:00:00, outcome callback 11:03:00 (180 s); clicked again 15:00:00, outcome
      no_answer 15:04:00 (240 s, not from the morning's click).
    - N: an outcome no_answer 11:30:00 with no call: no row.
    - A02's U: clicked 12:00:00, outcome no_answer 12:01:00 undone at 12:02:00, outcome again
      12:05:00: one row, 300 s, for the outcome that stands.
    """
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    made = World(center)
    listed = center.calls("A01", DAY)
    p, s, r = [x["item"] for x in listed if x["campaign"] == "complaint_callback"][:3]
    c, n = [x["item"] for x in listed if x["campaign"] == "zero_usage_wakeup"][:2]
    engine = made.engine
    calls.opened(engine, p, "A01", at("09:58:00"))
    calls.opened(engine, p, "A01", at("10:00:00"))
    made.outcome(p, "no_answer", "10:01:30")
    calls.opened(engine, s, "A01", at("10:05:00"))
    switch(engine, s, "A01", "10:05:10", "10:08:40", "SW-1")
    made.outcome(s, "satisfied", "10:09:00")
    made.outcome(r, "satisfied", "10:24:00")
    switch(engine, r, "A01", "10:20:00", "10:20:30", "SW-2")
    switch(engine, r, "A01", "10:21:00", "10:23:00", "SW-3")
    calls.opened(engine, c, "A01", at("11:00:00"))
    made.outcome(c, "callback", "11:03:00", "--callback-at", f"{DAY} 15:00")
    calls.opened(engine, c, "A01", at("15:00:00"))
    made.outcome(c, "no_answer", "15:04:00")
    made.outcome(n, "no_answer", "11:30:00")
    u = next(x["item"] for x in center.calls("A02", DAY) if x["campaign"] == "zero_usage_wakeup")
    calls.opened(engine, u, "A02", at("12:00:00"))
    made.outcome(u, "no_answer", "12:01:00", agent="A02")
    undo.undo(engine, u, at("12:02:00"), made.config.tz, by="A02")
    made.outcome(u, "no_answer", "12:05:00", agent="A02")
    made.items = {"P": p, "S": s, "R": r, "C": c, "N": n, "U": u}
    return made


def test_each_outcome_is_timed_by_the_switch_first_else_by_the_page(world: World) -> None:
    found = world.times()
    items = world.items
    rows = [
        (int(row.order_id), row.agent_id, row.code, float(row.seconds), row.source)
        for row in found.sort_values(["at"]).itertuples()
    ]
    assert rows == [
        (items["P"], "A01", "no_answer", 90.0, "page"),
        (items["S"], "A01", "satisfied", 210.0, "switch"),
        (items["R"], "A01", "satisfied", 150.0, "switch"),
        (items["C"], "A01", "callback", 180.0, "page"),
        (items["U"], "A02", "no_answer", 300.0, "page"),
        (items["C"], "A01", "no_answer", 240.0, "page"),
    ]
    assert set(found["campaign"]) == {"complaint_callback", "zero_usage_wakeup"}
    assert found["script_version"].str.startswith("complaint_call.j2@").sum() == 3
    assert found.set_index("code")["reached"].to_dict() == {
        "no_answer": False,
        "satisfied": True,
        "callback": True,
    }


def test_only_outcomes_within_the_span_are_timed_and_its_end_is_left_out(world: World) -> None:
    found = world.times("10:09:00", "11:03:00")
    items = world.items
    assert list(found.sort_values("at")["order_id"]) == [items["S"], items["R"]]
    with world.engine.connect() as connection:
        only = handling.times(
            connection, world.config, at("00:00:00"), at("23:59:59"), "zero_usage_wakeup"
        )
    assert sorted(only["order_id"]) == sorted([items["C"], items["C"], items["U"]])


def test_the_summary_per_agent_gives_the_median_the_90th_percentile_and_the_switchs_share(
    world: World,
) -> None:
    table = handling.summary(world.times(), "agent_id").set_index("agent_id")
    # A01: 90, 150, 180, 210, 240 s. Median 180. The 90th percentile, linear: rank
    # 0.9 × (5 − 1) = 3.6, between 210 and 240: 210 + 0.6 × 30 = 228. Two of five by switch.
    a01 = table.loc["A01"]
    assert (a01["calls"], a01["median_seconds"], a01["p90_seconds"]) == (5, 180.0, 228.0)
    assert a01["share_from_switch"] == pytest.approx(0.4)
    assert np.percentile([90, 150, 180, 210, 240], 90) == 228.0
    a02 = table.loc["A02"]
    assert (a02["calls"], a02["median_seconds"], a02["p90_seconds"]) == (1, 300.0, 300.0)
    assert a02["share_from_switch"] == 0.0
    by_campaign = handling.summary(world.times(), "campaign").set_index("campaign")
    assert by_campaign.loc["complaint_callback", "calls"] == 3  # P, S, R
    # C's 180 and 240, U's 300
    assert by_campaign.loc["zero_usage_wakeup", "median_seconds"] == 240.0


def test_a_summary_by_something_else_names_the_breakdowns_it_knows(world: World) -> None:
    with pytest.raises(UserError, match=r"unknown breakdown 'region'.*agent_id, campaign"):
        handling.summary(world.times(), "region")


def test_no_outcome_in_the_span_gives_an_empty_table_and_an_empty_summary(
    world: World,
) -> None:
    found = world.times("06:00:00", "07:00:00")
    assert found.empty and list(found.columns) == handling.COLUMNS
    assert handling.summary(found, "campaign").empty
