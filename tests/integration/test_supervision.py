"""Reassign and urge on SQLite and PostgreSQL: what moves where, what is logged, and every
refusal, on the call center of the end-to-end tests after its first run."""

from __future__ import annotations

import datetime as dt
import getpass
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.errors import UserError
from outbound.orders import outcomes, supervision
from outbound.store.models import Agent
from outbound.store.orders import LIST_ITEMS, ORDERS
from outbound.workspace.campaigns import load_campaigns
from tests.e2e.conftest import DAY, Center
from tests.integration.conftest import Ran

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
NEXT_MORNING = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)


def reassign(
    ran: Ran, order_id: int, to: str, now: dt.datetime, within: set[str] | None = None
) -> supervision.Reassigned:
    """Supervisor S01 moves ORDER_ID to TO."""
    workspace, engine = ran
    config = load_config(workspace.folder)
    campaigns = {campaign.name: campaign for campaign in load_campaigns(config)[0]}
    return supervision.reassign(config, engine, campaigns, order_id, to, "S01", now, within=within)


def complaint_of(workspace: Center, agent: str) -> int:
    calls = workspace.calls(agent, DAY)
    return int(next(c["item"] for c in calls if c["campaign"] == "complaint_callback"))


def listed_for(engine: sa.Engine, order_id: int) -> list[tuple[dt.date, str, bool]]:
    query = sa.select(LIST_ITEMS.c.day, LIST_ITEMS.c.agent_id, LIST_ITEMS.c.new).where(
        LIST_ITEMS.c.order_id == order_id
    )
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(query))


