"""The day's assignment of call work to agents: work carried over from earlier days first, then
each campaign's new candidates up to its daily quota per agent. Pure: frames in, frames out;
it imports nothing of the engine but its own modules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from outbound.plan.assignment.campaign import CampaignQuota, planning_order
from outbound.plan.assignment.carryover import carry_over
from outbound.plan.assignment.outcome import BASES, REASONS
from outbound.plan.assignment.quota import fill_quotas
from outbound.plan.assignment.roster import roster
from outbound.plan.assignment.worklist import worklist

__all__ = ["Assignment", "CampaignQuota", "assign"]


@dataclass(frozen=True)
class Assignment:
    assigned: pd.DataFrame  # item, agent_id, basis: each agent's list in order, by agent_id
    unassigned: pd.DataFrame  # item, reason: in planning order


def assign(
    work: pd.DataFrame, agents: pd.DataFrame, campaigns: Sequence[CampaignQuota]
) -> Assignment:
    """Every item of WORK either assigned to one of AGENTS or left unassigned with a reason,
    the same whatever the order of the rows."""
    ordered = planning_order(campaigns)
    team = roster(agents, ordered)
    items = worklist(work, team, ordered)
    remaining = team.capacity.copy()
    carried = carry_over(items, team, remaining)
    fresh = fill_quotas(items, team, ordered, remaining)
    agent = np.concatenate([carried.agent, fresh.agent])
    basis = np.concatenate([carried.basis, fresh.basis])
    reason = np.concatenate([carried.reason, fresh.reason])
    done = np.flatnonzero(agent >= 0)
    done = done[np.argsort(agent[done], kind="stable")]
    left = np.flatnonzero(agent < 0)
    return Assignment(
        assigned=pd.DataFrame(
            {
                "item": _text(items.keys.take(items.rows[done])),
                "agent_id": _text(team.ids.to_numpy()[agent[done]]),
                "basis": _labels(BASES, basis[done]),
            }
        ),
        unassigned=pd.DataFrame(
            {
                "item": _text(items.keys.take(items.rows[left])),
                "reason": _labels(REASONS, reason[left]),
            }
        ),
    )


def _text(values: pa.Array | np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str")


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    return _text(pa.array(names, type=pa.large_string()).take(codes))
