"""Many rows at once: a frame typed by its table's columns, then COPY on PostgreSQL and one
prepared executemany on SQLite, both fed from Arrow rather than row by row through the ORM."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from outbound.store.models import UTCDateTime


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
        return pa.array(pd.to_datetime(values).dt.date, type=target, from_pandas=True)
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
    buffer = io.BytesIO()
    # Arrow quotes every string and leaves a null bare and empty, which COPY's CSV reads as NULL.
    pacsv.write_csv(typed, buffer, write_options=pacsv.WriteOptions(include_header=False))
    raw = connection.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({', '.join(typed.column_names)}) FROM STDIN (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


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
