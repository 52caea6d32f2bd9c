"""Service quality on a small world built by hand in the store, on SQLite and PostgreSQL: each
agent's reach, satisfaction, first-contact resolution, conversion and quota attainment over a
week, every figure computed by hand below."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.messages.scores import REPLIES
from outbound.results import period, quality
from outbound.store import orders
from outbound.store.db import open_database
from outbound.store.orders import ORDERS, TICKETS

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "daily"
TZ = ZoneInfo("Asia/Shanghai")
WEEK = period.week("2026-W45")  # Monday 2 to Sunday 8 November 2026
AGENTS = [("A01", "王丽", 5), ("A02", "李强", 3), ("A03", "张敏", 1)]


def local(day: int, hour: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


@dataclass
class World:
    config: Config
    engine: sa.Engine

    def order(
        self, campaign: str, line: str, agent: str, listed: dt.date | None, month: str = "2026-10"
    ) -> int:
        """A call order of CAMPAIGN for LINE (of the extract MONTH) held by AGENT, new on AGENT's
        list of LISTED."""
        with self.engine.begin() as connection:
            order_id = connection.execute(
                sa.insert(ORDERS).values(
                    campaign=campaign,
                    channel="call",
                    line_id=line,
                    phone=f"1390934{line[-4:]}",
                    month=month,
                    state="done",
                    agent_id=agent,
                    rank=1,
                    created_on=dt.date(2026, 11, 1),
                    created_at=local(1, 7),
                    text="您好，这里是中国电信庆阳分公司。",
                    attempts=1,
                )
            ).inserted_primary_key[0]
            if listed is not None:
                orders.insert_list_items(
                    connection,
                    pd.DataFrame(
                        [
                            {
                                "day": listed,
                                "order_id": order_id,
                                "agent_id": agent,
                                "campaign": campaign,
                                "new": True,
                            }
                        ]
                    ),
                )
        return int(order_id)

    def outcome(self, order_id: int, agent: str, code: str, at: dt.datetime) -> None:
        with self.engine.begin() as connection:
            orders.log(connection, order_id, at, agent, "outcome", code, agent)

    def undone(self, order_id: int, agent: str, code: str, at: dt.datetime) -> None:
        with self.engine.begin() as connection:
            orders.log(connection, order_id, at, agent, "undone", code, agent)

    def reply(self, order_id: int, scale: str, score: int | None, at: dt.datetime) -> None:
        """The customer of ORDER_ID answers its survey with SCORE (None: unreadable)."""
        with self.engine.begin() as connection:
            order = connection.execute(sa.select(ORDERS).where(ORDERS.c.id == order_id)).one()
            connection.execute(
                sa.insert(REPLIES).values(
                    order_id=order_id,
                    outbox_id=order_id,
                    campaign=order.campaign,
                    agent_id=order.agent_id,
                    line_id=order.line_id,
                    phone=order.phone,
                    scale=scale,
                    body=str(score) if score is not None else "你们自己看着办",
                    score=score,
                    provider_id=f"SM{order_id:032d}{scale}",
                    received_at=at,
                )
            )


@pytest.fixture
def world(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    folder = tmp_path / "center"
    shutil.copytree(FIXTURE, folder)
    monkeypatch.setenv("ENGINE_DATABASE_URL", database_url)
    config = load_config(folder)
    engine = open_database(config.database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into agents (agent_id, name, team, skills, seniority, capacity, active)"
                " values (:id, :name, '关怀回访组', '[]', :level, 8, :active)"
            ),
            [{"id": a, "name": n, "level": s, "active": True} for a, n, s in AGENTS],
        )
    yield World(config, engine)
    engine.dispose()


@pytest.fixture
def week_worked(world: World) -> World:
    """Week 45, complaint_callback (quota 3 a day) and zero_usage_wakeup (quota 2):
    A01 reaches L1 (满意, survey 5), L2 (不满意, survey 3) and, at the second try, L3 (满意;
    its survey reply unreadable); A02 converts L4 (NPS 10), is declined by L5 (NPS 6) and
    reaches L1 again four days after A01 (满意): a repeat; A03 reached L6 on 20 October and
    reaches it again on 5 November (16 days: a repeat within 30 days only), takes back the
    outcome of L7 and does not reach L8."""
    w = world
    o1 = w.order("complaint_callback", "L0000001", "A01", dt.date(2026, 11, 2))
    o2 = w.order("complaint_callback", "L0000002", "A01", dt.date(2026, 11, 2))
    o3 = w.order("complaint_callback", "L0000003", "A01", dt.date(2026, 11, 3))
    o4 = w.order("zero_usage_wakeup", "L0000004", "A02", dt.date(2026, 11, 4))
    o5 = w.order("zero_usage_wakeup", "L0000005", "A02", dt.date(2026, 11, 4))
    o6 = w.order("complaint_callback", "L0000001", "A02", dt.date(2026, 11, 6), "2026-11")
    o7 = w.order("complaint_callback", "L0000006", "A03", None, "2026-09")
    o8 = w.order("complaint_callback", "L0000006", "A03", dt.date(2026, 11, 5))
    o9 = w.order("complaint_callback", "L0000007", "A03", dt.date(2026, 11, 5))
    o10 = w.order("zero_usage_wakeup", "L0000008", "A03", dt.date(2026, 11, 5))
    w.outcome(o1, "A01", "satisfied", local(2, 10))
    w.outcome(o2, "A01", "unsatisfied", local(2, 11))
    w.outcome(o3, "A01", "no_answer", local(3, 9))
    w.outcome(o3, "A01", "satisfied", local(3, 15))
    w.outcome(o4, "A02", "accepted", local(4, 10))
    w.outcome(o5, "A02", "declined", local(4, 11))
    w.outcome(o6, "A02", "satisfied", local(6, 10))
    w.outcome(o7, "A03", "satisfied", local(20, 10, month=10))
    w.outcome(o8, "A03", "declined", local(5, 10))
    w.undone(o9, "A03", "satisfied", local(5, 11))
    w.outcome(o10, "A03", "no_answer", local(5, 12))
    w.reply(o1, "satisfaction", 5, local(2, 12))
    w.reply(o2, "satisfaction", 3, local(2, 12))
    w.reply(o3, "satisfaction", None, local(3, 16))
    w.reply(o4, "nps", 10, local(4, 12))
    w.reply(o5, "nps", 6, local(4, 12))
    return w


def _by_agent(w: World) -> dict[str, dict]:
    start, end = WEEK.bounds(w.config.tz)
    with w.engine.connect() as connection:
        table = quality.agent_quality(connection, w.config, start, end)
    assert list(table.columns) == quality.AGENT_COLUMNS
    return {row["agent_id"]: row for row in table.to_dict("records")}


def test_each_agents_quality_over_a_week_is_counted_from_outcomes_and_replies(
    week_worked: World,
) -> None:
    agents = _by_agent(week_worked)
    assert list(agents) == ["A01", "A02", "A03"]
    a01, a02, a03 = agents["A01"], agents["A02"], agents["A03"]
    assert [a01["reached"], a02["reached"], a03["reached"]] == [3, 3, 1]
    # A01: calls 满意, 不满意, 满意 and survey 5 (satisfied) and 3 (said, neither): 3 of 5.
    assert a01["satisfaction_rate"] == 0.6
    # A02: one 满意 call; NPS replies are no satisfaction. A03: nobody said.
    assert a02["satisfaction_rate"] == 1.0
    assert pd.isna(a03["satisfaction_rate"])
    assert [a01["conversion_rate"], a02["conversion_rate"], a03["conversion_rate"]] == [
        0.0,
        0.3333,
        0.0,
    ]


def test_a_customer_reached_again_for_the_same_type_within_7_days_counts_against_fcr(
    week_worked: World,
) -> None:
    agents = _by_agent(week_worked)
    # A01's first contact of L1 was followed by A02's four days later: 2 of 3 resolved.
    assert agents["A01"]["fcr_rate"] == 0.6667
    # A02's contact of L1 is a repeat, not a first contact: L4 and L5 resolved, 2 of 2.
    assert agents["A02"]["fcr_rate"] == 1.0
    # A03's contact of L6, 16 days after the last one, is a first contact again.
    assert agents["A03"]["fcr_rate"] == 1.0


def test_quota_attainment_counts_new_items_attempted_the_day_they_were_listed(
    week_worked: World,
) -> None:
    agents = _by_agent(week_worked)
    # A01: 2 of 3 on the 2nd, 1 of 3 on the 3rd. A02: 2 of 2 on the 4th, 1 of 3 on the 6th.
    # A03 on the 5th: one of two complaint_callback items (the other's outcome was undone) and
    # the zero_usage_wakeup one, against 3 + 2.
    assert agents["A01"]["attainment_rate"] == 0.5
    assert agents["A02"]["attainment_rate"] == 0.6
    assert agents["A03"]["attainment_rate"] == 0.4


def test_an_undone_outcome_is_no_reach_and_no_satisfaction(week_worked: World) -> None:
    """A03's 满意 on L7 was taken back: one customer reached (L6), who said nothing."""
    a03 = _by_agent(week_worked)["A03"]
    assert a03["reached"] == 1 and pd.isna(a03["satisfaction_rate"])


