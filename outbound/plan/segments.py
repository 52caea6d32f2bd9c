"""Segment evaluation: which lines of a month each rule selects."""

from __future__ import annotations

import dataclasses
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
    whole_previous: bool = False,
) -> Months:
    """Load the columns SEGMENTS read (or every column) of MONTH, the latest loaded by default,
    and the columns they read of the month before (every column with WHOLE_PREVIOUS). The
    months come partition by partition: members() puts what it picks in file order."""
    month = snapshots.parse_month(month) if month else snapshots.latest_month(engine)
    segments = list(segments)
    columns = None if every_column else _needed(s.rule.columns for s in segments)
    prev_columns = _needed(s.rule.prev_columns for s in segments)
    current = snapshots.load_month(config, engine, month, columns, in_file_order=False)
    if current is None:
        raise _not_loaded(engine, month)
    warnings = []
    previous = None
    if len(prev_columns) > 1 or whole_previous:
        before = snapshots.previous_month(month)
        read = None if whole_previous else prev_columns
        previous = snapshots.load_month(config, engine, before, read, in_file_order=False)
        if previous is None and len(prev_columns) > 1:
            warnings.append(_no_previous(before, segments))
        elif previous is not None:
            previous = previous.drop(columns=snapshots.ROW)
    return Months(month, current, previous, warnings)


@dataclass(frozen=True)
class Selection:
    """What segments select in a month: how many lines each, and, unless only counted, which
    (every column or the ones their rules read, in file order)."""

    month: str
    lines: int  # in the month
    counts: dict[str, int]
    members: dict[str, pd.DataFrame]
    warnings: list[str]
    # The months as loaded, when the rules ran in this process ([compute] scheduler "local").
    months: Months | None = None
    # With previous_rows: every column of the month before, for the selected lines at least.
    previous: pd.DataFrame | None = None

    def of(self, segment: Segment) -> pd.DataFrame:
        return self.members[segment.name]


def select(
    config: Config,
    engine: sa.Engine,
    month: str | None,
    segments: Iterable[Segment],
    *,
    every_column: bool = False,
    count_only: bool = False,
    previous_rows: bool = False,
) -> Selection:
    """What SEGMENTS select in MONTH (the latest loaded by default): here, or partition by
    partition on the cluster of [compute] scheduler, which sends back only the selected lines."""
    month = snapshots.parse_month(month) if month else snapshots.latest_month(engine)
    segments = list(segments)
    found = None
    if config.compute.scheduler != "local":
        ask = (every_column, count_only, previous_rows)
        found = _on_cluster(config, engine, month, segments, *ask)
    if found is not None:
        return found
    months = load_months(config, engine, month, segments, every_column, previous_rows)
    selection = evaluated(months, segments)
    if not previous_rows or months.previous is None:
        return selection
    chosen = pd.concat([rows[LINE_ID] for rows in selection.members.values()])
    before = months.previous[months.previous[LINE_ID].isin(chosen)]
    return dataclasses.replace(selection, previous=before)


def evaluated(months: Months, segments: Iterable[Segment]) -> Selection:
    """What SEGMENTS select in MONTHS, loaded in this process."""
    chosen = {segment.name: members(segment, months) for segment in segments}
    return Selection(
        months.month,
        len(months.current),
        {name: len(rows) for name, rows in chosen.items()},
        chosen,
        months.warnings,
        months,
    )


def _on_cluster(
    config: Config,
    engine: sa.Engine,
    month: str,
    segments: list[Segment],
    every_column: bool,
    count_only: bool,
    previous_rows: bool,
) -> Selection | None:
    """select() on the cluster; None when a month was imported before snapshots had
    partitions, which only this process can read."""
    from outbound.plan import cluster

    current = snapshots.locate(config, engine, month)
    if current is None:
        raise _not_loaded(engine, month)
    prev_columns = _needed(s.rule.prev_columns for s in segments)
    warnings = []
    previous = None
    before = snapshots.previous_month(month)
    if len(prev_columns) > 1 or previous_rows:
        previous = snapshots.locate(config, engine, before)
        if previous is None and len(prev_columns) > 1:
            warnings.append(_no_previous(before, segments))
    if not current.partitioned or (previous is not None and not previous.partitioned):
        return None
    ask = cluster.Ask(
        {segment.name: segment.rule for segment in segments},
        None if every_column else _needed(s.rule.columns for s in segments),
        prev_columns,
        snapshots.month_end(month),
        count_only,
        previous_rows,
    )
    found = cluster.evaluate(config.compute.scheduler, current, previous, ask)
    entry = snapshots.current_import(engine, month)
    assert entry is not None, "located above"
    return Selection(
        month,
        entry.rows_loaded,
        found.counts,
        {
            name: table.to_pandas(types_mapper=pd.ArrowDtype)
            for name, table in found.selected.items()
        },
        warnings,
        previous=None
        if found.previous is None
        else found.previous.to_pandas(types_mapper=pd.ArrowDtype),
    )


def _not_loaded(engine: sa.Engine, month: str) -> UserError:
    loaded = snapshots.loaded_months(engine)
    return UserError(
        f"no extract is loaded for {month}; loaded months: {', '.join(loaded) or 'none'}. "
        f"Import one with: engine import FILE --month {month}",
        "month_not_loaded",
        month=month,
        loaded=", ".join(loaded) or "-",
    )


def _no_previous(before: str, segments: Iterable[Segment]) -> str:
    users = ", ".join(s.name for s in segments if s.rule.prev_columns)
    return (
        f"no extract is loaded for {before}: prev.* values are null, so {users} "
        "select nothing that needs last month"
    )


def members(segment: Segment, months: Months) -> pd.DataFrame:
    """The rows of the month that SEGMENT selects, in file order."""
    as_of = snapshots.month_end(months.month)
    mask = segment.rule.mask(months.current, months.previous, as_of)
    picked = months.current[mask.to_numpy()]
    if snapshots.ROW not in picked.columns:
        return picked
    return picked.sort_values(snapshots.ROW, kind="stable").drop(columns=snapshots.ROW)


def _needed(column_sets: Iterable[frozenset[str]]) -> list[str]:
    needed = {LINE_ID}
    for columns in column_sets:
        needed |= columns
    return sorted(needed)


def sample(
    config: Config, engine: sa.Engine, segment: Segment, selection: Selection, limit: int
) -> pd.DataFrame:
    """The first LIMIT members, with the prev.* values the rule read beside them."""
    rows = selection.of(segment).head(limit).reset_index(drop=True)
    if not segment.rule.prev_columns:
        return rows
    if selection.months is not None:
        previous = selection.months.previous
    else:
        before = snapshots.previous_month(selection.month)
        previous = snapshots.load_lines(config, engine, before, rows[LINE_ID].astype(str))
    if previous is None:
        return rows
    wanted = sorted(segment.rule.prev_columns)
    before = previous.set_index(LINE_ID)[wanted].reindex(rows[LINE_ID].to_numpy())
    before.columns = [f"prev.{name}" for name in wanted]
    return pd.concat([rows, before.reset_index(drop=True)], axis=1)
