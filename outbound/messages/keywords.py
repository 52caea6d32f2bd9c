"""What an SMS from a customer asks for in so many words: to stop messages (TD, 退订, STOP, ...)
or to have them again (START, 订阅). Read as customers write them: full width or half, any case,
spaced or punctuated, the words run together or after 回复 ("reply"), as the hint we append
puts it. Anything else is a message for a person, never a guess."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Wish = Literal["stop", "start"]

STOP_WORDS = (
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "TD",
    "T",
    "退订",
    "取消订阅",
)
START_WORDS = ("START", "UNSTOP", "订阅")
# Spaces and punctuation of any script; Chinese characters are word characters and stay.
_NOISE = re.compile(r"[\W_]+")


def _only(words: tuple[str, ...]) -> re.Pattern[str]:
    """One or more of WORDS run together, after an optional 回复 or 回, and nothing else."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(f"(?:回复|回)?(?:{alternatives})+")


_STOP = _only(STOP_WORDS)
_START = _only(START_WORDS)


def wish(body: str) -> Wish | None:
    """stop or start when BODY says only that, else None."""
    text = _NOISE.sub("", unicodedata.normalize("NFKC", body)).upper()
    if _STOP.fullmatch(text):
        return "stop"
    if _START.fullmatch(text):
        return "start"
    return None
