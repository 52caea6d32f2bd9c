"""The customer's score: a survey SMS after a reached call, sent by the wave to the local Twilio,
replies through the signed inbound webhook read into scores per campaign and agent, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.contact import policy
from tests.e2e.conftest import DAY, Center, channels
from tests.e2e.test_results import october
from tests.e2e.test_webhooks import Webhooks, serving
from tests.peers.twilio import TwilioPeer
from tests.web.conftest import Clock

NPS = "【中国电信】您有多大可能向亲友推荐我们？请回复0-10分。"
SATISFACTION = "【中国电信】请对本次回访打分：回复1-5分，5分为非常满意。"


def with_survey(center: Center, campaign: str, scale: str, text: str) -> None:
    with (center.folder / "campaigns" / f"{campaign}.toml").open("a", encoding="utf-8") as file:
        file.write(f'\n[survey]\nscale = "{scale}"\ntext = "{text}"\n')


@pytest.fixture
def center(new_center: Callable[[str], Center], peer: TwilioPeer) -> Center:
    """The call center sending through the local Twilio, a survey on each call campaign, and
    an outcome that reaches the customer without ending the call (for a second reached one)."""
    center = new_center(channels(peer))
    config = center.folder / "config.toml"
    cut_off = 'cut_off = { label = "通话中断", category = "reached", effect = "retry" }\n'
    text = config.read_text("utf-8").replace("[dispositions]\n", "[dispositions]\n" + cut_off)
    config.write_text(text, "utf-8")
    with_survey(center, "complaint_callback", "satisfaction", SATISFACTION)
    with_survey(center, "zero_usage_wakeup", "nps", NPS)
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    return center


@pytest.fixture
def clock() -> Clock:
    return Clock(f"{DAY}T11:00")


@pytest.fixture
def hooks(center: Center, clock: Clock) -> Iterator[Webhooks]:
    with serving(center, clock) as webhooks:
        yield webhooks


def calls(center: Center, campaign: str, mobile: bool = True) -> list[dict]:
    """CAMPAIGN's calls of the day, to mobiles (a survey SMS can reach) or to fixed lines."""
    agents = ("A01", "A02", "A03", "A04", "A05", "A06")
    listed = [c | {"agent_id": a} for a in agents for c in center.calls(a, DAY)]
    return [
        c for c in listed if c["campaign"] == campaign and policy.can_take_sms(c["phone"]) == mobile
    ]


def test_a_reached_call_to_a_fixed_line_asks_no_score(center: Center) -> None:
    call = calls(center, "complaint_callback", mobile=False)[0]
    reached(center, call, "satisfied")
    assert surveys(center, "complaint_callback") == []


def reached(center: Center, call: dict, code: str = "accepted", at: str = "10:00") -> None:
    reason = ["--reason", "price"] if call["campaign"] == "zero_usage_wakeup" else []
    center.ok("outcome", str(call["item"]), "--code", code, *reason, now=f"{DAY} {at}")


def surveys(center: Center, campaign: str) -> list[dict]:
    """CAMPAIGN's messages in the outbox: a call campaign has only its surveys there."""
    return [
        m for m in center.json("outbox", "--full-phones")["messages"] if m["campaign"] == campaign
    ]


def reply(hooks: Webhooks, phone: str, body: str, sid: str) -> None:
    form = {"MessageSid": "SM" + sid.rjust(32, "0"), "From": phone, "Body": body}
    assert hooks.post("/twilio/inbound", form).status_code == 200


