"""The admin pages: the scheduled jobs' runs (started, finished, failed with the error) and
who may log in."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from outbound.schedule import health, jobs
from outbound.staff import users
from outbound.web.site import AdminViewer, web_of

router = APIRouter()
api = APIRouter(prefix="/api", tags=["admin"])


@router.get("/admin")
def job_runs(request: Request, viewer: AdminViewer, limit: int = 100) -> HTMLResponse:
    web = web_of(request)
    table = jobs.JOB_RUNS
    with web.engine.connect() as connection:
        runs = connection.execute(
            sa.select(table).order_by(table.c.started_at.desc()).limit(min(limit, 1000))
        ).mappings()
        stale = web.config.settings.schedule.stale_minutes
        shown = [dict(run) for run in runs]
        for run in shown:
            run["status"] = "stuck" if jobs.stuck(run, stale) else run["status"]
        alerts = health.problems(web.config, connection, web.clock())
        context = {"runs": shown, "users": users.listing(connection), "alerts": alerts}
    return web.page(request, "admin/runs.html", context)
