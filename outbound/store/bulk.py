"""Many rows at once: a frame typed by its table's columns, then COPY on PostgreSQL and one
prepared executemany on SQLite, both fed from Arrow rather than row by row through the ORM.

On PostgreSQL the rows go in COPY's binary format, built by Arrow and numpy a block at a time
(no Python per row) and sent while the next block is built: the server then parses no text
(timestamps, dates and numbers arrive as PostgreSQL keeps them) and the client's work overlaps
the server's. A column whose PostgreSQL type has no binary form here sends the whole frame as
CSV instead, the same values in text."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from outbound.store.models import UTCDateTime

if TYPE_CHECKING:
    import psycopg

# Rows a block of COPY data: a few MB, so that building one overlaps the server's storing the last.
ROWS_PER_BLOCK = 32_768
# Binary COPY: a signature, 32 bits of flags and an empty header extension; a count of -1 fields
# ends the data.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_TRAILER = b"\xff\xff"
# PostgreSQL counts dates and moments from 2000-01-01 (UTC), Arrow from 1970-01-01.
_EPOCH_DAYS = 10_957
_EPOCH_MICROSECONDS = _EPOCH_DAYS * 86_400 * 1_000_000
# The PostgreSQL types (by oid) that binary COPY gets from each Arrow type of _arrow_type.
_TEXT, _INT2, _INT4, _INT8, _FLOAT8, _BOOL, _DATE = "text", "int2", "int4", "int8", "f8", "b", "d"
_MOMENT = "timestamp"
_BINARY_KINDS = {
    pa.string(): {25: _TEXT, 1043: _TEXT},  # text, varchar
    pa.int64(): {20: _INT8, 23: _INT4, 21: _INT2},  # bigint, integer, smallint
    pa.float64(): {701: _FLOAT8},  # double precision
    pa.bool_(): {16: _BOOL},
    pa.date32(): {1082: _DATE},
    pa.timestamp("us", tz="UTC"): {1184: _MOMENT, 1114: _MOMENT},  # with and without zone
}
_INT_RANGES = {_INT2: (-(2**15), 2**15 - 1), _INT4: (-(2**31), 2**31 - 1)}


def insert_frame(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert FRAME's rows into TABLE; columns missing or all null stay NULL."""
    if frame.empty:
        return
    present = [c.name for c in table.columns if c.name in frame and frame[c.name].notna().any()]
    typed = pa.table({name: _typed(frame[name], table.c[name].type) for name in present})
    if connection.dialect.name == "postgresql":
        _copy(connection, table.name, typed)
    else:
        _executemany(connection, table.name, typed)


def _typed(values: pd.Series, kind: sa.types.TypeEngine[object]) -> pa.Array:
    target = _arrow_type(kind)
    if isinstance(kind, UTCDateTime):
        moments = pd.to_datetime(values, utc=True)
        return pa.array(moments.dt.as_unit("us"), type=target, from_pandas=True)
    if isinstance(kind, sa.Date):
        # The day on the wall clock (of the moment's zone, if it has one), NaT as null.
        moments = pd.to_datetime(values)
        if moments.dt.tz is not None:
            moments = moments.dt.tz_localize(None)
        days = moments.to_numpy().astype("datetime64[D]")
        return pa.array(days, type=target, from_pandas=True)
    if isinstance(kind, sa.Integer):
        return pa.array(values.astype("Int64"), type=target, from_pandas=True)
    return pa.array(values, type=target, from_pandas=True)


def _arrow_type(kind: sa.types.TypeEngine[object]) -> pa.DataType:
    if isinstance(kind, UTCDateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    return pa.string()


def _copy(connection: sa.Connection, table: str, typed: pa.Table) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    kinds = _binary_kinds(raw, table, typed)
    columns = ", ".join(typed.column_names)
    fmt = "csv" if kinds is None else "binary"
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT {fmt})") as copy,
    ):
        for block in _csv_blocks(typed) if kinds is None else _binary_blocks(typed, kinds):
            copy.write(block)


def _binary_kinds(raw: psycopg.Connection[Any], table: str, typed: pa.Table) -> list[str] | None:
    """How each column of TYPED goes in binary COPY into TABLE's column of that name, by the
    column's type in the database; None if one cannot (a type without a binary form here, an
    integer out of its column's range, a client encoding other than UTF-8): then CSV, whose
    text the server parses and checks as it always did."""
    if raw.info.encoding != "utf-8":
        return None
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute"
            " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (table,),
        )
        oids = {str(name): int(oid) for name, oid in cursor.fetchall()}
    kinds = []
    for name, column in zip(typed.column_names, typed.columns, strict=True):
        kind = _BINARY_KINDS.get(column.type, {}).get(oids.get(name, 0))
        if kind is None:
            return None
        if kind in _INT_RANGES and column.null_count < len(column):
            low, high = _INT_RANGES[kind]
            extremes = pc.min_max(column)
            if extremes["min"].as_py() < low or extremes["max"].as_py() > high:
                return None
        kinds.append(kind)
    return kinds


