"""A campaign as assignment sees it: how urgent it is, how many new items each agent takes a
day, and who may work it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CampaignQuota:
    name: str
    priority: int  # higher is planned first
    per_agent_per_day: int  # new items per eligible agent per day
    teams: frozenset[str] | None  # None: any team may work it
    skills: frozenset[str] | None  # None: no skill needed; else an agent needs one of them


def planning_order(campaigns: Sequence[CampaignQuota]) -> list[CampaignQuota]:
    """CAMPAIGNS highest priority first, ties by name."""
    twice = sorted(name for name, count in Counter(c.name for c in campaigns).items() if count > 1)
    if twice:
        raise ValueError(f"campaigns are named twice: {', '.join(twice)}")
    return sorted(campaigns, key=lambda c: (-c.priority, c.name))
