"""A job's claim as a scheduler on another host leaves it when it stops mid-run."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from outbound.schedule import jobs


def claim_of_another_host(
    engine: sa.Engine, job: str, slot: str, heartbeat_minutes_ago: float
) -> None:
    """A running claim of (JOB, SLOT) by process 4242 on scheduler-2, whose last heartbeat was
    HEARTBEAT_MINUTES_AGO."""
    beat = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=heartbeat_minutes_ago)
    with engine.begin() as connection:
        connection.execute(
            jobs.JOB_RUNS.insert().values(
                job=job,
                slot=slot,
                host="scheduler-2",
                pid=4242,
                started_at=beat - dt.timedelta(minutes=1),
                heartbeat_at=beat,
                status="running",
            )
        )