def test_reassigning_a_listed_order_moves_it_and_its_list_line_to_the_other_agent(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    moved = reassign(ran, item, "A02", MORNING)
    assert (moved.from_agent, moved.to_agent, moved.state) == ("A01", "A02", "assigned")
    assert item in [c["item"] for c in workspace.calls("A02", DAY)]
    assert item not in [c["item"] for c in workspace.calls("A01", DAY)]
    assert listed_for(engine, item) == [(dt.date(2026, 11, 2), "A02", True)]
    script = next(c["script"] for c in workspace.calls("A02", DAY) if c["item"] == item)
    assert "我是客服李强" in script and "王丽" not in script
    event = workspace.json("orders", "--history", str(item))["events"][-1]
    assert (event["kind"], event["actor"], event["detail"]) == (
        "reassigned",
        "S01",
        "from A01 to A02",
    )


def test_a_returned_order_reassigned_the_next_day_is_on_that_days_list(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    outcomes.give_back(engine, item, "A01", "不懂环县方言", MORNING, SHANGHAI)
    moved = reassign(ran, item, "A03", NEXT_MORNING)
    assert (moved.from_agent, moved.state) == (None, "assigned")
    assert item in [c["item"] for c in workspace.calls("A03", "2026-11-03")]
    assert listed_for(engine, item) == [
        (dt.date(2026, 11, 2), "A01", True),
        (dt.date(2026, 11, 3), "A03", False),
    ]


def test_an_order_waiting_for_its_retry_changes_agent_but_keeps_waiting(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    workspace.ok("outcome", str(item), "--code", "no_answer", now=f"{DAY} 19:00")
    reassign(ran, item, "A02", dt.datetime(2026, 11, 2, 19, 5, tzinfo=SHANGHAI))
    with engine.connect() as connection:
        state, agent = connection.execute(
            sa.select(ORDERS.c.state, ORDERS.c.agent_id).where(ORDERS.c.id == item)
        ).one()
    assert (state, agent) == ("in_progress", "A02")
    assert listed_for(engine, item) == [(dt.date(2026, 11, 2), "A01", True)]


def test_reassign_refuses_what_cannot_be_done_and_changes_nothing(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    closed = complaint_of(workspace, "A02")
    workspace.ok("outcome", str(closed), "--code", "satisfied", now=f"{DAY} 09:00")
    workspace.ok("agents", "absent", "A03", "--date", DAY)
    with engine.begin() as connection:
        connection.execute(sa.update(Agent).where(Agent.agent_id == "A05").values(active=False))
    refusals = [
        (item, "A99", "no active agent 'A99'"),
        (item, "A05", "no active agent 'A05'"),
        (item, "A03", f"A03 is absent on {DAY}"),
        (item, "A01", f"work order {item} is already A01's"),
        (closed, "A01", f"work order {closed} is already closed (satisfied)"),
        (999999, "A02", "no work order 999999"),
    ]
    for order_id, to, sentence in refusals:
        with pytest.raises(UserError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
            reassign(ran, order_id, to, MORNING)
    with pytest.raises(UserError, match="'A04' is not an agent of your team"):
        reassign(ran, item, "A04", MORNING, within={"A01", "A02"})
    assert item in [c["item"] for c in workspace.calls("A01", DAY)]
    assert [e["kind"] for e in workspace.json("orders", "--history", str(item))["events"]] == [
        "created",
        "assigned",
    ]


def test_urging_logs_who_was_urged_and_a_closed_order_is_refused(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    assert supervision.urge(engine, item, "S01", MORNING) == "to A01 and supervisor S01"
    event = workspace.json("orders", "--history", str(item))["events"][-1]
    assert (event["kind"], event["actor"], event["detail"]) == (
        "urged",
        "S01",
        "to A01 and supervisor S01",
    )
    workspace.ok("outcome", str(item), "--code", "declined", now=f"{DAY} 10:30")
    with pytest.raises(UserError, match="is already closed"):
        supervision.urge(engine, item, "S01", MORNING)


def test_the_cli_reassigns_and_urges(ran: Ran) -> None:
    workspace, _ = ran
    item = str(complaint_of(workspace, "A01"))
    out = workspace.ok("reassign", item, "--to", "A02", "--by", "S01", now=f"{DAY} 10:00")
    assert out.strip() == f"work order {item} moved from A01 to A02; now assigned"
    out = workspace.ok("urge", item, "--by", "S01", now=f"{DAY} 10:05")
    assert out.strip() == f"work order {item}: urged to A02 and supervisor S01"
    workspace.ok("agents", "absent", "A03", "--date", DAY)
    refused = workspace.refused("reassign", item, "--to", "A03", now=f"{DAY} 10:10")
    assert f"error: A03 is absent on {DAY}; pick an agent at work" in refused


def test_only_the_holder_or_a_supervisor_gives_an_order_back_and_a_follow_up_goes_to_its_queue(
    ran: Ran,
) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    with pytest.raises(UserError, match="is on A01's list, not A02's"):
        outcomes.give_back(engine, item, "A02", "不是我的", MORNING, SHANGHAI)
    out = workspace.ok(
        "outcome",
        str(item),
        "--code",
        "escalate",
        "--agent",
        "A01",
        "--note",
        "光猫故障",
        now=f"{DAY} 10:00",
    )
    follow_up = int(out.rsplit("follow-up order ", 1)[1].split()[0])
    with pytest.raises(UserError, match="is on 装维部's queue, not A02's"):
        outcomes.give_back(engine, follow_up, "A02", "不归我管", MORNING, SHANGHAI)
    outcomes.give_back(
        engine, follow_up, "A02", "派错了", MORNING, SHANGHAI, by="S01", supervisor=True
    )
    with engine.connect() as connection:
        order = connection.execute(sa.select(ORDERS).where(ORDERS.c.id == follow_up)).one()
    assert (order.state, order.agent_id, order.department) == ("open", None, "装维部")
    event = workspace.json("orders", "--history", str(follow_up))["events"][-1]
    assert (event["kind"], event["actor"], event["detail"]) == ("returned", "S01", "派错了")


def test_an_outcome_recorded_at_the_console_names_the_console_user_not_the_agent(
    ran: Ran,
) -> None:
    workspace, _ = ran
    item = complaint_of(workspace, "A01")
    workspace.ok("outcome", str(item), "--code", "no_answer", now=f"{DAY} 10:00")
    event = next(
        e
        for e in workspace.json("orders", "--history", str(item))["events"]
        if e["kind"] == "outcome"
    )
    assert event["actor"] == f"{getpass.getuser()} (console)"


def test_an_absence_is_in_the_history_of_each_order_it_moved(ran: Ran) -> None:
    workspace, _ = ran
    held = [c["item"] for c in workspace.calls("A01", DAY)]
    workspace.ok("agents", "absent", "A01", "--date", "2026-11-03", "--reason", "病假")
    workspace.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")
    for item in held:
        kinds = [
            (e["kind"], e["detail"])
            for e in workspace.json("orders", "--history", str(item))["events"]
        ]
        assert ("absent", "A01 is absent on 2026-11-03") in kinds


def test_a_reassign_of_an_order_changed_since_it_was_read_is_refused_as_stale(ran: Ran) -> None:
    workspace, engine = ran
    item = complaint_of(workspace, "A01")
    with engine.connect() as connection:
        seen = connection.scalar(sa.select(ORDERS.c.version).where(ORDERS.c.id == item))
    workspace.ok("outcome", str(item), "--code", "no_answer", now=f"{DAY} 09:00")
    config = load_config(workspace.folder)
    campaigns = {c.name: c for c in load_campaigns(config)[0]}
    with pytest.raises(supervision.Stale, match="changed since the page was shown"):
        supervision.reassign(
            config, engine, campaigns, item, "A02", "S01", MORNING, seen_version=seen
        )
    assert item in [c["item"] for c in workspace.calls("A01", DAY)]


def test_cancelling_an_absence_is_logged_on_the_orders_it_moved_and_guarded(ran: Ran) -> None:
    workspace, engine = ran
    held = [c["item"] for c in workspace.calls("A01", DAY)]
    workspace.ok("agents", "absent", "A01", "--date", "2026-11-03")
    workspace.ok("run", "--date", "2026-11-03", now="2026-11-03 07:30")
    cancel = [engine, "A01", dt.date(2026, 11, 3), "S01", NEXT_MORNING, SHANGHAI]
    with pytest.raises(UserError, match="'A01' is not an agent of your team"):
        supervision.cancel_absence(*cancel, within={"A04"})
    cancelled = supervision.cancel_absence(*cancel, within={"A01", "A02"})
    assert (cancelled.agent_id, cancelled.moved) == ("A01", len(held))
    with pytest.raises(UserError, match="A01 is not marked absent on 2026-11-03"):
        supervision.cancel_absence(*cancel)
    roster = workspace.json("agents", "list", "--date", "2026-11-03")["agents"]
    assert not next(a for a in roster if a["agent_id"] == "A01")["absent"]
    last = workspace.json("orders", "--history", str(held[0]))["events"][-1]
    assert (last["kind"], last["actor"], last["detail"]) == (
        "absence_cancelled",
        "S01",
        "A01's absence on 2026-11-03 cancelled",
    )
    workspace.ok("agents", "absent", "A02", "--date", DAY)
    with pytest.raises(UserError, match=r"2026-11-02 is past"):
        supervision.cancel_absence(
            engine, "A02", dt.date(2026, 11, 2), "S01", NEXT_MORNING, SHANGHAI
        )