def inbound_actions(center: Center) -> list[tuple[str, str]]:
    engine = sa.create_engine(load_config(center.folder).database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select body, action from inbound_messages order by id"))
        found = [(row.body, row.action) for row in rows]
    engine.dispose()
    return found


def scores(center: Center, *args: str) -> list[dict]:
    return center.json("scores", *args)["scores"]


def test_a_reached_call_queues_one_survey_however_many_reached_outcomes_follow(
    center: Center,
) -> None:
    call = calls(center, "complaint_callback")[0]
    reached(center, call, "cut_off", at="10:00")
    (question,) = surveys(center, "complaint_callback")
    assert question["body"] == SATISFACTION and question["phone"] == call["phone"]
    assert question["state"] == "pending"
    reached(center, call, "satisfied", at="15:00")
    assert len(surveys(center, "complaint_callback")) == 1


def test_a_callback_waits_and_the_call_that_ends_the_conversation_asks(center: Center) -> None:
    item = str(calls(center, "complaint_callback")[0]["item"])
    callback = ["--callback-at", f"{DAY} 15:00"]
    center.ok("outcome", item, "--code", "callback", *callback, now=f"{DAY} 10:00")
    assert surveys(center, "complaint_callback") == []
    center.ok("outcome", item, "--code", "satisfied", now=f"{DAY} 15:05")
    assert len(surveys(center, "complaint_callback")) == 1


def test_no_survey_after_an_unreached_call_or_on_a_campaign_without_one(center: Center) -> None:
    complaint = calls(center, "complaint_callback")[0]
    center.ok("outcome", str(complaint["item"]), "--code", "no_answer", now=f"{DAY} 10:00")
    campaign = center.folder / "campaigns" / "zero_usage_wakeup.toml"
    campaign.write_text(campaign.read_text("utf-8").split("\n[survey]")[0], "utf-8")
    reached(center, calls(center, "zero_usage_wakeup")[0])
    assert surveys(center, "complaint_callback") == []
    assert surveys(center, "zero_usage_wakeup") == []


def test_a_score_sent_back_is_matched_to_the_call_and_its_agent(
    center: Center, peer: TwilioPeer, hooks: Webhooks
) -> None:
    call = next(c for c in calls(center, "zero_usage_wakeup") if c["agent_id"] == "A04")
    reached(center, call)
    assert "sent" in center.ok("send", now=f"{DAY} 10:30")
    (question,) = surveys(center, "zero_usage_wakeup")
    assert question["state"] == "sent"
    assert any(c.params["Body"] == [NPS] for c in peer.created)
    reply(hooks, call["phone"], "９分", "1")
    assert inbound_actions(center) == [("９分", "score")]
    (by_agent,) = scores(center, "--by", "agent")
    assert by_agent["agent_id"] == "A04" and by_agent["scale"] == "nps"
    assert (by_agent["asked"], by_agent["replies"], by_agent["scored"]) == (1, 1, 1)
    assert (by_agent["mean_score"], by_agent["promoters"], by_agent["nps"]) == (9.0, 1, 100.0)
    orders = center.json("orders", "--state", "done")["orders"]
    assert next(o for o in orders if o["id"] == call["item"])["result"] == "converted"


def test_not_satisfied_reads_as_2_on_the_satisfaction_scale(
    center: Center, peer: TwilioPeer, hooks: Webhooks
) -> None:
    call = calls(center, "complaint_callback")[0]
    reached(center, call, "unsatisfied")
    center.ok("send", now=f"{DAY} 10:30")
    reply(hooks, call["phone"], "不满意！", "2")
    (row,) = scores(center, "--month", "2026-10")
    assert (row["campaign"], row["scale"], row["mean_score"]) == (
        "complaint_callback",
        "satisfaction",
        2.0,
    )
    assert (row["detractors"], row["satisfaction_pct"]) == (1, 0.0)
    assert scores(center, "--month", "2026-09") == []


def test_an_unreadable_reply_waits_for_a_person_and_a_repeated_webhook_counts_once(
    center: Center, peer: TwilioPeer, hooks: Webhooks, clock: Clock
) -> None:
    call = calls(center, "zero_usage_wakeup")[0]
    reached(center, call)
    center.ok("send", now=f"{DAY} 10:30")
    reply(hooks, call["phone"], "明天下午3点给我回电话", "3")
    reply(hooks, call["phone"], "明天下午3点给我回电话", "3")
    unread = center.json("scores", "--unparsed")
    assert unread["count"] == 1
    assert unread["replies"][0]["body"] == "明天下午3点给我回电话"
    assert unread["replies"][0]["why"] == "other numbers"
    assert unread["replies"][0]["order_id"] == call["item"]
    assert "明天下午3点给我回电话" in center.ok("scores", "--unparsed")
    (row,) = scores(center)
    assert (row["replies"], row["scored"], row["unparsed"]) == (1, 0, 1)

    clock.set(f"{DAY}T12:00")
    reply(hooks, call["phone"], "8分", "4")  # a score after an unreadable reply answers
    reply(hooks, call["phone"], "还是10分吧", "5")  # the first score stands
    assert center.json("scores", "--unparsed")["count"] == 0
    (row,) = scores(center)
    assert (row["replies"], row["scored"], row["mean_score"]) == (1, 1, 8.0)
    assert [action for _, action in inbound_actions(center)] == ["unparsed", "score", "kept"]


def test_a_reply_a_week_after_the_question_is_an_ordinary_message(
    center: Center, peer: TwilioPeer, hooks: Webhooks, clock: Clock
) -> None:
    call = calls(center, "zero_usage_wakeup")[0]
    reached(center, call)
    center.ok("send", now=f"{DAY} 10:30")
    clock.set("2026-11-09T11:00")
    reply(hooks, call["phone"], "9", "6")
    assert inbound_actions(center) == [("9", "kept")]
    assert scores(center)[0]["replies"] == 0


def test_an_opted_out_number_never_gets_the_survey(
    center: Center, peer: TwilioPeer, hooks: Webhooks
) -> None:
    call = calls(center, "complaint_callback")[0]
    reply(hooks, call["phone"], "退订", "7")
    reached(center, call, "satisfied")
    center.ok("send", now=f"{DAY} 10:30")
    (question,) = surveys(center, "complaint_callback")
    assert question["state"] == "blocked"
    assert all(c.params["To"] != [call["phone"]] for c in peer.created)
    orders = center.json("orders", "--state", "done")["orders"]
    assert next(o for o in orders if o["id"] == call["item"])["result"] == "satisfied"


def test_nps_of_a_known_set_of_scores(center: Center, peer: TwilioPeer, hooks: Webhooks) -> None:
    chosen = calls(center, "zero_usage_wakeup")[:5]
    for call in chosen:
        reached(center, call)
    center.ok("send", now=f"{DAY} 10:30")
    answers = ["10", "９", "八分", "7分", "3"]
    for number, (call, answer) in enumerate(zip(chosen, answers, strict=True)):
        reply(hooks, call["phone"], answer, f"9{number}")
    (row,) = scores(center)
    assert (row["asked"], row["replies"], row["reply_pct"]) == (5, 5, 100.0)
    assert (row["promoters"], row["passives"], row["detractors"]) == (2, 2, 1)
    assert (row["promoters_pct"], row["detractors_pct"], row["nps"]) == (40.0, 20.0, 20.0)
    assert row["mean_score"] == 7.4
    assert len(scores(center, "--by", "agent")) == len({c["agent_id"] for c in chosen})


def test_the_month_report_carries_the_scores_per_campaign_and_agent_beside_the_lift(
    center: Center, hooks: Webhooks
) -> None:
    call = next(c for c in calls(center, "zero_usage_wakeup") if c["agent_id"] == "A04")
    reached(center, call)
    center.ok("send", now=f"{DAY} 10:30")
    reply(hooks, call["phone"], "十分", "5")
    campaign = center.folder / "campaigns" / "zero_usage_wakeup.toml"
    # before [survey], or TOML reads it as a key of that table
    campaign.write_text('success = "calls_30d > 0"\n' + campaign.read_text("utf-8"), "utf-8")
    october().to_csv(center.folder / "2026-11.csv", index=False, encoding="gbk")
    center.ok("import", str(center.folder / "2026-11.csv"), "--month", "2026-11")
    report = center.json("report", "--month", "2026-10")
    (by_campaign,) = report["scores"]
    assert (by_campaign["campaign"], by_campaign["asked"], by_campaign["nps"]) == (
        "zero_usage_wakeup",
        1,
        100.0,
    )
    (by_agent,) = report["agent_scores"]
    assert (by_agent["agent_id"], by_agent["mean_score"]) == ("A04", 10.0)
    assert all(w["campaign"] != "zero_usage_wakeup" for w in report["waves"])  # no wave
    page = center.ok("report", "--month", "2026-10", "--format", "html")
    assert '<table class="section scores">' in page and "100.0" in page
