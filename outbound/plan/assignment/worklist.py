"""The day's work items as arrays in planning order: existing work first (callbacks due today,
then by campaign priority and rank), then new candidates by campaign priority and rank; the
item key breaks ties, so the order never depends on the order of the rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outbound.plan.assignment.campaign import CampaignQuota
from outbound.plan.assignment.roster import Roster


@dataclass(frozen=True)
class Worklist:
    keys: pa.Array  # the item keys, in the order of the rows of the work frame
    rows: np.ndarray  # the row of each item in the work frame
    existing: int  # items [0, existing) are carried over, the rest are new candidates
    campaign: np.ndarray  # index into the campaigns in planning order
    owner: np.ndarray  # agent index, -1 when unknown
    excluded: np.ndarray  # agent index of the agent who returned it, -1 when none
    region: np.ndarray  # skill index, -1 when unknown or no agent has it
    value: np.ndarray  # float, nan when unknown


def worklist(work: pd.DataFrame, roster: Roster, campaigns: Sequence[CampaignQuota]) -> Worklist:
    """The WORK frame in planning order, CAMPAIGNS being in planning order."""
    campaign = _codes(work["campaign"], [c.name for c in campaigns])
    if (campaign < 0).any():
        unknown = sorted(work["campaign"][campaign < 0].astype("str").unique())
        raise ValueError(f"work names campaigns that are not given: {', '.join(unknown)}")
    new = work["new"].to_numpy(dtype=bool, na_value=False)
    due_first = work["due_first"].to_numpy(dtype=bool, na_value=False) & ~new
    items = _strings(work["item"])
    first = (new * 2 + ~due_first) * len(campaigns) + campaign
    rank = np.where(
        work["rank"].isna().to_numpy(),
        np.iinfo(np.int64).max,
        work["rank"].to_numpy(dtype=np.int64, na_value=0),
    )
    at = _planning_order(first, rank, items)
    return Worklist(
        keys=items,
        rows=at,
        existing=int(len(new) - new.sum()),
        campaign=campaign[at],
        owner=_codes(work["owner"], roster.ids)[at],
        excluded=_codes(work["excluded"], roster.ids)[at],
        region=_codes(work["region"], roster.skills)[at],
        value=work["value"].to_numpy(dtype=np.float64, na_value=np.nan)[at],
    )


def _planning_order(first: np.ndarray, rank: np.ndarray, items: pa.Array) -> np.ndarray:
    """The rows by FIRST, then RANK, then item key."""
    if (
        len(rank)
        and (span := int(rank.max()) - int(rank.min()) + 1) * (int(first.max()) + 1) < 2**62
    ):
        # One integer key sorts twice as fast as pyarrow's sort on three columns; the item
        # keys are only needed when ranks tie.
        key = first * span + (rank - rank.min())
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        if not (ordered[1:] == ordered[:-1]).any():
            return order
    keys = pa.table({"first": first, "rank": rank, "item": items})
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    return order.to_numpy()


def _strings(column: pd.Series) -> pa.Array:
    values = pa.array(column)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.large_string())


def _codes(column: pd.Series, names: Iterable[str]) -> np.ndarray:
    """Each value's position among NAMES, -1 for nulls and values not among them."""
    known = pa.array(list(names), type=pa.large_string())
    found = pc.index_in(_strings(column), value_set=known)
    return found.fill_null(-1).to_numpy().astype(np.int64)
