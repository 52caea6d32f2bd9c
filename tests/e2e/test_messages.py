"""SMS and voice through the command line against a local Twilio that checks every request
against Twilio's OpenAPI description, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests

from outbound.config import TwilioSettings
from outbound.messages.channels import Outgoing, TransportError
from outbound.messages.channels.twilio import Twilio, voice_twiml
from tests.e2e.conftest import DAY, Center, channels
from tests.peers.twilio import ACCOUNT, TOKEN, Answer, TwilioPeer

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def center(messaging_center: Center) -> Center:
    return messaging_center


def outbox(center: Center) -> list[dict]:
    return center.json("outbox", "--full-phones")["messages"]


def test_a_wave_sends_each_due_sms_once_and_every_request_matches_twilios_api(
    center: Center, peer: TwilioPeer
) -> None:
    due = outbox(center)
    assert due and {m["state"] for m in due} == {"pending"}
    assert all(
        m["body"].startswith("【中国电信】") and m["body"].endswith("回复TD退订") for m in due
    )
    out = center.ok("send", now=f"{DAY} 09:00")
    assert f"{len(due)} sent" in out
    assert peer.violations == []
    assert sorted(c.outbox_id for c in peer.created) == sorted(m["id"] for m in due)
    assert {c.params["StatusCallback"][0].split("?")[0] for c in peer.created} == {
        "https://engine.example.cn/twilio/status"
    }
    sent = outbox(center)
    assert {m["state"] for m in sent} == {"sent"} and all(m["provider_id"] for m in sent)
    assert "nothing due" in center.ok("send", now=f"{DAY} 09:30")
    assert len(peer.created) == len(due)


def test_the_window_is_checked_for_each_message_as_the_wave_goes_on(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = new_center(channels(peer, rate=2, concurrency=1))
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    due = outbox(center)
    late = center.ok("send", now=f"{DAY}T20:59:59")  # two go in the last second, at 2/s
    assert "2 sent" in late and f"{len(due) - 2} messages wait outside their hours" in late
    assert len(peer.created) == 2
    center.ok("send", now=f"{DAY}T21:00:00")
    assert len(peer.created) == 2


def voice_center(
    new_center: Callable[[str], Center], peer: TwilioPeer, script: str, purpose: str = "marketing"
) -> Center:
    """A center whose one message campaign is a voice message of SCRIPT to 3 lines a day."""
    center = new_center(channels(peer))
    (center.folder / "campaigns" / "upsell_sms.toml").unlink()
    (center.folder / "scripts" / "voice.j2").write_text(script, encoding="utf-8")
    (center.folder / "campaigns" / "voice.toml").write_text(
        f'segment = "zero_usage"\nchannel = "voice"\nscript = "voice.j2"\npurpose = "{purpose}"\n'
        "start = 2026-11-01\nend = 2026-11-30\npriority = 200\nper_day = 3\n",
        encoding="utf-8",
    )
    return center


def test_a_service_voice_message_waits_for_calling_hours(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = voice_center(new_center, peer, "您好，您的宽带将于本周六凌晨检修。", "service")
    center.ok("run", "--date", DAY, now=f"{DAY} 02:30")
    assert "3 messages wait outside their hours" in center.ok("send", now=f"{DAY} 03:00")
    assert peer.created == []
    assert "3 sent" in center.ok("send", now=f"{DAY} 10:00")


def test_an_sms_goes_to_mobiles_only_and_why_names_the_rule_for_a_fixed_line(
    center: Center,
) -> None:
    due = outbox(center)
    assert due and all(m["phone"].startswith("+861") and len(m["phone"]) == 14 for m in due)
    rows = center.json("preview", "high_spend", "--limit", "500", "--full-phones")["rows"]
    fixed = next(row for row in rows if row["phone_type"] == "fixed")
    verdicts = center.json("why", fixed["line_id"], "--date", DAY)["campaigns"]
    sms = next(v for v in verdicts if v["campaign"] == "upsell_sms")
    assert sms["verdict"] == "kept out: not_mobile" and "fixed line" in sms["why"]


def test_the_local_twilio_flags_a_request_its_api_does_not_take(peer: TwilioPeer) -> None:
    url = f"{peer.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    requests.post(url, data={"To": "13993412345", "Bodyy": "x"}, auth=(ACCOUNT, TOKEN), timeout=5)
    assert any("unknown parameter Bodyy" in v for v in peer.violations)
    assert any("To='13993412345' is not an E.164 number" in v for v in peer.violations)


def test_marketing_messages_wait_for_the_sending_window(center: Center, peer: TwilioPeer) -> None:
    early = center.ok("send", now=f"{DAY} 07:45")
    assert "messages wait outside their hours (marketing 08:00–21:00" in early
    assert peer.created == []
    center.ok("send", now=f"{DAY} 08:01")
    assert len(peer.created) == len(outbox(center))


def test_429_bursts_are_retried_later_and_nothing_is_sent_twice(
    center: Center, peer: TwilioPeer
) -> None:
    peer.script.extend(Answer(status=429, code=20429, create=False) for _ in range(3))
    out = center.ok("send", now=f"{DAY} 09:00")
    assert "3 retry" in out
    waiting = [m for m in outbox(center) if m["state"] == "pending"]
    assert len(waiting) == 3 and all(m["error_code"] == "20429" for m in waiting)
    center.ok("send", now=f"{DAY} 10:00")
    counts = Counter(c.outbox_id for c in peer.created)
    assert set(counts.values()) == {1} and len(counts) == len(outbox(center))


def test_a_5xx_or_a_timeout_after_twilio_created_the_message_is_settled_without_resending(
    center: Center, peer: TwilioPeer
) -> None:
    peer.script.append(Answer(status=503, create=True))
    peer.script.append(Answer(sleep=2.5, create=True))  # past the 2 s client timeout
    out = center.ok("send", now=f"{DAY} 09:00")
    assert "2 unknown" in out
    assert sum(m["state"] == "sending" for m in outbox(center)) == 2
    again = center.ok("send", now=f"{DAY} 09:10")
    assert "2 left in sending by an earlier wave settled" in again
    counts = Counter(c.outbox_id for c in peer.created)
    assert set(counts.values()) == {1}
    assert {m["state"] for m in outbox(center)} == {"sent"}


@pytest.mark.parametrize("cut", ["before", "midway"])
def test_an_answer_cut_off_after_twilio_accepted_is_asked_about_not_sent_again(
    center: Center, peer: TwilioPeer, cut: str
) -> None:
    due = outbox(center)
    peer.script.append(Answer(cut=cut))
    out = center.ok("send", now=f"{DAY} 09:00")
    assert "1 unknown" in out and f"{len(due) - 1} sent" in out
    again = center.ok("send", now=f"{DAY} 09:10")
    assert "1 left in sending by an earlier wave settled" in again
    assert sorted(c.outbox_id for c in peer.created) == sorted(m["id"] for m in due)
    assert {m["state"] for m in outbox(center)} == {"sent"}


def test_a_maybe_sent_message_is_not_looked_up_before_the_grace_nor_trusted_on_one_empty_list(
    center: Center, peer: TwilioPeer
) -> None:
    due = outbox(center)
    peer.script.append(Answer(cut="before"))
    center.ok("send", now=f"{DAY} 09:00")
    peer.list_lag = 3600  # Twilio's list does not show it yet
    soon = center.ok("send", now=f"{DAY} 09:02")
    assert "1 maybe sent and not found at the provider yet" in soon
    assert len(peer.created) == len(due)
    peer.list_lag, peer.empty_lists = 0, 1  # shown now, but the first list comes back empty
    later = center.ok("send", now=f"{DAY} 09:10")
    assert "1 left in sending by an earlier wave settled" in later
    assert sorted(c.outbox_id for c in peer.created) == sorted(m["id"] for m in due)
    assert {m["state"] for m in outbox(center)} == {"sent"}


def slow_and_patient(center: Center) -> None:
    """10 messages a second, and 10 s for each answer: a loaded machine's slow answers are not
    taken for a provider in trouble."""
    config = center.folder / "config.toml"
    text = config.read_text("utf-8").replace("rate_per_second = 50", "rate_per_second = 10")
    config.write_text(text.replace("timeout_seconds = 2", "timeout_seconds = 10"), "utf-8")


def test_two_waves_at_once_send_each_message_once_and_the_second_says_who_sends(
    center: Center, peer: TwilioPeer
) -> None:
    slow_and_patient(center)
    total = len(outbox(center))
    command = [sys.executable, str(ROOT / "engine.py"), "--workspace", str(center.folder)]
    first = subprocess.Popen(
        [*command, "--now", f"{DAY} 09:00", "send"], env=dict(os.environ), stdout=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not peer.created and time.monotonic() < deadline:
        time.sleep(0.02)
    second = center.refused("send", now=f"{DAY} 09:00")
    assert f"another wave is sending (process {first.pid} on " in second
    assert first.wait(timeout=60) == 0
    counts = Counter(c.outbox_id for c in peer.created)
    assert len(counts) == total and set(counts.values()) == {1}
    assert busiest_second(peer.arrivals) <= 10


def busiest_second(arrivals: list[float]) -> int:
    """The most requests in any one-second window."""
    times = sorted(arrivals)
    return max(sum(1 for other in times if start <= other < start + 1) for start in times)


def test_a_refused_connection_sent_nothing_and_stops_the_wave() -> None:
    settings = TwilioSettings(
        api_base=f"http://127.0.0.1:{_closed_port()}", from_number="+15005550006"
    )
    twilio = Twilio(settings, ACCOUNT, TOKEN, "https://engine.example.cn")
    message = Outgoing(1, "sms", "+8613993412345", "您好", dt.datetime.now(dt.UTC))
    with pytest.raises(TransportError) as refused:
        twilio.send(message)
    assert refused.value.effect == "stop_wave"


def test_twilio_out_of_reach_for_five_waves_burns_no_customer(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = new_center(channels(peer))
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    due = outbox(center)
    port, closed = peer.url.rsplit(":", 1)[1], _closed_port()
    config = center.folder / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(f":{port}", f":{closed}"), encoding="utf-8"
    )
    for minute in range(5):
        err = center.refused("send", now=f"{DAY} 09:0{minute}")
        assert "the wave stopped: cannot reach Twilio" in err
    assert {m["state"] for m in outbox(center)} == {"pending"} and len(outbox(center)) == len(due)
    assert all(
        o["state"] != "done" for o in center.json("orders")["orders"] if o["channel"] == "sms"
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(f":{closed}", f":{port}"), encoding="utf-8"
    )
    assert f"{len(due)} sent" in center.ok("send", now=f"{DAY} 09:30")
    assert sorted(c.outbox_id for c in peer.created) == sorted(m["id"] for m in due)


def _closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_permission_error_on_every_message_leaves_every_customer_due(
    center: Center, peer: TwilioPeer
) -> None:
    due = outbox(center)
    peer.script.extend(Answer(status=400, code=21408, create=False) for _ in range(5 * len(due)))
    for minute in range(5):
        err = center.refused("send", now=f"{DAY} 09:0{minute}")
        assert "the wave stopped: Twilio 21408" in err
    assert {m["state"] for m in outbox(center)} == {"pending"} and len(outbox(center)) == len(due)
    assert all(
        o["state"] != "done" for o in center.json("orders")["orders"] if o["channel"] == "sms"
    )
    assert peer.created == []


def test_server_errors_one_after_another_stop_the_wave_and_nothing_goes_twice(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = new_center(channels(peer, concurrency=1))  # the answers come in the order sent
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    due = outbox(center)
    peer.script.extend(Answer(status=503, create=False) for _ in range(3))
    err = center.refused("send", now=f"{DAY} 09:00")
    assert "3 answers in a row were lost or server errors" in err
    assert sum(m["state"] == "sending" for m in outbox(center)) == 3
    center.ok("send", now=f"{DAY} 09:10")
    assert sorted(c.outbox_id for c in peer.created) == sorted(m["id"] for m in due)
    assert {m["state"] for m in outbox(center)} == {"sent"}


def test_an_error_about_one_recipient_or_one_message_fails_that_message_alone(
    center: Center, peer: TwilioPeer
) -> None:
    due = outbox(center)
    peer.script.append(Answer(status=400, code=21612, create=False))
    peer.script.append(Answer(status=400, code=21617, create=False))
    out = center.ok("send", now=f"{DAY} 09:00")
    assert "stopped" not in out and f"{len(due) - 2} sent" in out
    failed = sorted(m["error_code"] for m in outbox(center) if m["state"] == "failed")
    assert failed == ["21612", "21617"]


def test_invalid_and_opted_out_numbers_go_on_the_suppression_list(
    center: Center, peer: TwilioPeer
) -> None:
    peer.script.append(Answer(status=400, code=21211, create=False))
    peer.script.append(Answer(status=400, code=21610, create=False))
    peer.script.append(Answer(status=400, code=30005, create=False))
    center.ok("send", now=f"{DAY} 09:00")
    failed = [m for m in outbox(center) if m["state"] == "failed"]
    assert sorted(m["error_code"] for m in failed) == ["21211", "21610", "30005"]
    reasons = {
        s["phone"]: s["reason"]
        for s in center.json("suppress", "list", "--full-phones")["suppressions"]
    }
    assert sorted(reasons[m["phone"]] for m in failed) == [
        "opt_out",
        "wrong_number",
        "wrong_number",
    ]


def test_a_permission_error_stops_the_wave_and_says_why(center: Center, peer: TwilioPeer) -> None:
    peer.script.append(Answer(status=400, code=21408, create=False))
    err = center.refused("send", now=f"{DAY} 09:00")
    assert "the wave stopped: Twilio 21408" in err
    assert any(m["state"] == "pending" for m in outbox(center))


def test_the_rate_is_never_exceeded_in_any_second(center: Center, peer: TwilioPeer) -> None:
    config = center.folder / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace("rate_per_second = 50", "rate_per_second = 8"), "utf-8"
    )
    center.ok("send", now=f"{DAY} 09:00")
    assert len(peer.arrivals) > 8 and busiest_second(peer.arrivals) <= 8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_waves_killed_at_random_points_and_restarted_send_each_message_exactly_once(
    center: Center, peer: TwilioPeer, seed: int
) -> None:
    slow_and_patient(center)
    total = len(outbox(center))
    environ = dict(os.environ)
    command = [sys.executable, str(ROOT / "engine.py"), "--workspace", str(center.folder)]
    chance = random.Random(seed)
    for minute in (0, 10, 20):  # each wave past the lookup grace of the one before
        wave = subprocess.Popen(
            [*command, "--now", f"{DAY} 09:{minute:02d}", "send"],
            env=environ,
            stdout=subprocess.DEVNULL,
        )
        target = len(peer.created) + chance.randint(0, max(1, (total - len(peer.created)) // 3))
        deadline = time.monotonic() + 60
        while len(peer.created) < target and time.monotonic() < deadline:
            time.sleep(chance.uniform(0.001, 0.05))
        wave.send_signal(signal.SIGKILL)
        wave.wait()
    # A wave on a loaded machine may stop on answers that came too late (our failure: its rows
    # stay due); the next one goes on, as the scheduler's next wave would.
    for minute in (40, 50):
        finish = subprocess.run(
            [*command, "--now", f"{DAY} 09:{minute}", "send"],
            env=environ,
            capture_output=True,
            text=True,
        )
        if finish.returncode == 0:
            break
    assert finish.returncode == 0, finish.stderr
    counts = Counter(c.outbox_id for c in peer.created)
    assert len(counts) == total and set(counts.values()) == {1}
    states = json.loads(
        subprocess.run(
            [*command, "outbox", "--format", "json"], env=environ, capture_output=True, text=True
        ).stdout
    )["states"]
    assert states == {"sent": total}


def test_preview_message_shows_the_text_its_length_and_the_waves_segments(center: Center) -> None:
    preview = center.json("preview-message", "upsell_sms", "--limit", "2", "--date", DAY)
    assert preview["channel"] == "sms" and len(preview["sample"]) == 2
    first = preview["sample"][0]
    assert first["text"].startswith("【中国电信】") and first["encoding"] == "UCS-2"
    assert first["segments"] == (1 if first["characters"] <= 70 else -(-first["characters"] // 67))
    assert preview["segments"] >= preview["messages"] > 0


def test_a_voice_message_is_a_call_whose_twiml_says_the_text_in_chinese(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = voice_center(
        new_center,
        peer,
        "您好{{ customer.customer_name }}，您的号码{{ customer.phone | phone_tail }}已两月无通话。",
    )
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    assert "3 sent" in center.ok("send", now=f"{DAY} 10:00")
    calls = [c for c in peer.created if c.kind == "Calls"]
    assert len(calls) == 3 and peer.violations == []
    twiml = calls[0].params["Twiml"][0]
    assert twiml.startswith('<Response><Say language="zh-CN">您好') and "尾号" in twiml
    assert calls[0].params["StatusCallbackEvent"] == [
        "initiated",
        "ringing",
        "answered",
        "completed",
    ]


def test_a_voice_call_whose_answer_was_lost_is_found_while_still_queued(
    new_center: Callable[[str], Center], peer: TwilioPeer
) -> None:
    center = voice_center(new_center, peer, "您好，您的号码已两月无通话。")
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    peer.script.append(Answer(cut="before"))
    assert "1 unknown" in center.ok("send", now=f"{DAY} 10:00")
    assert "1 left in sending by an earlier wave settled" in center.ok("send", now=f"{DAY} 10:10")
    assert sorted(Counter(c.outbox_id for c in peer.created).values()) == [1, 1, 1]


def test_a_recording_url_as_the_voice_text_is_played() -> None:
    twiml = voice_twiml("https://cdn.example.cn/提醒.mp3", "zh-CN")
    assert twiml == "<Response><Play>https://cdn.example.cn/提醒.mp3</Play></Response>"
    signed = voice_twiml(" https://cdn.example.cn/r/提醒.WAV?sig=ab12&exp=1700000000\n", "zh-CN")
    assert signed == (
        "<Response><Play>https://cdn.example.cn/r/提醒.WAV?sig=ab12&amp;exp=1700000000</Play>"
        "</Response>"
    )
    assert "<Say" in voice_twiml("https://cdn.example.cn/notes.txt?as=.mp3", "zh-CN")
    assert "<Say" in voice_twiml("余额不足 & 请充值", "zh-CN")
    assert "&amp;" in voice_twiml("余额不足 & 请充值", "zh-CN")


def test_control_characters_of_a_script_are_left_out_of_the_twiml() -> None:
    twiml = voice_twiml("您好\x07，您的余额\x00不足\x1b[0m。\n请及时充值\t谢谢", "zh-CN")
    assert twiml == (
        '<Response><Say language="zh-CN">您好，您的余额不足[0m。\n请及时充值\t谢谢</Say></Response>'
    )
    ElementTree.fromstring(twiml)  # well-formed XML


def test_a_number_suppressed_after_the_run_is_blocked_not_sent(
    center: Center, peer: TwilioPeer
) -> None:
    first = outbox(center)[0]
    center.ok("suppress", "add", first["phone"], "--reason", "opt_out")
    out = center.ok("send", "--campaign", "upsell_sms", now=f"{DAY} 09:00")
    assert "1 blocked" in out
    states = {m["id"]: m["state"] for m in outbox(center)}
    assert states[first["id"]] == "blocked"
    assert first["id"] not in {c.outbox_id for c in peer.created}
