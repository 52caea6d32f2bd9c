"""Work from earlier days: it stays with the agent who first took it, or moves to the present
colleague best placed to continue it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from outbound.plan.assignment.outcome import MOVED, NO_CAPACITY, NO_ELIGIBLE_AGENT, OWNER, Decisions
from outbound.plan.assignment.roster import Roster
from outbound.plan.assignment.slots import expand, positions_within, within_room
from outbound.plan.assignment.worklist import Worklist


@dataclass(frozen=True)
class _Moving:
    campaign: np.ndarray
    region: np.ndarray
    owner: np.ndarray
    excluded: np.ndarray

    def take(self, rows: np.ndarray) -> _Moving:
        return _Moving(
            self.campaign[rows], self.region[rows], self.owner[rows], self.excluded[rows]
        )


# Groups of items (-1: the preference does not apply) and, per group, the colleagues it offers.
_Preference = Callable[[_Moving, Roster, np.ndarray], tuple[np.ndarray, np.ndarray]]


def carry_over(work: Worklist, roster: Roster, remaining: np.ndarray) -> Decisions:
    """Decide the existing items, taking the places they use out of REMAINING."""
    items = _Moving(
        work.campaign[: work.existing],
        work.region[: work.existing],
        work.owner[: work.existing],
        work.excluded[: work.existing],
    )
    stays = roster.may_work(items.campaign, items.owner) & (items.owner != items.excluded)
    stays[stays] = within_room(items.owner[stays], remaining)
    remaining -= np.bincount(items.owner[stays], minlength=len(remaining))
    agent = np.where(stays, items.owner, -1)
    moving = np.flatnonzero(~stays)
    agent[moving] = _move(items.take(moving), roster, remaining)
    colleagues = roster.eligible.sum(axis=1)[items.campaign] - roster.may_work(
        items.campaign, items.excluded
    )
    return Decisions(
        agent=agent,
        basis=np.where(stays, OWNER, MOVED),
        reason=np.where(colleagues > 0, NO_CAPACITY, NO_ELIGIBLE_AGENT),
    )


def _move(items: _Moving, roster: Roster, remaining: np.ndarray) -> np.ndarray:
    """The colleague each item moves to, -1 for none."""
    agent = np.full(len(items.campaign), -1)
    # A campaign at a time in planning order (callbacks before the rest): colleagues whom
    # several campaigns share would otherwise be filled by all of them in one round.
    starts = np.flatnonzero(np.diff(items.campaign, prepend=-1))
    for block in np.split(np.arange(len(items.campaign)), starts[1:]):
        agent[block] = _move_in_rounds(items.take(block), roster, remaining)
    return agent


def _move_in_rounds(items: _Moving, roster: Roster, remaining: np.ndarray) -> np.ndarray:
    """Every waiting item asks its preferred colleague with room, each colleague takes askers
    in planning order up to their room, and the rest ask again with the room that is left."""
    agent = np.full(len(items.campaign), -1)
    while True:
        waiting = np.flatnonzero(agent < 0)
        asked = _asked(items.take(waiting), roster, remaining)
        asking = asked >= 0
        if not asking.any():
            return agent
        who, to = waiting[asking], asked[asking]
        taken = within_room(to, remaining)
        agent[who[taken]] = to[taken]
        remaining -= np.bincount(to[taken], minlength=len(remaining))


def _asked(items: _Moving, roster: Roster, remaining: np.ndarray) -> np.ndarray:
    """The colleague each item asks this round (-1: none), from its first preference that
    offers one other than the agent who returned it."""
    open_ = roster.eligible & (remaining > 0)
    asked = np.full(len(items.campaign), -1)
    undecided = np.arange(len(items.campaign))
    preferences: tuple[_Preference, ...] = (_same_region, _like_the_owner, _anyone)
    for preference in preferences:
        groups, pools = preference(items.take(undecided), roster, open_)
        offered = _offers_someone(groups, items.excluded[undecided], pools)
        now = undecided[offered]
        if len(now):
            asked[now] = _spread(groups[offered], items.excluded[now], pools, remaining)
        undecided = undecided[~offered]
    return asked


def _same_region(
    items: _Moving, roster: Roster, open_: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    groups, (campaign, region) = _groups(items.region >= 0, items.campaign, items.region)
    return groups, open_[campaign] & roster.has_skill[region]


def _like_the_owner(
    items: _Moving, roster: Roster, open_: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    groups, (campaign, owner) = _groups(items.owner >= 0, items.campaign, items.owner)
    skills = roster.has_skill.astype(np.float32)
    shared = np.where(open_[campaign], skills[:, owner].T @ skills, 0)
    most = shared.max(axis=1, keepdims=True, initial=0)
    return groups, (shared == most) & (most > 0)


def _anyone(items: _Moving, roster: Roster, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return items.campaign, open_


def _groups(applies: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each item's group by KEYS where the preference APPLIES (-1 elsewhere), and the keys of
    each group."""
    distinct, inverse = np.unique(
        np.stack([key[applies] for key in keys], axis=1).reshape(-1, len(keys)),
        axis=0,
        return_inverse=True,
    )
    groups = np.full(len(applies), -1)
    groups[applies] = inverse.reshape(-1)
    return groups, list(distinct.T)


