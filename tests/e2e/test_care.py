"""Every unhappy customer worked again: a call ended unsatisfied and a low survey score each
open exactly one care order, for a senior agent, with the customer's words; an outcome taken
back within the undo window opens none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from outbound.config import load_config
from outbound.orders import undo
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center, channels
from tests.e2e.test_scores import SATISFACTION, calls, clock, hooks, reply, with_survey  # noqa: F401
from tests.e2e.test_webhooks import Webhooks
from tests.peers.twilio import TwilioPeer

CARE = """
[tickets.care]
title = "不满意客户关怀"
deadline_hours = 48
seniority_at_least = 4

[care]
outcomes = ["unsatisfied"]
"""
SENIOR = {"A01", "A04"}  # 级别 5 and 4 in the fixture's roster


@pytest.fixture
def center(new_center: Callable[[str], Center], peer: TwilioPeer) -> Center:
    made = new_center(channels(peer) + CARE)
    with_survey(made, "complaint_callback", "satisfaction", SATISFACTION)
    made.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    return made


def care_orders(center: Center, now: str) -> list[dict]:
    return center.json("orders", "--type", "care", now=now)["orders"]


def test_a_call_ended_unsatisfied_opens_one_care_order_for_a_senior_agent(
    center: Center,
) -> None:
    call = calls(center, "complaint_callback")[0]
    center.ok(
        "outcome",
        str(call["item"]),
        "--code",
        "unsatisfied",
        "--note",
        "维修师傅迟到两小时",
        now=f"{DAY} 10:00",
    )
    assert "0 care orders opened" in center.ok("care", now=f"{DAY} 10:02")  # still undoable
    assert "1 care orders opened (1 dispatched)" in center.ok("care", now=f"{DAY} 10:10")
    assert "0 care orders opened (0 dispatched), 1 already open" in center.ok(
        "care", now=f"{DAY} 10:25"
    )
    (care,) = care_orders(center, f"{DAY} 10:25")
    assert (care["source"], care["external_id"]) == ("outcome", f"order-{call['item']}")
    assert care["agent"] in SENIOR and care["deadline"] == "2026-11-04 10:00:00"
    events = center.json("orders", "--history", str(care["id"]), now=f"{DAY} 10:25")["events"]
    assert [e["step"] for e in events[:2]] == ["受理", "派单"]


def test_an_unsatisfied_outcome_taken_back_opens_no_care_order(center: Center) -> None:
    call = calls(center, "complaint_callback")[0]
    agent = call["agent_id"]
    center.ok("outcome", str(call["item"]), "--code", "unsatisfied", "--agent", agent,
              now=f"{DAY} 10:00")  # fmt: skip
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    moment = dt.datetime(2026, 11, 2, 10, 2, tzinfo=config.tz)
    undo.undo(engine, int(call["item"]), moment, config.tz, by=agent)
    engine.dispose()
    center.ok("care", now=f"{DAY} 10:30")
    assert care_orders(center, f"{DAY} 10:30") == []


def test_a_low_survey_score_opens_one_care_order_with_the_customers_words(
    center: Center,
    hooks: Webhooks,  # noqa: F811
) -> None:
    call = calls(center, "complaint_callback")[0]
    center.ok("outcome", str(call["item"]), "--code", "satisfied", now=f"{DAY} 10:00")
    center.ok("send", now=f"{DAY} 10:30")
    reply(hooks, call["phone"], "1分，问题根本没解决", "7")
    center.ok("care", now=f"{DAY} 11:00")
    center.ok("care", now=f"{DAY} 11:15")
    (care,) = care_orders(center, f"{DAY} 11:15")
    assert care["source"] == "survey" and care["agent"] in SENIOR
    listed = {c["item"]: c for c in center.calls(care["agent"], DAY)}
    assert listed[care["id"]]["script"] == "短信满意度评分 1：1分，问题根本没解决"
