"""Reading survey replies: survey.parse_reply against the least a reader could do, the first
run of digits as the score (which reads 10086 as a score and 十分 as nothing).

PYTHONPATH=. .venv/bin/python -c "from bench.replies import run; run()"
"""

from __future__ import annotations

import random
import re
from typing import cast

from bench import median_time
from outbound.messages import survey
from outbound.sample.work import REPLIES

DIGITS = re.compile(r"\d+")


def _first_digits(text: str) -> int | None:
    found = DIGITS.search(text)
    return int(found.group()) if found else None


def run(replies: int = 200_000) -> None:
    rng = random.Random(7)
    drawn = [
        (cast(survey.Scale, scale), rng.choice(bodies))
        for scale, bodies in REPLIES.items()
        for _ in range(replies // 2)
    ]
    naive_time = median_time(3, lambda: [_first_digits(body) for _, body in drawn])
    ours_time = median_time(3, lambda: [survey.parse_reply(body, scale) for scale, body in drawn])
    readings = [survey.parse_reply(body, scale) for scale, body in drawn]
    scored = sum(r.score is not None for r in readings)
    print(f"{len(drawn):,} survey replies (the sample's digits, numerals and words), median of 3")
    print(f"  first digits as the score         {len(drawn) / naive_time:10,.0f} replies/s")
    print(
        f"  survey.parse_reply                {len(drawn) / ours_time:10,.0f} replies/s"
        f"   = {naive_time / ours_time:.2f} of the naive reader; {scored / len(drawn):.0%} scored"
    )
