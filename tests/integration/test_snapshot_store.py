"""Snapshots as Parquet partitions in a store addressed by URL: file order kept, a line in the
same partition every month, lines looked up from their partitions alone, a store shared by two
workspaces, and the snapshots of imports from before partitions still read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.fs as pafs
import pytest
import sqlalchemy as sa
from alembic import command

from outbound.config import LINE_ID, load_config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.extract.imports import import_extract
from outbound.sample.billing import extract_frame, write_csv
from outbound.store.db import open_database
from tests.integration.test_migrations import alembic_config


def _months(folder: Path) -> tuple[Path, Path]:
    september = extract_frame(400, "2026-09", seed=5)
    october = extract_frame(400, "2026-10", seed=5, previous=september)
    return (
        write_csv(september, folder / "2026-09.csv", encoding="gbk"),
        write_csv(october, folder / "2026-10.csv", encoding="utf-8"),
    )


def test_a_month_reads_back_in_file_order_from_its_partitions(opened, tmp_path: Path) -> None:
    config, engine = opened
    _, october = _months(tmp_path)
    summary = import_extract(config, engine, october, "2026-10")
    parts = sorted(p.name for p in Path(summary.snapshot).iterdir())
    assert parts == [f"part-{n:03d}.parquet" for n in range(snapshots.PARTITIONS)]
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None and len(frame) == summary.rows_loaded
    assert frame[LINE_ID].tolist() == sorted(frame[LINE_ID].tolist())  # the file's order
    assert snapshots.ROW not in frame.columns


def test_a_line_keeps_its_partition_from_month_to_month_and_host_to_host(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    for path, month in zip(_months(tmp_path), ("2026-09", "2026-10"), strict=True):
        import_extract(config, engine, path, month)
    placed = {}
    for month in ("2026-09", "2026-10"):
        where = snapshots.locate(config, engine, month)
        assert where is not None
        for part in range(snapshots.PARTITIONS):
            ids = snapshots.read_parts(where, [LINE_ID], [part])[LINE_ID].to_pylist()
            assert set(snapshots.partition_of(pa.array(ids)).tolist()) <= {part}
            for line in ids:
                assert placed.setdefault(line, part) == part
    # pandas' SipHash has a fixed key: another process (another string hash seed) agrees.
    lines = sorted(placed)
    program = (
        "import sys, pyarrow as pa; from outbound.extract.snapshots import partition_of; "
        "print(partition_of(pa.array(sys.argv[1:])).tolist())"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", program, *lines],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert elsewhere.stdout.strip() == str([placed[line] for line in lines])


def test_a_few_lines_are_read_from_their_partitions_alone(opened, tmp_path: Path) -> None:
    config, engine = opened
    _, october = _months(tmp_path)
    import_extract(config, engine, october, "2026-10")
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None
    wanted = frame[LINE_ID].iloc[[3, 200, 7]].tolist()
    where = snapshots.locate(config, engine, "2026-10")
    assert where is not None
    for part in range(snapshots.PARTITIONS):  # none of them is there to read
        (config.var / where.part_key(part)).rename(config.var / f"{where.part_key(part)}.away")
    for line in wanted:
        home = int(snapshots.partition_of(pa.array([line]))[0])
        (config.var / f"{where.part_key(home)}.away").rename(config.var / where.part_key(home))
    (config.var / f"{where.part_key(0)}.away").rename(config.var / where.part_key(0))
    found = snapshots.load_lines(config, engine, "2026-10", wanted)
    assert found is not None
    assert found[LINE_ID].tolist() == sorted(wanted)  # in file order
    expected = frame.set_index(LINE_ID).loc[sorted(wanted)].reset_index()
    assert found.astype(str).equals(expected[found.columns].astype(str))


def test_two_workspaces_with_one_store_and_one_database_read_the_same_snapshot(
    opened, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, engine = opened
    store = tmp_path / "shared store"
    monkeypatch.setenv("ENGINE_STORAGE_URL", store.as_uri())
    first = load_config(config.workspace)
    _, october = _months(tmp_path)
    summary = import_extract(first, engine, october, "2026-10")
    assert summary.snapshot.startswith(str(store))
    assert not (first.var / "snapshots").exists()
    other = tmp_path / "second host"
    other.mkdir()
    (other / "config.toml").write_text(
        (config.workspace / "config.toml").read_text("utf-8") + f'\n[storage]\nurl = "{store}"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("ENGINE_STORAGE_URL")
    second = load_config(other)
    assert second.storage.root == str(store)
    here = snapshots.load_month(first, engine, "2026-10")
    there = snapshots.load_month(second, engine, "2026-10")
    assert here is not None and there is not None and here.equals(there)
    # Imported again from the second host: the same file, nothing to do.
    assert import_extract(second, engine, october, "2026-10").status == "unchanged"


def test_a_store_url_pyarrow_does_not_know_is_refused_naming_the_setting(
    opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = opened
    monkeypatch.setenv("ENGINE_STORAGE_URL", "nosuch://bucket/outbound")
    with pytest.raises(UserError, match=r"\[storage\] url = 'nosuch://bucket/outbound'"):
        _ = load_config(config.workspace).storage


def test_a_snapshot_from_before_partitions_is_still_read_after_the_upgrade(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    _, october = _months(tmp_path)
    import_extract(config, engine, october, "2026-10")
    expected = snapshots.load_month(config, engine, "2026-10")
    where = snapshots.locate(config, engine, "2026-10")
    assert where is not None and expected is not None
    # What an import before 0019 left: one Arrow IPC file, named by its path under the workspace.
    whole = snapshots.file_order(snapshots.read_parts(where, None))
    feather.write_feather(whole, config.var / "snapshots" / "2026-10" / "old.arrow")
    alembic = alembic_config()
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.downgrade(alembic, "0018")
        connection.execute(
            sa.text(
                "UPDATE extract_imports SET snapshot_path = 'var/snapshots/2026-10/old.arrow', "
                "reject_path = 'var/snapshots/2026-10/old.rejects.csv'"
            )
        )
        command.upgrade(alembic, "head")
        paths = connection.execute(
            sa.text("SELECT snapshot_path, reject_path FROM extract_imports")
        ).one()
    assert tuple(paths) == ("snapshots/2026-10/old.arrow", "snapshots/2026-10/old.rejects.csv")
    engine.dispose()
    engine = open_database(config.database_url)
    try:
        frame = snapshots.load_month(config, engine, "2026-10")
        lines = snapshots.load_lines(config, engine, "2026-10", expected[LINE_ID].iloc[:2])
    finally:
        engine.dispose()
    assert frame is not None and frame.equals(expected)
    assert lines is not None and lines.equals(expected.iloc[:2])


def test_a_missing_part_is_named_with_what_to_do(opened, tmp_path: Path) -> None:
    config, engine = opened
    _, october = _months(tmp_path)
    import_extract(config, engine, october, "2026-10")
    where = snapshots.locate(config, engine, "2026-10")
    assert where is not None
    first = config.var / where.part_key(0)
    first.rename(first.with_suffix(".away"))
    with pytest.raises(UserError, match=r"snapshot of 2026-10 is missing.*--replace"):
        snapshots.load_month(config, engine, "2026-10")
    first.with_suffix(".away").rename(first)
    (config.var / where.part_key(12)).unlink()
    with pytest.raises(UserError, match=r"part-012\.parquet: this part .* missing.*--replace"):
        snapshots.load_month(config, engine, "2026-10")


@pytest.fixture
def object_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of a bucket on a local server that speaks the S3 API (moto's), with the
    credentials in the environment, as on a host that reaches object storage."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "outbound")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "outbound-secret")
    address = f"endpoint_override=127.0.0.1:{port}&scheme=http&region=cn-north-1"
    admin = pafs.S3FileSystem(
        endpoint_override=f"127.0.0.1:{port}",
        scheme="http",
        region="cn-north-1",
        access_key="outbound",
        secret_key="outbound-secret",
        allow_bucket_creation=True,
    )
    admin.create_dir("center-bucket")
    try:
        yield f"s3://center-bucket/qingyang?{address}"
    finally:
        server.stop()


def test_snapshots_and_rejects_live_in_object_storage(
    opened, tmp_path: Path, object_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, engine = opened
    monkeypatch.setenv("ENGINE_STORAGE_URL", object_store)
    remote = load_config(config.workspace)
    september, october = _months(tmp_path)
    import_extract(remote, engine, september, "2026-09")
    summary = import_extract(remote, engine, october, "2026-10")
    assert summary.snapshot.startswith("center-bucket/qingyang/snapshots/2026-10/")
    assert summary.rows_rejected > 0 and summary.rejects is not None
    assert not (config.var / "snapshots").exists()
    with remote.storage.fs.open_input_stream(summary.rejects) as stream:
        rejects = stream.read().decode("utf-8-sig")
    assert rejects.startswith("row,column,value,reason\n") and "用户编号" in rejects
    frame = snapshots.load_month(remote, engine, "2026-10")
    assert frame is not None and len(frame) == summary.rows_loaded
    assert frame[LINE_ID].tolist() == sorted(frame[LINE_ID].tolist())
    some = frame[LINE_ID].iloc[[10, 3]].tolist()
    found = snapshots.load_lines(remote, engine, "2026-10", some)
    assert found is not None and found[LINE_ID].tolist() == sorted(some)
    assert import_extract(remote, engine, october, "2026-10").status == "unchanged"
