"""New candidates: campaign by campaign in planning order, every present eligible agent gets up
to the campaign's daily quota of its best-ranked candidates; region skills are matched first,
and higher-value customers go to more senior agents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from outbound.plan.assignment.campaign import CampaignQuota
from outbound.plan.assignment.outcome import (
    BEYOND_QUOTA,
    NO_ELIGIBLE_AGENT,
    QUOTA,
    SKILL,
    Decisions,
)
from outbound.plan.assignment.roster import Roster
from outbound.plan.assignment.slots import expand
from outbound.plan.assignment.worklist import Worklist


def fill_quotas(
    work: Worklist, roster: Roster, campaigns: Sequence[CampaignQuota], remaining: np.ndarray
) -> Decisions:
    """Decide the new candidates, CAMPAIGNS being in planning order, taking the places they
    use out of REMAINING."""
    campaign = work.campaign[work.existing :]
    agent = np.full(len(campaign), -1)
    skilled = np.zeros(len(campaign), dtype=bool)
    bounds = np.searchsorted(campaign, np.arange(len(campaigns) + 1))
    for row, quota in enumerate(campaigns):
        places = remaining.clip(max=max(quota.per_agent_per_day, 0))
        places[~roster.eligible[row]] = 0
        place_agent = _places(places, roster.seniority)
        chosen = np.arange(bounds[row], min(bounds[row + 1], bounds[row] + len(place_agent)))
        agent[chosen], skilled[chosen] = _match(chosen + work.existing, place_agent, work, roster)
        remaining -= np.bincount(agent[chosen][agent[chosen] >= 0], minlength=len(remaining))
    staffed = roster.eligible.sum(axis=1) > 0
    return Decisions(
        agent=agent,
        basis=np.where(skilled, SKILL, QUOTA),
        reason=np.where(staffed[campaign], BEYOND_QUOTA, NO_ELIGIBLE_AGENT),
    )


def _places(places: np.ndarray, seniority: np.ndarray) -> np.ndarray:
    """The agent of each place, in filling order: everyone's first place, then everyone's
    second and so on, most senior first within each, so that scarce candidates spread over
    all agents and the highest values still go to the most senior."""
    agent, number = expand(places)
    return agent[np.lexsort((agent, -seniority[agent], number))]


def _match(
    items: np.ndarray, place_agent: np.ndarray, work: Worklist, roster: Roster
) -> tuple[np.ndarray, np.ndarray]:
    """The agent of each of ITEMS, one to a place, and whether it was matched by region."""
    region, excluded, value = work.region[items], work.excluded[items], work.value[items]
    by_value = np.argsort(np.where(np.isnan(value), np.inf, -value), kind="stable")
    agent = np.full(len(items), -1)
    free = np.ones(len(place_agent), dtype=bool)
    for skill in _scarcest_first(region, place_agent, roster.has_skill):
        wanting = by_value[region[by_value] == skill]
        offered = np.flatnonzero(free & roster.has_skill[skill, place_agent])
        placed, places = _pair(wanting, offered, excluded, place_agent)
        agent[placed], free[places] = place_agent[places], False
    skilled = agent >= 0
    rest = by_value[~skilled[by_value]]
    placed, places = _pair(rest, np.flatnonzero(free), excluded, place_agent)
    agent[placed] = place_agent[places]
    return agent, skilled


def _scarcest_first(
    region: np.ndarray, place_agent: np.ndarray, has_skill: np.ndarray
) -> list[int]:
    """The regions of the candidates, fewest skilled places per candidate first, so that an
    agent who covers several regions is spent where they are scarcest."""
    known = region[region >= 0]
    wanted = np.unique(known)
    supply = has_skill[wanted][:, place_agent].sum(axis=1)
    demand = np.bincount(known)[wanted]
    return wanted[np.lexsort((wanted, supply / demand))].tolist()


def _pair(
    wanting: np.ndarray, offered: np.ndarray, excluded: np.ndarray, place_agent: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The first of WANTING paired in order with the first of OFFERED places, never with a
    place of the agent who returned the item: such a pair swaps places with a neighbouring
    pair, or is left out when no neighbour can."""
    count = min(len(wanting), len(offered))
    wanting, places = wanting[:count], offered[:count].copy()
    returned_by = excluded[wanting]
    for shift in (1, -1, 2, -2):
        agent = place_agent[places]
        back = np.flatnonzero(agent == returned_by)
        other = back + shift
        inside = (other >= 0) & (other < count)
        back, other = back[inside], other[inside]
        fits = (
            (agent[other] != returned_by[other])
            & (agent[other] != returned_by[back])
            & (agent[back] != returned_by[other])
        )
        back, other = back[fits], other[fits]
        places[back], places[other] = places[other], places[back]
    kept = place_agent[places] != returned_by
    return wanting[kept], places[kept]
