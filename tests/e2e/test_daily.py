"""The whole day through the command line, on SQLite and PostgreSQL: import, run, lists,
outcomes, the next day's run with retries, callbacks and carryover, deadlines, report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from outbound.config import load_config
from outbound.store.db import open_database
from outbound.store.orders import ORDERS
from tests.e2e.conftest import Center

ROOT = Path(__file__).resolve().parent.parent.parent
DAY, NEXT, THIRD = "2026-11-02", "2026-11-03", "2026-11-04"
NAMES = {"A01": "王丽", "A02": "李强", "A03": "张敏", "A04": "刘洋", "A05": "陈静", "A06": "赵磊"}


def count_orders(center: Center) -> int:
    engine = sa.create_engine(os.environ["ENGINE_DATABASE_URL"])
    with engine.connect() as connection:
        count = connection.execute(sa.text("select count(*) from work_orders")).scalar_one()
    engine.dispose()
    return count


def test_a_day_runs_once_and_a_second_run_changes_nothing(center: Center) -> None:
    first = center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    created = count_orders(center)
    again = center.ok("run", "--date", DAY, now=f"{DAY} 09:00")
    assert "run of 2026-11-02" in first
    assert "already ran" in again
    assert count_orders(center) == created > 0


def test_every_agent_gets_the_daily_quota_of_the_campaigns_they_may_work(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    lists = {
        agent: center.calls(agent, DAY) for agent in ("A01", "A02", "A03", "A04", "A05", "A06")
    }
    for agent, calls in lists.items():
        by_campaign = {c["campaign"] for c in calls}
        zero = sum(c["campaign"] == "zero_usage_wakeup" for c in calls)
        assert zero == 2, (agent, calls)
        assert ("complaint_callback" in by_campaign) == (agent in ("A01", "A02", "A03"))
        assert len(calls) <= (8 if agent in ("A01", "A02", "A03") else 6)
    items = [c["item"] for calls in lists.values() for c in calls]
    assert len(items) == len(set(items))
    script = lists["A01"][0]["script"]
    assert "王丽" in script  # the agent's name rendered into the script


def test_a_no_answer_is_retried_next_day_by_the_same_agent_until_max_attempts(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    item = next(c for c in center.calls("A04", DAY) if c["campaign"] == "zero_usage_wakeup")
    number = str(item["item"])
    assert "waits" not in center.ok("outcome", number, "--code", "no_answer", now=f"{DAY} 10:00")
    early = center.refused("outcome", number, "--code", "no_answer", now=f"{DAY} 11:00")
    assert "waits for its next attempt at 2026-11-03 10:00" in early

    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    assert number in {str(c["item"]) for c in center.calls("A04", NEXT)}
    center.ok("outcome", number, "--code", "busy", now=f"{NEXT} 10:30")
    center.ok("run", "--date", THIRD, now=f"{THIRD} 07:30")
    again = next(c for c in center.calls("A04", THIRD) if str(c["item"]) == number)
    assert again["attempts"] == 2
    last = center.ok("outcome", number, "--code", "no_answer", now=f"{THIRD} 11:00")
    assert "done (unreached)" in last
    closed = center.refused("outcome", number, "--code", "no_answer", now=f"{THIRD} 12:00")
    assert "already closed" in closed


def test_a_callback_comes_first_on_the_agents_list_on_its_day(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    calls = center.calls("A05", DAY)
    item = str(calls[-1]["item"])
    out = center.ok(
        "outcome", item, "--code", "callback", "--callback-at", f"{NEXT} 15:00", now=f"{DAY} 10:00"
    )
    assert "next attempt 2026-11-03 15:00" in out
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    first = center.calls("A05", NEXT)[0]
    assert str(first["item"]) == item
    assert first["callback_at"] == f"{NEXT} 15:00:00"
    asked = center.json("orders", "--history", item)["events"][-2]
    assert (asked["kind"], asked["code"], asked["callback_at"]) == (
        "outcome",
        "callback",
        f"{NEXT} 15:00:00",
    )


def test_a_callback_outside_calling_hours_is_refused(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    item = str(center.calls("A05", DAY)[0]["item"])
    err = center.refused(
        "outcome", item, "--code", "callback", "--callback-at", f"{NEXT} 22:30", now=f"{DAY} 10:00"
    )
    assert "outside calling hours 08:00–21:00" in err


def test_an_absent_agents_items_move_to_colleagues_and_a_returned_item_to_someone_else(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    mine = {str(c["item"]) for c in center.calls("A01", DAY)}
    given_back = sorted(mine)[0]
    center.ok(
        "return", given_back, "--agent", "A01", "--reason", "不懂环县方言", now=f"{DAY} 09:00"
    )
    center.ok("agents", "absent", "A02", "--date", NEXT)
    theirs = {str(c["item"]): c["campaign"] for c in center.calls("A02", DAY)}
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    assert center.calls("A02", NEXT) == []
    agents = ("A01", "A03", "A04", "A05", "A06")
    tomorrow = {a: {str(c["item"]) for c in center.calls(a, NEXT)} for a in agents}
    for item, campaign in theirs.items():
        holders = [a for a in agents if item in tomorrow[a]]
        assert len(holders) == 1, item
        if campaign == "complaint_callback":  # the care team's work stays in the care team
            assert holders[0] in ("A01", "A03")
        script = next(c["script"] for c in center.calls(holders[0], NEXT) if str(c["item"]) == item)
        assert NAMES[holders[0]] in script and NAMES["A02"] not in script
    assert given_back not in tomorrow["A01"]
    assert any(given_back in tomorrow[a] for a in agents)
    history = center.json("orders", "--history", given_back)["events"]
    assert [e["kind"] for e in history][-2:] == ["returned", "moved"]


def test_a_wrong_number_closes_the_item_and_suppresses_the_number(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    call = center.calls("A06", DAY)[0]
    center.ok("outcome", str(call["item"]), "--code", "wrong_number", now=f"{DAY} 10:00")
    suppressed = center.json("suppress", "list", "--full-phones")["suppressions"]
    assert [(s["phone"], s["reason"]) for s in suppressed] == [(call["phone"], "wrong_number")]


def test_the_zero_usage_outcome_asks_why_the_line_is_unused(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    item = str(
        next(c for c in center.calls("A04", DAY) if c["campaign"] == "zero_usage_wakeup")["item"]
    )
    missing = center.refused("outcome", item, "--code", "declined", now=f"{DAY} 10:00")
    assert "add --reason, one of moved_away (搬迁)" in missing
    wrong = center.refused(
        "outcome", item, "--code", "declined", "--reason", "lazy", now=f"{DAY} 10:00"
    )
    assert "unknown reason 'lazy'" in wrong
    center.ok(
        "outcome",
        item,
        *("--code", "declined", "--reason", "uses_mobile", "--note", "在外地打工"),
        now=f"{DAY} 10:00",
    )
    events = center.json("orders", "--history", item)["events"]
    recorded = next(e for e in events if e["kind"] == "outcome")
    # The detail names whose attempt it was: the agent whose list held the order.
    holder = center.json("orders", "--state", "done")["orders"]
    assert (recorded["reason"], recorded["note"], recorded["detail"]) == (
        "uses_mobile",
        "在外地打工",
        next(o["agent"] for o in holder if str(o["id"]) == item),
    )


def test_an_escalation_is_followed_up_warned_and_sent_up_past_its_deadline(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    item = str(center.calls("A01", DAY)[0]["item"])
    out = center.ok(
        "outcome", item, "--code", "escalate", "--note", "宽带仍掉线", now=f"{DAY} 10:00"
    )
    follow_up = out.rsplit("follow-up order ", 1)[1].split()[0]
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")  # 21.5 h of 48: nothing yet
    center.ok("run", "--date", THIRD, now=f"{THIRD} 07:00")  # 45 h: warned and urged
    kinds = [e["kind"] for e in center.json("orders", "--history", follow_up)["events"]]
    assert kinds == ["created", "warned", "urged"]
    overdue = center.json("orders", "--overdue", now="2026-11-04 10:30")["orders"]
    assert [str(o["id"]) for o in overdue] == [follow_up]
    center.ok("run", "--date", "2026-11-05", now="2026-11-05 07:30")
    events = center.json("orders", "--history", follow_up)["events"]
    assert (events[-1]["kind"], events[-1]["detail"]) == ("escalated_up", "to supervisor S01")
    still = center.json("orders", "--overdue", now="2026-11-05 07:30")["orders"]
    assert [(str(o["id"]), o["state"]) for o in still] == [(follow_up, "open")]


def test_the_report_counts_the_days_attempts_reached_and_conversions(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    calls = [c for c in center.calls("A04", DAY) if c["campaign"] != "zero_usage_wakeup"]
    zero = [c for c in center.calls("A04", DAY) if c["campaign"] == "zero_usage_wakeup"]
    center.ok(
        "outcome",
        str(zero[0]["item"]),
        "--code",
        "accepted",
        "--reason",
        "price",
        now=f"{DAY} 10:00",
    )
    center.ok("outcome", str(zero[1]["item"]), "--code", "no_answer", now=f"{DAY} 10:05")
    report = center.json("report", "--date", DAY, now=f"{DAY} 18:00")
    row = next(a for a in report["agents"] if a["agent"] == "A04")
    assert (row["attempted"], row["reached"], row["converted"]) == (2, 1, 1)
    assert row["assigned"] == len(calls) + len(zero)
    campaign = next(c for c in report["campaigns"] if c["campaign"] == "zero_usage_wakeup")
    assert campaign["quota"] == 12  # six agents, two each
    assert campaign["quota_attained"] == round(2 / 12, 3)


def test_bad_outcomes_are_refused_with_a_sentence(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    item = str(center.calls("A01", DAY)[0]["item"])
    assert "Did you mean 'no_answer'?" in center.refused("outcome", item, "--code", "no_answr")
    assert "no work order 999999" in center.refused("outcome", "999999", "--code", "no_answer")
    other = center.refused("outcome", item, "--code", "satisfied", "--agent", "A02")
    assert "is on A01's list, not A02's" in other
    assert "no agent 'A99'" in center.refused("calls", "--agent", "A99", "--date", DAY)


def test_a_broken_template_or_missing_segment_stops_check_and_run(center: Center) -> None:
    (center.folder / "scripts" / "zero_usage_call.j2").write_text(
        "您好{{ customer.customer_nam }}，{% if %}", encoding="utf-8"
    )
    campaign = center.folder / "campaigns" / "upsell_sms.toml"
    campaign.write_text(campaign.read_text("utf-8").replace("high_spend", "high_spnd"), "utf-8")
    check = center.refused("check")
    assert "zero_usage_call.j2" in check and "line 1" in check
    assert "segment 'high_spnd' is not in segments/ (did you mean 'high_spend'?)" in check
    run = center.refused("run", "--date", DAY)
    assert "high_spnd" in run
    assert count_orders(center) == 0


def test_two_processes_running_the_same_day_write_one_set_of_orders(center: Center) -> None:
    started = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "engine.py"),
                "--workspace",
                str(center.folder),
                "run",
                "--date",
                DAY,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in started]
    assert [process.returncode for process in started] == [0, 0], outputs
    said = sorted("already ran" in out for out, _ in outputs)
    assert said == [False, True]
    single = count_orders(center)
    center.ok("run", "--date", DAY)
    assert count_orders(center) == single > 0


def test_a_marketing_opt_out_keeps_the_care_callback_and_do_not_call_bars_it(
    center: Center,
) -> None:
    line = center.json("preview", "complaints", "--limit", "1", "--full-phones")["rows"][0]

    def verdict() -> str:
        found = center.json("why", line["line_id"], "--date", DAY)["campaigns"]
        return next(v["verdict"] for v in found if v["campaign"] == "complaint_callback")

    center.ok("suppress", "add", line["phone"], "--reason", "opt_out", "--purpose", "marketing")
    center.ok("suppress", "add", line["phone"], "--reason", "wrong_number", "--channel", "sms")
    assert verdict() == "eligible"
    center.ok("suppress", "add", line["phone"], "--reason", "do_not_call")
    assert verdict() == "kept out: suppressed"
    scopes = {
        (s["channel"], s["purpose"], s["reason"])
        for s in center.json("suppress", "list", "--full-phones")["suppressions"]
    }
    assert scopes == {
        ("*", "marketing", "opt_out"),
        ("sms", "*", "wrong_number"),
        ("*", "*", "do_not_call"),
    }


def test_why_names_the_rule_that_kept_a_line_out_of_each_campaign(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    listed = center.calls("A04", DAY)[0]
    verdicts = center.json("why", listed["line_id"], "--date", DAY)["campaigns"]
    mine = next(v for v in verdicts if v["campaign"] == listed["campaign"])
    assert mine["verdict"] == "has an order" and str(listed["item"]) in mine["why"]
    center.ok("suppress", "add", listed["phone"], "--reason", "opt_out")
    others = [v for v in verdicts if v["campaign"] != listed["campaign"]]
    assert all(v["verdict"] in ("not a member", "kept out: open_order") for v in others)
    assert any("not (" in v["why"] for v in others)


def test_a_suppression_file_in_gbk_is_imported_and_a_bad_number_refuses_it(
    center: Center,
) -> None:
    good = center.folder / "免打扰.csv"
    good.write_bytes("号码,备注\r\n13993412345,客户要求\r\n0934-8211001,\r\n".encode("gbk"))
    assert "2 added" in center.ok("suppress", "import", str(good))
    assert "0 added, 2 already there" in center.ok("suppress", "import", str(good))
    bad = center.folder / "bad.csv"
    bad.write_text("13993412346\n12345\n", encoding="utf-8")
    err = center.refused("suppress", "import", str(bad))
    assert "not a Chinese mobile or fixed-line number: 12345; nothing was added" in err
    phones = [s["phone"] for s in center.json("suppress", "list", "--full-phones")["suppressions"]]
    assert sorted(phones) == ["+8613993412345", "+869348211001"]


def test_a_suppressed_number_gets_no_work_order(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    first = center.calls("A04", DAY)[-1]
    with sa.create_engine(os.environ["ENGINE_DATABASE_URL"]).begin() as connection:
        connection.execute(sa.text("delete from outbox"))
        connection.execute(sa.text("delete from events"))
        connection.execute(sa.text("delete from list_items"))
        connection.execute(sa.text("delete from work_orders"))
        connection.execute(sa.text("delete from runs"))
    center.ok("suppress", "add", first["phone"])
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    verdicts = center.json("why", first["line_id"], "--date", DAY)["campaigns"]
    mine = next(v for v in verdicts if v["campaign"] == first["campaign"])
    assert mine["verdict"] == "kept out: suppressed"


def test_unfinished_work_of_an_ended_campaign_stays_open_off_the_lists(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    campaign = center.folder / "campaigns" / "complaint_callback.toml"
    campaign.write_text(campaign.read_text("utf-8").replace("2026-11-30", DAY), "utf-8")
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    tomorrow = [c["campaign"] for a in ("A01", "A02", "A03") for c in center.calls(a, NEXT)]
    assert "complaint_callback" not in tomorrow and tomorrow
    still_open = center.json("orders", "--state", "assigned")["orders"]
    assert any(o["campaign"] == "complaint_callback" for o in still_open)


def test_a_dry_run_wave_writes_each_message_once_to_a_file(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    messages = center.json("outbox", "--full-phones")["messages"]
    out = center.ok("send", "--dry-run", now=f"{DAY} 09:00")
    assert f"dryrun: {len(messages)} sent" in out
    lines = (center.folder / "var" / "outbox" / "dryrun.jsonl").read_text("utf-8").splitlines()
    written = [json.loads(line) for line in lines]
    assert sorted(w["outbox"] for w in written) == sorted(m["id"] for m in messages)
    assert written[0]["body"].startswith("【中国电信】")
    assert "nothing due" in center.ok("send", "--dry-run", now=f"{DAY} 09:30")


def test_a_dry_run_wave_closes_its_orders_as_sent_and_the_next_closes_any_left_open(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    sms_orders = {o["id"] for o in center.json("orders")["orders"] if o["channel"] == "sms"}
    assert sms_orders
    center.ok("send", "--dry-run", now=f"{DAY} 09:00")
    closed = {o["id"]: o for o in center.json("orders", "--state", "done")["orders"]}
    assert sms_orders <= set(closed) and {closed[i]["result"] for i in sms_orders} == {"sent"}
    # An order a wave of an earlier version left open while nothing would ever report on it.
    left_open = min(sms_orders)
    engine = open_database(load_config(center.folder).database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.update(ORDERS).where(ORDERS.c.id == left_open).values(state="assigned")
        )
    engine.dispose()
    center.ok("send", "--dry-run", now=f"{DAY} 09:30")
    history = center.json("orders", "--history", str(left_open))["events"]
    assert [e["kind"] for e in history].count("closed") == 2
    assert left_open in {o["id"] for o in center.json("orders", "--state", "done")["orders"]}


def test_orders_of_an_unknown_agent_are_refused_and_orders_without_a_deadline_come_last(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    assert "no agent 'NOPE' in the roster" in center.refused("orders", "--agent", "NOPE")
    listed = center.json("orders")["orders"]
    deadlines = [o["deadline"] is None for o in listed]
    assert deadlines == sorted(deadlines) and True in deadlines and False in deadlines


def test_the_days_report_of_one_campaign_counts_that_campaign_alone(center: Center) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    zero = [c for c in center.calls("A04", DAY) if c["campaign"] == "zero_usage_wakeup"]
    center.ok("outcome", str(zero[0]["item"]), "--code", "no_answer", now=f"{DAY} 10:05")
    whole = center.json("report", "--date", DAY, now=f"{DAY} 18:00")
    report = center.json(
        "report", "--date", DAY, "--campaign", "zero_usage_wakeup", now=f"{DAY} 18:00"
    )
    assert report["date"] == DAY
    assert [c["campaign"] for c in report["campaigns"]] == ["zero_usage_wakeup"]
    assert report["campaigns"][0] == next(
        c for c in whole["campaigns"] if c["campaign"] == "zero_usage_wakeup"
    )
    a04 = next(a for a in report["agents"] if a["agent"] == "A04")
    assert (a04["assigned"], a04["attempted"]) == (len(zero), 1)
    err = center.refused("report", "--date", DAY, "--campaign", "zero_usage", now=f"{DAY} 18:00")
    assert "no ticket type or campaign 'zero_usage'" in err
