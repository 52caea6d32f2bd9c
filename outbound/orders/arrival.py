"""Who takes a ticket as it arrives: the agent who first took the customer (首问负责) when
present and able, else the present agent with the skills (and the level, for care) and the most
room left today. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Arrival:
    """An order waiting for an agent: the skills its type asks (one of them; none: anyone),
    the agent who owns the customer, if any, and the one who gave it back, who is passed
    over."""

    order_id: int
    skills: tuple[str, ...]
    owner: str | None = None
    excluded: str | None = None
    seniority_at_least: int = 0


def choose_agents(
    arrivals: Sequence[Arrival], roster: pd.DataFrame, load: Mapping[str, int]
) -> dict[int, str]:
    """An agent of ROSTER (agent_id, skills, seniority, capacity, absent) for each arrival that
    has one, in the order given, each choice adding to LOAD (the items on each agent's list
    today). Tickets do not wait for room: past their capacity, agents still take them."""
    present = roster[~roster["absent"]]
    skills = {a: set(s or ()) for a, s in zip(present["agent_id"], present["skills"], strict=True)}
    capacity = dict(zip(present["agent_id"], present["capacity"], strict=True))
    level = dict(zip(present["agent_id"], present["seniority"], strict=True))
    lists = {agent: load.get(agent, 0) for agent in skills}
    chosen: dict[int, str] = {}
    for arrival in arrivals:
        able = [
            agent
            for agent, has in skills.items()
            if agent != arrival.excluded
            and level[agent] >= arrival.seniority_at_least
            and (not arrival.skills or has & set(arrival.skills))
        ]
        if not able:
            continue
        if arrival.owner is not None and arrival.owner in able:
            agent = arrival.owner
        else:
            # The most room left, then the shortest list, then the lowest id: the same answer
            # however the roster is ordered.
            agent = min(able, key=lambda a: (lists[a] - capacity[a], lists[a], a))
        chosen[arrival.order_id] = agent
        lists[agent] += 1
    return chosen
