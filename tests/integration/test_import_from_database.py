"""An extract read straight from the billing database — PostgreSQL and MariaDB — loads as the
same rows in a file would: the same typing, rejects and snapshot; the same rows twice change
nothing; a password never rides in the URL; an unreachable server or a bad query says which."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from outbound.cli import main
from outbound.config import load_config
from outbound.errors import UserError
from outbound.extract import database, snapshots
from outbound.extract.imports import import_extract, import_query
from outbound.schedule import jobs, scheduler
from outbound.store.db import open_database
from tests.conftest import POSTGRES_URL
from tests.extracts import OCTOBER, write_csv

MARIADB_URL = os.environ.get("ENGINE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
SOURCES = {"mariadb": MARIADB_URL} | ({"postgresql": POSTGRES_URL} if POSTGRES_URL else {})

# The billing system's own names; the query gives them the extract's headers.
QUERY = """
SELECT user_no AS "用户编号", phone AS "用户号码", cust_name AS "客户姓名", county AS "区县",
       state AS "状态", opened_on AS "入网日期", fee AS "月话费", calls AS "通话次数",
       caller_id AS "来电显示", last_complaint AS "最近投诉时间"
FROM {table}
ORDER BY user_no;
"""


def _typed(row: list[str]) -> dict[str, object]:
    """OCTOBER's ROW as the billing database holds it: a date, a decimal, a number, a flag."""
    day = row[5].replace("/", "-")
    day = f"{day[:4]}-{day[4:6]}-{day[6:]}" if "-" not in day else day
    return {
        "user_no": row[0],
        "phone": row[1],
        "cust_name": row[2],
        "county": row[3],
        "state": row[4],
        "opened_on": dt.date.fromisoformat(day),
        "fee": Decimal(row[6]),
        "calls": int(row[7]),
        "caller_id": row[8] == "是",
        "last_complaint": dt.datetime(2026, 10, 9, 14, 30, 5) if row[2] == "王芳" else None,
    }


@pytest.fixture(params=sorted(SOURCES))
def billing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """A billing table with OCTOBER's rows on the source database, and the query reading it."""
    url = SOURCES[request.param]
    table = f"billing_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE TABLE {table} (user_no VARCHAR(20) PRIMARY KEY, phone VARCHAR(32), "
                "cust_name VARCHAR(40), county VARCHAR(20), state VARCHAR(8), opened_on DATE, "
                "fee DECIMAL(10, 2), calls INTEGER, caller_id BOOLEAN, last_complaint "
                "TIMESTAMP NULL)"
            )
        )
        _insert(connection, table, [_typed(row) for row in OCTOBER])
    query = tmp_path / "billing.sql"
    query.write_text(QUERY.format(table=table), encoding="utf-8")
    yield url, query, table
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()


def _insert(connection: sa.Connection, table: str, rows: list[dict[str, object]]) -> None:
    names = list(rows[0])
    connection.execute(
        sa.text(
            f"INSERT INTO {table} ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + name for name in names)})"
        ),
        rows,
    )


def test_a_select_loads_as_the_same_rows_in_a_file_would(
    opened, billing: tuple[str, Path, str], tmp_path: Path
) -> None:
    config, engine = opened
    url, query, _ = billing
    from_file = import_extract(config, engine, write_csv(tmp_path / "f.csv", OCTOBER), "2026-09")
    summary = import_query(config, engine, url, query, "2026-10", environ={})
    assert (summary.status, summary.rows_read, summary.rows_loaded) == ("imported", 6, 6)
    assert from_file.rows_loaded == 6
    read = snapshots.load_month(config, engine, "2026-10")
    filed = snapshots.load_month(config, engine, "2026-09")
    assert read is not None and filed is not None
    shown = ["line_id", "phone", "customer_name", "region", "status", "install_date"]
    shown += ["monthly_spend", "calls_30d", "caller_id"]
    pd.testing.assert_frame_equal(read[shown], filed[shown])
    assert str(read["last_complaint_at"].dropna().iloc[0]) == "2026-10-09 14:30:05"
    (entry,) = [e for e in snapshots.history(engine, "2026-10")]
    assert entry.file_format == "database" and str(query.resolve()) in entry.source_path
    assert entry.source_size == 6


def test_the_same_rows_twice_change_nothing_and_other_rows_want_replace(
    opened, billing: tuple[str, Path, str]
) -> None:
    config, engine = opened
    url, query, table = billing
    import_query(config, engine, url, query, "2026-10", environ={})
    again = import_query(config, engine, url, query, "2026-10", environ={})
    assert (again.status, again.rows_loaded) == ("unchanged", 6)
    source = sa.create_engine(url)
    with source.begin() as connection:
        connection.execute(sa.text(f"UPDATE {table} SET calls = 43 WHERE user_no = 'QY0000000002'"))
        row = _typed(["QY0000000007", "12", "孙悟", "环县", "在用", "2026-10-01", "9", "1", "否"])
        _insert(connection, table, [row])
    source.dispose()
    with pytest.raises(UserError, match=r"2026-10 is already loaded from .*--replace"):
        import_query(config, engine, url, query, "2026-10", environ={})
    replaced = import_query(config, engine, url, query, "2026-10", replace=True, environ={})
    assert (replaced.status, replaced.rows_read, replaced.rows_loaded) == ("replaced", 7, 6)
    assert replaced.rejects is not None
    rejects = pd.read_csv(replaced.rejects, encoding="utf-8-sig", dtype=str)
    assert rejects[["row", "column", "value"]].values.tolist() == [["7", "用户号码", "12"]]
    frame = snapshots.load_month(config, engine, "2026-10")
    assert (
        frame is not None
        and frame.loc[frame["line_id"] == "QY0000000002", "calls_30d"].item() == 43
    )


