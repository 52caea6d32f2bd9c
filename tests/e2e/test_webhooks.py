"""Twilio's webhooks over real HTTP: signed with Twilio's own RequestValidator against the
public URL while the app listens on a local port, as behind a proxy; forged ones refused."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
import sqlalchemy as sa
import uvicorn
from twilio.request_validator import RequestValidator

from outbound.config import load_config
from outbound.store.db import open_database
from outbound.web.app import create_app
from tests.e2e.conftest import DAY, Center
from tests.peers.twilio import TOKEN, Answer, Created, TwilioPeer

PUBLIC = "https://engine.example.cn"


class Webhooks:
    def __init__(self, base: str) -> None:
        self.base = base
        self.signer = RequestValidator(TOKEN)

    def post(self, path: str, form: dict[str, str], *, forged: bool = False) -> requests.Response:
        signature = self.signer.compute_signature(PUBLIC + path, form)
        if forged:
            signature = signature[:-2] + "xx"
        return requests.post(
            self.base + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
        )


@pytest.fixture
def center(messaging_center: Center) -> Center:
    return messaging_center


@contextmanager
def serving(center: Center, clock: Callable[[], dt.datetime] | None = None) -> Iterator[Webhooks]:
    """The center's web app on a local port (its clock CLOCK, if given), to post webhooks to."""
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(config, engine) if clock is None else create_app(config, engine, clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield Webhooks(f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def hooks(center: Center) -> Iterator[Webhooks]:
    with serving(center) as webhooks:
        yield webhooks


def sent(center: Center) -> list[dict]:
    center.ok("send", now=f"{DAY} 09:00")
    return center.json("outbox", "--full-phones")["messages"]


def test_a_signed_delivery_status_settles_its_message_and_closes_the_order(
    center: Center,
    peer: TwilioPeer,
    hooks: Webhooks,
) -> None:
    message = sent(center)[0]
    form = {"MessageSid": message["provider_id"], "MessageStatus": "delivered"}
    answer = hooks.post(f"/twilio/status?o={message['id']}", form)
    assert answer.status_code == 200 and answer.text == "delivered"
    again = hooks.post(f"/twilio/status?o={message['id']}", form | {"MessageStatus": "sent"})
    assert again.text == "no change"  # a late "sent" never moves it back
    states = {m["id"]: m["state"] for m in center.json("outbox", "--full-phones")["messages"]}
    assert states[message["id"]] == "delivered"


def test_a_forged_or_unsigned_callback_gets_403_and_changes_nothing(
    center: Center,
    peer: TwilioPeer,
    hooks: Webhooks,
) -> None:
    message = sent(center)[0]
    form = {"MessageSid": message["provider_id"], "MessageStatus": "failed"}
    assert hooks.post(f"/twilio/status?o={message['id']}", form, forged=True).status_code == 403
    unsigned = requests.post(hooks.base + f"/twilio/status?o={message['id']}", data=form, timeout=5)
    assert unsigned.status_code == 403
    # Signed for another message id: the query string is part of what is signed.
    signature = hooks.signer.compute_signature(PUBLIC + "/twilio/status?o=999", form)
    moved = requests.post(
        hooks.base + f"/twilio/status?o={message['id']}",
        data=form,
        headers={"X-Twilio-Signature": signature},
        timeout=5,
    )
    assert moved.status_code == 403
    states = {m["id"]: m["state"] for m in center.json("outbox", "--full-phones")["messages"]}
    assert states[message["id"]] == "sent"


def test_an_unreachable_handset_is_tried_again_once_and_a_landline_suppressed(
    center: Center,
    peer: TwilioPeer,
) -> None:
    first, second = sent(center)[:2]
    at_ten = dt.datetime.fromisoformat(f"{DAY}T10:00+08:00")
    with serving(center, lambda: at_ten) as hooks:
        hooks.post(
            f"/twilio/status?o={first['id']}",
            {
                "MessageSid": first["provider_id"],
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
            },
        )
        hooks.post(
            f"/twilio/status?o={second['id']}",
            {"MessageSid": second["provider_id"], "MessageStatus": "failed", "ErrorCode": "30006"},
        )
        messages = center.json("outbox", "--full-phones")["messages"]
        retried = [m for m in messages if m["phone"] == first["phone"] and m["state"] == "pending"]
        assert len(retried) == 1
        reasons = {
            s["phone"]: s["reason"]
            for s in center.json("suppress", "list", "--full-phones")["suppressions"]
        }
        assert reasons == {second["phone"]: "wrong_number"}
        # Once, as documented: the second try, an hour later, fails with its 30003.
        center.ok("send", now=f"{DAY} 11:05")
        again = next(
            m
            for m in center.json("outbox", "--full-phones")["messages"]
            if m["id"] == retried[0]["id"]
        )
        assert again["state"] == "sent"
        hooks.post(
            f"/twilio/status?o={again['id']}",
            {
                "MessageSid": again["provider_id"],
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
            },
        )
        to_first = [
            m
            for m in center.json("outbox", "--full-phones")["messages"]
            if m["phone"] == first["phone"]
        ]
        assert [m["state"] for m in to_first] == ["undelivered", "undelivered"]


def test_a_delivered_callback_faster_than_the_api_answer_is_not_moved_back(
    center: Center,
    peer: TwilioPeer,
    hooks: Webhooks,
) -> None:
    def delivered(created: Created) -> None:
        form = {"MessageSid": created.sid, "MessageStatus": "delivered"}
        assert hooks.post(f"/twilio/status?o={created.outbox_id}", form).status_code == 200

    peer.script.append(Answer(meanwhile=delivered))
    center.ok("send", now=f"{DAY} 09:00")
    first = next(
        m
        for m in center.json("outbox", "--full-phones")["messages"]
        if m["id"] == peer.created[0].outbox_id
    )
    assert (first["state"], first["provider_id"]) == ("delivered", peer.created[0].sid)
    states = Counter(m["state"] for m in center.json("outbox", "--full-phones")["messages"])
    assert states == {"delivered": 1, "sent": len(peer.created) - 1}


@pytest.mark.parametrize("word", ["TD", "退订", " stop ", "Unsubscribe", "ＴＤ", "回复TD退订"])
def test_an_opt_out_word_suppresses_the_number_and_start_lifts_it(
    center: Center,
    peer: TwilioPeer,
    hooks: Webhooks,
    word: str,
) -> None:
    phone = "+8613993412345"
    form = {"MessageSid": "SM" + "1" * 32, "From": phone, "Body": word}
    answer = hooks.post("/twilio/inbound", form)
    assert answer.status_code == 200 and "<Response>" in answer.text
    suppressed = center.json("suppress", "list", "--full-phones")["suppressions"]
    assert [(s["phone"], s["reason"]) for s in suppressed] == [(phone, "opt_out")]
    assert word.strip() in suppressed[0]["note"]  # the message kept as consent evidence
    hooks.post("/twilio/inbound", form | {"MessageSid": "SM" + "2" * 32, "Body": "订阅"})
    assert center.json("suppress", "list", "--full-phones")["suppressions"] == []


def test_other_inbound_text_is_kept_for_an_agent_and_a_repeat_is_dropped(
    center: Center,
    peer: TwilioPeer,
    hooks: Webhooks,
) -> None:
    form = {"MessageSid": "SM" + "3" * 32, "From": "+8613993412345", "Body": "请明天下午给我回电话"}
    hooks.post("/twilio/inbound", form)
    hooks.post("/twilio/inbound", form)
    engine = sa.create_engine(load_config(center.folder).database_url)
    with engine.connect() as connection:
        kept = connection.execute(sa.text("select body, action from inbound_messages")).all()
    engine.dispose()
    assert [tuple(row) for row in kept] == [("请明天下午给我回电话", "kept")]
    assert center.json("suppress", "list", "--full-phones")["suppressions"] == []


def test_call_statuses_move_a_voice_message_forward_only(
    center: Center, peer: TwilioPeer, hooks: Webhooks
) -> None:
    message = sent(center)[0]
    path = f"/twilio/status?o={message['id']}"
    for status, expected in [("ringing", "no change"), ("completed", "delivered")]:
        answer = hooks.post(path, {"CallSid": "CA" + "9" * 32, "CallStatus": status})
        assert answer.text == expected
    assert hooks.post(path, {"CallSid": "CA" + "9" * 32, "CallStatus": "busy"}).text == "no change"
