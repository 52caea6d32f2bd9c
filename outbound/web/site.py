"""What every page needs: the workspace, the database, the clock, the templates, and who is
asking (from the session cookie or an API token), with the guards that keep each role to its
own pages and every form to its own session (CSRF)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi import Path as InPath
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from outbound import privacy
from outbound.config import Config
from outbound.errors import UserError
from outbound.rules import grants
from outbound.staff import users
from outbound.staff.users import Person, Role
from outbound.store.models import Agent
from outbound.web import i18n
from outbound.web.refusals import said
from outbound.web.security import COOKIE, Cookies, client_address, same_token, secret_key
from outbound.workspace.campaigns import Campaign, load_campaigns

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGE_COOKIE = "lang"
HOME = {
    "agent": "/agent",
    "supervisor": "/supervisor",
    "marketing": "/marketing",
    "department": "/department",
    "system": "/account",
    "admin": "/admin",
}


# An id in an address: a row of the database, so at most its largest integer (BIGINT). A larger
# one is not found, never sent to the database to overflow there.
RowId = Annotated[int, InPath(ge=1, le=2**63 - 1)]


@dataclass(frozen=True)
class Viewer:
    """Who asks: the user, their session's CSRF token (none for an API token) and language."""

    person: Person
    csrf: str | None
    language: str

    @property
    def role(self) -> Role:
        return self.person.role

    @property
    def hidden_columns(self) -> frozenset[str]:
        """Columns this viewer may not select lines by: the numbers, unless its role sees them."""
        return frozenset() if self.role in users.SEES_NUMBERS else grants.NUMBERS

    @property
    def actor(self) -> str:
        """Who the events of this viewer's acts name: the agent or supervisor id, or the name."""
        return self.person.person_id or self.person.name


class Pages(Environment):
    """The templates' environment. `line.phone` of a dict (the pages' rows are) is its key
    "phone", as Jinja has it, but looked up without first failing to find an attribute: an
    exception raised and caught for every field of every row shown was a tenth of a list page."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


# What a dict has as attributes (its methods), which Jinja finds before its keys.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class LoginNeeded(Exception):
    """No valid session: pages send the browser to the log-in form."""


class Web:
    def __init__(self, config: Config, engine: sa.Engine, clock: Callable[[], dt.datetime]) -> None:
        self.config, self.engine, self.clock = config, engine, clock
        self.cookies = Cookies(secret_key(config, engine))
        self.secure_cookies = (config.web.public_url or "").startswith("https://")
        self.templates = Pages(
            loader=FileSystemLoader(TEMPLATES),
            # Templates ship with the package: no need to stat them on every page.
            auto_reload=False,
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters |= {
            "local": self.local,
            "masked": privacy.mask,
            "campaign_title": self.campaign_title,
        }
        self._campaigns: tuple[tuple[tuple[str, float], ...], dict[str, Campaign]] | None = None
        self._campaigns_checked = 0.0

    def now(self) -> dt.datetime:
        return self.clock().astimezone(self.config.tz)

    def local(self, moment: dt.datetime | None, fmt: str = "%m-%d %H:%M") -> str:
        return moment.astimezone(self.config.tz).strftime(fmt) if moment else ""

    def campaign_title(self, name: str) -> str:
        """What pages call campaign NAME: its title, or the name when it has none."""
        campaign = self.campaigns().get(name)
        return (campaign.spec.title or name) if campaign else name

    def campaigns(self) -> dict[str, Campaign]:
        """The workspace's campaigns, read again when a file in campaigns/ changes (looked at
        once a second at most: every list page asks)."""
        if self._campaigns is not None and time.monotonic() < self._campaigns_checked + 1:
            return self._campaigns[1]
        folder = self.config.workspace / "campaigns"
        stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.toml")))
        if self._campaigns is None or self._campaigns[0] != stamp:
            loaded, _ = load_campaigns(self.config)
            self._campaigns = (stamp, {c.name: c for c in loaded})
        self._campaigns_checked = time.monotonic()
        return self._campaigns[1]

    def address(self, request: Request) -> str:
        """Whom REQUEST comes from, believing X-Forwarded-For only from [web] trusted_proxies."""
        peer = request.client.host if request.client else None
        forwarded = request.headers.get("X-Forwarded-For")
        return client_address(peer, forwarded, self.config.web.trusted_proxies)

    def page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        viewer: Viewer | None = getattr(request.state, "viewer", None)
        language = viewer.language if viewer else language_of(request, self.config)
        html = self.templates.get_template(template).render(
            {
                "_": i18n.translator(language),
                "viewer": viewer,
                "language": language,
                "path": request.url.path,
                "home": HOME,
                **(context or {}),
            }
        )
        return HTMLResponse(html, status_code=status, headers=headers)


def team_of(connection: sa.Connection, viewer: Viewer) -> set[str] | None:
    """The agent ids VIEWER may see: an agent itself, a supervisor the agents whose roster
    supervisor they are; None (everyone) for admins and marketing."""
    if viewer.role == "agent":
        return {viewer.person.person_id or ""}
    if viewer.role == "supervisor":
        query = sa.select(Agent.agent_id).where(Agent.supervisor == viewer.person.person_id)
        return set(connection.execute(query).scalars())
    return None


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def language_of(request: Request, config: Config) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in i18n.LANGUAGES else config.web.language


def viewer_of(request: Request) -> Viewer | None:
    """The user of the request's session cookie, while the session lives (log-out, a new
    password or a revoke end it at once)."""
    if hasattr(request.state, "viewer"):
        viewer: Viewer | None = request.state.viewer
        return viewer
    web = web_of(request)
    secret = web.cookies.secret(request.cookies.get(COOKIE))
    viewer = None
    if secret is not None:
        with web.engine.connect() as connection:
            found = users.by_session(connection, secret, web.clock())
        if found is not None:
            viewer = Viewer(found[0], found[1], language_of(request, web.config))
    request.state.viewer = viewer
    return viewer


def signed_in(request: Request) -> Viewer:
    viewer = viewer_of(request)
    if viewer is None:
        raise LoginNeeded()
    return viewer


def role(*allowed: Role) -> Callable[[Request], Viewer]:
    """A dependency: the viewer, if their role is one of ALLOWED (an admin may do anything)."""

    def guard(request: Request) -> Viewer:
        viewer = signed_in(request)
        if viewer.role not in allowed and viewer.role != "admin":
            raise HTTPException(403, "this page is not for your role")
        return viewer

    return guard


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, if it carries the session's CSRF token (field csrf, or the X-CSRF-Token
    header htmx sends); 403 otherwise."""
    viewer = signed_in(request)
    form = {key: str(value) for key, value in (await request.form()).items()}
    given = form.pop("csrf", None) or request.headers.get("X-CSRF-Token")
    if viewer.csrf is None or not same_token(viewer.csrf, given):
        raise HTTPException(403, "the form's security token is missing or stale; reload the page")
    return form


