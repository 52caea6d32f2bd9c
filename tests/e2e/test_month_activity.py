"""What the month's campaigns did, in the month report: reach and attempts per campaign, quota
attainment per agent and day, given-back orders, and each SMS wave's deliveries and opt-outs;
in JSON, CSV files, a workbook and the HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from outbound.config import load_config
from outbound.messages import receipts
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center
from tests.e2e.test_results import october


@pytest.fixture
def worked(center: Center) -> Center:
    """DAY run and worked: A01 reaches and converts one zero-usage customer and misses one,
    A02 gives one order back; the SMS wave goes out and one of its numbers answers TD. Then
    November arrives, so October can be judged."""
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    for name, rule in (("zero_usage_wakeup", "calls_30d > 0"), ("upsell_sms", "plan == '家家e'")):
        with (center.folder / "campaigns" / f"{name}.toml").open("a", encoding="utf-8") as file:
            file.write(f'success = "{rule}"\n')
    mine = [c for c in center.calls("A01", DAY) if c["campaign"] == "zero_usage_wakeup"]
    center.ok(
        "outcome",
        str(mine[0]["item"]),
        "--code",
        "accepted",
        "--reason",
        "price",
        now=f"{DAY} 10:00",
    )
    center.ok("outcome", str(mine[1]["item"]), "--code", "no_answer", now=f"{DAY} 10:05")
    theirs = next(c for c in center.calls("A02", DAY) if c["campaign"] == "zero_usage_wakeup")
    center.ok(
        "return",
        str(theirs["item"]),
        "--agent",
        "A02",
        "--reason",
        "听不懂方言",
        now=f"{DAY} 11:00",
    )
    center.ok("send", "--date", DAY, now=f"{DAY} 09:00")
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    with engine.begin() as connection:
        phone = connection.exec_driver_sql("select phone from outbox order by id").scalar()
        stop = {"MessageSid": "SM" + "7" * 32, "From": phone, "Body": "TD"}
        moment = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
        assert receipts.inbound(connection, stop, moment) == "stop"
    engine.dispose()
    october().to_csv(center.folder / "2026-11.csv", index=False, encoding="gbk")
    center.ok("import", str(center.folder / "2026-11.csv"), "--month", "2026-11")
    return center


def test_reach_and_attempts_per_campaign_count_what_agents_recorded(worked: Center) -> None:
    report = worked.json("report", "--month", "2026-10")
    row = next(r for r in report["campaigns"] if r["campaign"] == "zero_usage_wakeup")
    assert (row["attempted"], row["attempts"], row["reached"], row["converted"]) == (2, 2, 1, 1)
    assert (row["reach_rate"], row["attempts_per_reach"]) == (0.5, 2.0)
    assert row["orders"] >= 2 and row["expired"] == 0
    returned = sum(r["returned"] for r in report["campaigns"])
    assert returned == 1


def test_quota_attainment_per_agent_and_per_day_follow_the_days_lists(worked: Center) -> None:
    daily = {r["agent"]: r for r in worked.json("report", "--date", DAY)["agents"]}
    quota = daily["A01"]["quota"]
    report = worked.json("report", "--month", "2026-10")
    agents = {r["agent"]: r for r in report["agents"]}
    a01 = agents["A01"]
    assert (a01["days"], a01["quota"], a01["attempted"]) == (1, quota, 2)
    assert {a: r["quota"] for a, r in agents.items()} == {a: r["quota"] for a, r in daily.items()}
    assert a01["quota_attained"] == pytest.approx(round(2 / quota, 3))
    assert (a01["attempts"], a01["reached"], a01["converted"]) == (2, 1, 1)
    assert agents["A02"]["returned"] == 1 and agents["A02"]["attempted"] == 0
    (day,) = report["days"]
    assert day["day"] == DAY
    assert day["quota"] == sum(r["quota"] for r in report["agents"])
    assert day["attempted"] == 2


def test_each_sms_wave_counts_its_deliveries_and_the_opt_outs_it_drew(worked: Center) -> None:
    (wave,) = worked.json("report", "--month", "2026-10")["waves"]
    assert (wave["campaign"], wave["channel"], wave["day"]) == ("upsell_sms", "sms", DAY)
    assert wave["messages"] > 0 and wave["sent"] + wave["blocked"] == wave["messages"]
    assert wave["opt_outs"] == 1


def test_an_opt_out_counts_for_the_last_message_before_it_only(worked: Center) -> None:
    """The same number answering TD again the next day, after no new message, is still one
    opt-out of the one wave; a TD before any message counts for none."""
    config = load_config(worked.folder)
    engine = open_database(config.database_url)
    with engine.begin() as connection:
        phone = connection.exec_driver_sql("select phone from outbox order by id").scalar()
        other = connection.exec_driver_sql("select phone from outbox order by id desc").scalar()
        early = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
        receipts.inbound(
            connection, {"MessageSid": "SM" + "8" * 32, "From": other, "Body": "TD"}, early
        )
        later = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
        receipts.inbound(
            connection, {"MessageSid": "SM" + "9" * 32, "From": phone, "Body": "退订"}, later
        )
    engine.dispose()
    (wave,) = worked.json("report", "--month", "2026-10")["waves"]
    assert wave["opt_outs"] == 1


def test_a_workbook_has_a_sheet_a_section_in_chinese_and_csv_a_file_a_section(
    worked: Center, tmp_path: Path
) -> None:
    workbook = tmp_path / "十月.xlsx"
    worked.ok("report", "--month", "2026-10", "--output", str(workbook))
    sheets = pd.read_excel(workbook, sheet_name=None, engine="openpyxl", header=1)
    assert list(sheets)[:11] == [
        "提升",
        "活动",
        "坐席",
        "每日进度",
        "短信语音批次",
        "客户评分",
        "各坐席客户评分",
        "受理工单",
        "部门回单",
        "再回访",
        "重开、再转派与超时",
    ]
    assert {"目标达成", "坐席排名", "各坐席处理时长", "话术对比", "原因（按区县）"} <= set(sheets)
    assert "定额完成率" in sheets["坐席"].columns
    assert set(sheets["提升"]["活动"]) == {"零次户唤醒", "家家e短信"}
    english = tmp_path / "october.xlsx"
    worked.ok("report", "--month", "2026-10", "--lang", "en", "--output", str(english))
    sheets = pd.read_excel(english, sheet_name=None, engine="openpyxl", header=1)
    assert list(sheets)[:3] == ["Lift", "Campaigns", "Agents"]
    assert "quota attained" in sheets["Agents"].columns
    table = tmp_path / "october.csv"
    worked.ok("report", "--month", "2026-10", "--output", str(table))
    written = sorted(p.name for p in tmp_path.glob("october*.csv"))
    assert {
        "october.agent_scores.csv",
        "october.agents.csv",
        "october.campaigns.csv",
        "october.csv",
        "october.days.csv",
        "october.departments.csv",
        "october.loop.csv",
        "october.recalls.csv",
        "october.scores.csv",
        "october.ticket_types.csv",
        "october.waves.csv",
        "october.targets.csv",
        "october.ranking.csv",
        "october.handling_agent_id.csv",
        "october.reasons_region.csv",
    } <= set(written)
    assert "p_value" in pd.read_csv(table).columns


def test_the_terminal_report_shows_every_section(worked: Center) -> None:
    shown = worked.ok("report", "--month", "2026-10")
    for title in (
        "judged on 2026-11",
        "reach and attempts per campaign",
        "quota attainment per agent",
        "daily progress against quota",
        "SMS and voice waves",
    ):
        assert title in shown


def test_the_html_report_charts_daily_progress_and_lists_the_agents(worked: Center) -> None:
    page = worked.ok("report", "--month", "2026-10", "--format", "html")
    assert page.count('<figure class="chart progress">') == 1
    assert '<table class="section agents">' in page and ">A01<" in page
    assert '<table class="section waves">' in page
