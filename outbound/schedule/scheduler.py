"""The scheduler: APScheduler 3 with its SQLAlchemy job store, the jobs of config.toml's
[schedule], run by one elected process (a PostgreSQL advisory lock, or a file lock on SQLite);
each job also claims its slot in job_runs, so a second scheduler or a replayed misfire is a
no-op: both, not either."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from outbound.config import Config
from outbound.schedule import jobs
from outbound.store import locks

log = logging.getLogger(__name__)
# A run missed by more than this is not made up for: the day has moved on.
MISFIRE_GRACE = dt.timedelta(hours=6)


def build(config: Config) -> BackgroundScheduler:
    """A scheduler (not started) with the workspace's jobs: fixed ids and replace_existing, so
    a restart keeps one copy of each; a missed run runs once on start (coalesced)."""
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(url=config.database_url, tablename="scheduled_jobs")
        },
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
        timezone=config.tz,
    )
    plan = config.settings.schedule
    workspace = str(config.workspace)
    at = plan.daily_run
    scheduler.add_job(
        jobs.daily_run,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=config.tz),
        args=[workspace],
        id="daily_run",
        replace_existing=True,
    )
    for wave in plan.sms_waves:
        scheduler.add_job(
            jobs.sms_wave,
            CronTrigger(hour=wave.hour, minute=wave.minute, timezone=config.tz),
            args=[workspace],
            id=f"sms_wave_{wave:%H%M}",
            replace_existing=True,
        )
    scheduler.add_job(
        jobs.deadline_watch,
        IntervalTrigger(minutes=plan.deadline_watch_minutes, timezone=config.tz),
        args=[workspace],
        id="deadline_watch",
        replace_existing=True,
    )
    if plan.drop_folder is not None:
        scheduler.add_job(
            jobs.drop_folder,
            IntervalTrigger(minutes=plan.drop_folder_minutes, timezone=config.tz),
            args=[workspace],
            id="drop_folder",
            replace_existing=True,
        )
    if (billing := plan.billing_import) is not None:
        scheduler.add_job(
            jobs.billing_import,
            CronTrigger(
                day=f"{billing.day}-31",  # to the month's end, whatever its length
                hour=billing.at.hour,
                minute=billing.at.minute,
                timezone=config.tz,
            ),
            args=[workspace],
            id="billing_import",
            replace_existing=True,
        )
    scheduler.add_listener(_report, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def catch_up(config: Config, now: dt.datetime, grace: dt.timedelta = MISFIRE_GRACE) -> list[str]:
    """Run, once, what was due while no scheduler ran: the daily run, each SMS wave and the
    billing import whose time passed within GRACE (each claims its own slot, so one already
    done is not done again), and the interval jobs now. What each said, in order."""
    workspace, plan = str(config.workspace), config.settings.schedule
    local = now.astimezone(config.tz)
    due: list[tuple[str, Callable[[], str]]] = []

    def passed(at: dt.time) -> dt.datetime | None:
        moment = dt.datetime.combine(local.date(), at, tzinfo=config.tz)
        moment = moment if moment <= local else moment - dt.timedelta(days=1)
        return moment if local - moment <= grace else None

    if (daily := passed(plan.daily_run)) is not None:
        # The day the run was for: today's, or yesterday's for a run late in the evening.
        day_of = now if daily.date() == local.date() else daily
        due.append(("daily_run", partial(jobs.daily_run, workspace, day_of)))
    for wave in plan.sms_waves:
        if (slot := passed(wave)) is not None:
            due.append((f"sms_wave_{wave:%H%M}", partial(jobs.sms_wave, workspace, now, slot)))
    due.append(("deadline_watch", partial(jobs.deadline_watch, workspace, now)))
    if plan.drop_folder is not None:
        due.append(("drop_folder", partial(jobs.drop_folder, workspace, now)))
    billing = plan.billing_import
    if billing is not None and local.day >= billing.day and passed(billing.at) is not None:
        due.append(("billing_import", partial(jobs.billing_import, workspace, now)))
    said = []
    for name, job in due:
        try:
            said.append(f"{name}: {job()}")
        except Exception as exc:  # recorded in job_runs by the job; the others still run
            log.error("catching up %s failed: %s", name, exc)
            said.append(f"{name}: failed")
    return said


def _report(event: JobExecutionEvent) -> None:
    if event.exception is not None:
        log.error("job %s failed: %s", event.job_id, event.exception)
    else:
        log.warning("job %s missed its time %s", event.job_id, event.scheduled_run_time)


@contextmanager
def leadership(config: Config, engine: sa.Engine) -> Iterator[bool]:
    """Whether this process holds the scheduler's lock, held until the block ends."""
    with locks.exclusive(config.var, engine, "scheduler") as holder:
        yield holder is None


def run(
    config: Config, engine: sa.Engine, stop: threading.Event, retry_seconds: float = 30
) -> None:
    """Run the scheduler while this process is the leader; stand by (trying again every
    RETRY_SECONDS) while another one is; return when STOP is set."""
    while not stop.is_set():
        with leadership(config, engine) as leader:
            if leader:
                # What was due while no scheduler ran (down, or the last leader killed) runs
                # now, once: APScheduler counts its next times from now on a restart.
                for said in catch_up(config, dt.datetime.now(config.tz)):
                    log.info("caught up %s", said)
                scheduler = build(config)
                scheduler.start()
                log.info("scheduler started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
                stop.wait()
                scheduler.shutdown(wait=True)
                return
        log.info("another process runs the scheduler; standing by")
        stop.wait(retry_seconds)
