"""The day's agents as arrays, an agent's index being its place in agent_id order: what they
can take, how senior they are, their skills and the campaigns they may work today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from outbound.plan.assignment.campaign import CampaignQuota


@dataclass(frozen=True)
class Roster:
    ids: pd.Index  # agent_id, sorted
    capacity: np.ndarray  # items the agent can take today in total
    seniority: np.ndarray
    skills: pd.Index  # every skill some agent has, sorted
    has_skill: np.ndarray  # bool [skill, agent]
    eligible: np.ndarray  # bool [campaign, agent]: present, and allowed by team and skills

    def may_work(self, campaign: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """Whether each AGENT (-1: nobody) may work the item's CAMPAIGN today."""
        if not self.eligible.shape[1]:
            return np.zeros(len(agent), dtype=bool)
        return (agent >= 0) & self.eligible[campaign, np.maximum(agent, 0)]


def roster(agents: pd.DataFrame, campaigns: Sequence[CampaignQuota]) -> Roster:
    """The AGENTS frame as a Roster, eligibility by CAMPAIGNS in the order given."""
    order = np.argsort(agents["agent_id"].astype("str").to_numpy(), kind="stable")
    agents = agents.iloc[order].reset_index(drop=True)
    ids = pd.Index(agents["agent_id"].astype("str"))
    if ids.has_duplicates:
        raise ValueError(f"agent_id repeats: {', '.join(ids[ids.duplicated()].unique())}")
    listed = agents["skills"].explode().dropna().astype("str")
    codes, skills = pd.factorize(listed, sort=True)
    has_skill = np.zeros((len(skills), len(ids)), dtype=bool)
    has_skill[codes, listed.index.to_numpy()] = True
    skills = pd.Index(skills)
    present = ~agents["absent"].to_numpy(dtype=bool, na_value=False)
    team = agents["team"].astype("str").to_numpy(dtype=object)
    eligible = np.empty((len(campaigns), len(ids)), dtype=bool)
    for row, campaign in enumerate(campaigns):
        eligible[row] = present
        if campaign.teams is not None:
            eligible[row] &= np.isin(team, sorted(campaign.teams))
        if campaign.skills is not None:
            needed = skills.get_indexer(sorted(campaign.skills))
            eligible[row] &= has_skill[needed[needed >= 0]].any(axis=0)
    return Roster(
        ids=ids,
        capacity=agents["capacity"].to_numpy(dtype=np.int64, na_value=0).clip(min=0),
        seniority=agents["seniority"].to_numpy(dtype=np.int64, na_value=0),
        skills=skills,
        has_skill=has_skill,
        eligible=eligible,
    )
