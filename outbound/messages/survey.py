"""The customer's score after a reached call: the two scales a campaign may ask on, a reply SMS
read into a score (or the reason a person must read it), and NPS and satisfaction from scores."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from outbound.workspace.campaigns import Scale

SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "satisfaction": (1, 5)}
# Promoters (9-10) and detractors (0-6) on nps; satisfied (4-5) and dissatisfied (1-2) on
# satisfaction: the same three buckets, so one table holds both scales.
TOP = {"nps": 9, "satisfaction": 4}
BOTTOM = {"nps": 6, "satisfaction": 2}

Why = Literal[
    "score",
    "no score",
    "out of range",
    "several answers",
    "long number",
    "not a whole number",
    "unclear number",
    "other numbers",
    "negation",
    "words on a 0-10 scale",
    "words and number disagree",
]


@dataclass(frozen=True)
class Reading:
    """What a reply says: its score, or None and why a person must read it."""

    score: int | None
    why: Why


# The satisfaction scale in words. Longest first, so that 很不满意 is not read as 不满意 or 满意.
WORDS = {
    "非常不满意": 1,
    "特别不满意": 1,
    "十分不满意": 1,
    "很不满意": 1,
    "极不满意": 1,
    "太不满意": 1,
    "不是很满意": 2,
    "不怎么满意": 2,
    "不太满意": 2,
    "不大满意": 2,
    "不满意": 2,
    "马马虎虎": 3,
    "一般般": 3,
    "一般": 3,
    "还可以": 3,
    "还行": 3,
    "凑合": 3,
    "基本满意": 4,
    "比较满意": 4,
    "还算满意": 4,
    "挺满意": 4,
    "满意": 4,
    "非常满意": 5,
    "特别满意": 5,
    "十分满意": 5,
    "超级满意": 5,
    "很满意": 5,
    "太满意": 5,
}
_WORD = re.compile("|".join(sorted(WORDS, key=len, reverse=True)))
# A word right after one of these means the opposite or something unclear (没有很满意).
_NEGATED = re.compile(r"(不|没|没有|未|并非|不是)$")
# Words that hold a numeral but no number (一般 is read above; 十分 as "very" below).
_NOT_NUMBERS = re.compile(
    "满意度|一点|一下|一直|一些|一定|一样|一起|一切|一会|一向|一贯|一流|万一|统一|唯一|十全十美"
)
# 十分 is ten points when it ends the reply or a particle follows; before another word it means
# "very" (十分感谢, 十分钟), and an answer in words is read above.
_VERY = re.compile(r"十分(?=\w)(?![吧啊呀的了呢哈嘛哦噢喔])")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百]+")
# A number followed by one of these counts something else: 3点 is a time, 50元 money.
_NOT_A_SCORE_AFTER = re.compile(
    r"\s*(点|号|月|日|天|年|元|块|毛|角|个|次|小时|分钟|秒|岁|周|星期|楼|层|条|台|位|人|倍|兆|%|[GgMmKk])"
)
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE = re.compile(
    r"^(?:([一二两三四五六七八九])百)?零?(?:([一二两三四五六七八九])?(十))?([一二两三四五六七八九])?$"
)


def parse_reply(text: str, scale: Scale) -> Reading:
    """TEXT read on SCALE. A number wins over words; several different answers, numbers out of
    the scale, numbers that count something else (3点, 50元) and long numbers (10086) are left
    for a person. Words (满意, 不满意, 一般) count on the satisfaction scale only: a 0-10 question
    has no agreed place for 满意."""
    low, high = SCALES[scale]
    text = unicodedata.normalize("NFKC", text)
    words, negated = _words(text)
    text = _VERY.sub(" ", _NOT_NUMBERS.sub(" ", _WORD.sub(" ", text)))
    numbers: set[int] = {high} if "满分" in text else set()
    for match in _NUMBER.finditer(text):
        after = text[match.end() :]
        if _NOT_A_SCORE_AFTER.match(after) or text[: match.start()].endswith("第"):
            return Reading(None, "other numbers")
        value = _number(match.group())
        if isinstance(value, str):
            return Reading(None, value)
        numbers.add(value)
    if len(numbers) > 1:
        return Reading(None, "several answers")
    if numbers:
        (number,) = numbers
        if not low <= number <= high:
            return Reading(None, "out of range")
        if scale == "satisfaction" and negated:
            return Reading(None, "negation")
        if scale == "satisfaction" and any(_opposite(w, number, scale) for w in words):
            return Reading(None, "words and number disagree")
        return Reading(number, "score")
    if not words:
        return Reading(None, "no score")
    if scale == "nps":
        return Reading(None, "words on a 0-10 scale")
    if negated:
        return Reading(None, "negation")
    if len(set(words)) > 1:
        return Reading(None, "several answers")
    return Reading(words[0], "score")


def _words(text: str) -> tuple[list[int], bool]:
    """The satisfaction words' scores in TEXT, and whether any of them is negated."""
    found = list(_WORD.finditer(text))
    negated = any(_NEGATED.search(text[: match.start()]) for match in found)
    return [WORDS[match.group()] for match in found], negated


