"""The sample's next month: the planted effects land on the lines each campaign reached, at
about the planted share, deterministically; a campaign planted at zero moves nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from outbound.sample.billing import extract_frame
from outbound.sample.effects import EFFECTS, plant

LINES = 4_000
SEED = 11


@pytest.fixture(scope="module")
def months() -> tuple[pd.DataFrame, pd.DataFrame]:
    """October (the worked month) and November as the lines drift on their own."""
    september = extract_frame(LINES, "2026-09", SEED)
    october = extract_frame(LINES, "2026-10", SEED, previous=september)
    return october, extract_frame(LINES, "2026-11", SEED, previous=october)


def numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.astype(object), errors="coerce")


def by_line(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame[frame["用户编号"].astype(str) != ""]
        .drop_duplicates("用户编号", keep=False)
        .set_index("用户编号")
    )


@pytest.fixture(scope="module")
def treated(months: tuple[pd.DataFrame, pd.DataFrame]) -> dict[str, set[str]]:
    """Half of each campaign's likely lines, as if its agents had reached them: silent lines,
    lines not on 家家e, lines whose bill fell again."""
    october, november = (by_line(frame) for frame in months)
    both = november.merge(october, left_index=True, right_index=True, suffixes=("", "_10"))
    silent = both.index[(numbers(both["通话次数"]) == 0).to_numpy()]
    other_plans = both.index[(both["套餐"].astype(object) != "家家e").to_numpy()]
    fell = both.index[(numbers(both["月话费"]) < numbers(both["月话费_10"])).to_numpy()]
    return {
        "zero_usage_wakeup": set(silent[::2]),
        "jiajia_upsell": set(other_plans[1::2]),
        "spend_down_sms": set(fell[::2]),
    }


def test_the_same_seed_plants_the_same_month_and_another_seed_does_not(
    months: tuple[pd.DataFrame, pd.DataFrame], treated: dict[str, set[str]]
) -> None:
    october, november = months
    first = plant(november, october, treated, SEED)
    assert first.equals(plant(november, october, treated, SEED))
    assert not first.equals(plant(november, october, treated, SEED + 1))
    assert list(first.columns) == list(november.columns)
    assert first.dtypes.equals(november.dtypes)


def test_the_campaign_planted_at_zero_changes_no_line(
    months: tuple[pd.DataFrame, pd.DataFrame], treated: dict[str, set[str]]
) -> None:
    assert [e.share for e in EFFECTS if e.campaign == "spend_down_sms"] == [0.0]
    october, november = months
    planted = plant(november, october, treated, SEED)
    without = {name: lines for name, lines in treated.items() if name != "spend_down_sms"}
    assert planted.equals(plant(november, october, without, SEED))
    only_sms = sorted(treated["spend_down_sms"] - set().union(*without.values()))
    assert len(only_sms) > 50
    before, after = by_line(november).loc[only_sms], by_line(planted).loc[only_sms]
    assert after.drop(columns="套餐").equals(before.drop(columns="套餐"))


def test_reached_silent_lines_make_calls_again_at_about_the_planted_share(
    months: tuple[pd.DataFrame, pd.DataFrame], treated: dict[str, set[str]]
) -> None:
    october, november = months
    planted = by_line(plant(november, october, treated, SEED))
    reached = sorted(treated["zero_usage_wakeup"])
    active = (by_line(november).loc[reached, "状态"].astype(object) == "在用").to_numpy()
    woke = numbers(planted.loc[reached, "通话次数"]).to_numpy()[active] > 0
    assert woke.mean() == pytest.approx(0.45, abs=0.08)
    assert (numbers(planted.loc[reached, "通话分钟"]).to_numpy()[active][woke] > 0).all()
    others = planted.index.difference(reached)
    calls_before = numbers(by_line(november).loc[others, "通话次数"])
    assert numbers(planted.loc[others, "通话次数"]).equals(calls_before)


def test_reached_lines_of_the_upsell_take_jiajia_e_more_than_the_rest(
    months: tuple[pd.DataFrame, pd.DataFrame], treated: dict[str, set[str]]
) -> None:
    october, november = months
    planted = by_line(plant(november, october, treated, SEED))
    plan_before = by_line(november)["套餐"].astype(object)
    switched = (planted["套餐"].astype(object) == "家家e") & (plan_before != "家家e")
    active = by_line(november)["状态"].astype(object) == "在用"
    reached = planted.index.isin(sorted(treated["jiajia_upsell"]))
    assert switched[reached & active].mean() == pytest.approx(0.21, abs=0.06)
    assert switched[~reached & active & (plan_before != "家家e")].mean() == pytest.approx(
        0.01, abs=0.01
    )
    assert not switched[~active.to_numpy()].any()
