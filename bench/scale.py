"""A province's month: the daily run over 10,000,000 lines, and segments over 30,000,000 lines
on a local two-worker dask cluster.

The months are generated as typed columns and written straight into partitioned snapshots a
million lines at a time (their import from CSV is timed by `python -m bench`), with the sample
workspace's segments, campaigns and scripts and 200 agents.

  the daily run (segments, contact policy, assignment, scripts, orders written to PostgreSQL)
  in a process of its own, with its time and peak memory: segments in the process (local)
  against segments on the cluster;
  every segment counted, then the daily run's selection (members with every column and
  their last month), on the cluster, with each worker's peak memory, against reading the
  columns the rules need with pyarrow in one process.

python -m bench.scale [--day-lines 10000000] [--cluster-lines 30000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from bench import OUT, ROOT, postgres_schema
from outbound.config import LINE_ID, PHONE, PHONE_TYPE, Config, load_config
from outbound.extract import snapshots
from outbound.extract.convert import ARROW_TYPES
from outbound.sample.roster import write_roster
from outbound.staff.agents import read_roster, save_roster
from outbound.store.db import open_database
from outbound.store.models import ExtractImport

CHUNK = 1_000_000
DAY = dt.date(2026, 11, 2)
REGIONS = ["西峰区", "庆城县", "环县", "华池县", "合水县", "正宁县", "宁县", "镇原县"]
PLANS = ["家家e", "畅享套餐", "天翼不限量", "固话基本", "宽带融合"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")


def workspace(name: str, database_url: str, scheduler: str = "local") -> Path:
    """A copy of the sample workspace on DATABASE_URL, its segments evaluated by SCHEDULER."""
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    text = (ROOT / "config.toml").read_text("utf-8")
    text = text.replace('url = "sqlite:///var/engine.db"', f'url = "{database_url}"', 1)
    (folder / "config.toml").write_text(text + f'\n[compute]\nscheduler = "{scheduler}"\n', "utf-8")
    for part in ("segments", "campaigns", "scripts"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def month_chunks(config: Config, lines: int, month: str) -> Iterator[pa.Table]:
    """LINES lines of MONTH with the workspace's columns, CHUNK at a time: the same lines and
    customers every month, their usage drawn anew each month (a few in a hundred idle)."""
    types = config.extract.column_types()
    types.pop(PHONE_TYPE)
    year, number = int(month[:4]), int(month[5:])
    for start in range(0, lines, CHUNK):
        count = min(CHUNK, lines - start)
        customer = np.random.default_rng([start, 1])
        usage = np.random.default_rng([start, year, number])
        numbers = pa.array(np.arange(start, start + count))
        padded = pc.utf8_lpad(pc.cast(numbers, pa.string()), 10, "0")
        # A customer's spend and habits hold from month to month; a few drop or fall idle.
        habit = customer.gamma(2, 30, count)
        dropped = usage.random(count) < 0.04
        spend = habit * usage.lognormal(0, 0.08, count) * np.where(dropped, 0.5, 1.0)
        idle = (customer.random(count) < 0.03) | (usage.random(count) < 0.02)
        complaints = (usage.random(count) < 0.02) * usage.integers(1, 4, count)
        complained_at = np.datetime64(f"{month}-01") + usage.integers(0, 28 * 86400, count)
        columns = {
            LINE_ID: pc.binary_join_element_wise("QY", padded, ""),
            PHONE: pc.binary_join_element_wise("+86189", pc.utf8_slice_codeunits(padded, 2), ""),
            "customer_name": pc.binary_join_element_wise(
                pa.array(SURNAMES).take(customer.integers(0, len(SURNAMES), count)),
                pa.array(GIVEN).take(customer.integers(0, len(GIVEN), count)),
                "",
            ),
            "region": pa.array(REGIONS).take(customer.integers(0, len(REGIONS), count)),
            "plan": pa.array(PLANS).take(customer.integers(0, len(PLANS), count)),
            "status": pa.array(["active", "suspended", "closed"]).take(
                customer.choice(3, count, p=[0.9, 0.07, 0.03])
            ),
            "install_date": pa.array(
                np.datetime64(f"{month}-28") - customer.integers(0, 15 * 365, count), pa.date32()
            ),
            "monthly_spend": spend.round(2),
            "calls_30d": np.where(idle, 0, usage.poisson(20, count)),
            "minutes_30d": np.where(idle, 0.0, usage.gamma(2, 40, count).round(1)),
            "caller_id": customer.random(count) < 0.4,
            "complaints": complaints,
            "last_complaint_at": pa.array(
                complained_at.astype("datetime64[s]"), pa.timestamp("s"), mask=complaints == 0
            ),
            "fault_reports": (usage.random(count) < 0.01).astype(np.int64),
        }
        yield pa.table(
            {name: pa.array(columns[name], ARROW_TYPES[kind]) for name, kind in types.items()}
        )


def load_month(config: Config, engine: sa.Engine, lines: int, month: str) -> float:
    """MONTH generated into the store and recorded as imported; the seconds it took."""
    started = time.perf_counter()
    mapping = snapshots.mapping_of(config.extract)
    digest = hashlib.sha256(f"bench.scale {lines} {month}".encode()).hexdigest()
    key, _ = snapshots.snapshot_keys(month, digest, mapping)
    written = snapshots.write_snapshot(config.storage, key, month_chunks(config, lines, month))
    seconds = time.perf_counter() - started
    snapshots.record(
        engine,
        ExtractImport(
            month=month,
            source_path=f"generated by bench.scale ({lines:,} lines)",
            source_size=0,
            sha256=digest,
            file_format="generated",
            encoding=None,
            rows_read=written,
            rows_loaded=written,
            rows_rejected=0,
            rows_duplicate=0,
            mapping=mapping,
            snapshot_path=key,
            reject_path=None,
            imported_at=dt.datetime.now(dt.UTC),
            seconds=seconds,
        ),
    )
    return seconds


def center(name: str, lines: int, scheduler: str) -> Path:
    """A workspace with two months of LINES lines and 200 agents, on its own PostgreSQL schema
    (SQLite where no server answers)."""
    url = postgres_schema(name) or f"sqlite:///{OUT / name / 'var' / 'engine.db'}"
    folder = workspace(name, url, scheduler)
    config = load_config(folder, environ={})
    engine = open_database(config.database_url)
    for month in ("2026-09", "2026-10"):
        load_month(config, engine, lines, month)
    save_roster(engine, read_roster(write_roster(folder / "agents.csv", 200)))
    engine.dispose()
    return folder


DAY_RUN = """
import json, resource, sys, time, datetime as dt
from pathlib import Path
from outbound.config import load_config
from outbound.plan.daily import run_day
from outbound.store.db import open_database
config = load_config(Path(sys.argv[1]), environ={})
engine = open_database(config.database_url)
now = dt.datetime.combine(dt.date.fromisoformat(sys.argv[2]), dt.time(7, 30), tzinfo=config.tz)
started = time.perf_counter()
result = run_day(config, engine, now.date(), now)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with engine.connect() as connection:
    orders = connection.exec_driver_sql("SELECT count(*) FROM work_orders").scalar()
