"""Reading customers' replies to the survey SMS, on a table of replies as they come in, and NPS
and satisfaction from the scores."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound.messages.survey import Reading, parse_reply, summary

NPS_REPLIES = [
    # digits as typed, with the noise phones add
    ("9", 9),
    ("10", 10),
    ("0", 0),
    (" 8 ", 8),
    ("7。", 7),
    ("9分", 9),
    ("打9分", 9),
    ("给9分吧", 9),
    ("我给你们打8分", 8),
    ("10分！！", 10),
    ("9分👍👍", 9),
    ("😊10", 10),
    ("6分吧，信号不太好", 6),
    ("满意，9分", 9),
    # full-width digits from a Chinese keyboard
    ("９", 9),
    ("１０", 10),
    ("９分", 9),
    ("打１０分", 10),
    # Chinese numerals
    ("九分", 9),
    ("十分", 10),
    ("十分！", 10),
    ("给你们打十分吧", 10),
    ("打十分", 10),
    ("八分吧", 8),
    ("两分", 2),
    ("零分", 0),
    ("〇", 0),
    ("满分", 10),
    ("十分感谢，9分", 9),
    ("9 9", 9),
]

NOT_A_SCORE = [
    ("11", "out of range"),
    ("100", "out of range"),
    ("一百分", "out of range"),
    ("5 6", "several answers"),
    ("7或8", "several answers"),
    ("8-9分", "several answers"),
    ("八九分吧", "several answers"),
    ("10086", "long number"),
    ("13993412345", "long number"),
    ("9.5", "not a whole number"),
    ("明天下午3点给我回电话", "other numbers"),
    ("宽带每月50元太贵", "other numbers"),
    ("等了十分钟才接通", "no score"),
    ("谢谢", "no score"),
    ("", "no score"),
    ("👍", "no score"),
    ("？？？", "no score"),
    ("TD", "no score"),
    ("STOP", "no score"),
    ("退订", "no score"),
    ("满意", "words on a 0-10 scale"),
    ("不满意", "words on a 0-10 scale"),
]

SATISFACTION_REPLIES = [
    ("5", 5),
    ("1", 1),
    ("５分", 5),
    ("四分", 4),
    ("满意", 4),
    ("满意！", 4),
    ("很满意", 5),
    ("非常满意👍", 5),
    ("十分满意", 5),
    ("挺满意的", 4),
    ("比较满意吧", 4),
    ("不满意", 2),
    ("不太满意", 2),
    ("我不是很满意", 2),
    ("很不满意！", 1),
    ("非常不满意，问题到现在都没解决", 1),
    ("一般", 3),
    ("一般般吧", 3),
    ("还行", 3),
    ("还可以", 3),
    ("不错，满意", 4),
    ("满意，5分", 5),
    ("不满意 1分", 1),
    ("满分", 5),
]

SATISFACTION_UNREAD = [
    ("0", "out of range"),
    ("10", "out of range"),
    ("十分", "out of range"),
    ("满意 不满意", "several answers"),
    ("不满意，5分", "words and number disagree"),
    ("没有很满意", "negation"),
    ("不一般", "negation"),
    ("好", "no score"),
]


@pytest.mark.parametrize(("reply", "score"), NPS_REPLIES)
def test_a_reply_on_the_0_to_10_scale_reads_as_its_score(reply: str, score: int) -> None:
    assert parse_reply(reply, "nps") == Reading(score, "score")


@pytest.mark.parametrize(("reply", "why"), NOT_A_SCORE)
def test_a_reply_that_is_not_one_score_on_0_to_10_is_left_for_a_person(
    reply: str, why: str
) -> None:
    assert parse_reply(reply, "nps") == Reading(None, why)  # type: ignore[arg-type]


@pytest.mark.parametrize(("reply", "score"), SATISFACTION_REPLIES)
def test_a_satisfaction_reply_in_digits_or_words_reads_as_1_to_5(reply: str, score: int) -> None:
    assert parse_reply(reply, "satisfaction") == Reading(score, "score")


@pytest.mark.parametrize(("reply", "why"), SATISFACTION_UNREAD)
def test_a_satisfaction_reply_out_of_scale_or_unclear_is_left_for_a_person(
    reply: str, why: str
) -> None:
    assert parse_reply(reply, "satisfaction") == Reading(None, why)  # type: ignore[arg-type]


def test_not_satisfied_is_never_read_as_satisfied() -> None:
    for reply in ("不满意", "不太满意", "很不满意", "非常不满意", "并不满意"):
        assert parse_reply(reply, "satisfaction").score in (1, 2), reply


CHINESE = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def written(number: int, form: str) -> str:
    if form == "ascii":
        return str(number)
    if form == "full-width":
        return "".join(chr(ord(digit) - ord("0") + ord("０")) for digit in str(number))
    return CHINESE[number]


@given(
    number=st.integers(0, 10),
    form=st.sampled_from(["ascii", "full-width", "chinese"]),
    pattern=st.sampled_from(["{}", "{}分", "打{}分", "给你们打{}分吧", "我给{}分", "{}分。"]),
    noise=st.sampled_from(["", " ", "！", "😊", "👍👍", "\n", "，谢谢"]),
)
def test_every_score_written_in_any_form_reads_back(
    number: int, form: str, pattern: str, noise: str
) -> None:
    reply = noise + pattern.format(written(number, form)) + noise
    assert parse_reply(reply, "nps") == Reading(number, "score")
    expected = Reading(number, "score") if 1 <= number <= 5 else Reading(None, "out of range")
    assert parse_reply(reply, "satisfaction") == expected


def test_nps_is_the_share_of_promoters_less_the_share_of_detractors() -> None:
    answers = pd.DataFrame({"campaign": "c", "scale": "nps", "score": [10, 9, 8, 7, 3, math.nan]})
    (row,) = summary(answers, ["campaign"]).to_dict("records")
    assert (row["replies"], row["scored"], row["unparsed"]) == (6, 5, 1)
    assert (row["promoters"], row["passives"], row["detractors"]) == (2, 2, 1)
    assert (row["promoters_pct"], row["detractors_pct"], row["nps"]) == (40.0, 20.0, 20.0)
    assert row["mean_score"] == 7.4
    assert math.isnan(row["satisfaction_pct"])


def test_satisfaction_is_the_share_of_4_and_5_per_agent() -> None:
    answers = pd.DataFrame(
        {
            "agent_id": ["A01", "A01", "A01", "A01", "A02"],
            "scale": "satisfaction",
            "score": [5, 4, 3, 1, math.nan],
        }
    )
    rows = summary(answers, ["agent_id"]).set_index("agent_id")
    assert rows.loc["A01", "satisfaction_pct"] == 50.0
    assert rows.loc["A01", "detractors"] == 1 and math.isnan(rows.loc["A01", "nps"])
    assert rows.loc["A02", "scored"] == 0 and math.isnan(rows.loc["A02", "satisfaction_pct"])


def test_nps_is_given_to_a_tenth_of_a_point() -> None:
    answers = pd.DataFrame({"campaign": "c", "scale": "nps", "score": [10, 9, 9, 8, 4, 6, 7]})
    (row,) = summary(answers, ["campaign"]).to_dict("records")
    assert (row["promoters_pct"], row["detractors_pct"], row["nps"]) == (42.9, 28.6, 14.3)
