"""The sample's agents: each due item ends in a disposition drawn from its campaign's mix,
the same for a seed and a moment, with the reason and callback time an agent must give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from outbound.config import Config, load_config
from outbound.sample.work import SELLING, SWITCH_SHARE, draw_calls
from outbound.workspace.campaigns import Campaign, load_campaigns

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "sample_month"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(FIXTURE, environ={})


@pytest.fixture(scope="module")
def campaigns(config: Config) -> dict[str, Campaign]:
    loaded, problems = load_campaigns(config)
    assert not problems
    return {campaign.name: campaign for campaign in loaded}


def due(count: int) -> pd.DataFrame:
    names = ["zero_usage_wakeup", "jiajia_upsell"]
    return pd.DataFrame(
        {
            "id": range(1, count + 1),
            "campaign": [names[i % 2] for i in range(count)],
            "agent": [f"A{i % 7:03d}" for i in range(count)],
        }
    )


def at(config: Config, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=config.tz)


def test_the_same_seed_and_moment_draw_the_same_calls_and_another_moment_does_not(
    config: Config, campaigns: dict[str, Campaign]
) -> None:
    items = due(300)
    first = draw_calls(config, campaigns, items, at(config, 3, 9), seed=5)
    assert first == draw_calls(config, campaigns, items, at(config, 3, 9), seed=5)
    assert first != draw_calls(config, campaigns, items, at(config, 3, 13), seed=5)
    assert first != draw_calls(config, campaigns, items, at(config, 3, 9), seed=6)
    assert [c.order_id for c in first] == list(items["id"])
    assert [c.agent for c in first] == list(items["agent"])


def reached(config: Config, code: str) -> bool:
    return config.dispositions[code].category == "reached"


def test_a_selling_campaign_reaches_its_share_and_hears_accepted_or_declined(
    config: Config, campaigns: dict[str, Campaign]
) -> None:
    calls = draw_calls(config, campaigns, due(4_000), at(config, 3, 9), seed=5)
    codes = [call.code for call in calls]
    assert set(codes) <= set(SELLING) and {"accepted", "declined", "no_answer"} <= set(codes)
    expected = sum(share for code, share in SELLING.items() if reached(config, code))
    share = sum(reached(config, code) for code in codes) / len(codes)
    assert share == pytest.approx(expected, abs=0.03)


def test_a_reached_customer_gets_the_campaigns_reason_and_a_callback_its_time(
    config: Config, campaigns: dict[str, Campaign]
) -> None:
    wakeup_reasons = set(config.settings.reasons["unused_line"])
    calls = draw_calls(config, campaigns, due(2_000), at(config, 3, 13), seed=5)
    for call, campaign in zip(calls, due(2_000)["campaign"], strict=True):
        asks = campaign == "zero_usage_wakeup" and reached(config, call.code)
        if asks and call.code != "callback":
            assert call.reason in wakeup_reasons
        else:
            assert call.reason is None
        if call.code == "callback":
            assert call.callback_at is not None
            assert call.callback_at.date() == dt.date(2026, 11, 4)
            assert 10 <= call.callback_at.hour < 17
        else:
            assert call.callback_at is None


def test_nothing_due_draws_nothing(config: Config, campaigns: dict[str, Campaign]) -> None:
    assert draw_calls(config, campaigns, due(0), at(config, 3, 9), seed=5) == []


def test_a_call_takes_one_to_six_minutes_up_to_the_shift_and_a_reached_one_longer(
    config: Config, campaigns: dict[str, Campaign]
) -> None:
    now = at(config, 3, 9)
    drawn = draw_calls(config, campaigns, due(2_000), now, seed=5)
    taken: dict[bool, list[float]] = {True: [], False: []}
    for call in drawn:
        taken[reached(config, call.code)].append((now - call.opened_at).total_seconds())
        if call.started_at is None:
            assert call.ended_at is None
        else:
            assert call.ended_at is not None
            assert call.opened_at < call.started_at < call.ended_at < now
    assert min(taken[True]) >= 120 and max(taken[True]) <= 360
    assert min(taken[False]) >= 60 and max(taken[False]) <= 110
    posted = sum(call.started_at is not None for call in drawn) / len(drawn)
    assert posted == pytest.approx(SWITCH_SHARE, abs=0.03)
