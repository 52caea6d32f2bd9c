"""Benchmarks: `make bench` (or `python -m bench [--big]`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(runs: int, work: Callable[[], object]) -> float:
    """The median wall time of RUNS runs, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
