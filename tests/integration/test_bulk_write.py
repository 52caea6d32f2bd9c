"""insert_frame stores what the frame holds, on SQLite (executemany) and on PostgreSQL (binary
COPY, or CSV where a column has no binary form): NULLs, text COPY would trip on, moments in any
zone, dates either side of both epochs, booleans, floats and integers at their limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from outbound.store import bulk, orders
from outbound.store.db import open_database
from outbound.store.models import UTCDateTime
from tests.conftest import BACKENDS

SHANGHAI = ZoneInfo("Asia/Shanghai")
METADATA = sa.MetaData()
SAMPLES = sa.Table(
    "bulk_samples",
    METADATA,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("note", sa.Text),
    sa.Column("name", sa.String(64)),
    sa.Column("big", sa.BigInteger),
    sa.Column("small", sa.Integer),
    sa.Column("ratio", sa.Float),
    sa.Column("flag", sa.Boolean),
    sa.Column("day", sa.Date),
    sa.Column("at", UTCDateTime),
    sa.Column("never", sa.Text),  # all null: left out of the write, stays NULL
)
TEXTS = [
    "西峰区, \"引号\" 和 '单引号'\n第二行\\反斜杠\t制表符",
    "",
    None,
    "\\N",
    "NULL",
    '"',
    ",",
    "\r\n",
    " 前后空格 ",
    "😀 环县",
    "\\.",
    "镇原县",
]
ROWS = len(TEXTS)
MOMENTS = [
    dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 2, 15, 30, 0, 123456, tzinfo=SHANGHAI),
    None,
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(1969, 7, 20, 20, 17, 40, tzinfo=dt.UTC),
    dt.datetime(2000, 1, 1, tzinfo=SHANGHAI),
    dt.datetime(2200, 2, 28, 12, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 1, 59, 59, tzinfo=ZoneInfo("Europe/Berlin")),
    None,
    dt.datetime(2026, 11, 2, 0, 0, tzinfo=SHANGHAI),
    dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.UTC),
]
DAYS = [
    dt.date(2026, 11, 2),
    None,
    dt.date(1999, 12, 31),
    dt.date(2000, 1, 1),
    dt.date(1969, 12, 31),
    dt.date(1970, 1, 1),
    dt.date(1900, 3, 1),
    dt.date(2200, 12, 31),
    None,
    dt.date(2024, 2, 29),
    dt.date(2001, 1, 1),
    dt.date(2026, 10, 31),
]
FLAGS = [True, False, None, True, False, True, None, False, True, True, False, None]
RATIOS = [0.1, 1 / 3, None, -2.5, 1e300, 5e-324, 0.0, -1e-300, 123456789.123456, None, 7.0, 2.2]
BIGS = [2**62, -(2**63), None, 0, 1, -1, 9_007_199_254_740_993, None, 42, 10**15, 3, 4]
SMALLS = [2**31 - 1, -(2**31), None, 0, 7, None, -1, 100, 0, 1, 2, 3]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "note": pd.Series(TEXTS, dtype=object),
            "name": pd.Series([f'A{i:03d},\t"{i}"' for i in range(ROWS)], dtype=object),
            "big": pd.Series(BIGS, dtype=object),
            "small": pd.Series(SMALLS, dtype=object),
            "ratio": pd.Series(RATIOS, dtype=float),
            "flag": pd.Series(FLAGS, dtype=object),
            "day": pd.Series(DAYS, dtype=object),
            "at": pd.Series(MOMENTS, dtype=object),
            "never": pd.Series([None] * ROWS, dtype=object),
        }
    )


def _expected() -> list[tuple[object, ...]]:
    frame = _frame()
    return [
        (i + 1, *(None if pd.isna(v) else v for v in row))
        for i, row in enumerate(frame.itertuples(index=False))
    ]


@pytest.fixture
def samples(database: sa.Engine) -> Iterator[sa.Engine]:
    METADATA.create_all(database)
    yield database
    METADATA.drop_all(database)


def _read(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(SAMPLES).order_by("id"))]


def _same(got: list[tuple[object, ...]], expected: list[tuple[object, ...]]) -> None:
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row == want
        for value, wanted in zip(row, want, strict=True):
            assert type(value) is type(wanted) or value is wanted, (row, want)
            if isinstance(value, dt.datetime):
                assert value.utcoffset() == dt.timedelta(0)  # read back in UTC


@pytest.mark.parametrize("rows_per_block", [bulk.ROWS_PER_BLOCK, 5])
def test_a_frame_round_trips_exactly(
    samples: sa.Engine, rows_per_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "ROWS_PER_BLOCK", rows_per_block)
    with samples.begin() as connection:
        bulk.insert_frame(connection, SAMPLES, _frame())
    _same(_read(samples), _expected())


# COPY is PostgreSQL's.
@pytest.mark.parametrize("database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_binary_copy_and_csv_store_the_same(
    samples: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with samples.begin() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        kinds = bulk._binary_kinds(raw, "bulk_samples", _typed(_frame()))
        assert kinds is not None  # every column goes in binary
        bulk.insert_frame(connection, SAMPLES, _frame())
    binary = _read(samples)
    with samples.begin() as connection:
        connection.execute(sa.delete(SAMPLES))
    monkeypatch.setattr(bulk, "_binary_kinds", lambda *_: None)
    with samples.begin() as connection:
        bulk.insert_frame(connection, SAMPLES, _frame())
    csv = _read(samples)
    assert [row[1:] for row in csv] == [row[1:] for row in binary]
    _same([(i + 1, *row[1:]) for i, row in enumerate(csv)], _expected())


def test_an_integer_out_of_its_column_is_refused_or_kept_whole(samples: sa.Engine) -> None:
    frame = pd.DataFrame({"small": [1, 2**31]})
    if samples.dialect.name == "sqlite":  # SQLite keeps any integer, as it came
        with samples.begin() as connection:
            bulk.insert_frame(connection, SAMPLES, frame)
        assert [row[SAMPLES.c.keys().index("small")] for row in _read(samples)] == [1, 2**31]
        return
    with pytest.raises(Exception, match="out of range"), samples.begin() as connection:
        bulk.insert_frame(connection, SAMPLES, frame)
    assert _read(samples) == []


def _typed(frame: pd.DataFrame) -> pa.Table:
    present = [c.name for c in SAMPLES.columns if c.name in frame and frame[c.name].notna().any()]
    return pa.table({name: bulk._typed(frame[name], SAMPLES.c[name].type) for name in present})


def test_work_orders_round_trip(database_url: str) -> None:
    engine = open_database(database_url)
    now = dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.UTC)
    frame = pd.DataFrame(
        {
            "campaign": ["zero_usage_wakeup", "jiajia_upsell", "complaint_callback"],
            "channel": "call",
            "line_id": ["QY1", "QY2", "QY3"],
            "phone": ["+8693400001", "+8693400002", "+8693400003"],
            "month": "2026-10",
            "state": ["assigned", "open", "assigned"],
            "agent_id": ["A0001", None, "A0002"],
            "value": [12.34, None, 0.5],
            "region": ["西峰区", "镇原县", None],
            "rank": [0, 1, 2],
            "created_on": now.date(),
            "created_at": now,
            "assigned_on": [now.date(), None, now.date()],
            "due_at": [now + dt.timedelta(hours=72), None, now.astimezone(SHANGHAI)],
            "attempts": [0, 3, 2**31 - 1],
            "text": ['您好，"王丽"\n尾号1234\t近30天\\没有通话', "", "ok"],
        }
    )
    try:
        with engine.begin() as connection:
            orders.insert_orders(connection, frame)
        columns = [orders.ORDERS.c[name] for name in frame.columns]
        with engine.connect() as connection:
            got = connection.execute(sa.select(*columns).order_by(orders.ORDERS.c.id)).all()
            version = connection.execute(sa.select(orders.ORDERS.c.version)).scalars().all()
        want = [
            tuple(None if pd.isna(v) else v for v in row)
            for row in frame.astype(object).itertuples(index=False)
        ]
        assert [tuple(row) for row in got] == want
        assert version == [0, 0, 0]
    finally:
        engine.dispose()
