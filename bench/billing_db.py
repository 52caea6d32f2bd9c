"""Reading a month from the billing database: database.read_query (streamed in chunks, every
value as the text a file holds, digested) against pandas.read_sql_query of the same SELECT
(the whole result at once, typed), on PostgreSQL and MariaDB.

PYTHONPATH=. .venv/bin/python -c "from bench.billing_db import run; run()"
"""

from __future__ import annotations

import io
import os
import resource
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench import median_time, postgres_schema
from outbound.extract import database

MARIADB = os.environ.get("ENGINE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
TABLE = "bench_billing"
QUERY = f"""SELECT user_no AS "用户编号", phone AS "用户号码", county AS "区县",
opened_on AS "入网日期", fee AS "月话费", calls AS "通话次数", caller_id AS "来电显示"
FROM {TABLE}"""
COLUMNS = "user_no, phone, county, opened_on, fee, calls, caller_id"
CREATE = (
    f"CREATE TABLE {TABLE} (user_no VARCHAR(20), phone VARCHAR(20), county VARCHAR(20), "
    "opened_on DATE, fee DECIMAL(10, 2), calls INTEGER, caller_id BOOLEAN)"
)


def billing(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(19)
    return pd.DataFrame(
        {
            "user_no": [f"QY{i:010d}" for i in range(rows)],
            "phone": [f"139{i:08d}" for i in range(rows)],
            "county": rng.choice(["西峰区", "镇原县", "环县", "庆城县"], rows),
            "opened_on": (
                pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 4000, rows), "D")
            ).date,
            "fee": rng.gamma(2, 30, rows).round(2),
            "calls": rng.poisson(20, rows),
            "caller_id": rng.random(rows) < 0.4,
        }
    )


def _fill(url: str, frame: pd.DataFrame) -> None:
    engine = sa.create_engine(url, connect_args=_local_files(url))
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
        connection.execute(sa.text(CREATE))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if url.startswith("postgresql"):
            text = io.StringIO()
            frame.to_csv(text, index=False, header=False)
            with cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(text.getvalue())
        else:
            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as file:
                frame.assign(caller_id=frame["caller_id"].astype(int)).to_csv(
                    file, index=False, header=False
                )
            cursor.execute(
                f"LOAD DATA LOCAL INFILE '{file.name}' INTO TABLE {TABLE} CHARACTER SET utf8mb4 "
                f"FIELDS TERMINATED BY ',' ({COLUMNS})"
            )
            Path(file.name).unlink()
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def _local_files(url: str) -> dict[str, object]:
    return {"local_infile": True} if url.startswith("mysql") else {}


def run(rows: int = 500_000) -> None:
    frame = billing(rows)
    sources = {"PostgreSQL": postgres_schema("bench_billing"), "MariaDB": MARIADB}
    with tempfile.TemporaryDirectory() as folder:
        query = Path(folder) / "month.sql"
        query.write_text(QUERY, encoding="utf-8")
        print(f"{rows:,} billing rows read by one SELECT, median of 3")
        for name, url in sources.items():
            try:
                if url is None:
                    raise ConnectionError("no server answers")
                _fill(url, frame)
            except (ConnectionError, sa.exc.OperationalError) as error:
                print(f"  {name}: {str(error).splitlines()[0]}")
                continue
            _measure(name, url, query, rows)


def _measure(name: str, url: str, query: Path, rows: int) -> None:
    found = database.source_url(url, environ={})
    engine = sa.create_engine(url)
    pandas_time = median_time(3, lambda: pd.read_sql_query(sa.text(QUERY), engine))
    ours_time = median_time(3, lambda: database.read_query(found, query, lambda _: None))
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {name:<10} pandas.read_sql_query  {rows / pandas_time:10,.0f} rows/s")
    print(
        f"  {name:<10} database.read_query    {rows / ours_time:10,.0f} rows/s"
        f"   = {pandas_time / ours_time:.2f} of pandas (peak RSS so far {peak:,.0f} MiB)"
    )
