"""Whether the day's work happens: what a monitoring system polls (/healthz) and the admin page
shows in red. A problem is a code, a sentence in English (translated on the pages) and its
values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from outbound.config import Config
from outbound.schedule import jobs
from outbound.store.models import Run

# The daily run may take this long after its time before its absence is a problem.
RUN_LATE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Problem:
    code: str
    text: str  # English, with {values}
    values: dict[str, str]


def problems(config: Config, connection: sa.Connection, now: dt.datetime) -> list[Problem]:
    """The day's run missing after its time, and every job whose process stopped mid-run."""
    found = []
    local = now.astimezone(config.tz)
    due = dt.datetime.combine(local.date(), config.settings.schedule.daily_run, tzinfo=config.tz)
    ran = connection.scalar(sa.select(Run.day).where(Run.day == local.date()))
    if ran is None and local >= due + RUN_LATE:
        found.append(
            Problem(
                "daily_run_missing",
                "The daily run of {day} is missing: it was due at {time}.",
                {"day": local.date().isoformat(), "time": f"{due:%H:%M}"},
            )
        )
    stale = config.settings.schedule.stale_minutes
    running = connection.execute(
        sa.select(jobs.JOB_RUNS).where(jobs.JOB_RUNS.c.status == "running")
    ).mappings()
    for run in running:
        if jobs.stuck(dict(run), stale):
            found.append(
                Problem(
                    "job_stuck",
                    "The job {job} of {slot} stopped mid-run on {host}; it runs again at its "
                    "next try.",
                    {"job": run["job"], "slot": run["slot"], "host": run["host"]},
                )
            )
    return found
