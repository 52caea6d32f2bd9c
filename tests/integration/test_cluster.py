"""Segments on a real dask.distributed cluster (a scheduler and two workers on loopback, in
processes of their own) select exactly what the pandas path selects, with and without prev.,
and the daily run and the month report give the same results on either."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from outbound import workspace
from outbound.config import LINE_ID, Config, load_config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.plan import cluster, daily, segment_counts, segments
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center
from tests.e2e.test_results import CAMPAIGN, judged

# Rules over this month and the one before: the cluster must line them up partition by
# partition, as the pandas path lines them up by line id.
PREV_SEGMENTS = {
    "spend_down": "monthly_spend <= prev.monthly_spend * 0.7 and prev.monthly_spend > 20",
    "went_silent": "calls_30d == 0 and prev.calls_30d > 0",
    "new_this_month": "is_null(prev.line_id)",
    "status_changed": "status != prev.status",
}
RUN_TABLES = ["outbox", "list_items", "events", "work_orders", "runs"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _cluster(folder: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A dask scheduler with two single-threaded workers on loopback, each its own process:
    its address, and the processes (the scheduler first)."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    scheduler = ["distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
    scheduler += ["--port", address.rsplit(":", 1)[1]]
    worker = ["distributed.cli.dask_worker", address, "--nthreads", "1", "--memory-limit", "2GiB"]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", *command, "--dashboard-address", ":0"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in (scheduler, [*worker, "--name", "w1"], [*worker, "--name", "w2"])
    ]
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, started
    finally:
        client = cluster._clients.pop(address, None)
        if client is not None:
            client.close()
        for process in reversed(started):
            process.kill()
        for process in started:
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of the module's cluster."""
    with _cluster(tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


def _on_cluster(center: Center, address: str) -> Config:
    """CENTER's config.toml sending segments to the cluster at ADDRESS."""
    with (center.folder / "config.toml").open("a", encoding="utf-8") as file:
        file.write(f'\n[compute]\nscheduler = "{address}"\n')
    return load_config(center.folder)


def _back_home(center: Center) -> None:
    """CENTER's config.toml without its [compute] table: segments evaluated here again."""
    toml = center.folder / "config.toml"
    toml.write_text(toml.read_text("utf-8").split("\n[compute]")[0], encoding="utf-8")


def _with_prev_segments(center: Center) -> None:
    for name, rule in PREV_SEGMENTS.items():
        (center.folder / "segments" / f"{name}.toml").write_text(
            f'title = "{name}"\nwhere = "{rule}"\n', encoding="utf-8"
        )


def _selected(config: Config, engine: sa.Engine, month: str | None) -> segments.Selection:
    loaded, problems = workspace.load_segments(config)
    assert problems == []
    return segments.select(config, engine, month, loaded, every_column=True, previous_rows=True)


def _same(cluster_frame: pd.DataFrame, local_frame: pd.DataFrame) -> None:
    assert_frame_equal(
        cluster_frame.reset_index(drop=True), local_frame.reset_index(drop=True), check_dtype=True
    )


def test_every_segment_selects_on_the_cluster_what_pandas_selects(
    center: Center, scheduler: str
) -> None:
    _with_prev_segments(center)
    local = load_config(center.folder)
    engine = open_database(local.database_url)
    try:
        for month in ("2026-10", "2026-09"):  # with the month before loaded, and without
            here = _selected(local, engine, month)
            there = _selected(_on_cluster(center, scheduler), engine, month)
            _back_home(center)
            assert there.months is None and here.months is not None
            assert there.counts == here.counts and there.lines == here.lines > 500
            assert there.warnings == here.warnings
            for name, members in here.members.items():
                _same(there.members[name], members)
            if month == "2026-10":
                assert all(here.counts[name] > 0 for name in PREV_SEGMENTS), here.counts
                chosen = pd.concat(list(here.members.values()))[LINE_ID].unique()
                assert here.previous is not None and there.previous is not None
                wanted = here.previous[here.previous[LINE_ID].isin(chosen)]
                # Last month's rows are looked up by line id: their order means nothing.
                _same(there.previous.sort_values(LINE_ID), wanted.sort_values(LINE_ID))
            else:
                assert "no extract is loaded for 2026-08" in " ".join(there.warnings)
                assert there.counts["new_this_month"] == there.lines  # prev.* all null
    finally:
        engine.dispose()


def test_the_segments_page_counts_and_the_preview_are_the_same_on_the_cluster(
    center: Center, scheduler: str
) -> None:
    _with_prev_segments(center)
    preview = ["preview", "spend_down", "--limit", "5", "--full-phones"]
    local_counts = center.json("segments")
    local_preview = center.json(*preview)
    config = _on_cluster(center, scheduler)
    assert center.json("segments") == local_counts
    assert center.json(*preview) == local_preview
    assert local_preview["count"] > 0 and local_preview["rows"][0]["prev.monthly_spend"] > 0
    engine = open_database(config.database_url)
    try:
        counted = segment_counts.counts(config, engine)
    finally:
        engine.dispose()
    assert counted.previous_month == "2026-09"
    by_name = {row["segment"]: row["count"] for row in local_counts["segments"]}
    assert {s.name: s.count for s in counted.segments} == by_name


def _run_outputs(engine: sa.Engine) -> pd.DataFrame:
    """The run's orders with their scripts, and the messages it queued."""
    with engine.connect() as connection:
        return pd.read_sql(
            sa.text(
                "SELECT o.campaign, o.line_id, o.phone, o.agent_id, o.state, o.rank, o.text, "
                "o.script_version, m.body FROM work_orders o "
                "LEFT JOIN outbox m ON m.order_id = o.id ORDER BY o.campaign, o.line_id"
            ),
            connection,
        )


def test_the_daily_run_gives_the_same_orders_and_scripts_on_the_cluster(
    center: Center, scheduler: str
) -> None:
    local = load_config(center.folder)
    engine = open_database(local.database_url)
    now = pd.Timestamp(f"{DAY} 07:30", tz=local.tz).to_pydatetime()
    day = now.date()
    try:
        ran_here = daily.run_day(local, engine, day, now)
        here = _run_outputs(engine)
        with engine.begin() as connection:
            for table in RUN_TABLES:
                connection.execute(sa.text(f"DELETE FROM {table}"))
        ran_there = daily.run_day(_on_cluster(center, scheduler), engine, day, now)
        there = _run_outputs(engine)
    finally:
        engine.dispose()
    assert len(here) > 20 and here["text"].str.contains("上月也没有").any()
    assert here["body"].str.contains("话费").any()
    assert_frame_equal(there, here)
    assert ran_there.campaigns == ran_here.campaigns


def test_the_month_report_judges_the_same_on_the_cluster(center: Center, scheduler: str) -> None:
    assigned, _, winners = judged(center)
    for by in ("campaign", "region"):
        report = ["report", "--month", "2026-10", "--campaign", CAMPAIGN, "--by", by]
        here = center.json(*report)
        _on_cluster(center, scheduler)
        there = center.json(*report)
        _back_home(center)
        assert there == here
    (row,) = center.json("report", "--month", "2026-10", "--campaign", CAMPAIGN)["lift"]
    assert row["assigned_success"] == len(set(assigned) & winners) > 0


def test_an_unreachable_scheduler_is_named_with_what_to_do(center: Center) -> None:
    _on_cluster(center, f"tcp://127.0.0.1:{_free_port()}")
    err = center.refused("segments")
    assert "[compute] scheduler" in err and 'scheduler = "local"' in err


def test_a_month_imported_before_partitions_is_read_here_even_with_a_cluster(
    center: Center, scheduler: str
) -> None:
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    try:
        here = _selected(config, engine, "2026-10")
        entry = snapshots.current_import(engine, "2026-10")
        assert entry is not None
        legacy = f"{entry.snapshot_path}.arrow"
        whole = snapshots.file_order(
            snapshots.read_parts(snapshots.Snapshot(config.storage, entry.snapshot_path), None)
        )
        import pyarrow.feather as feather

        feather.write_feather(whole, config.var / legacy, compression="lz4")
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE extract_imports SET snapshot_path = :p WHERE id = :id"),
                {"p": legacy, "id": entry.id},
            )
        there = _selected(_on_cluster(center, scheduler), engine, "2026-10")
    finally:
        engine.dispose()
    assert there.months is not None  # read here
    assert there.counts == here.counts
    for name, members in here.members.items():
        _same(there.members[name], members)