_bearer = HTTPBearer(auto_error=False, description="A token from: engine users token NAME")
# The Authorization header's bearer token, if any (and the API's security scheme in OpenAPI).
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def api_viewer(request: Request, token: str | None = None) -> Viewer:
    """The user of the request's bearer TOKEN (by default, from its Authorization header); 401
    without a valid one. Refusals are said in the language Accept-Language asks for."""
    web = web_of(request)
    if token is None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
    if not token:
        raise HTTPException(
            401,
            "send Authorization: Bearer TOKEN (make one with: engine users token NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with web.engine.connect() as connection:
        person = users.by_token(connection, token)
    if person is None:
        raise HTTPException(
            401, "unknown or replaced API token", headers={"WWW-Authenticate": "Bearer"}
        )
    return Viewer(person, None, api_language(request, web.config))


def refusal(refused: UserError, viewer: Viewer, status: int = 409) -> HTTPException:
    """REFUSED as an answer of the API: its sentence in the viewer's language, and its code for
    programs in the header X-Refusal-Code."""
    headers = {"X-Refusal-Code": refused.code} if refused.code else None
    return HTTPException(status, said(refused, viewer.language), headers=headers)


def api_language(request: Request, config: Config) -> str:
    asked = request.headers.get("Accept-Language", "").strip().lower()[:2]
    return asked if asked in i18n.LANGUAGES else config.web.language


def api_role(*allowed: Role) -> Callable[..., Viewer]:
    """A dependency of the API: the user of the request's bearer token, if their role is one of
    ALLOWED (or admin); 401 without a valid token, 403 for another role."""

    def guard(request: Request, credentials: Bearer) -> Viewer:
        viewer = api_viewer(request, credentials.credentials if credentials else "")
        if viewer.role not in allowed and viewer.role != "admin":
            raise HTTPException(403, f"this API token's role ({viewer.role}) cannot do this")
        return viewer

    return guard


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
AgentViewer = Annotated[Viewer, Depends(role("agent"))]
SupervisorViewer = Annotated[Viewer, Depends(role("supervisor"))]
MarketingViewer = Annotated[Viewer, Depends(role("marketing"))]
AdminViewer = Annotated[Viewer, Depends(role("admin"))]
ApiAgent = Annotated[Viewer, Depends(api_role("agent", "supervisor"))]
ApiSupervisor = Annotated[Viewer, Depends(api_role("supervisor"))]
ApiMarketing = Annotated[Viewer, Depends(api_role("marketing"))]
