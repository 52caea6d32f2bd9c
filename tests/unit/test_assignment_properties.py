"""Property tests: whatever the call center, the assignment keeps its promises."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.plan.assignment import Assignment, CampaignQuota, assign

REGIONS = ["西峰区", "镇原县", "环县", "庆城县"]
SKILLS = [*REGIONS, "陇东方言", "藏语"]
TEAMS = ["一组", "二组"]
CAMPAIGNS = ["唤醒零使用", "宽带续约", "投诉回访"]
AGENT_IDS = [f"a{n}" for n in range(6)]

CallCenter = tuple[pd.DataFrame, pd.DataFrame, list[CampaignQuota]]


def some(values: list[str]) -> st.SearchStrategy[frozenset[str] | None]:
    return st.none() | st.frozensets(st.sampled_from(values), min_size=1, max_size=2)


@st.composite
def call_centers(draw: st.DrawFn) -> CallCenter:
    campaigns = [
        CampaignQuota(
            name,
            priority=draw(st.integers(0, 2)),
            per_agent_per_day=draw(st.integers(0, 3)),
            teams=draw(some(TEAMS)),
            skills=draw(some(SKILLS)),
        )
        for name in draw(st.lists(st.sampled_from(CAMPAIGNS), min_size=1, max_size=3, unique=True))
    ]
    agents = pd.DataFrame(
        draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "agent_id": st.sampled_from(AGENT_IDS),
                        "team": st.sampled_from(TEAMS),
                        "skills": st.lists(st.sampled_from(SKILLS), max_size=3, unique=True),
                        "seniority": st.integers(0, 3),
                        "capacity": st.integers(0, 6),
                        "absent": st.booleans(),
                    }
                ),
                max_size=5,
                unique_by=lambda agent: agent["agent_id"],
            )
        ),
        columns=["agent_id", "team", "skills", "seniority", "capacity", "absent"],
    )
    someone = st.none() | st.sampled_from(AGENT_IDS)
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "campaign": st.sampled_from([c.name for c in campaigns]),
                    "new": st.booleans(),
                    "owner": someone,
                    "excluded": someone,
                    "due_first": st.booleans(),
                    "rank": st.none() | st.integers(-3, 5),
                    "value": st.none() | st.floats(0, 500),
                    "region": st.none() | st.sampled_from(REGIONS),
                }
            ),
            max_size=30,
        )
    )
    work = pd.DataFrame(
        [{"item": f"i{n}", **item} for n, item in enumerate(items)],
        columns=[
            "item",
            *["campaign", "new", "owner", "excluded", "due_first", "rank", "value", "region"],
        ],
    )
    return work, agents, campaigns


def eligible(agent: dict[str, Any], campaign: CampaignQuota) -> bool:
    return (
        not agent["absent"]
        and (campaign.teams is None or agent["team"] in campaign.teams)
        and (campaign.skills is None or bool(campaign.skills & set(agent["skills"])))
    )


class Outcome:
    """The assignment seen item by item and agent by agent."""

    def __init__(self, center: CallCenter, result: Assignment) -> None:
        work, agents, campaigns = center
        self.items = work.set_index("item").to_dict("index")
        self.agents = agents.set_index("agent_id").to_dict("index")
        self.campaigns = {c.name: c for c in campaigns}
        self.agent_of = dict(zip(result.assigned["item"], result.assigned["agent_id"], strict=True))
        self.basis = dict(zip(result.assigned["item"], result.assigned["basis"], strict=True))
        self.reason = dict(zip(result.unassigned["item"], result.unassigned["reason"], strict=True))
        self.load = Counter(self.agent_of.values())
        self.new_load = Counter(
            (agent_id, self.items[item]["campaign"])
            for item, agent_id in self.agent_of.items()
            if self.items[item]["new"]
        )

    def full(self, agent_id: str) -> bool:
        return self.load[agent_id] == self.agents[agent_id]["capacity"]

    def colleagues(self, item: dict[str, Any]) -> list[str]:
        """The present agents who may work ITEM, other than the one who returned it."""
        campaign = self.campaigns[item["campaign"]]
        return [
            agent_id
            for agent_id, agent in self.agents.items()
            if eligible(agent, campaign) and agent_id != item["excluded"]
        ]


@settings(max_examples=200, deadline=None)
@given(call_centers())
def test_every_item_is_decided_once_and_no_agent_takes_more_than_allowed(
    center: CallCenter,
) -> None:
    result = assign(*center)
    outcome = Outcome(center, result)
    decided = [*result.assigned["item"], *result.unassigned["item"]]
    assert sorted(decided) == sorted(outcome.items)
    for agent_id, agent in outcome.agents.items():
        assert outcome.load[agent_id] <= agent["capacity"]
        if agent["absent"]:
            assert outcome.load[agent_id] == 0
        for name, campaign in outcome.campaigns.items():
            assert outcome.new_load[agent_id, name] <= campaign.per_agent_per_day
    for item_id, agent_id in outcome.agent_of.items():
        item = outcome.items[item_id]
        assert agent_id != item["excluded"]
        assert eligible(outcome.agents[agent_id], outcome.campaigns[item["campaign"]])
        basis = outcome.basis[item_id]
        assert basis in (("skill", "quota") if item["new"] else ("owner", "moved"))
        if basis == "owner":
            assert agent_id == item["owner"]
        if basis == "skill":
            assert item["region"] in outcome.agents[agent_id]["skills"]


@settings(max_examples=200, deadline=None)
@given(call_centers())
def test_every_reason_for_leaving_an_item_unassigned_is_true(center: CallCenter) -> None:
    outcome = Outcome(center, assign(*center))
    untouched = {
        item["campaign"] for item in outcome.items.values() if item["new"] and item["excluded"]
    }
    for item_id, reason in outcome.reason.items():
        item = outcome.items[item_id]
        colleagues = outcome.colleagues(item if not item["new"] else {**item, "excluded": None})
        if reason == "no eligible agent":
            assert not colleagues
        elif reason == "no capacity":
            assert not item["new"]
            assert colleagues and all(outcome.full(a) for a in colleagues)
        else:
            assert reason == "beyond today's quota" and item["new"] and colleagues
            quota = outcome.campaigns[item["campaign"]].per_agent_per_day
            if item["campaign"] not in untouched:
                assert all(
                    outcome.full(a) or outcome.new_load[a, item["campaign"]] == quota
                    for a in colleagues
                )


@settings(max_examples=200, deadline=None)
@given(call_centers())
def test_existing_work_stays_with_an_owner_who_still_has_room(center: CallCenter) -> None:
    outcome = Outcome(center, assign(*center))
    for item_id, item in outcome.items.items():
        owner = item["owner"]
        if item["new"] or owner is None or owner == item["excluded"]:
            continue
        if owner in outcome.colleagues(item) and not outcome.full(owner):
            assert outcome.agent_of.get(item_id) == owner
            assert outcome.basis[item_id] == "owner"


@settings(max_examples=100, deadline=None)
@given(call_centers(), st.randoms(use_true_random=False))
def test_the_order_of_the_rows_never_changes_the_assignment(
    center: CallCenter, random: Any
) -> None:
    work, agents, campaigns = center
    first = assign(work, agents, campaigns)
    shuffled = assign(
        work.sample(frac=1, random_state=random.randrange(1000)),
        agents.sample(frac=1, random_state=random.randrange(1000)),
        random.sample(campaigns, len(campaigns)),
    )
    pd.testing.assert_frame_equal(shuffled.assigned, first.assigned)
    pd.testing.assert_frame_equal(shuffled.unassigned, first.unassigned)
