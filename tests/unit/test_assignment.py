"""The day's assignment, rule by rule, on small hand-made call centers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from outbound.plan.assignment import Assignment, CampaignQuota, assign

WAKE_UP = CampaignQuota("唤醒零使用", priority=1, per_agent_per_day=2, teams=None, skills=None)
AGENT: dict[str, Any] = {
    "team": "一组",
    "skills": (),
    "seniority": 1,
    "capacity": 10,
    "absent": False,
}
ITEM: dict[str, Any] = {
    "campaign": WAKE_UP.name,
    "new": True,
    "owner": None,
    "excluded": None,
    "due_first": False,
    "value": 0.0,
    "region": None,
}


def agents(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{**AGENT, **row} for row in rows])


def work(*rows: dict[str, Any]) -> pd.DataFrame:
    """Items i0, i1, ... ranked in the order given unless said otherwise."""
    return pd.DataFrame([{"item": f"i{n}", "rank": n, **ITEM, **row} for n, row in enumerate(rows)])


def placed(result: Assignment) -> dict[str, str]:
    return dict(zip(result.assigned["item"], result.assigned["agent_id"], strict=True))


def bases(result: Assignment) -> dict[str, str]:
    return dict(zip(result.assigned["item"], result.assigned["basis"], strict=True))


def reasons(result: Assignment) -> dict[str, str]:
    return dict(zip(result.unassigned["item"], result.unassigned["reason"], strict=True))


def loads(result: Assignment) -> dict[str, int]:
    return result.assigned["agent_id"].value_counts().to_dict()


def test_each_agent_gets_at_most_the_campaigns_quota_of_new_items() -> None:
    result = assign(work(*[{}] * 7), agents({"agent_id": "a"}, {"agent_id": "b"}), [WAKE_UP])
    assert loads(result) == {"a": 2, "b": 2}
    assert set(bases(result).values()) == {"quota"}


def test_the_best_ranked_candidates_are_taken_and_the_rest_wait_for_tomorrow() -> None:
    items = work(*[{"rank": rank} for rank in (5, 1, 4, 2, 3)])
    result = assign(items, agents({"agent_id": "a"}, {"agent_id": "b"}), [WAKE_UP])
    assert set(placed(result)) == {"i1", "i3", "i4", "i2"}
    assert reasons(result) == {"i0": "beyond today's quota"}


def test_candidates_without_a_rank_come_last_and_ties_go_by_item() -> None:
    items = work({"rank": None}, {"rank": 7}, {"rank": 7}, {"rank": -3})
    result = assign(items, agents({"agent_id": "a", "capacity": 3}), [WAKE_UP])
    assert set(placed(result)) == {"i3", "i1"}
    assert reasons(result) == {"i2": "beyond today's quota", "i0": "beyond today's quota"}
    assert list(result.unassigned["item"]) == ["i2", "i0"]


def test_an_agent_never_gets_more_than_their_capacity() -> None:
    team = agents({"agent_id": "a", "capacity": 1}, {"agent_id": "b", "capacity": 0})
    result = assign(work(*[{}] * 4), team, [WAKE_UP])
    assert loads(result) == {"a": 1}
    assert set(reasons(result).values()) == {"beyond today's quota"}


def test_a_candidate_goes_to_an_agent_with_its_region_among_their_skills() -> None:
    team = agents(
        {"agent_id": "a", "skills": ["西峰区"], "seniority": 9},
        {"agent_id": "b", "skills": ["镇原县"], "seniority": 1},
    )
    items = work({"region": "镇原县", "value": 100.0}, {"region": "西峰区"}, {"region": "环县"})
    result = assign(items, team, [WAKE_UP])
    assert placed(result)["i0"] == "b"
    assert placed(result)["i1"] == "a"
    assert bases(result) == {"i0": "skill", "i1": "skill", "i2": "quota"}


def test_an_agent_covering_two_regions_does_not_fill_the_same_place_twice() -> None:
    team = agents(
        {"agent_id": "a", "skills": ["环县", "庆城县"]},
        {"agent_id": "b", "skills": ["庆城县"]},
    )
    quota = CampaignQuota("唤醒零使用", 1, per_agent_per_day=1, teams=None, skills=None)
    result = assign(work({"region": "庆城县"}, {"region": "环县"}), team, [quota])
    assert placed(result) == {"i0": "b", "i1": "a"}
    assert set(bases(result).values()) == {"skill"}


def test_higher_value_customers_go_to_more_senior_agents() -> None:
    team = agents(
        {"agent_id": "junior", "seniority": 1},
        {"agent_id": "senior", "seniority": 7},
        {"agent_id": "middle", "seniority": 4},
    )
    quota = CampaignQuota("唤醒零使用", 1, per_agent_per_day=1, teams=None, skills=None)
    items = work({"value": 20.0}, {"value": None}, {"value": 300.0})
    result = assign(items, team, [quota])
    assert placed(result) == {"i2": "senior", "i0": "middle", "i1": "junior"}


def test_unfinished_work_stays_with_its_owner_and_does_not_count_against_the_quota() -> None:
    team = agents({"agent_id": "a"}, {"agent_id": "b", "absent": True})
    result = assign(work(*[{"new": False, "owner": "a"}] * 3, {}, {}, {}), team, [WAKE_UP])
    assert placed(result) == {f"i{n}": "a" for n in range(5)}
    assert bases(result) == {"i0": "owner", "i1": "owner", "i2": "owner", "i3": "quota"} | {
        "i4": "quota"
    }
    assert reasons(result) == {"i5": "beyond today's quota"}


def test_an_absent_agents_items_move_to_a_colleague_with_the_same_region() -> None:
    team = agents(
        {"agent_id": "away", "skills": ["环县"], "absent": True},
        {"agent_id": "a", "skills": ["西峰区"], "capacity": 50},
        {"agent_id": "b", "skills": ["环县"]},
    )
    items = work(*[{"new": False, "owner": "away", "region": "环县"}] * 3)
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i0": "b", "i1": "b", "i2": "b"}
    assert set(bases(result).values()) == {"moved"}


def test_moved_work_spreads_over_colleagues_with_the_most_room_first() -> None:
    team = agents(
        {"agent_id": "away", "absent": True},
        {"agent_id": "a", "capacity": 3},
        {"agent_id": "b", "capacity": 5},
        {"agent_id": "c", "capacity": 4},
    )
    result = assign(work(*[{"new": False, "owner": "away"}] * 6), team, [WAKE_UP])
    assert loads(result) == {"a": 1, "b": 3, "c": 2}
    assert [placed(result)[f"i{n}"] for n in range(3)] == ["b", "b", "c"]


def test_without_a_region_match_work_moves_to_whoever_shares_most_skills_with_its_owner() -> None:
    team = agents(
        {"agent_id": "away", "skills": ["西峰区", "陇东方言"], "absent": True},
        {"agent_id": "a", "skills": ["陇东方言", "西峰区"], "capacity": 3},
        {"agent_id": "b", "skills": ["陇东方言"], "capacity": 30},
        {"agent_id": "c", "capacity": 30},
    )
    items = work({"new": False, "owner": "away"}, {"new": False, "owner": "away"})
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i0": "a", "i1": "a"}


def test_a_returned_item_never_goes_back_to_the_agent_who_returned_it() -> None:
    team = agents({"agent_id": "a", "capacity": 50}, {"agent_id": "b", "capacity": 1})
    items = work(
        {"new": False, "owner": "a", "excluded": "a"},
        {"new": False, "owner": None, "excluded": "a"},
    )
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i0": "b"}
    assert bases(result) == {"i0": "moved"}
    assert reasons(result) == {"i1": "no capacity"}


def test_a_returned_item_with_only_the_returner_present_has_no_eligible_agent() -> None:
    team = agents({"agent_id": "a"}, {"agent_id": "b", "absent": True})
    result = assign(work({"new": False, "excluded": "a"}), team, [WAKE_UP])
    assert reasons(result) == {"i0": "no eligible agent"}


def test_callbacks_due_today_are_kept_before_other_existing_work() -> None:
    team = agents({"agent_id": "a", "capacity": 1}, {"agent_id": "b", "absent": True})
    items = work(
        {"new": False, "owner": "a", "rank": 1},
        {"new": False, "owner": "a", "rank": 9, "due_first": True},
    )
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i1": "a"}
    assert reasons(result) == {"i0": "no capacity"}


def test_an_owner_who_is_full_passes_the_rest_of_their_work_to_a_colleague() -> None:
    team = agents({"agent_id": "a", "capacity": 2}, {"agent_id": "b"})
    result = assign(work(*[{"new": False, "owner": "a"}] * 3), team, [WAKE_UP])
    assert placed(result) == {"i0": "a", "i1": "a", "i2": "b"}
    assert bases(result) == {"i0": "owner", "i1": "owner", "i2": "moved"}


def test_existing_work_takes_room_before_new_candidates() -> None:
    team = agents({"agent_id": "a", "capacity": 2})
    items = work({"rank": 0}, {"new": False, "owner": "a", "rank": 5}, {"rank": 1})
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i1": "a", "i0": "a"}
    assert reasons(result) == {"i2": "beyond today's quota"}


def test_higher_priority_campaigns_take_the_agents_room_first() -> None:
    urgent = CampaignQuota("投诉回访", priority=5, per_agent_per_day=2, teams=None, skills=None)
    team = agents({"agent_id": "a", "capacity": 3})
    items = work({}, {}, {"campaign": urgent.name}, {"campaign": urgent.name})
    result = assign(items, team, [WAKE_UP, urgent])
    assert set(placed(result)) == {"i2", "i3", "i0"}
    assert reasons(result) == {"i1": "beyond today's quota"}


def test_only_the_campaigns_teams_may_work_it() -> None:
    broadband = CampaignQuota(
        "宽带续约", 1, per_agent_per_day=5, teams=frozenset({"二组"}), skills=None
    )
    team = agents({"agent_id": "a", "team": "一组"}, {"agent_id": "b", "team": "二组"})
    items = work(
        {"campaign": broadband.name}, {"campaign": broadband.name, "new": False, "owner": "a"}
    )
    result = assign(items, team, [broadband])
    assert placed(result) == {"i0": "b", "i1": "b"}
    assert bases(result)["i1"] == "moved"


def test_a_campaign_that_needs_skills_goes_only_to_agents_with_one_of_them() -> None:
    tibetan = CampaignQuota("藏语服务", 1, 5, teams=None, skills=frozenset({"藏语", "维吾尔语"}))
    team = agents(
        {"agent_id": "a", "skills": ["西峰区"], "seniority": 9},
        {"agent_id": "b", "skills": ["藏语"]},
    )
    result = assign(work({"campaign": tibetan.name}, {"campaign": tibetan.name}), team, [tibetan])
    assert placed(result) == {"i0": "b", "i1": "b"}


def test_absent_agents_get_nothing() -> None:
    team = agents({"agent_id": "a", "absent": True, "skills": ["环县"]}, {"agent_id": "b"})
    items = work({"region": "环县"}, {"new": False, "owner": "a", "region": "环县"})
    result = assign(items, team, [WAKE_UP])
    assert placed(result) == {"i0": "b", "i1": "b"}


def test_new_candidates_nobody_present_may_work_have_no_eligible_agent() -> None:
    night = CampaignQuota("夜间外呼", 1, 5, teams=frozenset({"夜班"}), skills=None)
    team = agents({"agent_id": "a"}, {"agent_id": "n", "team": "夜班", "absent": True})
    items = work({"campaign": night.name}, {"campaign": night.name, "new": False, "owner": "n"})
    result = assign(items, team, [night])
    assert reasons(result) == {"i0": "no eligible agent", "i1": "no eligible agent"}


def test_with_no_agents_at_all_every_item_has_no_eligible_agent() -> None:
    result = assign(
        work({}, {"new": False}), agents().reindex(columns=["agent_id", *AGENT]), [WAKE_UP]
    )
    assert reasons(result) == {"i0": "no eligible agent", "i1": "no eligible agent"}


def test_each_agents_list_comes_in_planning_order() -> None:
    urgent = CampaignQuota("投诉回访", priority=5, per_agent_per_day=2, teams=None, skills=None)
    team = agents({"agent_id": "b"}, {"agent_id": "a", "capacity": 1})
    items = work(
        {"rank": 3},
        {"campaign": urgent.name, "rank": 4},
        {"new": False, "owner": "b", "rank": 8},
        {"new": False, "owner": "b", "rank": 9, "due_first": True},
        {"new": False, "owner": "a", "rank": 1},
    )
    result = assign(items, team, [WAKE_UP, urgent])
    assert result.assigned.to_dict("list") == {
        "item": ["i4", "i3", "i2", "i1", "i0"],
        "agent_id": ["a", "b", "b", "b", "b"],
        "basis": ["owner", "owner", "owner", "quota", "quota"],
    }


def call_center() -> tuple[pd.DataFrame, pd.DataFrame, list[CampaignQuota]]:
    regions = ["西峰区", "镇原县", "环县", "庆城县", None]
    team = agents(
        *[
            {
                "agent_id": f"a{n:02d}",
                "skills": [regions[n % 4], regions[(n * 3) % 4]][: 1 + n % 2],
                "seniority": n % 5,
                "capacity": 3 + n % 4,
                "absent": n % 7 == 3,
                "team": "一组" if n % 3 else "二组",
            }
            for n in range(12)
        ]
    )
    campaigns = [
        WAKE_UP,
        CampaignQuota("宽带续约", 3, 2, teams=frozenset({"二组"}), skills=None),
        CampaignQuota("投诉回访", 3, 1, teams=None, skills=frozenset({"环县"})),
    ]
    items = work(
        *[
            {
                "campaign": campaigns[n % 3].name,
                "new": n % 4 != 0,
                "owner": f"a{n % 13:02d}" if n % 4 == 0 else None,
                "excluded": f"a{n % 5:02d}" if n % 8 == 0 else None,
                "due_first": n % 12 == 0,
                "rank": n % 9,
                "value": float(n * 37 % 101) if n % 6 else None,
                "region": regions[n % 5],
            }
            for n in range(90)
        ]
    )
    return items, team, campaigns


def test_the_same_input_in_any_row_order_gives_the_same_assignment() -> None:
    items, team, campaigns = call_center()
    first = assign(items, team, campaigns)
    assert len(first.assigned) > 20 and len(first.unassigned) > 20
    for seed in range(3):
        again = assign(
            items.sample(frac=1, random_state=seed),
            team.sample(frac=1, random_state=seed),
            campaigns[::-1],
        )
        pd.testing.assert_frame_equal(again.assigned, first.assigned)
        pd.testing.assert_frame_equal(again.unassigned, first.unassigned)


def test_pyarrow_backed_frames_give_the_same_assignment_as_numpy_ones() -> None:
    items, team, campaigns = call_center()
    arrow_items = pa.Table.from_pandas(items).to_pandas(types_mapper=pd.ArrowDtype)
    arrow_team = pa.Table.from_pandas(team.assign(skills=team["skills"].map(list))).to_pandas(
        types_mapper=pd.ArrowDtype
    )
    assert isinstance(arrow_team["skills"].dtype, pd.ArrowDtype)
    expected = assign(items, team, campaigns)
    result = assign(arrow_items, arrow_team, campaigns)
    pd.testing.assert_frame_equal(result.assigned, expected.assigned)
    pd.testing.assert_frame_equal(result.unassigned, expected.unassigned)


def test_the_result_has_string_columns_and_a_fresh_index() -> None:
    result = assign(*call_center())
    assert list(result.assigned.columns) == ["item", "agent_id", "basis"]
    assert list(result.unassigned.columns) == ["item", "reason"]
    assert all(dtype == "str" for dtype in [*result.assigned.dtypes, *result.unassigned.dtypes])
    assert list(result.assigned.index) == list(range(len(result.assigned)))


def test_work_of_a_campaign_that_is_not_given_is_refused() -> None:
    with pytest.raises(ValueError, match="夜间外呼"):
        assign(work({"campaign": "夜间外呼"}), agents({"agent_id": "a"}), [WAKE_UP])
