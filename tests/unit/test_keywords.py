"""Opt-out and opt-in words read as customers write them, both ways: what must stop messages,
what must start them again, and what is only a message for a person."""

from __future__ import annotations

import pytest

from outbound.messages.keywords import wish

STOPS = [
    "TD",
    "td",
    "Td",
    "T",
    "t",
    "ＴＤ",
    "ｔｄ",
    "Ｔ",
    "T D",
    "t.d.",
    " TD ",
    "TD。",
    "TD！",
    "TD!!",
    "TD😊",
    "退订",
    "退 订",
    "退订。",
    "【退订】",
    "TD退订",
    "退订TD",
    "TD 退订",
    "回复TD",
    "回复 TD",
    "回复td",
    "回复ＴＤ",
    "回TD",
    "回复T",
    "回复退订",
    "回复TD退订",
    "STOP",
    "stop",
    "ＳＴＯＰ",
    "Stop.",
    "STOP退订",
    "STOPALL",
    "UNSUBSCRIBE",
    "unsubscribe",
    "CANCEL",
    "END",
    "QUIT",
    "取消订阅",
    "TDTD",
]
STARTS = ["START", "start", "ＳＴＡＲＴ", "UNSTOP", "订阅", "回复订阅", "Start!"]
NEITHER = [
    "",
    "   ",
    "不退订",
    "不要退订",
    "怎么退订",
    "退订了吗？",
    "如何退订这个套餐",
    "我已经退订了，还在发",
    "退款",
    "订阅退订",
    "TEST",
    "DT",
    "TO",
    "TDS",
    "ENDING",
    "Stop calling me",
    "STOP 10086",
    "9",
    "10",
    "十分",
    "非常满意",
    "TD9",
    "好的，谢谢",
    "回复",
    "QQ",
]


@pytest.mark.parametrize("body", STOPS)
def test_an_opt_out_as_customers_write_it_stops_messages(body: str) -> None:
    assert wish(body) == "stop"


@pytest.mark.parametrize("body", STARTS)
def test_a_start_word_as_customers_write_it_starts_messages_again(body: str) -> None:
    assert wish(body) == "start"


@pytest.mark.parametrize("body", NEITHER)
def test_a_question_a_negation_or_a_longer_text_is_left_for_a_person(body: str) -> None:
    assert wish(body) is None
