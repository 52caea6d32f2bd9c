"""Best agents by results: with best_agents = "results" the most valuable customers go to the
agents with the best measured satisfaction, then conversion; agents with too few reached
customers to judge follow the measured ones in roster order; by seniority nothing changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from outbound.plan.assignment import CampaignQuota, assign
from outbound.plan.assignment.standing import by_results
from tests.unit.test_assignment import agents, placed, work

ONE_EACH = CampaignQuota("唤醒零使用", 1, per_agent_per_day=1, teams=None, skills=None)
TEAM = agents(
    {"agent_id": "A01", "seniority": 5},  # 王丽, the most senior
    {"agent_id": "A02", "seniority": 3},
    {"agent_id": "A03", "seniority": 1},
)
# 300 元, 120 元 and 20 元 a month: the first is the most valuable customer.
CUSTOMERS = work({"value": 20.0}, {"value": 300.0}, {"value": 120.0})


def measured(*rows: tuple[str, int, float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["agent_id", "reached", "satisfaction_rate", "conversion_rate"]
    ).assign(fcr_rate=np.nan, attainment_rate=np.nan)


def test_by_seniority_the_most_valuable_customer_goes_to_the_most_senior_agent() -> None:
    assert placed(assign(CUSTOMERS, TEAM, [ONE_EACH])) == {"i1": "A01", "i2": "A02", "i0": "A03"}


def test_by_results_the_most_valuable_customer_goes_to_the_best_measured_agent() -> None:
    # A03: 97.5% satisfied of 40 reached; A02: 92.0%; A01, the most senior: 88.0%.
    results = measured(("A01", 50, 88.0, 30.0), ("A02", 25, 92.0, 10.0), ("A03", 40, 97.5, 5.0))
    ranked = by_results(TEAM, results, min_reached=20)
    assert placed(assign(CUSTOMERS, ranked, [ONE_EACH])) == {"i1": "A03", "i2": "A02", "i0": "A01"}


def test_equal_satisfaction_is_settled_by_conversion_then_by_the_roster() -> None:
    results = measured(("A01", 30, 95.0, 12.0), ("A02", 30, 95.0, 18.5), ("A03", 30, 95.0, 18.5))
    ranked = by_results(TEAM, results, min_reached=20)
    assert dict(zip(ranked["agent_id"], ranked["seniority"], strict=True)) == {
        "A02": 3,  # 18.5% converted, and the more senior of the two
        "A03": 2,
        "A01": 1,
    }


def test_agents_with_too_few_reached_customers_follow_the_measured_in_roster_order() -> None:
    # A01 and A02 reached too few to judge (19 < 20; A02 not measured at all): A03 goes first
    # on results, then the roster: A01 (级别 5) before A02 (级别 3).
    results = measured(("A01", 19, 100.0, 50.0), ("A03", 20, 60.0, 1.0))
    ranked = by_results(TEAM, results, min_reached=20)
    assert placed(assign(CUSTOMERS, ranked, [ONE_EACH])) == {"i1": "A03", "i2": "A01", "i0": "A02"}


def test_a_measured_agent_whose_customers_never_said_comes_after_those_who_did() -> None:
    results = measured(("A01", 30, None, 40.0), ("A02", 30, 70.0, 0.0), ("A03", 5, 99.0, 9.0))
    ranked = by_results(TEAM, results, min_reached=20)
    assert list(ranked.sort_values("seniority", ascending=False)["agent_id"]) == [
        "A02",
        "A01",
        "A03",
    ]


def test_the_roster_itself_is_left_as_it_was() -> None:
    before = TEAM.copy()
    by_results(TEAM, measured(("A03", 40, 97.5, 5.0)), min_reached=20)
    pd.testing.assert_frame_equal(TEAM, before)