def test_a_week_without_work_has_no_agents(world: World) -> None:
    assert _by_agent(world) == {}


def test_satisfaction_is_shown_per_source_calls_survey_and_nps(week_worked: World) -> None:
    w = week_worked
    with w.engine.connect() as connection:
        table = quality.satisfaction(connection, w.config, WEEK)
    rows = {r["source"]: r for r in table.to_dict("records")}
    assert list(rows) == ["calls", "survey", "nps"]
    # Calls: 满意 L1, 不满意 L2, 满意 L3 (after 无人接听), 满意 L1 again; the undone one is not.
    calls, sms, nps = rows["calls"], rows["survey"], rows["nps"]
    assert (calls["said"], calls["satisfied"], calls["unsatisfied"]) == (4, 3, 1)
    assert calls["satisfaction_rate"] == 0.75 and pd.isna(calls["nps"])
    # Survey: 5 and 3 (the unreadable reply is no score): 1 of 2.
    assert (sms["said"], sms["satisfied"], sms["unsatisfied"], sms["satisfaction_rate"]) == (
        2,
        1,
        0,
        0.5,
    )
    # NPS: one promoter (10), one detractor (6).
    assert (nps["said"], nps["nps"]) == (2, 0.0) and pd.isna(nps["satisfaction_rate"])