def _binary_blocks(typed: pa.Table, kinds: Sequence[str]) -> Iterator[memoryview]:
    """TYPED in binary COPY format, a block of rows at a time."""
    yield memoryview(_SIGNATURE)
    for start in range(0, typed.num_rows, ROWS_PER_BLOCK):
        block = typed.slice(start, ROWS_PER_BLOCK)
        count = np.full(block.num_rows, block.num_columns, dtype=">i2")
        parts = [_each_row(count)]
        for column, kind in zip(block.columns, kinds, strict=True):
            parts.extend(_fields(column.combine_chunks(), kind))
        # Each row's bytes: its count of fields, then each field's length and value.
        rows = pc.binary_join_element_wise(*parts, b"")
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1)
        yield memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]
    yield memoryview(_TRAILER)


def _fields(column: pa.Array, kind: str) -> list[pa.Array]:
    """COLUMN as binary COPY fields (a 32-bit length, -1 for NULL, then the value): one array,
    or lengths and values to be joined."""
    if kind == _TEXT:
        lengths = pc.fill_null(pc.binary_length(column), -1).to_numpy()
        return [_each_row(lengths.astype(">i4")), pc.fill_null(column.cast(pa.binary()), b"")]
    if kind == _MOMENT:
        values = pc.fill_null(column.cast(pa.int64()), 0).to_numpy() - _EPOCH_MICROSECONDS
        return [_with_lengths(values.astype(">i8"), column)]
    if kind == _DATE:
        values = pc.fill_null(column.cast(pa.int32()), 0).to_numpy() - _EPOCH_DAYS
        return [_with_lengths(values.astype(">i4"), column)]
    if kind == _BOOL:
        flags = pc.fill_null(column, False).to_numpy(zero_copy_only=False)
        return [_with_lengths(flags.astype(np.uint8), column)]
    widths = {_INT8: ">i8", _INT4: ">i4", _INT2: ">i2", _FLOAT8: ">f8"}
    return [_with_lengths(pc.fill_null(column, 0).to_numpy().astype(widths[kind]), column)]


def _each_row(values: np.ndarray) -> pa.Array:
    """The bytes of each of VALUES (a fixed width each) as a binary array."""
    width = values.dtype.itemsize
    raw = pa.py_buffer(np.ascontiguousarray(values))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, raw])
    return fixed.cast(pa.binary())


def _with_lengths(values: np.ndarray, column: pa.Array) -> pa.Array:
    """VALUES (big-endian, fixed width) as binary COPY fields, NULL where COLUMN is null."""
    width = values.dtype.itemsize
    fields = np.empty(len(values), dtype=[("length", ">i4"), ("value", values.dtype)])
    fields["value"] = values
    if column.null_count == 0:
        fields["length"] = width
        return _each_row(fields)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    fields["length"] = np.where(valid, width, -1)
    # A NULL is its length alone: keep every byte of a value, the first four of a NULL.
    keep = np.ones((len(values), 4 + width), dtype=bool)
    keep[~valid, 4:] = False
    data = fields.view(np.uint8).reshape(len(values), 4 + width)[keep]
    offsets = np.zeros(len(values) + 1, dtype=np.int32)
    np.cumsum(np.where(valid, 4 + width, 4), out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.binary(), len(values), buffers)


def _csv_blocks(typed: pa.Table) -> Iterator[memoryview]:
    """TYPED as COPY's CSV, a block of rows at a time."""
    # Arrow quotes every string and leaves a null bare and empty, which COPY's CSV reads as NULL.
    options = pacsv.WriteOptions(include_header=False)
    for start in range(0, typed.num_rows, ROWS_PER_BLOCK):
        buffer = io.BytesIO()
        pacsv.write_csv(typed.slice(start, ROWS_PER_BLOCK), buffer, write_options=options)
        yield buffer.getbuffer()


def _executemany(connection: sa.Connection, table: str, typed: pa.Table) -> None:
    columns = []
    for column in typed.columns:
        if pa.types.is_timestamp(column.type):
            # The UTC wall time as "2026-11-02 07:30:00.000000", as SQLAlchemy stores it there.
            column = pc.cast(column.cast(pa.timestamp("us")), pa.string())
        elif pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column.to_pylist())
    names = ", ".join(typed.column_names)
    marks = ", ".join("?" for _ in typed.column_names)
    rows = list(zip(*columns, strict=True))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
