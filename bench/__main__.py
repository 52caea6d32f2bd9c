"""Import and segment throughput against baselines measured in the same run.

python -m bench          1,000,000 rows: import against pyarrow's and pandas' read_csv,
                         segments against hand-written pandas masks
python -m bench --big    also 10,000,000 rows imported and segmented, with time and peak memory
                         (python -m bench.scale, alone: the daily run over 10,000,000 lines and
                         segments over 30,000,000 on a two-worker dask cluster)
Then how soon the command line answers (`engine --help`, `engine check` against bare Python),
and the daily run's parts: assignment of 1,000,000 candidates against a per-row loop, script
rendering against bare Jinja2, writing 1,000,000 work orders on SQLite and PostgreSQL, a
wave of 10,000 SMS at 100/s against the local Twilio, survey replies read against a naive
reader, repeat contacts and first-contact resolution over 1,000,000 contacts against a
per-contact loop, a month of 500,000 rows read from PostgreSQL and MariaDB by a SELECT against
pandas.read_sql_query, and the agent list page and its API with
200 agents of 500 at work (python -m bench.web alone); last, tickets taken in and dispatched
through POST /api/tickets and the broker, in batches against one at a time, on SQLite and
PostgreSQL, against 1,000 tickets/s (python -m bench.tickets alone).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bench import (
    OUT,
    ROOT,
    assignment,
    billing_db,
    extracts,
    masks,
    median_time,
    orders,
    quality,
    render,
    replies,
    sending,
    startup,
    tickets,
    web,
)
from outbound.config import load_config
from outbound.contact import policy
from outbound.extract import snapshots
from outbound.extract.imports import import_extract
from outbound.plan import segments
from outbound.store.db import open_database
from outbound.workspace import load_segments


def fresh_workspace(name: str) -> Path:
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "segments").mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", folder)
    for segment in (ROOT / "segments").glob("*.toml"):
        shutil.copy(segment, folder / "segments")
    return folder


def bench_import(path: Path, rows: int) -> None:
    arrow = median_time(3, lambda: pacsv.read_csv(path))
    with warnings.catch_warnings():
        # The planted bad values make pandas warn about mixed types; its default is the baseline.
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        pandas = median_time(3, lambda: pd.read_csv(path))

    def ours() -> None:
        folder = fresh_workspace("import")
        config = load_config(folder, environ={})
        engine = open_database(config.database_url)
        import_extract(config, engine, path, "2026-10")
        engine.dispose()

    engine_time = median_time(3, ours)
    size = path.stat().st_size / 1e6
    print(f"\nimport of {rows:,} rows ({size:.0f} MB CSV), median of 3")
    print(f"  pyarrow.csv.read_csv     {arrow:6.3f} s  {rows / arrow:12,.0f} rows/s")
    print(f"  pandas.read_csv default  {pandas:6.3f} s  {rows / pandas:12,.0f} rows/s")
    print(
        f"  engine import            {engine_time:6.3f} s  {rows / engine_time:12,.0f} rows/s"
        f"   = {engine_time / arrow:.2f}x pyarrow (limit 5),"
        f" {engine_time / pandas:.2f}x pandas (limit 3)"
    )


def bench_segments(september: Path, october: Path, rows: int) -> None:
    folder = fresh_workspace("segments")
    config = load_config(folder, environ={})
    engine = open_database(config.database_url)
    import_extract(config, engine, september, "2026-09")
    import_extract(config, engine, october, "2026-10")
    loaded, problems = load_segments(config)
    assert not problems, problems
    months = segments.load_months(config, engine, "2026-10", loaded)
    assert months.previous is not None
    as_of = snapshots.month_end("2026-10")
    hand = masks.HAND_WRITTEN
    for segment in loaded:
        ours = segment.rule.mask(months.current, months.previous, as_of)
        theirs = hand[segment.name](months.current, months.previous, as_of)
        assert ours.to_numpy().tolist() == theirs.to_numpy().tolist(), segment.name

    def compiled() -> None:
        for segment in loaded:
            segment.rule.mask(months.current, months.previous, as_of)

    def handwritten() -> None:
        for segment in loaded:
            hand[segment.name](months.current, months.previous, as_of)

    ours_time = median_time(5, compiled)
    hand_time = median_time(5, handwritten)
    print(f"\n{len(loaded)} segments over {rows:,} rows (with last month), median of 5")
    print(
        f"  hand-written pandas masks {hand_time:6.3f} s"
        f"  {rows * len(loaded) / hand_time:14,.0f} rows/s"
    )
    print(
        f"  compiled rules            {ours_time:6.3f} s"
        f"  {rows * len(loaded) / ours_time:14,.0f} rows/s"
        f"   = {ours_time / hand_time:.2f}x hand-written (limit 1.5)"
    )
    engine.dispose()


def bench_big(lines: int) -> None:
    september, october = extracts(lines)
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from bench.__main__ import fresh_workspace\n"
        "from outbound.plan import segments\n"
        "from outbound.config import load_config\n"
        "from outbound.extract.imports import import_extract\n"
        "from outbound.store.db import open_database\n"
        "from outbound.workspace import load_segments\n"
        "folder = fresh_workspace('big')\n"
        "config = load_config(folder, environ={})\n"
        "engine = open_database(config.database_url)\n"
        "t0 = time.perf_counter()\n"
        "import_extract(config, engine, Path(sys.argv[1]), '2026-09')\n"
        "import_extract(config, engine, Path(sys.argv[2]), '2026-10')\n"
        "t1 = time.perf_counter()\n"
        "loaded, _ = load_segments(config)\n"
        "months = segments.load_months(config, engine, '2026-10', loaded)\n"
        "counts = {s.name: len(segments.members(s, months)) for s in loaded}\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'import': t1 - t0, 'segments': t2 - t1, 'counts': counts}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(september), str(october)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(result.stdout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    print(f"\n{lines:,} rows a month, two months imported then all segments evaluated")
    print(
        f"  import of both months   {figures['import']:7.1f} s"
        f"  {2 * lines / figures['import']:12,.0f} rows/s"
    )
    print(
        f"  segments                {figures['segments']:7.1f} s  (load of both snapshots included)"
    )
    print(f"  peak memory             {peak:7.2f} GiB")
    print("  counts: " + ", ".join(f"{k} {v:,}" for k, v in figures["counts"].items()))


def bench_plan(candidates: int = 1_000_000, campaigns: int = 10) -> None:
    """The contact policy and ranking of the daily run over CANDIDATES members split among
    CAMPAIGNS campaigns (assignment itself is timed by bench.assignment)."""
    rng = np.random.default_rng(5)
    each = candidates // campaigns
    members = pd.DataFrame(
        {
            "line_id": pd.array([f"QY{i:010d}" for i in range(each)], pd.ArrowDtype(pa.string())),
            "phone": pd.array([f"+86934{i:07d}" for i in range(each)], pd.ArrowDtype(pa.string())),
            "monthly_spend": rng.gamma(2, 30, each).round(2),
        }
    )
    lines = members["line_id"]
    contacts = policy.Contacts(
        set(members["phone"][::500]), set(lines[::50]), set(lines[::70]), set(lines[::90])
    )

    def plan() -> None:
        taken: set[str] = set()
        for number in range(campaigns):
            kept, _ = policy.apply(members, f"campaign_{number}", 10, contacts, taken)
            kept.sort_values(["monthly_spend", "line_id"], ascending=[False, True])
            taken.update(kept["line_id"][: each // 10])

    seconds = median_time(3, plan)
    print(
        f"\ncontact policy and ranking of {candidates:,} candidates in {campaigns} campaigns, "
        f"median of 3\n  {seconds:6.2f} s  {candidates / seconds:12,.0f} rows/s"
        "   (plan and assign together: this plus the assign time below, limit 5 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", action="store_true", help="also run 10,000,000 rows")
    args = parser.parse_args()
    print(f"pyarrow {pa.__version__}, pandas {pd.__version__}")
    startup.run()
    print()
    september, october = extracts(args.rows)
    bench_import(october, args.rows)
    bench_segments(september, october, args.rows)
    if args.big:
        bench_big(10_000_000)
    bench_plan()
    print()
    assignment.run()
    print()
    render.run()
    replies.run()
    quality.run()
    billing_db.run()
    orders.run()
    sending.run()
    print()
    web.run()
    tickets.run()


if __name__ == "__main__":
    main()