def _offers_someone(groups: np.ndarray, excluded: np.ndarray, pools: np.ndarray) -> np.ndarray:
    if not pools.size:
        return np.zeros(len(groups), dtype=bool)
    group = np.maximum(groups, 0)
    returned_by_member = (excluded >= 0) & pools[group, np.maximum(excluded, 0)]
    return (groups >= 0) & (pools.sum(axis=1)[group] - returned_by_member > 0)


def _spread(
    groups: np.ndarray, excluded: np.ndarray, pools: np.ndarray, remaining: np.ndarray
) -> np.ndarray:
    """Item k of a group asks the colleague that the k-th of its group would get if each in
    turn took the member of the pool with the most room left, ties by agent_id; items beyond
    the pool's size or room ask nobody this round. An item that would go back to the agent
    who returned it asks the member with the most room instead."""
    room = np.where(pools, remaining, 0)
    # One item per member a round: groups that share a colleague would otherwise all pile
    # onto the one with the most room before anyone sees how much room is left.
    demand = np.minimum(np.bincount(groups, minlength=len(pools)), pools.sum(axis=1))
    level = _water_level(room, demand)
    places = np.where(demand[:, None] > 0, np.maximum(room - level[:, None] + 1, 0), 0)
    group, agent = np.nonzero(places)
    owner, number = expand(places[group, agent])
    place_group, place_agent = group[owner], agent[owner]
    order = np.lexsort((place_agent, number - room[group, agent][owner], place_group))
    place_group, place_agent = place_group[order], place_agent[order]
    first = np.searchsorted(place_group, groups)
    end = np.searchsorted(place_group, groups, side="right")
    turn = positions_within(groups)
    at = first + turn
    now = (turn < demand[groups]) & (at < end)
    asked = np.where(now, place_agent[np.minimum(at, len(place_agent) - 1)], -1)

    ranked = np.where(pools, remaining, -1)
    best = ranked.argmax(axis=1)
    ranked[np.arange(len(pools)), best] = -1
    runner_up = ranked.argmax(axis=1)
    back = (asked >= 0) & (asked == excluded)
    group = groups[back]
    asked[back] = np.where(best[group] == excluded[back], runner_up[group], best[group])
    return asked


def _water_level(room: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Per group, the lowest room left (at least 1) at which a member still takes an item when
    the group's demand is served most-room-first."""
    low = np.ones(len(room), dtype=np.int64)
    high = np.maximum(room.max(axis=1, initial=0), 1)
    while (low < high).any():
        middle = (low + high + 1) // 2
        places = np.maximum(room - middle[:, None] + 1, 0).sum(axis=1)
        enough = places >= demand
        low = np.where(enough, middle, low)
        high = np.where(enough, high, middle - 1)
    return low