def test_satisfaction_per_agent_and_of_one_campaign(week_worked: World) -> None:
    w = week_worked
    with w.engine.connect() as connection:
        per_agent = quality.satisfaction(connection, w.config, WEEK, by="agent")
        one = quality.satisfaction(connection, w.config, WEEK, campaign="zero_usage_wakeup")
    found = {
        (r["agent_id"], r["source"]): (r["said"], r["satisfaction_rate"], r["nps"])
        for r in per_agent.to_dict("records")
    }
    assert found.keys() == {("A01", "calls"), ("A01", "survey"), ("A02", "calls"), ("A02", "nps")}
    assert found[("A01", "calls")][:2] == (3, 0.6667)
    assert found[("A01", "survey")][:2] == (2, 0.5)
    assert found[("A02", "calls")][:2] == (1, 1.0)
    assert found[("A02", "nps")][0::2] == (2, 0.0)
    assert list(one["source"]) == ["nps"]


def test_repeat_contacts_count_a_line_reached_again_for_the_type_within_each_window(
    week_worked: World,
) -> None:
    w = week_worked
    with w.engine.connect() as connection:
        table = quality.repeat_contacts(connection, w.config, WEEK)
    rows = {r["type"]: r for r in table.to_dict("records")}
    # complaint_callback: L1, L2, L3, L1 again after 4 days, L6 after 16 days.
    callback = rows["complaint_callback"]
    assert (callback["contacts"], callback["repeat_7d"], callback["repeat_30d"]) == (5, 1, 2)
    assert (callback["repeat_7d_rate"], callback["repeat_30d_rate"]) == (0.2, 0.4)
    wakeup = rows["zero_usage_wakeup"]
    assert (wakeup["contacts"], wakeup["repeat_7d"], wakeup["repeat_30d"]) == (2, 0, 0)


def test_first_contact_resolution_per_type(week_worked: World) -> None:
    w = week_worked
    with w.engine.connect() as connection:
        table = quality.first_contact_resolution(connection, w.config, WEEK)
    found = {
        r["type"]: (r["first_contacts"], r["resolved"], r["fcr_rate"])
        for r in table.to_dict("records")
    }
    # L1 (followed by A02's call), L2, L3, L6: 3 of 4. L4, L5: 2 of 2.
    assert found == {"complaint_callback": (4, 3, 0.75), "zero_usage_wakeup": (2, 2, 1.0)}


