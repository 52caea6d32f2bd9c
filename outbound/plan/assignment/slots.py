"""An agent's room as numbered places, and items taken in order within that room."""

from __future__ import annotations

import numpy as np


def positions_within(groups: np.ndarray) -> np.ndarray:
    """For each element, how many elements of the same group come before it."""
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    run = np.diff(np.r_[starts, len(groups)])
    positions = np.empty(len(groups), dtype=np.int64)
    positions[order] = np.arange(len(groups)) - np.repeat(starts, run)
    return positions


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COUNTS[i] places for each i: the owner of each place and its number from 0."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def within_room(agent: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Which items an AGENT takes when each agent takes the first ROOM[agent] of theirs."""
    return positions_within(agent) < room[agent]
