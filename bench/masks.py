"""The sample segments written by hand in plain pandas: the baseline the compiled rules are
measured against, and a check that they select the same lines."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pandas as pd

Mask = Callable[[pd.DataFrame, pd.DataFrame, datetime.date], pd.Series]


def _months_since(dates: pd.Series, as_of: datetime.date) -> pd.Series:
    return as_of.year * 12 + as_of.month - (dates.dt.year * 12 + dates.dt.month)


def _prev(current: pd.DataFrame, previous: pd.DataFrame, column: str) -> pd.Series:
    # A left merge: twice as fast here as set_index().reindex() or map().
    looked_up = current[["line_id"]].merge(previous[["line_id", column]], how="left")[column]
    return pd.Series(looked_up.array, index=current.index)


def _true(condition: pd.Series) -> pd.Series:
    return condition.fillna(False).astype(bool)


def zero_usage(current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date) -> pd.Series:
    return _true(
        (current["status"] == "active")
        & (current["calls_30d"] == 0)
        & (_months_since(current["install_date"], as_of) >= 3)
    )


def zero_usage_two_months(
    current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date
) -> pd.Series:
    last = _prev(current, previous, "calls_30d")
    return _true((current["status"] == "active") & (current["calls_30d"] == 0) & (last == 0))


def high_spend_caller_id(
    current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date
) -> pd.Series:
    return _true(
        (current["status"] == "active") & (current["monthly_spend"] > 100) & current["caller_id"]
    )


def new_installs(current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date) -> pd.Series:
    return _true(
        (_months_since(current["install_date"], as_of) == 0) & (current["status"] != "closed")
    )


def complaints(current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date) -> pd.Series:
    return _true(current["complaints"] > 0)


def fault_reports(current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date) -> pd.Series:
    return _true((current["fault_reports"] > 0) & (current["status"] != "closed"))


def spend_down(current: pd.DataFrame, previous: pd.DataFrame, as_of: datetime.date) -> pd.Series:
    last = _prev(current, previous, "monthly_spend")
    return _true((current["status"] == "active") & (current["monthly_spend"] <= last * 0.7))


HAND_WRITTEN: dict[str, Mask] = {
    "zero_usage": zero_usage,
    "zero_usage_two_months": zero_usage_two_months,
    "high_spend_caller_id": high_spend_caller_id,
    "new_installs": new_installs,
    "complaints": complaints,
    "fault_reports": fault_reports,
    "spend_down": spend_down,
}