members = sum(c["members"] for c in result.campaigns)
print(json.dumps({"seconds": seconds, "peak": peak, "orders": orders, "members": members}))
"""


def day_run(folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DAY_RUN, str(folder), DAY.isoformat()],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


class Cluster:
    """A dask scheduler and two single-threaded workers on loopback, each its own process."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
        worker = ["distributed.cli.dask_worker", self.address, "--nthreads", "1"]
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", *command, "--dashboard-address", ":0"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=folder,
            )
            for command in (
                scheduler,
                [*worker, "--memory-limit", "0"],
                [*worker, "--memory-limit", "0"],
            )
        ]
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                self.client = Client(self.address, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.client.wait_for_workers(2, timeout=60)

    def peaks(self) -> list[float]:
        """Each worker's peak resident memory so far, in bytes."""
        found = self.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return [kib * 1024 for kib in found.values()]

    def close(self) -> None:
        self.client.close()
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=30)


def gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB"


def bench_day(lines: int, cluster: Cluster) -> None:
    print(f"\nthe daily run over {lines:,} lines, 200 agents, orders to PostgreSQL")
    for name, scheduler in (("day_local", "local"), ("day_cluster", cluster.address)):
        started = time.perf_counter()
        folder = center(f"scale_{name}", lines, scheduler)
        made = time.perf_counter() - started
        figures = day_run(folder)
        where = "in the process" if scheduler == "local" else "on 2 workers"
        print(
            f"  segments {where:14} {figures['seconds']:6.1f} s"
            f"  {lines / figures['seconds']:11,.0f} lines/s  peak {gib(figures['peak'])}"
            f"  ({figures['members']:,} members, {figures['orders']:,} orders;"
            f" two months written in {made:.0f} s)"
        )
        shutil.rmtree(folder)


def bench_cluster(lines: int, cluster: Cluster) -> None:
    from outbound.plan import segments
    from outbound.workspace import load_segments

    url = f"sqlite:///{OUT / 'scale_cluster' / 'var' / 'engine.db'}"
    folder = workspace("scale_cluster", url, cluster.address)
    config = load_config(folder, environ={})
    engine = open_database(config.database_url)
    made = sum(load_month(config, engine, lines, month) for month in ("2026-09", "2026-10"))
    loaded, _ = load_segments(config)
    print(
        f"\n{len(loaded)} segments over {lines:,} lines (and last month) on 2 workers;"
        f" two months written in {made:.0f} s"
    )
    needed = sorted({LINE_ID, PHONE} | set().union(*(s.rule.columns for s in loaded)))
    started = time.perf_counter()
    for month in ("2026-09", "2026-10"):
        where = snapshots.locate(config, engine, month)
        assert where is not None
        table = snapshots.read_parts(where, needed)
        del table
    read = time.perf_counter() - started
    print(f"  pyarrow read of the rules' columns, both months  {read:6.1f} s  (baseline)")
    started = time.perf_counter()
    counted = segments.select(config, engine, "2026-10", loaded, count_only=True)
    took = time.perf_counter() - started
    print(
        f"  every segment counted                          {took:6.1f} s"
        f"  {lines / took:11,.0f} lines/s  = {took / read:.2f}x the read"
    )
    started = time.perf_counter()
    chosen = segments.select(
        config, engine, "2026-10", loaded, every_column=True, previous_rows=True
    )
    took = time.perf_counter() - started
    members = sum(len(m) for m in chosen.members.values())
    print(
        f"  the run's selection (every column, last month) {took:6.1f} s"
        f"  {members:,} members back = {took / read:.2f}x the read"
    )
    peaks = cluster.peaks()
    print(f"  workers' peak memory  {', '.join(gib(p) for p in peaks)}  (limit 4 GiB each)")
    print("  counts: " + ", ".join(f"{k} {v:,}" for k, v in counted.counts.items()))
    engine.dispose()
    del chosen
    shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--day-lines", type=int, default=10_000_000)
    parser.add_argument("--cluster-lines", type=int, default=30_000_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(OUT)
    try:
        bench_day(args.day_lines, cluster)
        cluster.close()
        cluster = Cluster(OUT)  # fresh workers: their peak is the segmentation's alone
        bench_cluster(args.cluster_lines, cluster)
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