def _number(written: str) -> int | Why:
    if written[0].isdigit():
        if "." in written:
            return "not a whole number"
        return "long number" if len(written) >= 4 else int(written)
    if "十" in written or "百" in written:
        parts = _CHINESE.match(written)
        if parts is None:
            return "unclear number"
        hundreds, tens, ten, ones = parts.groups()
        value = _DIGITS[hundreds] * 100 if hundreds else 0
        if ten:
            value += _DIGITS[tens] * 10 if tens else 10
        return value + (_DIGITS[ones] if ones else 0)
    digits = [_DIGITS[ch] for ch in written]
    if len(digits) == 1:
        return digits[0]
    # 七八分 is "seven or eight"; a longer run is read out digit by digit, like a phone number.
    if len(digits) == 2:
        return "several answers" if digits[0] != digits[1] else digits[0]
    return "long number" if len(digits) >= 4 else int("".join(map(str, digits)))


def _opposite(word: int, number: int, scale: Scale) -> bool:
    return (word >= TOP[scale] and number <= BOTTOM[scale]) or (
        word <= BOTTOM[scale] and number >= TOP[scale]
    )


SUMMARY_COLUMNS = [
    "replies",
    "scored",
    "unparsed",
    "mean_score",
    "promoters",
    "passives",
    "detractors",
    "promoters_pct",
    "detractors_pct",
    "nps",
    "satisfaction_pct",
]


def summary(answers: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per KEYS and scale, from one row per answered survey (KEYS, scale, score; score NaN when
    no reply could be read): replies, scored, mean score and the three buckets. On nps,
    nps = % promoters - % detractors (-100 to 100); on satisfaction, satisfaction_pct = % of
    scores 4-5. Percentages are of the scored replies."""
    groups = [*keys, "scale"]
    if answers.empty:
        return pd.DataFrame(columns=[*groups, *SUMMARY_COLUMNS])
    score = answers["score"].astype(float)
    scale = answers["scale"]
    top = score >= scale.map(TOP)
    bottom = score <= scale.map(BOTTOM)
    frame = answers[groups].assign(
        replies=1,
        scored=score.notna().astype(int),
        unparsed=score.isna().astype(int),
        score=score,
        promoters=top.astype(int),
        passives=(score.notna() & ~top & ~bottom).astype(int),
        detractors=bottom.astype(int),
    )
    grouped = frame.groupby(groups, sort=True, dropna=False)
    table = grouped[["replies", "scored", "unparsed", "promoters", "passives", "detractors"]].sum()
    table["mean_score"] = grouped["score"].mean().round(2)
    scored = table["scored"].where(table["scored"] > 0)
    table["promoters_pct"] = (100 * table["promoters"] / scored).round(1)
    table["detractors_pct"] = (100 * table["detractors"] / scored).round(1)
    is_nps = table.index.get_level_values("scale") == "nps"
    difference = table["promoters_pct"] - table["detractors_pct"]
    table["nps"] = np.where(is_nps, difference.round(1), np.nan)
    table["satisfaction_pct"] = np.where(is_nps, np.nan, table["promoters_pct"])
    return table.reset_index()[[*groups, *SUMMARY_COLUMNS]]
