"""The scheduled jobs. Each is a module-level function of the workspace's path (APScheduler's
job store keeps a reference to it), and each claims its time slot in `job_runs` before working,
so that two schedulers, or a restart that replays a misfire, never do one slot twice."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.extract.imports import import_extract, import_query
from outbound.messages import sending
from outbound.orders import care, deadlines, intake
from outbound.plan import daily
from outbound.results import quality
from outbound.store import locks
from outbound.store.db import open_database
from outbound.store.models import JobRun

JOB_RUNS = cast(sa.Table, JobRun.__table__)
_MONTH_IN_NAME = re.compile(r"(20\d\d)[-_]?(0[1-9]|1[0-2])")
EXTRACT_SUFFIXES = {".csv", ".txt", ".parquet", ".xlsx"}
TICKET_SUFFIXES = {".csv", ".xlsx"}


def claimed(
    engine: sa.Engine,
    job: str,
    slot: str,
    now: dt.datetime,
    work: Callable[[], str],
    stale_minutes: int = 10,
) -> str:
    """Run WORK once for (JOB, SLOT); 'already' when another run has the slot. The claim is a
    lease: while WORK runs a heartbeat says so, and a claim whose process died (or whose
    heartbeat is older than STALE_MINUTES) is taken over and the work done again. The outcome
    (done or failed, with the error) is recorded either way."""
    me = {"host": socket.gethostname(), "pid": os.getpid()}
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(JOB_RUNS).values(
                    job=job, slot=slot, started_at=now, status="running", heartbeat_at=_wall(), **me
                )
            )
    except sa.exc.IntegrityError:
        if not _take_over(engine, job, slot, now, stale_minutes):
            return "already"
    with _beating(engine, job, slot, stale_minutes):
        try:
            detail, status = work(), "done"
        except Exception as exc:  # recorded for the admin page, then raised for the scheduler's log
            _finish(engine, job, slot, "failed", f"{type(exc).__name__}: {exc}")
            raise
    _finish(engine, job, slot, status, detail)
    return status


def stuck(run: Mapping[str, Any], stale_minutes: int) -> bool:
    """Whether RUN is a running claim whose process is gone: dead on this host, or silent for
    longer than STALE_MINUTES."""
    if run["status"] != "running":
        return False
    if run["host"] == socket.gethostname() and run["pid"]:
        # On this host the process itself says, whatever its heartbeat.
        return not locks.process_alive(run["pid"])
    beat = run["heartbeat_at"] or run["started_at"]
    return _wall() - beat > dt.timedelta(minutes=stale_minutes)


def _take_over(
    engine: sa.Engine, job: str, slot: str, now: dt.datetime, stale_minutes: int
) -> bool:
    """Take the claim of (JOB, SLOT) when it is stuck; whether this process now holds it."""
    key = (JOB_RUNS.c.job == job, JOB_RUNS.c.slot == slot)
    with engine.begin() as connection:
        run = dict(connection.execute(sa.select(JOB_RUNS).where(*key)).mappings().one())
        if not stuck(run, stale_minutes):
            return False
        taken = connection.execute(
            sa.update(JOB_RUNS)
            .where(*key, JOB_RUNS.c.status == "running", JOB_RUNS.c.pid == run["pid"])
            .where(JOB_RUNS.c.host == run["host"])
            .values(
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=_wall(),
                detail=f"taken over from process {run['pid']} on {run['host']}, which stopped",
            )
        )
        return taken.rowcount == 1


@contextmanager
def _beating(engine: sa.Engine, job: str, slot: str, stale_minutes: int) -> Iterator[None]:
    """A heartbeat on the claim of (JOB, SLOT) while the block runs."""
    stop = threading.Event()
    every = min(30.0, stale_minutes * 60 / 4)

    def beat() -> None:
        while not stop.wait(every):
            with engine.begin() as connection:
                connection.execute(
                    sa.update(JOB_RUNS)
                    .where(JOB_RUNS.c.job == job, JOB_RUNS.c.slot == slot)
                    .values(heartbeat_at=_wall())
                )

    thread = threading.Thread(target=beat, name=f"heartbeat-{job}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _finish(engine: sa.Engine, job: str, slot: str, status: str, detail: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(JOB_RUNS)
            .where(JOB_RUNS.c.job == job, JOB_RUNS.c.slot == slot)
            .values(status=status, detail=detail, finished_at=_wall())
        )


def _wall() -> dt.datetime:
    """The wall clock: leases are judged by it, whatever time a job is run for."""
    return dt.datetime.now(dt.UTC)


@contextmanager
def _opened(workspace: str) -> Iterator[tuple[Config, sa.Engine, dt.datetime]]:
    config = load_config(Path(workspace))
    engine = open_database(config.database_url, config.database.wait_seconds)
    try:
        yield config, engine, dt.datetime.now(config.tz)
    finally:
        engine.dispose()


def _stale(config: Config) -> int:
    return config.settings.schedule.stale_minutes


def daily_run(workspace: str, now: dt.datetime | None = None) -> str:
    with _opened(workspace) as (config, engine, clock):
        now = now or clock
        day = now.astimezone(config.tz).date()

        def work() -> str:
            result = daily.run_day(config, engine, day, now, measure=quality.agent_quality)
            created = sum(plan.get("created", 0) for plan in result.campaigns)
            return f"{result.status}: {created} work orders"

        return claimed(engine, "daily_run", day.isoformat(), now, work, _stale(config))


def sms_wave(
    workspace: str, now: dt.datetime | None = None, slot: dt.datetime | None = None
) -> str:
    """The wave of SLOT (its scheduled time; NOW's minute by default), sent at NOW."""
    with _opened(workspace) as (config, engine, clock):
        now = now or clock
        slot = (slot or now).astimezone(config.tz)

        def work() -> str:
            wave = sending.send_wave(config, engine, sending.channel_for(config), now)
            counts = ", ".join(f"{n} {word}" for word, n in sorted(wave.counts.items()))
            if wave.stopped:
                raise UserError(f"the wave stopped: {wave.stopped}")
            return counts or "nothing due"

        return claimed(engine, "sms_wave", f"{slot:%Y-%m-%dT%H:%M}", now, work, _stale(config))


def deadline_watch(workspace: str, now: dt.datetime | None = None) -> str:
    with _opened(workspace) as (config, engine, clock):
        now = now or clock
        minutes = config.settings.schedule.deadline_watch_minutes
        slot = now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)

        def work() -> str:
            with engine.begin() as connection:
                watched = deadlines.watch(
                    connection, now, config.policy.warn_at, config.tz, config.settings.departments
                )
            cared = care.sweep(config, engine, now)
            dispatched = intake.dispatch_waiting(config, engine, now)
            return (
                f"{watched.warned} warned, {watched.expired} expired, {watched.escalated} "
                f"escalated, {len(cared.orders)} care orders opened, {dispatched.count} "
                "tickets dispatched"
            )

        slot_name = f"{slot:%Y-%m-%dT%H:%M}"
        return claimed(engine, "deadline_watch", slot_name, now, work, _stale(config))


