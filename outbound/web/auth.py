"""Logging in and out, and the language switch."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from outbound.staff import users
from outbound.web import i18n
from outbound.web.security import COOKIE, same_token
from outbound.web.site import HOME, LANGUAGE_COOKIE, CheckedForm, viewer_of, web_of

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
    address = request.client.host if request.client else "?"
    now = web.clock()
    if (until := web.throttle.blocked_until(address, now)) is not None:
        return _login_page(request, next_page, "locked", 429, web.local(until, "%H:%M"))
    try:
        # argon2 takes tens of milliseconds on purpose: not on the event loop.
        person = await run_in_threadpool(
            users.authenticate, web.engine, name, password, now, web.config.web
        )
    except users.LoginRefused as refused:
        web.throttle.failed(address, now)
        if refused.locked_until is not None:
            until_text = web.local(refused.locked_until, "%H:%M")
            return _login_page(request, next_page, "locked", 429, until_text)
        return _login_page(request, next_page, "wrong", 401)
    cookie = web.sessions.new(person.name, person.password_hash)
    response = RedirectResponse(next_page or HOME[person.role], status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=web.sessions.max_age,
        httponly=True,
        samesite="lax",
        secure=web.secure_cookies,
    )
    response.delete_cookie(LOGIN_TOKEN)
    return response


@router.post("/logout")
def logout(_: CheckedForm) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str | None = None) -> Response:
    response = RedirectResponse(_local(next) or "/", status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response
