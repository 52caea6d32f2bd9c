"""An extract read straight from the billing database: a SELECT streamed in chunks through
SQLAlchemy, every value turned into the text a file would hold, so that the typing, the
rejects and the snapshot are those of a file. Its digest covers the query and every row, so
the same rows twice are the same import. The password comes from the environment only."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from outbound.errors import UserError
from outbound.extract.source import Source

# Where the billing database's password is, if its URL needs one.
PASSWORD_ENV = "ENGINE_SOURCE_PASSWORD"
CHUNK_ROWS = 50_000


def source_url(text: str, environ: dict[str, str] | None = None) -> URL:
    """TEXT as the billing database's URL, its password taken from $ENGINE_SOURCE_PASSWORD: a
    URL that carries one is refused (it would be seen in the shell's history and the process
    list, and recorded with the import)."""
    environ = dict(os.environ) if environ is None else environ
    try:
        url = make_url(text)
    except sa.exc.ArgumentError:
        raise UserError(
            f"--from-database {text!r} is no database URL; write it as "
            "postgresql+psycopg://user@host:5432/billing or mysql+pymysql://user@host:3306/billing"
        ) from None
    if url.password is not None:
        raise UserError(
            "--from-database: the URL carries a password; leave it out and put it in the "
            f"environment variable {PASSWORD_ENV}"
        )
    password = environ.get(PASSWORD_ENV)
    return url.set(password=password) if password else url


def shown(url: URL) -> str:
    """URL as the import records it: never a password."""
    return url.render_as_string(hide_password=True)


def read_query(
    url: URL,
    query_path: Path,
    advance: Callable[[int], object],
    params: Mapping[str, object] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Source:
    """The rows of the SELECT in QUERY_PATH on the database at URL, its :names bound to
    PARAMS, as text columns named by the query's column labels (row 1 the first row), read
    CHUNK_ROWS at a time."""
    query = _query_text(query_path)
    params = dict(params or {})
    digest = hashlib.sha256(f"{query}\x00{sorted(params.items())!r}\x00".encode())
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    parts: list[pa.Table] = []
    try:
        with engine.connect() as connection:
            found = connection.execution_options(stream_results=True, yield_per=chunk_rows)
            result = found.execute(sa.text(query), params)
            names = list(map(str, result.keys()))
            for rows in result.partitions():
                part = _as_text(names, rows)
                digest.update(_digest_part(part))
                parts.append(part)
                advance(len(rows))
    except sa.exc.DBAPIError as error:
        raise UserError(_said(url, query_path, error)) from None
    finally:
        engine.dispose()
    empty = pa.table({name: pa.array([], pa.string()) for name in names})
    table = pa.concat_tables(parts) if parts else empty
    return Source(
        table=table,
        row_numbers=np.arange(1, table.num_rows + 1),
        malformed=[],
        encoding=None,
        sha256=digest.hexdigest(),
    )


def _query_text(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"--query {path}: no such file; it holds the SELECT that reads the month")
    text = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
    if not text.lower().startswith(("select", "with")):
        raise UserError(
            f"--query {path}: an extract is read by one SELECT (or WITH … SELECT); this file "
            f"begins {text[:30]!r}"
        )
    return text


def _as_text(names: list[str], rows: Sequence[sa.Row[object]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {name: _column_text(column) for name, column in zip(names, columns, strict=True)}
    )


def _column_text(values: Sequence[object]) -> pa.Array:
    """VALUES as an export file would write them: dates ISO, times to the second, yes/no as
    true/false, decimals in full. Arrow converts a column of one type at once; a column of
    mixed types goes value by value."""
    try:
        typed = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_text(value) for value in values], pa.string())
    if pa.types.is_timestamp(typed.type):
        return pc.strftime(pc.cast(typed, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_binary(typed.type) or pa.types.is_large_binary(typed.type):
        return pa.array([_text(value) for value in values], pa.string())
    return pc.cast(typed, pa.string())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _digest_part(part: pa.Table) -> bytes:
    """PART's text in a stable binary form (Arrow IPC): the same rows, the same bytes."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, part.schema) as writer:
        writer.write_table(part)
    return sink.getvalue().to_pybytes()


def _said(url: URL, query_path: Path, error: sa.exc.DBAPIError) -> str:
    first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    where = f"{url.host or 'localhost'}:{url.port or ''}".rstrip(":")
    if isinstance(error, sa.exc.OperationalError) and error.statement is None:
        return (
            f"cannot reach the billing database at {where} ({first}); check the URL, that the "
            f"server runs, and {PASSWORD_ENV} if it needs a password"
        )
    return f"{query_path}: the billing database at {where} refused the query: {first}"