def drop_folder(workspace: str, now: dt.datetime | None = None) -> str:
    """Import each extract file put in the drop folder (its month from its name, e.g.
    账单_2026-11.csv) once it is whole, then move it to done/ or, with the reason beside it,
    to failed/; take in each ticket file put in its tickets/ folder the same way (the rows it
    refused listed beside it in done/). A file is whole beside its marker
    (账单_2026-11.csv.done), or once it has not changed for drop_settle_seconds; a hidden one
    (.账单.csv.part) is still being copied."""
    with _opened(workspace) as (config, engine, clock):
        now = now or clock
        folder_name = config.settings.schedule.drop_folder
        if folder_name is None:
            return "no drop folder"
        folder = config.workspace / folder_name
        minutes = config.settings.schedule.drop_folder_minutes
        slot = now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)

        settle = config.settings.schedule.drop_settle_seconds

        def work() -> str:
            done = []
            for path in _dropped(folder, EXTRACT_SUFFIXES):
                if not _whole(path, settle):
                    done.append(f"{path.name}: still changing, taken once it settles")
                    continue
                done.append(_import_dropped(config, engine, path))
            for path in _dropped(folder / "tickets", TICKET_SUFFIXES):
                if not _whole(path, settle):
                    done.append(f"{path.name}: still changing, taken once it settles")
                    continue
                done.append(_take_dropped_tickets(config, engine, path, now))
            return "; ".join(done) or "nothing new"

        slot_name = f"{slot:%Y-%m-%dT%H:%M}"
        return claimed(engine, "drop_folder", slot_name, now, work, _stale(config))


