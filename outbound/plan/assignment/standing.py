"""Who takes the most valuable customers first. The assignment reads an agent's `seniority`
(the roster's 级别) as that order; with best_agents = "results" it becomes their standing on
measured results instead. Pure: frames in, frames out."""

from __future__ import annotations

import numpy as np
import pandas as pd


def by_results(agents: pd.DataFrame, measured: pd.DataFrame, min_reached: int) -> pd.DataFrame:
    """AGENTS with `seniority` replaced by their standing (higher goes first) on MEASURED
    (agent_id, reached, satisfaction_rate, conversion_rate): agents who reached at least
    MIN_REACHED customers first, by satisfaction, then conversion, then roster level; then
    everyone else in roster order. A few calls say too little to put a new agent ahead of
    proven ones, or behind them on results no one has seen."""
    found = measured.set_index("agent_id").reindex(agents["agent_id"])
    reached = found["reached"].fillna(0).to_numpy(dtype=float)
    proven = reached >= min_reached
    satisfaction = found["satisfaction_rate"].to_numpy(dtype=float, na_value=np.nan)
    conversion = found["conversion_rate"].to_numpy(dtype=float, na_value=np.nan)
    seniority = agents["seniority"].to_numpy(dtype=np.int64)
    # np.lexsort sorts by its last key first; a missing figure sorts after every measured one.
    order = np.lexsort(
        (
            agents["agent_id"].astype(str).to_numpy(),
            -seniority,
            np.where(proven, -np.nan_to_num(conversion, nan=-1.0), 0),
            np.where(proven, -np.nan_to_num(satisfaction, nan=-1.0), 0),
            ~proven,
        )
    )
    standing = np.empty(len(agents), dtype=np.int64)
    standing[order] = np.arange(len(agents), 0, -1)
    return agents.assign(seniority=standing)
