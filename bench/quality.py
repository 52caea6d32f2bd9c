"""Repeat contacts and first-contact resolution: quality.repeats over a million reached
contacts against a per-line loop that keeps each (line, type)'s last contact in a dict.

PYTHONPATH=. .venv/bin/python -c "from bench.quality import run; run()"
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from bench import median_time
from outbound.results import quality

WINDOWS = (7, 30)
TYPES = np.array(["zero_usage_wakeup", "complaint_callback", "fault_callback", "complaint"])


def contacts(rows: int, seed: int = 18) -> pd.DataFrame:
    """ROWS reached contacts over 60 days: a third of a million lines, four types."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-10-01", tz="UTC")
    return pd.DataFrame(
        {
            "line_id": rng.integers(0, rows // 3, rows).astype(str),
            "type": TYPES[rng.integers(0, len(TYPES), rows)],
            "at": start + pd.to_timedelta(rng.integers(0, 60 * 86_400, rows), unit="s"),
        }
    )


def _looped(found: pd.DataFrame) -> list[bool]:
    """Each contact's repeat within the first window, one row at a time in time order."""
    last: dict[tuple[str, str], dt.datetime] = {}
    window = dt.timedelta(days=WINDOWS[0])
    marks = []
    for line, kind, at in found.sort_values("at")[["line_id", "type", "at"]].itertuples(
        index=False
    ):
        before = last.get((line, kind))
        marks.append(before is not None and at - before <= window)
        last[(line, kind)] = at
    return marks


def run(rows: int = 1_000_000) -> None:
    found = contacts(rows)
    loop_time = median_time(3, lambda: _looped(found))
    ours_time = median_time(3, lambda: quality.repeats(found, WINDOWS))
    marked = quality.repeats(found, WINDOWS)
    assert int(marked["repeat_7d"].sum()) == sum(_looped(found))  # the same answer
    print(f"{rows:,} reached contacts: repeats within 7 and 30 days, resolution, median of 3")
    print(f"  per-contact loop (7 days only)    {rows / loop_time:12,.0f} contacts/s")
    print(
        f"  quality.repeats                   {rows / ours_time:12,.0f} contacts/s"
        f"   = {loop_time / ours_time:.1f}x the loop; "
        f"{marked['repeat_7d'].mean():.1%} repeats within 7 days"
    )
