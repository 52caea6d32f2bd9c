"""Did it work: success rates with 95% Wilson intervals, and the lift of a campaign's assigned
lines (intent to treat) over its holdout, with a two-sided two-proportion z-test. Pure
functions on counts; the report feeds them."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
# Below this many holdout lines a rate of a few percent cannot be told from zero lift.
MIN_HOLDOUT = 100
# Why a lift is missing or doubtful, by code: the report's pages say them in their language.
WARNINGS = {
    "no_holdout": "no holdout: set holdout_percent to measure lift",
    "none_assigned": "no line was assigned",
    "small_holdout": "holdout of {holdout} lines: too small to tell a lift of a few points from "
    "none (want {want} or more)",
}


@dataclass(frozen=True)
class Rate:
    """SUCCESSES of TOTAL lines, with the 95% Wilson interval of the rate."""

    successes: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.successes / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.successes, self.total) if self.total else None


@dataclass(frozen=True)
class Lift:
    """A campaign (or a part of it) against its holdout: the success rate of the lines assigned
    (intent to treat), of the lines reached, and of the holdout; the lift of intent to treat
    over the holdout, absolute (rate points) and relative, with its p-value."""

    assigned: Rate
    reached: Rate
    holdout: Rate
    absolute: float | None
    relative: float | None
    p_value: float | None
    warning_code: str | None

    @property
    def warning(self) -> str | None:
        if self.warning_code is None:
            return None
        return WARNINGS[self.warning_code].format(holdout=self.holdout.total, want=MIN_HOLDOUT)


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of SUCCESSES / TOTAL (TOTAL > 0)."""
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError(f"no rate of {successes} successes in {total}")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test of s1/n1 against s2/n2."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need lines")
    pooled = (s1 + s2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:  # all or none succeeded in both: no difference to see
        return 1.0
    z = (s1 / n1 - s2 / n2) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def lift(assigned: Rate, reached: Rate, holdout: Rate) -> Lift:
    absolute = relative = p_value = None
    warning = None
    if holdout.total == 0:
        warning = "no_holdout"
    elif assigned.total == 0:
        warning = "none_assigned"
    else:
        assert assigned.rate is not None and holdout.rate is not None
        absolute = assigned.rate - holdout.rate
        relative = absolute / holdout.rate if holdout.rate else None
        p_value = two_proportion_p(
            assigned.successes, assigned.total, holdout.successes, holdout.total
        )
        if holdout.total < MIN_HOLDOUT:
            warning = "small_holdout"
    return Lift(assigned, reached, holdout, absolute, relative, p_value, warning)
