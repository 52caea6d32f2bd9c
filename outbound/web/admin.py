"""The admin pages: the scheduled jobs' runs (started, finished, failed with the error) and
who may log in: adding users, resetting passwords, lifting lockouts and revoking sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from outbound.errors import UserError
from outbound.schedule import health, jobs
from outbound.staff import users
from outbound.web.refusals import said
from outbound.web.site import AdminViewer, CheckedForm, Viewer, Web, web_of

router = APIRouter()
api = APIRouter(prefix="/api", tags=["admin"])


@router.get("/admin")
def job_runs(request: Request, viewer: AdminViewer, limit: int = 100) -> HTMLResponse:
    web = web_of(request)
    table = jobs.JOB_RUNS
    with web.engine.connect() as connection:
        runs = connection.execute(
            sa.select(table).order_by(table.c.started_at.desc()).limit(max(1, min(limit, 1000)))
        ).mappings()
        stale = web.config.settings.schedule.stale_minutes
        shown = [dict(run) for run in runs]
        for run in shown:
            run["status"] = "stuck" if jobs.stuck(run, stale) else run["status"]
        alerts = health.problems(web.config, connection, web.clock())
    return web.page(request, "admin/runs.html", {"runs": shown, "alerts": alerts})


@router.get("/admin/users")
def users_page(request: Request, viewer: AdminViewer) -> HTMLResponse:
    return _users(request, web_of(request))


@router.post("/admin/users")
async def add_user(request: Request, viewer: AdminViewer, form: CheckedForm) -> HTMLResponse:
    web = web_of(request)
    name = form.get("name", "").strip()
    return await _act(
        request,
        viewer,
        lambda: users.add(
            web.engine,
            name,
            form.get("role", ""),
            form.get("password", ""),
            web.clock(),
            form.get("person_id", "").strip() or None,
        ),
        ("User {name} added.", name),
        kept=form,
    )


@router.post("/admin/users/{name}/password")
async def reset_password(
    request: Request, viewer: AdminViewer, form: CheckedForm, name: str
) -> HTMLResponse:
    engine = web_of(request).engine
    return await _act(
        request,
        viewer,
        lambda: users.set_password(engine, name, form.get("password", "")),
        ("The password of {name} is reset; their sessions and API token have ended.", name),
    )


@router.post("/admin/users/{name}/unlock")
async def unlock(
    request: Request, viewer: AdminViewer, form: CheckedForm, name: str
) -> HTMLResponse:
    engine = web_of(request).engine
    return await _act(
        request, viewer, lambda: users.unlock(engine, name), ("{name} is unlocked.", name)
    )


@router.post("/admin/users/{name}/revoke")
async def revoke(
    request: Request, viewer: AdminViewer, form: CheckedForm, name: str
) -> HTMLResponse:
    engine = web_of(request).engine
    return await _act(
        request,
        viewer,
        lambda: users.revoke(engine, name),
        ("The sessions and the API token of {name} have ended.", name),
    )


async def _act(
    request: Request,
    viewer: Viewer,
    act: Callable[[], object],
    done: tuple[str, str],
    kept: dict[str, str] | None = None,
) -> HTMLResponse:
    """Do ACT (argon2 hashing is slow on purpose: not on the event loop) and show the users
    again, with DONE's sentence or the refusal, and the add form's values KEPT on a refusal."""
    web = web_of(request)
    try:
        await run_in_threadpool(act)
    except UserError as refused:
        problem = said(refused, viewer.language)
        form = {key: value for key, value in (kept or {}).items() if key != "password"}
        return _users(request, web, problem=problem, form=form, status=409)
    return _users(request, web, notice=done)


def _users(
    request: Request,
    web: Web,
    notice: tuple[str, str] | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with web.engine.connect() as connection:
        listed = users.listing(connection, web.clock(), web.config.web)
    context: dict[str, Any] = {
        "users": listed,
        "roles": users.ROLES,
        "notice": notice,
        "problem": problem,
        "form": form or {},
    }
    return web.page(request, "admin/users.html", context, status)
