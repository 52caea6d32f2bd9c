"""Segment evaluation: which lines of a month each rule selects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, Config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.workspace import Segment


@dataclass(frozen=True)
class Months:
    """The frames a rule reads: month M and, where loaded, month M-1."""

    month: str
    current: pd.DataFrame
    previous: pd.DataFrame | None
    warnings: list[str] = field(default_factory=list)


def load_months(
    config: Config,
    engine: sa.Engine,
    month: str | None,
    segments: Iterable[Segment],
    every_column: bool = False,
) -> Months:
    """Load the columns SEGMENTS read (or every column) of MONTH, the latest loaded by default,
    and the columns they read of the month before."""
    month = snapshots.parse_month(month) if month else snapshots.latest_month(engine)
    segments = list(segments)
    columns = None if every_column else _needed(s.rule.columns for s in segments)
    prev_columns = _needed(s.rule.prev_columns for s in segments)
    current = snapshots.load_month(config, engine, month, columns)
    if current is None:
        loaded = snapshots.loaded_months(engine)
        raise UserError(
            f"no extract is loaded for {month}; loaded months: {', '.join(loaded) or 'none'}. "
            f"Import one with: engine import FILE --month {month}",
            "month_not_loaded",
            month=month,
            loaded=", ".join(loaded) or "-",
        )
    warnings = []
    previous = None
    if len(prev_columns) > 1:
        before = snapshots.previous_month(month)
        previous = snapshots.load_month(config, engine, before, prev_columns)
        if previous is None:
            users = ", ".join(s.name for s in segments if s.rule.prev_columns)
            warnings.append(
                f"no extract is loaded for {before}: prev.* values are null, so {users} "
                "select nothing that needs last month"
            )
    return Months(month, current, previous, warnings)


def members(segment: Segment, months: Months) -> pd.DataFrame:
    """The rows of the month that SEGMENT selects, in file order."""
    as_of = snapshots.month_end(months.month)
    mask = segment.rule.mask(months.current, months.previous, as_of)
    return months.current[mask.to_numpy()]


def _needed(column_sets: Iterable[frozenset[str]]) -> list[str]:
    needed = {LINE_ID}
    for columns in column_sets:
        needed |= columns
    return sorted(needed)


def sample(segment: Segment, months: Months, selected: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The first LIMIT members, with the prev.* values the rule read beside them."""
    rows = selected.head(limit).reset_index(drop=True)
    if months.previous is None or not segment.rule.prev_columns:
        return rows
    wanted = sorted(segment.rule.prev_columns)
    before = months.previous.set_index(LINE_ID)[wanted].reindex(rows[LINE_ID].to_numpy())
    before.columns = [f"prev.{name}" for name in wanted]
    return pd.concat([rows, before.reset_index(drop=True)], axis=1)
