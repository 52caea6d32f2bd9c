"""The scheduler's guarantees on SQLite and PostgreSQL: one run per job and slot even with two
processes, one elected scheduler, jobs registered once across restarts, a missed run run once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger

from outbound.cli import main
from outbound.config import load_config
from outbound.schedule import jobs, scheduler
from outbound.store.db import open_database
from tests.e2e.conftest import Center, center, new_center  # noqa: F401
from tests.extracts import OCTOBER, write_csv
from tests.jobruns import claim_of_another_host

ROOT = Path(__file__).resolve().parent.parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 2, 7, 30, tzinfo=SHANGHAI)


def job_runs(workspace: Path) -> list[tuple[str, str, str]]:
    engine = open_database(load_config(workspace).database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select job, slot, status from job_runs")).all()
    engine.dispose()
    return sorted(tuple(row) for row in rows)


def test_a_slot_is_worked_once_and_a_failure_is_recorded_with_its_error(workspace: Path) -> None:
    engine = open_database(load_config(workspace).database_url)
    assert jobs.claimed(engine, "deadline_watch", "2026-11-02T07:30", NOW, lambda: "ok") == "done"
    assert (
        jobs.claimed(engine, "deadline_watch", "2026-11-02T07:30", NOW, lambda: "ok") == "already"
    )

    def broken() -> str:
        raise RuntimeError("the extract server is down")

    with pytest.raises(RuntimeError):
        jobs.claimed(engine, "drop_folder", "2026-11-02T07:30", NOW, broken)
    with engine.connect() as connection:
        failed = connection.execute(
            sa.text("select status, detail from job_runs where job = 'drop_folder'")
        ).one()
    engine.dispose()
    assert tuple(failed) == ("failed", "RuntimeError: the extract server is down")


def test_two_processes_watching_deadlines_in_one_slot_do_it_once(workspace: Path) -> None:
    script = (
        "import datetime as dt, sys\n"
        "from outbound.schedule import jobs\n"
        "now = dt.datetime.fromisoformat(sys.argv[2])\n"
        "print(jobs.deadline_watch(sys.argv[1], now))\n"
    )
    started = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                str(workspace),
                (NOW + dt.timedelta(minutes=m)).isoformat(),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for m in (1, 4)  # two clocks inside the same 15-minute slot
    ]
    answers = sorted(process.communicate(timeout=60)[0].strip() for process in started)
    assert answers == ["already", "done"]
    assert job_runs(workspace) == [("deadline_watch", "2026-11-02T07:30", "done")]


def test_one_scheduler_is_elected_and_the_next_takes_over_when_it_stops(workspace: Path) -> None:
    config = load_config(workspace)
    first_engine, second_engine = (open_database(config.database_url) for _ in range(2))
    with (
        scheduler.leadership(config, first_engine) as first,
        scheduler.leadership(config, second_engine) as second,
    ):
        assert (first, second) == (True, False)
    with scheduler.leadership(config, second_engine) as second:
        assert second
    first_engine.dispose()
    second_engine.dispose()


def test_jobs_are_registered_once_across_restarts(workspace: Path) -> None:
    config = load_config(workspace)
    for _ in range(2):
        running = scheduler.build(config)
        running.start(paused=True)
        ids = sorted(job.id for job in running.get_jobs())
        running.shutdown()
    assert ids == ["daily_run", "deadline_watch", "drop_folder", "sms_wave_0900", "sms_wave_1400"]
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("select count(*) from scheduled_jobs")).scalar_one()
    engine.dispose()
    assert stored == 5


def test_a_run_missed_while_down_runs_once_on_start(workspace: Path) -> None:
    config = load_config(workspace)
    running = scheduler.build(config)
    running.remove_all_jobs()
    # Due four times while the process was down: coalesced into one run on start.
    past = dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=61)
    running.add_job(
        jobs.deadline_watch,
        IntervalTrigger(minutes=15, start_date=past, timezone=SHANGHAI),
        args=[str(workspace)],
        id="deadline_watch",
        next_run_time=past,
    )
    running.start()
    deadline = time.monotonic() + 20
    while not job_runs(workspace) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    running.shutdown()
    assert [run[0] for run in job_runs(workspace)] == ["deadline_watch"]


def test_an_extract_dropped_in_the_inbox_is_imported_and_a_nameless_one_set_aside(
    workspace: Path,
) -> None:
    inbox = workspace / "inbox"
    inbox.mkdir()
    for name in ("月度账单_2026-10.csv", "账单.csv"):
        write_csv(inbox / name, OCTOBER)
        (inbox / f"{name}.done").touch()  # whole: no need to wait for it to settle
    done = jobs.drop_folder(str(workspace), NOW)
    assert done == "done"
    assert (inbox / "done" / "月度账单_2026-10.csv").is_file()
    assert "no month (YYYY-MM) in the file name" in (
        inbox / "failed" / "账单.csv.error.txt"
    ).read_text("utf-8")
    detail = job_runs(workspace)
    assert detail == [("drop_folder", "2026-11-02T07:30", "done")]


SLOW_WRITER = """
import sys, time
from pathlib import Path
rows = sys.argv[2:]
with Path(sys.argv[1]).open("wb") as file:
    for number, row in enumerate(rows):
        file.write(row.encode("gbk") + b"\\r\\n")
        file.flush()
        if number % 200 == 0:
            time.sleep(0.25)
