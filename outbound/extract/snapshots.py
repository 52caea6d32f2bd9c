"""Monthly extract snapshots: Parquet files in the store, partitioned by a stable hash of the
line id, catalogued in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outbound.config import LINE_ID, PHONE, PHONE_TYPE, Config, ExtractSettings
from outbound.errors import UserError
from outbound.extract import phones
from outbound.extract.convert import ARROW_TYPES
from outbound.storage import Storage
from outbound.store.models import ExtractImport

# Every snapshot has this many partitions, so that any two months line up part by part.
PARTITIONS = 32
# Each row's place in the extract, kept in the partitions to give the month back in file order.
ROW = "__row"
ROW_GROUP = 128 * 1024
# Plain LZ4 pages: written four times faster than with dictionaries and statistics (which no
# read here uses: lines are looked up by partition), read as fast, a third larger.
PARQUET = {"compression": "lz4", "use_dictionary": False, "write_statistics": False}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> str:
    if not MONTH.match(text):
        raise UserError(
            f"month {text!r} is not of the form YYYY-MM, e.g. 2026-10", "bad_month", month=text
        )
    return text


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:])
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def current_import(engine: sa.Engine | sa.Connection, month: str) -> ExtractImport | None:
    with Session(engine) as session:
        return session.scalars(
            sa.select(ExtractImport).where(
                ExtractImport.month == month, ExtractImport.replaced_at.is_(None)
            )
        ).one_or_none()


def history(engine: sa.Engine, month: str | None = None) -> Sequence[ExtractImport]:
    """Every import, newest first, replaced ones included."""
    query = sa.select(ExtractImport).order_by(
        ExtractImport.imported_at.desc(), ExtractImport.id.desc()
    )
    if month:
        query = query.where(ExtractImport.month == month)
    with Session(engine) as session:
        return session.scalars(query).all()


def loaded_months(engine: sa.Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                sa.select(ExtractImport.month)
                .where(ExtractImport.replaced_at.is_(None))
                .order_by(ExtractImport.month)
            )
        )


def latest_month(engine: sa.Engine) -> str:
    months = loaded_months(engine)
    if not months:
        raise UserError(
            "no extract is loaded yet; import one with: engine import FILE --month YYYY-MM",
            "no_extract",
        )
    return months[-1]


def record(engine: sa.Engine, new: ExtractImport) -> ExtractImport:
    """Make NEW the month's current import, stamping the one it replaces."""
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            sa.update(ExtractImport)
            .where(ExtractImport.month == new.month, ExtractImport.replaced_at.is_(None))
            .values(replaced_at=new.imported_at)
        )
        session.add(new)
        try:
            session.commit()
        except IntegrityError:
            raise UserError(
                f"another import of {new.month} finished at the same time; run the import again"
            ) from None
    return new


def load_month(
    config: Config,
    engine: sa.Engine,
    month: str,
    columns: Sequence[str] | None = None,
    *,
    in_file_order: bool = True,
) -> pd.DataFrame | None:
    """The month's current snapshot as a pyarrow-backed frame in file order, or None when it
    is not loaded. Without IN_FILE_ORDER it comes partition by partition, with each line's
    place in the file in column ROW: sorting a month costs more than sorting what is picked
    from it."""
    where = locate(config, engine, month)
    if where is None:
        return None
    table = read_parts(where, stored_columns(columns))
    if in_file_order:
        table = file_order(table)
    return typed(table).to_pandas(types_mapper=pd.ArrowDtype)


def load_lines(
    config: Config, engine: sa.Engine | sa.Connection, month: str, line_ids: Collection[str]
) -> pd.DataFrame | None:
    """The rows of LINE_IDS in the month's current snapshot, or None when it is not loaded:
    read from the partitions that hold them only, and filtered before they become a frame, so
    that a few lines of a large month read fast."""
    where = locate(config, engine, month)
    if where is None:
        return None
    wanted = list(dict.fromkeys(line_ids))
    if where.partitioned:
        parts = sorted(set(partition_of(pa.array(wanted, pa.string())).tolist())) or [0]
        table = pa.concat_tables([_part(where, part) for part in parts])
    else:
        table = _whole_snapshot(where)
    found = table.filter(pc.is_in(table[LINE_ID], pa.array(wanted, table[LINE_ID].type)))
    return typed(file_order(found)).to_pandas(types_mapper=pd.ArrowDtype)


