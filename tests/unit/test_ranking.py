"""The weekly ranking's order, on frames: quality first, a missing measure last."""

from __future__ import annotations

import math

import pandas as pd

from outbound.results import quality

NAN = math.nan


def test_ties_on_satisfaction_go_to_fcr_then_conversion_and_the_unmeasured_sort_last() -> None:
    measured = pd.DataFrame(
        [
            ("A01", "王丽", 40, 0.9, 0.80, 0.10, 1.0),
            ("A02", "李强", 35, 0.9, 0.95, 0.05, 0.8),
            ("A03", "张敏", 12, NAN, 1.00, 0.50, 1.2),
            ("A04", "刘洋", 30, 0.9, 0.95, 0.20, 0.7),
            ("A05", "陈静", 25, 0.7, NAN, 0.30, 0.9),
        ],
        columns=["agent_id", "name", *quality.AGENT_COLUMNS[1:]],
    )
    ranked = quality.rank(measured)
    assert list(ranked["agent_id"]) == ["A04", "A02", "A01", "A05", "A03"]
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5]
