"""Writing the day's work orders: rows/s on SQLite and PostgreSQL, COPY against SQLAlchemy's
executemany (insertmanyvalues) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench import postgres_schema
from outbound.store import orders
from outbound.store.db import open_database


def work_orders(count: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    now = dt.datetime(2026, 11, 2, 7, 30, tzinfo=dt.UTC)
    return pd.DataFrame(
        {
            "campaign": rng.choice(
                ["zero_usage_wakeup", "jiajia_upsell", "complaint_callback"], count
            ),
            "channel": "call",
            "line_id": [f"QY{i:010d}" for i in range(count)],
            "phone": [f"+86934{i:07d}" for i in range(count)],
            "month": "2026-10",
            "state": "assigned",
            "agent_id": [f"A{i % 2000:04d}" for i in range(count)],
            "owner_id": None,
            "value": rng.gamma(2, 30, count).round(2),
            "region": rng.choice(["西峰区", "镇原县", "环县"], count),
            "rank": np.arange(count),
            "created_on": now.date(),
            "created_at": now,
            "assigned_on": now.date(),
            "due_at": now + dt.timedelta(hours=72),
            "attempts": 0,
            "text": "您好，我是中国电信客服王丽。您的号码尾号1234近30天没有通话，请问是什么原因？",
        }
    )


def _timed(url: str, frame: pd.DataFrame, copy: bool = True) -> float:
    engine = open_database(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM work_orders"))
    started = time.perf_counter()
    with engine.begin() as connection:
        if copy:
            orders.insert_orders(connection, frame)
        else:
            plain = frame.astype(object).where(frame.notna(), None)
            connection.execute(sa.insert(orders.ORDERS), plain.to_dict("records"))
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM work_orders"))
    engine.dispose()
    return seconds


def run(count: int = 1_000_000) -> None:
    frame = work_orders(count)
    print(f"\nwriting {count:,} work orders in one transaction")
    with tempfile.TemporaryDirectory() as folder:
        sqlite = _timed(f"sqlite:///{Path(folder) / 'bench.db'}", frame)
    print(f"  SQLite executemany             {sqlite:6.2f} s  {count / sqlite:10,.0f} rows/s")
    schema_url = postgres_schema("bench")
    if schema_url is None:
        print("  PostgreSQL: not reachable, skipped")
        return
    copy = _timed(schema_url, frame)
    print(f"  PostgreSQL COPY                {copy:6.2f} s  {count / copy:10,.0f} rows/s")
    # SQLAlchemy's executemany (insertmanyvalues batches) on a fifth, to keep the bench short.
    part = frame.head(count // 5)
    bulk = _timed(schema_url, part, copy=False) * len(frame) / len(part)
    print(
        f"  PostgreSQL SQLAlchemy bulk     {bulk:6.2f} s  {count / bulk:10,.0f} rows/s"
        f"   (timed on {len(part):,} rows, scaled); COPY is {bulk / copy:.1f}x faster"
    )


if __name__ == "__main__":
    run()
