"""The lift statistics against statsmodels and scipy, not against themselves."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from outbound.results.lift import Rate, lift, two_proportion_p, wilson


@st.composite
def counts(draw: st.DrawFn) -> tuple[int, int]:
    total = draw(st.integers(min_value=1, max_value=200_000))
    return draw(st.integers(min_value=0, max_value=total)), total


@given(counts())
def test_the_wilson_interval_is_statsmodels(count: tuple[int, int]) -> None:
    successes, total = count
    low, high = proportion_confint(successes, total, alpha=0.05, method="wilson")
    ours = wilson(successes, total)
    assert ours == pytest.approx((low, high), abs=1e-12)


@given(counts(), counts())
def test_the_two_proportion_p_value_is_statsmodels_pooled_z_test(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    (s1, n1), (s2, n2) = first, second
    pooled = (s1 + s2) / (n1 + n2)
    if pooled in (0, 1):
        assert two_proportion_p(s1, n1, s2, n2) == 1.0  # statsmodels divides by zero here
        return
    _, expected = proportions_ztest([s1, s2], [n1, n2])
    assert two_proportion_p(s1, n1, s2, n2) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_the_z_test_agrees_with_a_chi_square_test_without_correction() -> None:
    table = [[1200, 10_000 - 1200], [100, 1000 - 100]]
    chi2 = stats.chi2_contingency(table, correction=False)
    assert two_proportion_p(1200, 10_000, 100, 1000) == pytest.approx(chi2.pvalue, rel=1e-9)


def test_a_known_case_gives_its_lift_and_significance() -> None:
    # 12% of 10,000 assigned lines reactivated against 10% of a 1,000-line holdout.
    found = lift(Rate(1200, 10_000), Rate(1000, 6000), Rate(100, 1000))
    assert found.absolute == pytest.approx(0.02)
    assert found.relative == pytest.approx(0.2)
    # By hand: pooled 1300/11000, standard error 0.010707, z = 1.868.
    assert found.p_value == pytest.approx(0.0618, abs=5e-4)  # not quite significant at 5%
    assert found.warning is None
    low, high = found.holdout.interval or (math.nan, math.nan)
    assert (round(low, 4), round(high, 4)) == (0.0829, 0.1202)


def test_a_small_holdout_is_warned_about_and_no_holdout_gives_no_lift() -> None:
    small = lift(Rate(300, 1000), Rate(200, 500), Rate(3, 20))
    assert small.warning is not None and "20 lines" in small.warning
    assert small.absolute == pytest.approx(0.15)
    none = lift(Rate(300, 1000), Rate(200, 500), Rate(0, 0))
    assert (none.absolute, none.p_value) == (None, None)
    assert none.warning is not None and "holdout_percent" in none.warning


def test_a_holdout_with_no_success_has_no_relative_lift() -> None:
    found = lift(Rate(30, 1000), Rate(20, 500), Rate(0, 200))
    assert found.absolute == pytest.approx(0.03) and found.relative is None
    assert found.p_value is not None and found.p_value < 0.05


def test_an_impossible_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        wilson(5, 3)
    with pytest.raises(ValueError):
        two_proportion_p(1, 0, 1, 2)
