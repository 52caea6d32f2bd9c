"""Benchmarks: `make bench` (or `python -m bench [--big]`)."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from outbound.sample.billing import extract_frame, write_csv

POSTGRES = os.environ.get(
    "ENGINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema(name: str) -> str | None:
    """A URL on an empty schema NAME of the test PostgreSQL database (made anew), or None
    when no server answers."""
    import sqlalchemy as sa

    try:
        with sa.create_engine(POSTGRES).begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {name}"))
    except sa.exc.OperationalError:
        return None
    return f"{POSTGRES}?options={quote(f'-csearch_path={name}')}"


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


def answering(server: subprocess.Popen[bytes], port: int, what: str) -> None:
    """Wait up to a minute for SERVER to answer on PORT; else stop it and say WHAT failed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{what} did not start")
