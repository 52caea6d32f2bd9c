"""The FastAPI app: pages for agents, supervisors, marketing staff and admins, the JSON API
for the operator's CRM, and Twilio's webhooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from outbound.config import Config
from outbound.schedule import health
from outbound.web import admin, agent, auth, marketing, supervisor, webhooks
from outbound.web.i18n import translator
from outbound.web.site import LoginNeeded, Web, viewer_of

STATIC = Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(
    config: Config,
    engine: sa.Engine,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> FastAPI:
    app = FastAPI(
        title="Outbound campaign engine",
        summary="Agent lists, outcomes, work orders and segment counts for the operator's CRM.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = Web(config, engine, clock)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for area in (agent, supervisor, marketing, admin):
        app.include_router(area.router, include_in_schema=False)
        app.include_router(area.api)
    for router in (auth.router, webhooks.router):
        app.include_router(router, include_in_schema=False)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[..., Any]) -> Response:
        """Headers every answer carries: no framing (the one-click reassign and urge cannot be
        clicked through another site), no type sniffing, no referrer to other sites; pages,
        which hold customers' data, are never cached."""
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        """For monitoring: 200 when the day's work is on time, else 503 with the problems."""
        web: Web = app.state.web
        with web.engine.connect() as connection:
            found = health.problems(config, connection, web.clock())
        _ = translator(config.web.language)
        body = {
            "status": "alert" if found else "ok",
            "problems": [
                {"code": p.code, "message": _(p.text, **p.values), **p.values} for p in found
            ],
        }
        return JSONResponse(body, status_code=503 if found else 200)

    @app.exception_handler(LoginNeeded)
    async def to_login(request: Request, _: LoginNeeded) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException) -> Response:
        wants_page = "text/html" in request.headers.get("accept", "")
        if request.url.path.startswith(("/api", "/twilio")) or not wants_page:
            return await http_exception_handler(request, exc)
        viewer_of(request)
        message = exc.detail if exc.status_code != 404 else "not found"
        context = {"status": exc.status_code, "message": message}
        return app.state.web.page(request, "error.html", context, exc.status_code)

    return app