def billing_import(workspace: str, now: dt.datetime | None = None) -> str:
    """Read last month's extract from the billing database ([schedule.billing_import]), unless
    the month is loaded already (from it, or from a file): tried once a day from its day of
    the month, so that a database down one morning is read the next."""
    with _opened(workspace) as (config, engine, clock):
        now = now or clock
        plan = config.settings.schedule.billing_import
        if plan is None:
            return "no billing import"
        today = now.astimezone(config.tz).date()
        month = f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"

        def work() -> str:
            loaded = snapshots.current_import(engine, month)
            if loaded is not None:
                return f"{month} is loaded already, from {loaded.source_path}"
            url = config.secret(plan.url_env)
            summary = import_query(config, engine, url, config.workspace / plan.query, month)
            return (
                f"{summary.status} {month} from the billing database: "
                f"{summary.rows_loaded:,} rows loaded, {summary.rows_rejected:,} rejected"
            )

        return claimed(engine, "billing_import", today.isoformat(), now, work, _stale(config))


def _dropped(folder: Path, suffixes: set[str]) -> list[Path]:
    """The files of FOLDER with one of SUFFIXES, hidden ones (still being copied) aside."""
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.glob("*"))
        if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith(".")
    ]


def _whole(path: Path, settle_seconds: int) -> bool:
    """Whether PATH is done being written: its marker is there, or it has not changed for
    SETTLE_SECONDS (by the file system's clock, not the job's)."""
    if _marker(path).is_file():
        return True
    return time.time() - path.stat().st_mtime >= settle_seconds


def _marker(path: Path) -> Path:
    return path.with_name(f"{path.name}.done")


def _import_dropped(config: Config, engine: sa.Engine, path: Path) -> str:
    found = _MONTH_IN_NAME.search(path.stem)
    _marker(path).unlink(missing_ok=True)
    try:
        if found is None:
            raise UserError(f"{path.name}: no month (YYYY-MM) in the file name")
        month = f"{found.group(1)}-{found.group(2)}"
        summary = import_extract(config, engine, path, month)
    except UserError as exc:
        return _failed(path, exc)
    _file_away(path, "done")
    return f"{path.name}: {summary.status} as {month}, {summary.rows_loaded} rows"


def _take_dropped_tickets(config: Config, engine: sa.Engine, path: Path, now: dt.datetime) -> str:
    """Take in a dropped ticket file, then move it to done/ (its refused rows beside it, in
    NAME.refused.txt) or, when it cannot be read at all, to failed/ with the reason."""
    _marker(path).unlink(missing_ok=True)
    try:
        summary = intake.take_file(config, engine, path, now)
    except UserError as exc:
        return _failed(path, exc)
    target = _file_away(path, "done")
    if summary.problems:
        (target / f"{path.name}.refused.txt").write_text(
            "".join(f"{p.said(path.name)}\n" for p in summary.problems), encoding="utf-8"
        )
    return f"tickets/{path.name}: {summary.said()}"


def _failed(path: Path, error: UserError) -> str:
    """PATH set aside in failed/, the reason beside it."""
    target = _file_away(path, "failed")
    (target / f"{path.name}.error.txt").write_text(f"{error}\n", encoding="utf-8")
    return f"{path.name}: failed ({error})"


def _file_away(path: Path, where: str) -> Path:
    """PATH moved into WHERE/ (done or failed) beside it; that folder."""
    target = path.parent / where
    target.mkdir(exist_ok=True)
    shutil.move(path, target / path.name)
    return target