def load_matching(
    config: Config,
    engine: sa.Engine | sa.Connection,
    month: str,
    line_ids: Collection[str],
    phones: Collection[str],
) -> pd.DataFrame | None:
    """The rows of the month's snapshot whose line id is one of LINE_IDS or whose phone is one
    of PHONES, or None when the month is not loaded; typed after they are picked out, so that
    a few lines of a large month read fast."""
    if not phones:
        return load_lines(config, engine, month, line_ids)
    where = locate(config, engine, month)
    if where is None:
        return None
    table = _whole_snapshot(where)
    wanted = pc.is_in(table[LINE_ID], value_set=pa.array(list(line_ids), table[LINE_ID].type))
    numbers = pa.array(list(phones), table[PHONE].type)
    wanted = pc.or_(wanted, pc.is_in(table[PHONE], value_set=numbers))
    return typed(file_order(table.filter(wanted))).to_pandas(types_mapper=pd.ArrowDtype)


@dataclass(frozen=True)
class Snapshot:
    """Where a month's snapshot is kept: PARTITIONS Parquet files under a folder of the store
    (one Arrow IPC file for an import from before partitions)."""

    storage: Storage
    key: str

    @property
    def partitioned(self) -> bool:
        return not self.key.endswith(".arrow")

    def part_key(self, part: int) -> str:
        return f"{self.key}/part-{part:03d}.parquet"


