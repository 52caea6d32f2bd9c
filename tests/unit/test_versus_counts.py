"""Script A against script B on counts: the difference of the success rates, its Newcombe
interval and the pooled z-test, worked out by hand and against statsmodels."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from outbound.results.lift import Rate
from outbound.results.versus import compare


def test_thirty_of_a_hundred_against_fifteen_of_a_hundred_by_hand() -> None:
    found = compare(Rate(30, 100), Rate(15, 100))
    # Pooled rate 45 / 200 = 0.225; standard error √(0.225 × 0.775 × (1/100 + 1/100))
    # = √0.0034875 = 0.0590551; z = 0.15 / 0.0590551 = 2.5400; two-sided p = erfc(z / √2).
    assert math.sqrt(0.225 * 0.775 * 0.02) == pytest.approx(0.0590551, abs=1e-7)
    assert found.difference == pytest.approx(0.15)
    assert found.p_value == pytest.approx(0.011085, abs=1e-6)
    # Wilson intervals: 30/100 → [0.218949, 0.395849], 15/100 → [0.093060, 0.232836].
    # low = 0.15 − √((0.30 − 0.218949)² + (0.232836 − 0.15)²) = 0.15 − √0.0134311 = 0.034108
    # high = 0.15 + √((0.395849 − 0.30)² + (0.15 − 0.093060)²) = 0.15 + √0.0124293 = 0.261486
    assert (found.low, found.high) == pytest.approx((0.034108, 0.261486), abs=1e-6)
    assert found.verdict == "a_better"


@pytest.mark.parametrize(
    ("a", "b"),
    [((30, 100), (15, 100)), ((3, 10), (1, 10)), ((0, 40), (7, 35)), ((12, 12), (9, 20))],
)
def test_the_interval_and_p_value_are_what_statsmodels_says(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    found = compare(Rate(*a), Rate(*b))
    low, high = confint_proportions_2indep(a[0], a[1], b[0], b[1], method="newcomb")
    assert (found.low, found.high) == pytest.approx((low, high), abs=1e-9)
    _, p_value = proportions_ztest([a[0], b[0]], [a[1], b[1]])
    assert found.p_value == pytest.approx(p_value, abs=1e-9)


def test_the_verdict_names_the_better_variant_only_below_five_percent() -> None:
    assert compare(Rate(15, 100), Rate(30, 100)).verdict == "b_better"
    small = compare(Rate(3, 10), Rate(1, 10))  # 30% against 10%, but of ten lines each
    assert small.p_value > 0.05 and small.verdict == "no_difference"
    assert small.low < 0 < small.high


def test_a_variant_without_lines_cannot_be_compared() -> None:
    with pytest.raises(ValueError, match="both variants need lines"):
        compare(Rate(0, 0), Rate(3, 10))