def test_a_user_error_raised_on_a_worker_reaches_the_user_whole(
    center: Center, scheduler: str
) -> None:
    config = _on_cluster(center, scheduler)
    engine = open_database(config.database_url)
    try:
        entry = snapshots.current_import(engine, "2026-10")
        assert entry is not None
        (config.var / snapshots.Snapshot(config.storage, entry.snapshot_path).part_key(7)).unlink()
        with pytest.raises(UserError) as refused:
            _selected(config, engine, "2026-10")
    finally:
        engine.dispose()
    assert refused.value.code == "snapshot_missing"
    assert "part-007.parquet" in str(refused.value) and "--replace" in str(refused.value)


def test_a_worker_killed_leaves_the_other_to_answer_and_a_scheduler_gone_is_said(
    center: Center, tmp_path: Path
) -> None:
    _with_prev_segments(center)
    local = load_config(center.folder)
    engine = open_database(local.database_url)
    try:
        here = _selected(local, engine, "2026-10")
        with _cluster(tmp_path) as (address, (scheduler, first, _)):
            config = _on_cluster(center, address)
            first.kill()  # mid-month, as a machine is lost
            first.wait()
            there = _selected(config, engine, "2026-10")
            assert there.counts == here.counts
            for name, members in here.members.items():
                _same(there.members[name], members)
            scheduler.kill()
            scheduler.wait()
            with pytest.raises(UserError) as refused:
                _selected(config, engine, "2026-10")
    finally:
        engine.dispose()
    assert refused.value.code in ("cluster_lost", "cluster_unreachable")
    assert address in str(refused.value) and "Traceback" not in str(refused.value)


def test_check_says_where_segments_are_evaluated_and_what_is_missing(
    center: Center, scheduler: str
) -> None:
    out = center.ok("check")
    assert "compute: segments evaluated in each command's own process" in out
    assert "store: var, 0 snapshots missing" in out
    config = _on_cluster(center, scheduler)
    assert f"compute: the cluster at {scheduler}, 2 workers" in center.ok("check")
    engine = open_database(config.database_url)
    try:
        entry = snapshots.current_import(engine, "2026-09")
    finally:
        engine.dispose()
    assert entry is not None
    (config.var / snapshots.Snapshot(config.storage, entry.snapshot_path).part_key(0)).unlink()
    err = center.refused("check")
    assert "the snapshot of 2026-09 is missing from the store" in err and "--replace" in err
    _back_home(center)
    _on_cluster(center, f"tcp://127.0.0.1:{_free_port()}")
    assert 'set scheduler = "local"' in center.refused("check")