"""


def test_a_file_still_being_copied_into_the_inbox_waits_until_it_is_whole(
    workspace: Path,
) -> None:
    with (workspace / "config.toml").open("a", encoding="utf-8") as config:
        config.write("\n[schedule]\ndrop_settle_seconds = 1\n")
    inbox = workspace / "inbox"
    inbox.mkdir()
    header = "用户编号,用户号码,客户姓名,区县,状态,入网日期,月话费,通话次数,来电显示"
    rows = [header] + [
        f"QY{i:010d},139{i:08d},张伟,西峰区,在用,2019-03-15,{i % 300}.00,{i % 50},否"
        for i in range(3000)
    ]
    target = inbox / "月度账单_2026-10.csv"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target), *rows])
    slot = NOW
    while writer.poll() is None:
        if target.exists():
            slot += dt.timedelta(minutes=5)
            jobs.drop_folder(str(workspace), slot)
            assert not (inbox / "done").exists()
        time.sleep(0.2)
    assert writer.returncode == 0
    time.sleep(1.2)
    jobs.drop_folder(str(workspace), slot + dt.timedelta(minutes=5))
    assert (inbox / "done" / target.name).is_file()
    config = load_config(workspace)
    engine = open_database(config.database_url)
    with engine.connect() as connection:
        loaded = (
            connection.execute(
                sa.text("select rows_loaded from extract_imports where month = '2026-10'")
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert loaded == [3000]


CLAIM_AND_HANG = """
import datetime as dt, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from outbound.config import load_config
from outbound.schedule import jobs
from outbound.store.db import open_database
engine = open_database(load_config(Path(sys.argv[1])).database_url)
now = dt.datetime(2026, 11, 2, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
jobs.claimed(engine, "daily_run", "2026-11-02", now, lambda: time.sleep(600) or "never")
"""


def test_a_daily_run_whose_scheduler_was_killed_is_shown_stuck_and_run_again(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scheduler_process = subprocess.Popen([sys.executable, "-c", CLAIM_AND_HANG, str(workspace)])
    deadline = time.monotonic() + 60
    while not job_runs(workspace) and time.monotonic() < deadline:
        time.sleep(0.1)
    engine = open_database(load_config(workspace).database_url)
    # Still at work: its claim holds.
    assert jobs.claimed(engine, "daily_run", "2026-11-02", NOW, lambda: "twice") == "already"
    scheduler_process.kill()  # SIGKILL: no finally, no rollback of the committed claim
    scheduler_process.wait()
    main(["--workspace", str(workspace), "jobs", "--format", "json"])
    [shown] = json.loads(capsys.readouterr().out)["runs"]
    assert (shown["job"], shown["status"]) == ("daily_run", "stuck")

    assert jobs.claimed(engine, "daily_run", "2026-11-02", NOW, lambda: "ran again") == "done"
    with engine.connect() as connection:
        run = connection.execute(sa.text("select status, detail, pid from job_runs")).one()
    engine.dispose()
    assert (run.status, run.detail, run.pid) == ("done", "ran again", os.getpid())


def test_a_claim_whose_heartbeat_stopped_on_another_host_is_taken_over(workspace: Path) -> None:
    engine = open_database(load_config(workspace).database_url)
    claim_of_another_host(engine, "daily_run", "2026-11-02", heartbeat_minutes_ago=11)
    assert jobs.claimed(engine, "daily_run", "2026-11-02", NOW, lambda: "ok", 10) == "done"
    # A heartbeat a moment ago: that host is at work.
    claim_of_another_host(engine, "sms_wave", "2026-11-02T09:00", heartbeat_minutes_ago=0.1)
    assert jobs.claimed(engine, "sms_wave", "2026-11-02T09:00", NOW, lambda: "x", 10) == "already"
    engine.dispose()


def test_what_was_due_while_no_scheduler_ran_is_caught_up_once_on_start(
    center: Center,  # noqa: F811
) -> None:
    config = load_config(center.folder)
    at_ten = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    said = scheduler.catch_up(config, at_ten)
    assert said[0] == "daily_run: done" and said[1] == "sms_wave_0900: done"
    assert [line.split(":")[0] for line in said] == [
        "daily_run",
        "sms_wave_0900",
        "deadline_watch",
        "drop_folder",
    ]
    # A second start, or a standby taking over, five minutes later: nothing twice.
    again = scheduler.catch_up(config, at_ten + dt.timedelta(minutes=5))
    assert again[:2] == ["daily_run: already", "sms_wave_0900: already"]
    assert center.calls("A01", "2026-11-02")  # the day's lists are there
    # Back after the afternoon wave's time (and seven hours after the run's, past the grace):
    # that wave, not the morning's again.
    later = scheduler.catch_up(config, dt.datetime(2026, 11, 2, 14, 30, tzinfo=SHANGHAI))
    assert later[:2] == ["sms_wave_0900: already", "sms_wave_1400: done"]
    # A day whose run time is more than the grace ago is not made up for.
    next_night = dt.datetime(2026, 11, 3, 23, 0, tzinfo=SHANGHAI)
    assert not any(s.startswith("daily_run") for s in scheduler.catch_up(config, next_night))
    slots = [(job, slot) for job, slot, _ in job_runs(center.folder) if job != "deadline_watch"]
    assert ("daily_run", "2026-11-02") in slots and ("daily_run", "2026-11-03") not in slots
    assert ("sms_wave", "2026-11-02T09:00") in slots and ("sms_wave", "2026-11-02T14:00") in slots
