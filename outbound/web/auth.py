"""Logging in and out, one's own password, and the language switch."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from outbound.errors import UserError
from outbound.staff import sessions, users
from outbound.web import i18n
from outbound.web.refusals import said
from outbound.web.security import COOKIE, same_token
from outbound.web.site import (
    HOME,
    LANGUAGE_COOKIE,
    CheckedForm,
    Viewer,
    Web,
    signed_in,
    viewer_of,
    web_of,
)

router = APIRouter()
LOGIN_TOKEN = "login_csrf"


def _local(target: str | None) -> str | None:
    """TARGET if it is a path on this site (never another host: no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@router.get("/")
def home(request: Request) -> Response:
    viewer = viewer_of(request)
    return RedirectResponse(HOME[viewer.role] if viewer else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next, None, 200)


def _login_page(
    request: Request, next: str | None, error: str | None, status: int, until: str = ""
) -> Response:
    token = secrets.token_urlsafe(24)
    context = {"next": _local(next) or "", "error": error, "until": until, "token": token}
    response = web_of(request).page(request, "login.html", context, status)
    response.set_cookie(LOGIN_TOKEN, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    web = web_of(request)
    form = await request.form()
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    next_page = _local(str(form.get("next", "")))
    if not same_token(request.cookies.get(LOGIN_TOKEN, ""), str(form.get("csrf", ""))):
        return _login_page(request, next_page, "stale_form", 403)
    now = web.clock()
    try:
        # argon2 takes tens of milliseconds on purpose: not on the event loop.
        person = await run_in_threadpool(
            users.authenticate,
            web.engine,
            name,
            password,
            web.address(request),
            now,
            web.config.web,
        )
    except users.LoginRefused as refused:
        if refused.lock is not None:
            until = web.local(refused.lock.until, "%H:%M")
            return _login_page(request, next_page, "locked", 429, until)
        return _login_page(request, next_page, "wrong", 401)
    opened = await run_in_threadpool(
        users.open_session, web.engine, person.name, now, web.config.web
    )
    response = RedirectResponse(next_page or HOME[person.role], status_code=303)
    _set_session_cookie(web, response, opened.secret)
    response.delete_cookie(LOGIN_TOKEN)
    return response


def _set_session_cookie(web: Web, response: Response, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        web.cookies.of(secret),
        max_age=int(web.config.web.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=web.secure_cookies,
    )


@router.post("/logout")
def logout(request: Request, _: CheckedForm) -> Response:
    web = web_of(request)
    secret = web.cookies.secret(request.cookies.get(COOKIE))
    if secret is not None:
        with web.engine.begin() as connection:
            sessions.end(connection, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/account")
def account_page(request: Request) -> Response:
    signed_in(request)
    return web_of(request).page(request, "account.html", {"problem": None, "done": False})


@router.post("/account")
async def change_password(request: Request, form: CheckedForm) -> Response:
    """Change one's own password: every session and the API token end, this browser's too; it
    gets a new session at once, so its user stays logged in."""
    web = web_of(request)
    viewer = signed_in(request)
    new = form.get("new", "")
    try:
        if new != form.get("again", ""):
            raise UserError("the two new passwords differ", "passwords_differ")
        await run_in_threadpool(
            users.change_own_password, web.engine, viewer.person.name, form.get("current", ""), new
        )
    except UserError as refused:
        context = {"problem": said(refused, viewer.language), "done": False}
        return web.page(request, "account.html", context, 409)
    opened = await run_in_threadpool(
        users.open_session, web.engine, viewer.person.name, web.clock(), web.config.web
    )
    request.state.viewer = Viewer(viewer.person, opened.csrf, viewer.language)
    response = web.page(request, "account.html", {"problem": None, "done": True})
    _set_session_cookie(web, response, opened.secret)
    return response


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str | None = None) -> Response:
    response = RedirectResponse(_local(next) or "/", status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response
