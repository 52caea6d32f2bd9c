"""Benchmarks: `make bench` (or `python -m bench [--big]`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from outbound.sample.billing import extract_frame, write_csv


def median_time(runs: int, work: Callable[[], object]) -> float:
    """The median wall time of RUNS runs, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def extracts(lines: int) -> tuple[Path, Path]:
    """Two consecutive months of a LINES-row extract as UTF-8 CSV, generated once and cached."""
    september, october = OUT / f"{lines}-2026-09.csv", OUT / f"{lines}-2026-10.csv"
    if not october.is_file():
        OUT.mkdir(parents=True, exist_ok=True)
        first = extract_frame(lines, "2026-09", seed=7)
        write_csv(first, september, encoding="utf-8")
        write_csv(
            extract_frame(lines, "2026-10", seed=7, previous=first), october, encoding="utf-8"
        )
    return september, october
