"""A paused campaign in the daily run, on SQLite and PostgreSQL: no new work orders, no messages,
its open calls off the lists; resumed, it plans again from the next run."""

from __future__ import annotations

from outbound.config import load_config
from outbound.workspace.campaigns import find_campaign, load_campaigns
from outbound.workspace.edits import set_paused
from tests.e2e.conftest import DAY, Center

NEXT, THIRD = "2026-11-03", "2026-11-04"
CARE = ("A01", "A02", "A03")


def pause(center: Center, name: str, paused: bool = True) -> None:
    config = load_config(center.folder)
    set_paused(config, find_campaign(load_campaigns(config)[0], name), paused)


def orders_of(center: Center, campaign: str) -> list[dict]:
    return [o for o in center.json("orders")["orders"] if o["campaign"] == campaign]


def test_a_campaign_paused_before_its_first_run_gets_no_work_orders_and_sends_nothing(
    center: Center,
) -> None:
    pause(center, "upsell_sms")
    pause(center, "zero_usage_wakeup")
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    assert orders_of(center, "upsell_sms") == []
    assert orders_of(center, "zero_usage_wakeup") == []
    assert center.json("outbox")["messages"] == []
    assert "nothing due" in center.ok("send", "--dry-run", now=f"{DAY} 09:00")
    assert orders_of(center, "complaint_callback")


def test_a_paused_call_campaigns_open_work_stays_off_the_lists_until_it_is_resumed(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    before = {o["id"] for o in orders_of(center, "zero_usage_wakeup")}
    assert before
    pause(center, "zero_usage_wakeup")
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    tomorrow = [c for agent in CARE for c in center.calls(agent, NEXT)]
    assert "zero_usage_wakeup" not in {c["campaign"] for c in tomorrow} and tomorrow
    assert {o["id"] for o in orders_of(center, "zero_usage_wakeup")} == before

    pause(center, "zero_usage_wakeup", False)
    center.ok("run", "--date", THIRD, now=f"{THIRD} 07:30")
    third = [c for agent in CARE for c in center.calls(agent, THIRD)]
    assert "zero_usage_wakeup" in {c["campaign"] for c in third}


def test_a_paused_message_campaigns_preview_says_it_is_paused(center: Center) -> None:
    pause(center, "upsell_sms")
    refused = center.refused("preview-message", "upsell_sms", "--date", DAY, now=f"{DAY} 10:00")
    assert "upsell_sms is paused: it sends nothing until it is resumed" in refused


def test_a_run_with_every_campaign_paused_names_them(center: Center) -> None:
    for name in ("complaint_callback", "upsell_sms", "zero_usage_wakeup"):
        pause(center, name)
    refused = center.refused("run", "--date", DAY, now=f"{DAY} 07:30")
    assert (
        "no campaign runs on 2026-11-02 (complaint_callback, zero_usage_wakeup, upsell_sms "
        "paused)" in refused
    )


def test_messages_queued_before_a_pause_are_held_until_the_campaign_resumes(
    center: Center,
) -> None:
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    queued = [m for m in center.json("outbox")["messages"] if m["campaign"] == "upsell_sms"]
    assert queued and all(m["state"] == "pending" for m in queued)
    pause(center, "upsell_sms")
    held = center.ok("send", "--dry-run", now=f"{DAY} 09:00")
    assert f"{len(queued)} messages held: their campaign is paused" in held
    still = [m for m in center.json("outbox")["messages"] if m["campaign"] == "upsell_sms"]
    assert {m["state"] for m in still} == {"pending"}
    pause(center, "upsell_sms", paused=False)
    center.ok("send", "--dry-run", now=f"{DAY} 09:05")
    sent = [m for m in center.json("outbox")["messages"] if m["campaign"] == "upsell_sms"]
    assert {m["state"] for m in sent} == {"sent"}
