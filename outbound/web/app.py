"""The FastAPI app: pages for agents, supervisors, marketing staff and admins, the JSON API
for the operator's CRM, and Twilio's webhooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outbound.config import Config
from outbound.schedule import health
from outbound.web import (
    admin,
    agent,
    auth,
    calls,
    departments,
    marketing,
    service,
    supervisor,
    webhooks,
)
from outbound.web.i18n import translator
from outbound.web.site import LoginNeeded, Web, api_viewer, signed_in, viewer_of

STATIC = Path(__file__).resolve().parent / "static"
# Scripts come from this site's files only: a name or a note that smuggles in a <script> or an
# onerror= cannot run even if a template forgot to escape it. (The bars' widths are inline
# styles.)
CONTENT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI's files come from its CDN.
DOCS_POLICY = CONTENT_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net"
).replace("style-src 'self'", "style-src 'self' https://cdn.jsdelivr.net")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_POLICY,
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
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = Web(config, engine, clock)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for area in (agent, calls, supervisor, service, marketing, departments, admin):
        app.include_router(area.router, include_in_schema=False)
        app.include_router(area.api)
    for router in (auth.router, webhooks.router):
        app.include_router(router, include_in_schema=False)

    app.add_middleware(SecurityHeaders)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> Response:
        """The API's description, for its users only: a session or an API token."""
        if viewer_of(request) is None:
            api_viewer(request)
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request) -> Response:
        signed_in(request)
        page = get_swagger_ui_html(openapi_url="/api/openapi.json", title=app.title)
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

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
        if not _wants_page(request):
            return await http_exception_handler(request, exc)
        viewer_of(request)
        message = exc.detail if exc.status_code != 404 else "not found"
        context = {"status": exc.status_code, "message": message}
        return app.state.web.page(request, "error.html", context, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, exc: RequestValidationError) -> Response:
        """A page asked with a value it cannot take (an id too large, a date that is no date):
        an id is not found, another value is named, on a page like every other."""
        if not _wants_page(request):
            return await request_validation_exception_handler(request, exc)
        viewer_of(request)
        place = exc.errors()[0]["loc"] if exc.errors() else ()
        if place and place[0] == "path":
            context = {"status": 404, "message": "not found"}
            return app.state.web.page(request, "error.html", context, 404)
        field = str(place[-1]) if place else "?"
        context = {"status": 400, "message": "the value of {field} in the address is not valid"}
        return app.state.web.page(request, "error.html", {**context, "field": field}, 400)

    return app


class SecurityHeaders:
    """Headers every answer carries: no framing (the one-click reassign and urge cannot be
    clicked through another site), no type sniffing, no referrer to other sites; pages, which
    hold customers' data, are never cached. A plain ASGI middleware: it only adds headers to the
    answer's start, where one of BaseHTTPMiddleware (@app.middleware) runs every request in a
    task of its own and streams the answer through a queue."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cached = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for header, value in SECURITY_HEADERS.items():
                    headers.setdefault(header, value)
                if not cached:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api", "/twilio")) and "text/html" in (
        request.headers.get("accept", "")
    )