def test_a_password_comes_from_the_environment_never_the_url() -> None:
    with pytest.raises(UserError, match=r"carries a password; .* ENGINE_SOURCE_PASSWORD"):
        database.source_url("postgresql+psycopg://billing:s3cret@10.1.2.3/bill", environ={})
    url = database.source_url(
        "postgresql+psycopg://billing@10.1.2.3/bill", environ={"ENGINE_SOURCE_PASSWORD": "s3cret"}
    )
    assert url.password == "s3cret" and "s3cret" not in database.shown(url)
    with pytest.raises(UserError, match="is no database URL"):
        database.source_url("billing-db:5432", environ={})


def test_an_unreachable_server_a_bad_query_or_a_missing_column_says_which(
    opened, billing: tuple[str, Path, str], tmp_path: Path
) -> None:
    config, engine = opened
    url, query, table = billing
    away = sa.engine.make_url(url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(UserError, match=r"cannot reach the billing database at 127\.0\.0\.1:1"):
        import_query(config, engine, away, query, "2026-10", environ={})
    wrong = tmp_path / "wrong.sql"
    wrong.write_text(f"SELECT * FROM {table}_gone", encoding="utf-8")
    with pytest.raises(UserError, match=r"wrong\.sql: the billing database at .* refused"):
        import_query(config, engine, url, wrong, "2026-10", environ={})
    deleting = tmp_path / "delete.sql"
    deleting.write_text(f"DELETE FROM {table}", encoding="utf-8")
    with pytest.raises(UserError, match="read by one SELECT"):
        import_query(config, engine, url, deleting, "2026-10", environ={})
    short = tmp_path / "short.sql"
    short.write_text(f'SELECT user_no AS "用户编号" FROM {table}', encoding="utf-8")
    missing = r"short\.sql: refused, mapped column\(s\) missing: 用户号码"
    with pytest.raises(UserError, match=missing):
        import_query(config, engine, url, short, "2026-10", environ={})
    assert snapshots.history(engine, "2026-10") == []


def test_the_command_reads_the_month_from_the_database_and_wants_one_source(
    workspace: Path, billing: tuple[str, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, query, _ = billing

    def engine(*args: str) -> tuple[int, str]:
        try:
            main(["--workspace", str(workspace), "import", *args])
        except SystemExit as exit_:
            captured = capsys.readouterr()
            return int(exit_.code or 0), captured.out + captured.err
        return 0, capsys.readouterr().out

    code, said = engine("--from-database", url, "--query", str(query), "--month", "2026-10")
    assert code == 0 and f"imported {query} as 2026-10" in said and "rows loaded" in said
    code, said = engine("--from-database", url, "--query", str(query), "--month", "2026-10")
    assert code == 0 and "already imported for 2026-10; nothing changed" in said
    code, said = engine("--from-database", url, "--month", "2026-10")
    assert code == 1 and "as --from-database URL with --query FILE.sql" in said
    code, said = engine(str(query), "--from-database", url, "--query", str(query), "--month", "x")
    assert code == 1 and "give the extract as a FILE, or as --from-database URL" in said


def test_the_query_is_told_which_month_it_reads(opened, billing: tuple[str, Path, str]) -> None:
    """Lines opened up to the month's last day: 陈静's line, opened 2026-10-08, is not yet one
    in September."""
    config, engine = opened
    url, query, table = billing
    query.write_text(
        QUERY.format(table=table).replace("ORDER BY", "WHERE opened_on <= :last_day ORDER BY"),
        encoding="utf-8",
    )
    september = import_query(config, engine, url, query, "2026-09", environ={})
    october = import_query(config, engine, url, query, "2026-10", environ={})
    assert (september.rows_loaded, october.rows_loaded) == (5, 6)


def test_the_scheduler_reads_last_month_once_and_says_why_it_cannot(
    workspace: Path, billing: tuple[str, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, query, _ = billing
    (workspace / "billing.sql").write_text(query.read_text("utf-8"), encoding="utf-8")
    with (workspace / "config.toml").open("a", encoding="utf-8") as config:
        config.write('\n[schedule.billing_import]\nquery = "billing.sql"\nday = 3\nat = 06:00:00\n')
    zone = ZoneInfo("Asia/Shanghai")
    third = dt.datetime(2026, 11, 3, 6, 0, tzinfo=zone)
    monkeypatch.delenv("ENGINE_BILLING_URL", raising=False)
    with pytest.raises(UserError, match="environment variable ENGINE_BILLING_URL is not set"):
        jobs.billing_import(str(workspace), third)
    monkeypatch.setenv("ENGINE_BILLING_URL", url)
    assert jobs.billing_import(str(workspace), third + dt.timedelta(days=1)) == "done"
    assert jobs.billing_import(str(workspace), third + dt.timedelta(days=2)) == "done"
    loaded = load_config(workspace)
    engine = open_database(loaded.database_url)
    with engine.connect() as connection:
        runs = connection.execute(
            sa.text("SELECT slot, status, detail FROM job_runs ORDER BY slot")
        ).all()
    (entry,) = snapshots.history(engine, "2026-10")
    engine.dispose()
    assert [tuple(run)[:2] for run in runs] == [
        ("2026-11-03", "failed"),
        ("2026-11-04", "done"),
        ("2026-11-05", "done"),
    ]
    assert "imported 2026-10 from the billing database: 6 rows loaded, 0 rejected" in runs[1][2]
    assert runs[2][2].startswith("2026-10 is loaded already, from ")
    assert entry.file_format == "database"
    job = scheduler.build(loaded).get_job("billing_import")
    assert str(job.trigger) == "cron[day='3-31', hour='6', minute='0']"
