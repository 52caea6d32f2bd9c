"""What assignment decides for each item: the agent and on what basis, or why nobody."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OWNER, MOVED, SKILL, QUOTA = range(4)
BASES = ("owner", "moved", "skill", "quota")

NO_CAPACITY, NO_ELIGIBLE_AGENT, BEYOND_QUOTA = range(3)
REASONS = ("no capacity", "no eligible agent", "beyond today's quota")


@dataclass(frozen=True)
class Decisions:
    agent: np.ndarray  # agent index, -1 when unassigned
    basis: np.ndarray  # index into BASES where assigned
    reason: np.ndarray  # index into REASONS where unassigned