def test_a_contact_after_the_span_still_makes_its_first_contact_unresolved(
    week_worked: World,
) -> None:
    """L3 is reached again on Monday 9 November, in the next week: A01's contact of the 3rd is
    not resolved, and the week's figures say so."""
    w = week_worked
    again = w.order("complaint_callback", "L0000003", "A02", dt.date(2026, 11, 9), "2026-11")
    w.outcome(again, "A02", "satisfied", local(9, 10))
    agents = _by_agent(w)
    assert agents["A01"]["fcr_rate"] == 0.3333
    with w.engine.connect() as connection:
        table = quality.first_contact_resolution(connection, w.config, WEEK, by="agent")
    a01 = table[table["agent_id"] == "A01"].iloc[0]
    assert (a01["first_contacts"], a01["resolved"]) == (3, 1)


def test_repeat_complaints_per_month_count_a_complaint_within_30_days_of_the_last(
    world: World,
) -> None:
    w = world
    tickets = [
        ("L0000001", "complaint", local(20, 9, month=10)),
        ("L0000001", "complaint", local(3, 9)),  # 14 days after: a repeat
        ("L0000002", "complaint", local(4, 9)),
        ("L0000003", "complaint", local(5, 9)),
        ("L0000003", "complaint", local(6, 9)),  # the next day: a repeat
        ("L0000002", "fault", local(7, 9)),  # no complaint
        (None, "complaint", local(8, 9)),  # no line: never a repeat
        ("L0000004", "complaint", local(1, 9, month=9)),
        ("L0000004", "complaint", local(9, 9)),  # 69 days after: none
    ]
    with w.engine.begin() as connection:
        connection.execute(
            sa.insert(TICKETS),
            [
                {
                    "source": "crm",
                    "external_id": f"TS{n:06d}",
                    "type": kind,
                    "line_id": line,
                    "phone": "13909340000",
                    "received_at": at,
                    "text": "宽带经常掉线，投诉多次未解决",
                    "digest": f"{n:064d}",
                    "via": "api",
                    "taken_at": at,
                }
                for n, (line, kind, at) in enumerate(tickets)
            ],
        )
    with w.engine.connect() as connection:
        table = quality.repeat_complaints(connection, w.config, period.month("2026-11"))
    assert table.to_dict("records") == [
        {"month": "2026-11", "complaints": 6, "repeats": 2, "repeat_rate": 0.3333}
    ]


TARGETS = """
[targets]
satisfaction = 0.70
within_deadline = 0.95
reach = 0.80
attainment = 0.90
first_contact_resolution = 0.80
"""


def test_each_measure_stands_beside_its_target_and_a_miss_is_flagged(
    week_worked: World,
) -> None:
    w = week_worked
    with (w.config.workspace / "config.toml").open("a", encoding="utf-8") as file:
        file.write(TARGETS)
    config = load_config(w.config.workspace)
    with w.engine.connect() as connection:
        table = quality.against_targets(config, quality.measure(connection, config, WEEK))
    assert list(table.columns) == quality.TARGET_COLUMNS
    found = {
        (r["measure"], r["source"]): (r["value"], r["base"], r["target"], r["met"])
        for r in table.to_dict("records")
    }
    assert found[("satisfaction", "calls")] == (0.75, 4, 0.7, True)
    assert found[("satisfaction", "survey")] == (0.5, 2, 0.7, False)
    nps = found[("nps", "nps")]
    assert nps[:2] == (0.0, 2) and pd.isna(nps[2]) and nps[3] is None
    # No ticket this week: nothing to judge.
    deadline = found[("within_deadline", "tickets")]
    assert pd.isna(deadline[0]) and deadline[1:] == (0, 0.95, None)
    # 7 of the 8 orders attempted were reached (L8 did not answer).
    assert found[("reach", "calls")] == (0.875, 8, 0.8, True)
    # 8 new items attempted the day they were listed, of quotas 6 + 5 + 5.
    assert found[("attainment", "lists")] == (0.5, 16, 0.9, False)
    assert found[("first_contact_resolution", "calls")] == (0.8333, 6, 0.8, True)


def test_the_weekly_ranking_puts_quality_first_and_the_unmeasured_last(
    week_worked: World,
) -> None:
    w = week_worked
    with w.engine.connect() as connection:
        table = quality.ranking(connection, w.config, WEEK)
    assert list(table.columns) == quality.RANKING_COLUMNS
    assert [(r["rank"], r["agent_id"], r["name"]) for r in table.to_dict("records")] == [
        (1, "A02", "李强"),
        (2, "A01", "王丽"),
        (3, "A03", "张敏"),
    ]