def partition_of(line_ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Each line's partition: pandas' SipHash of its id (with pandas' fixed key, the same on
    every host, process and version), modulo PARTITIONS. A line keeps its partition from month
    to month, so that month M and M-1 line up partition by partition."""
    if isinstance(line_ids, pa.ChunkedArray):
        line_ids = line_ids.combine_chunks()
    values = line_ids.cast(pa.string()).to_numpy(zero_copy_only=False)
    hashed = pd.util.hash_array(values, categorize=False)
    return (hashed % np.uint64(PARTITIONS)).astype(np.int32)


def write_snapshot(storage: Storage, key: str, chunks: Iterable[pa.Table]) -> int:
    """CHUNKS, one after the other, as PARTITIONS Parquet files under folder KEY, each holding
    its lines in file order with their row numbers (ROW), so that the month reads back in file
    order, and their phone types; a chunk is written before the next is read. The number of
    rows written."""
    snapshot = Snapshot(storage, key)
    written = 0
    # Arrow's kernels and Parquet's encoders let go of the GIL: the work is shared by the cores.
    with ExitStack() as files, ThreadPoolExecutor(os.cpu_count()) as pool:
        streams = [
            files.enter_context(storage.writing(snapshot.part_key(n))) for n in range(PARTITIONS)
        ]
        writers: list[pq.ParquetWriter] = []
        for chunk in chunks:
            with_types = pool.submit(typed, chunk)  # beside the hashing of the line ids
            parts = partition_of(chunk[LINE_ID])
            rows = np.arange(written, written + chunk.num_rows, dtype=np.int64)
            numbered = with_types.result().append_column(ROW, pa.array(rows))
            written += chunk.num_rows
            if not writers:
                writers = [
                    files.enter_context(pq.ParquetWriter(stream, numbered.schema, **PARQUET))
                    for stream in streams
                ]
            _write_chunk(pool, writers, numbered, parts)
        assert writers, "a snapshot is written from one chunk at least, which gives its schema"
    return written


def _write_chunk(
    pool: ThreadPoolExecutor, writers: list[pq.ParquetWriter], chunk: pa.Table, parts: np.ndarray
) -> None:
    """Each of CHUNK's rows to the writer of its partition (PARTS), in file order."""
    order = np.argsort(parts, kind="stable")
    bounds = np.searchsorted(parts[order], np.arange(PARTITIONS + 1))
    at = pa.array(order)
    grouped = pa.table(list(pool.map(lambda column: column.take(at), chunk.columns)), chunk.schema)

    def write(part: int) -> None:
        piece = grouped.slice(bounds[part], bounds[part + 1] - bounds[part])
        writers[part].write_table(piece, row_group_size=ROW_GROUP)

    list(pool.map(write, range(PARTITIONS)))


def read_parts(
    where: Snapshot, columns: Sequence[str] | None, parts: Iterable[int] | None = None
) -> pa.Table:
    """COLUMNS (all by default) of PARTS of the snapshot (all by default), with ROW, as stored:
    partition by partition, file order within each."""
    if not where.partitioned:
        table = _legacy(where, columns)
        return table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    chosen = list(range(PARTITIONS) if parts is None else parts)
    paths = [where.storage.path(where.part_key(part)) for part in chosen]
    try:
        dataset = ds.dataset(paths, format="parquet", filesystem=where.storage.fs)
        stored = dataset.schema.names
        read = (
            None
            if columns is None
            else [c for c in [*columns, ROW] if c in stored or c != PHONE_TYPE]
        )
        return dataset.to_table(columns=read).cast(_as_written(dataset.schema, read))
    except FileNotFoundError:
        gone = next(p for p in chosen if not where.storage.exists(where.part_key(p)))
        raise UserError(
            f"{where.storage.path(where.part_key(gone))}: this part of the snapshot is missing "
            "from the store; import the extract again with --replace",
            "snapshot_missing",
        ) from None


def _as_written(schema: pa.Schema, columns: Sequence[str] | None) -> pa.Schema:
    """The types of COLUMNS (all by default) as imported: Parquet keeps a datetime's seconds
    as milliseconds."""
    fields = [
        pa.field(f.name, ARROW_TYPES["datetime"]) if pa.types.is_timestamp(f.type) else f
        for f in schema
    ]
    written = pa.schema(fields)
    return written if columns is None else pa.schema([written.field(c) for c in columns])


def file_order(table: pa.Table) -> pa.Table:
    """TABLE's rows in the extract's order, without ROW."""
    if ROW not in table.column_names:
        return table
    rows = table[ROW]
    ordered = table if _increasing(rows) else table.take(pc.sort_indices(rows))
    return ordered.drop_columns([ROW])


def _increasing(rows: pa.ChunkedArray) -> bool:
    if len(rows) < 2:
        return True
    values = rows.to_numpy()
    return bool((values[1:] > values[:-1]).all())


def stored_columns(columns: Sequence[str] | None) -> list[str] | None:
    """The columns to read for COLUMNS: the phone too, which gives the phone type where a
    snapshot does not hold it (one from before partitions)."""
    if columns is None:
        return None
    return list(dict.fromkeys([*columns, PHONE]))


@lru_cache(maxsize=2 * PARTITIONS)
def _part(where: Snapshot, part: int) -> pa.Table:
    """One partition, kept for the lines looked up a few at a time (tickets, a moved order's
    script): the snapshot's key carries its content's digest, so it never changes."""
    return read_parts(where, None, [part])


@lru_cache(maxsize=2)
def _whole_snapshot(where: Snapshot) -> pa.Table:
    """The whole snapshot, kept for lines looked up by phone, which any partition may hold."""
    return read_parts(where, None)


def _legacy(where: Snapshot, columns: Sequence[str] | None) -> pa.Table:
    path = where.storage.local_path(where.key)
    assert path is not None, "imports before partitions kept their snapshot in var/"
    read = None if columns is None else [c for c in columns if c != PHONE_TYPE]
    return feather.read_table(path, columns=read)


def locate(config: Config, engine: sa.Engine | sa.Connection, month: str) -> Snapshot | None:
    """Where the month's current snapshot is, once checked to be there and to fit config.toml;
    None when the month is not loaded."""
    entry = current_import(engine, month)
    if entry is None:
        return None
    where = Snapshot(config.storage, entry.snapshot_path)
    present = where.part_key(0) if where.partitioned else where.key
    if not config.storage.exists(present):
        raise UserError(
            f"{config.storage.path(where.key)}: the snapshot of {month} is missing from the "
            f"store ({config.storage.url}); import the extract again with --replace",
            "snapshot_missing",
            month=month,
        )
    why = stale(config, entry)
    if why is not None:
        raise UserError(f"{month}: {why}. {fix(entry)}", "snapshot_stale", month=month)
    return where


def typed(table: pa.Table) -> pa.Table:
    """TABLE with each line's phone type (mobile or fixed), derived where not stored."""
    if PHONE_TYPE in table.column_names:
        return table
    return table.append_column(PHONE_TYPE, phones.phone_types(table[PHONE]))


def snapshot_keys(month: str, sha256: str, mapping: str) -> tuple[str, str]:
    """Where in the store the snapshot of a file read under MAPPING goes (a folder), and its
    rejects: one file and one mapping, one snapshot."""
    stem = f"snapshots/{month}/{sha256[:16]}-{hashlib.sha256(mapping.encode()).hexdigest()[:8]}"
    return stem, f"{stem}.rejects.csv"


def mapping_of(extract: ExtractSettings) -> str:
    """What of [extract] makes a snapshot what it is, as JSON (max_reject_share does not)."""
    return json.dumps(
        extract.model_dump(mode="json", exclude={"max_reject_share"}),
        ensure_ascii=False,
        sort_keys=True,
    )


def stale(config: Config, entry: ExtractImport) -> str | None:
    """Why ENTRY's snapshot no longer fits config.toml's [extract], or None when it does. An
    import from before mappings were kept fits when its columns and their types are config's."""
    if entry.mapping is not None:
        if entry.mapping == mapping_of(config.extract):
            return None
        then = json.loads(entry.mapping)
        now = json.loads(mapping_of(config.extract))
        changed = sorted(key for key in then.keys() | now.keys() if then.get(key) != now.get(key))
        return (
            "its snapshot was made under another [extract] mapping in config.toml "
            f"({', '.join(changed)} changed since)"
        )
    schema = _stored_schema(Snapshot(config.storage, entry.snapshot_path))
    if schema is None:
        return None  # said when the month is read
    wanted = {name: ARROW_TYPES[kind] for name, kind in config.extract.column_types().items()}
    wanted.pop(PHONE_TYPE)
    differ = sorted(
        name
        for name in wanted.keys() | set(schema.names)
        if name not in schema.names or wanted.get(name) != schema.field(name).type
    )
    if not differ:
        return None
    return (
        "its snapshot was made under another [extract] mapping in config.toml "
        f"(columns {', '.join(differ)} differ)"
    )


def _stored_schema(where: Snapshot) -> pa.Schema | None:
    """The columns WHERE holds (ROW aside), or None when it is missing."""
    if not where.partitioned:
        path = where.storage.local_path(where.key)
        if path is None or not path.is_file():
            return None
        with pa.memory_map(str(path)) as file:
            return pa.ipc.open_file(file).schema
    if not where.storage.exists(where.part_key(0)):
        return None
    schema = pq.read_schema(where.storage.path(where.part_key(0)), filesystem=where.storage.fs)
    kept = [name for name in schema.names if name not in (ROW, PHONE_TYPE)]
    return _as_written(pa.schema([schema.field(name) for name in kept]), None)


def fix(entry: ExtractImport) -> str:
    """The command that makes ENTRY's month fit config.toml again."""
    return (
        f'Read the file again under the mapping: engine import "{entry.source_path}" '
        f"--month {entry.month} --replace"
    )


def stale_months(config: Config, engine: sa.Engine) -> list[tuple[ExtractImport, str]]:
    """Every loaded month whose snapshot no longer fits config.toml, with why."""
    found = []
    for month in loaded_months(engine):
        entry = current_import(engine, month)
        why = None if entry is None else stale(config, entry)
        if entry is not None and why is not None:
            found.append((entry, why))
    return found
