"""The agent's pages (today's list in the order to call, with scripts and each line's history,
an outcome form per item that htmx posts in place, giving an item back) and the agents' JSON
API. Another agent's item is not found, never forbidden: its existence is nobody's business."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from outbound.errors import UserError
from outbound.orders import outcomes, worklists
from outbound.store.models import Agent
from outbound.store.orders import ORDERS
from outbound.web.site import AgentViewer, ApiAgent, CheckedForm, Viewer, Web, team_of, web_of
from outbound.workspace.campaigns import Campaign

router = APIRouter()
api = APIRouter(prefix="/api", tags=["agent"])


class HistoryEntry(BaseModel):
    """One event of the line's work orders: an outcome, a give-back, a deadline warning."""

    at: dt.datetime
    kind: str = Field(description="outcome, returned, warned, urged, escalated or expired")
    actor: str
    order: int = Field(description="the work order it happened to (an earlier one, perhaps)")
    campaign: str
    campaign_title: str
    code: str | None = Field(default=None, description="the disposition code of an outcome")
    label: str | None = Field(default=None, description="the disposition's label, of an outcome")
    reason: str | None = None
    reason_label: str | None = None
    note: str | None = None
    callback: str | None = Field(default=None, description="the callback time asked for, local")
    detail: str | None = Field(default=None, description="what else the event says")


class ListItem(BaseModel):
    item: int = Field(description="the work order id, to record an outcome with")
    campaign: str
    campaign_title: str
    line_id: str
    phone: str
    region: str | None
    value: float | None = Field(description="the line's monthly spend (yuan)")
    attempts: int
    state: str
    result: str | None
    callback_at: dt.datetime | None
    due_at: dt.datetime | None = Field(description="the deadline, for campaigns with one")
    next_attempt_at: dt.datetime | None
    script: str
    reasons: dict[str, str] | None = Field(
        description="the reason codes (and labels) the campaign asks for, if it has a set"
    )
    history: list[HistoryEntry] = Field(description="newest first")


class AgentList(BaseModel):
    agent: str
    date: dt.date
    attempted: int = Field(description="items of the day's list with an outcome that day")
    quota: int = Field(description="per_agent_per_day of each campaign with new items today")
    items: list[ListItem] = Field(description="in the order to call")


class OutcomeIn(BaseModel):
    code: str = Field(description="a disposition code of config.toml, e.g. no_answer")
    reason: str | None = Field(
        default=None, description="a reason code when the campaign has a set"
    )
    note: str | None = None
    callback_at: dt.datetime | None = Field(
        default=None, description="for a callback; without a zone, the workspace's local time"
    )


class OutcomeOut(BaseModel):
    item: int
    state: str
    result: str | None
    next_at: dt.datetime | None = Field(description="the callback or the next attempt")
    follow_up: int | None = Field(description="the follow-up order an escalation opened")


class ReturnIn(BaseModel):
    reason: str = Field(description="why the item goes back, e.g. 不懂镇原方言")


class ReturnOut(BaseModel):
    item: int
    state: str


class AgentProblem(BaseModel):
    detail: str


# Pages


@router.get("/agent")
def list_page(request: Request, viewer: AgentViewer, agent: str | None = None) -> HTMLResponse:
    web = web_of(request)
    chosen = _page_agent(viewer, agent)
    listing = None
    if chosen is not None:
        with web.engine.connect() as connection:
            listing = _listing(web, connection, chosen, web.now().date())
    return web.page(request, "agent/list.html", {"listing": listing, "labels": _labels(web)})


@router.get("/agent/items/{item}")
def item_page(request: Request, viewer: AgentViewer, item: int) -> HTMLResponse:
    web = web_of(request)
    _acting_agent(web, viewer, item)
    return _card(request, item)


@router.post("/agent/items/{item}/outcome")
def outcome_form(request: Request, viewer: AgentViewer, form: CheckedForm, item: int) -> Response:
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        recorded = _record(web, item, agent, viewer, _posted_outcome(form))
    except UserError as refused:
        return _card(request, item, refused=("outcome", refused.message, form))
    if not _htmx(request):
        return _back_to_list(viewer, agent)
    return _card(request, item, recorded=recorded, progress_of=agent)


@router.post("/agent/items/{item}/return")
def return_form(request: Request, viewer: AgentViewer, form: CheckedForm, item: int) -> Response:
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        _give_back(web, item, agent, viewer, form.get("reason", ""))
    except UserError as refused:
        return _card(request, item, refused=("return", refused.message, form))
    if not _htmx(request):
        return _back_to_list(viewer, agent)
    return web.page(request, "agent/returned.html", {"item": item})


def _page_agent(viewer: Viewer, asked: str | None) -> str | None:
    """Whose list the page shows: an agent's own (asking for another's finds nothing), or the
    one an admin asks for."""
    if viewer.role == "admin":
        return asked or None
    if asked not in (None, viewer.person.person_id):
        raise HTTPException(404, "not found")
    return viewer.person.person_id


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back_to_list(viewer: Viewer, agent: str) -> RedirectResponse:
    target = f"/agent?agent={agent}" if viewer.role == "admin" else "/agent"
    return RedirectResponse(target, status_code=303)


def _posted_outcome(form: dict[str, str]) -> OutcomeIn:
    if not form.get("code"):
        raise UserError("Choose an outcome.")
    return OutcomeIn(
        code=form["code"],
        reason=form.get("reason") or None,
        note=form.get("note") or None,
        callback_at=_moment(form.get("callback_at", "")),
    )


def _moment(text: str) -> dt.datetime | None:
    """A datetime-local field's value: local time without a zone (_record adds it)."""
    if not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError("The callback time is not a date and time.") from None


def _labels(web: Web) -> dict[str, str]:
    return {code: disposition.label for code, disposition in web.config.dispositions.items()}


def _card(
    request: Request,
    item: int,
    *,
    refused: tuple[str, str, dict[str, str]] | None = None,
    recorded: outcomes.Recorded | None = None,
    progress_of: str | None = None,
) -> HTMLResponse:
    """ITEM's card as it is now: alone for htmx (with the day's counter when an outcome moved
    it), else on a page of its own. REFUSED (which form, why, what was typed) shows the
    message next to that form, which keeps what was typed (409, which the page's htmx swaps
    in too)."""
    web = web_of(request)
    campaigns = web.campaigns()
    with web.engine.connect() as connection:
        row = worklists.order_row(connection, item)
        assert row is not None, "checked by _acting_agent"
        history = worklists.line_history(connection, [row["line_id"]]).get(row["line_id"], [])
        progress = (
            worklists.agent_progress(
                connection, campaigns, progress_of, web.now().date(), web.config.tz
            )
            if progress_of
            else None
        )
    context = {
        "item": _item(_Reading.of(web, campaigns), row, history),
        "labels": _labels(web),
        "refused": refused,
        "recorded": recorded,
        "progress": progress,
    }
    template = "agent/fragment.html" if _htmx(request) else "agent/item.html"
    return web.page(request, template, context, 409 if refused else 200)


# The agents' JSON API

_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": AgentProblem, "description": "no such item or agent among those you may see"},
    409: {"model": AgentProblem, "description": "refused, with a sentence saying why"},
}


@api.get("/agents/{agent_id}/list", responses=_REFUSALS)
def list_api(
    request: Request, viewer: ApiAgent, agent_id: str, date: dt.date | None = None
) -> AgentList:
    """AGENT_ID's list for DATE (today by default) in the order to call, with scripts and each
    line's history. An agent sees its own list, a supervisor their team's."""
    web = web_of(request)
    with web.engine.connect() as connection:
        if not _may_see(connection, viewer, agent_id):
            raise HTTPException(404, f"no agent {agent_id} among those you may see")
        return _listing(web, connection, agent_id, date or web.now().date())


@api.post("/items/{item}/outcome", responses=_REFUSALS)
def outcome_api(request: Request, viewer: ApiAgent, item: int, outcome: OutcomeIn) -> OutcomeOut:
    """Record what happened with ITEM (a work order of a list)."""
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        recorded = _record(web, item, agent, viewer, outcome)
    except UserError as refused:
        raise HTTPException(409, refused.message) from None
    return OutcomeOut(
        item=item,
        state=recorded.state,
        result=recorded.result,
        next_at=recorded.next_at and recorded.next_at.astimezone(web.config.tz),
        follow_up=recorded.follow_up,
    )


@api.post("/items/{item}/return", responses=_REFUSALS)
def return_api(request: Request, viewer: ApiAgent, item: int, given: ReturnIn) -> ReturnOut:
    """Give ITEM back with a reason; the next run gives it to someone else."""
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        _give_back(web, item, agent, viewer, given.reason)
    except UserError as refused:
        raise HTTPException(409, refused.message) from None
    return ReturnOut(item=item, state="returned")


def _may_see(connection: sa.Connection, viewer: Viewer, agent_id: str) -> bool:
    team = team_of(connection, viewer)
    if team is not None:
        return agent_id in team
    query = sa.select(Agent.agent_id).where(Agent.agent_id == agent_id)
    return connection.execute(query).first() is not None


# What pages and API share


def _acting_agent(web: Web, viewer: Viewer, item: int) -> str:
    """The agent whose list ITEM is on, if the viewer may act on it; 404 otherwise (also for
    another agent's item, so that nobody learns it exists)."""
    with web.engine.connect() as connection:
        owner = connection.execute(sa.select(ORDERS.c.agent_id).where(ORDERS.c.id == item)).scalar()
        team = team_of(connection, viewer) if owner is not None else None
    if owner is None or (team is not None and owner not in team):
        raise HTTPException(404, f"no item {item} on a list you may see")
    return str(owner)


def _record(
    web: Web, item: int, agent: str, viewer: Viewer, outcome: OutcomeIn
) -> outcomes.Recorded:
    tz = web.config.tz
    callback_at = outcome.callback_at
    if callback_at is not None:
        callback_at = (
            callback_at.astimezone(tz) if callback_at.tzinfo else callback_at.replace(tzinfo=tz)
        )
    return outcomes.record(
        web.config,
        web.engine,
        web.campaigns(),
        item,
        outcome.code,
        web.clock(),
        agent=agent,
        by=viewer.actor,
        reason=outcome.reason or None,
        note=outcome.note or None,
        callback_at=callback_at,
    )


def _give_back(web: Web, item: int, agent: str, viewer: Viewer, reason: str) -> None:
    if not reason.strip():
        raise UserError("Say why the item goes back.")
    outcomes.give_back(
        web.engine,
        item,
        agent,
        reason.strip(),
        web.clock(),
        web.config.tz,
        by=viewer.actor,
        supervisor=viewer.role in ("supervisor", "admin"),
    )


@dataclass(frozen=True)
class _Reading:
    """What turning order rows into list items needs, looked up once a request."""

    tz: ZoneInfo
    titles: dict[str, str]
    labels: dict[str, str]
    reasons: dict[str, dict[str, str] | None]

    @classmethod
    def of(cls, web: Web, campaigns: dict[str, Campaign]) -> _Reading:
        config = web.config
        return cls(
            config.tz,
            {name: campaign.spec.title or name for name, campaign in campaigns.items()},
            _labels(web),
            {
                name: config.settings.reasons.get(campaign.spec.reasons)
                if campaign.spec.reasons
                else None
                for name, campaign in campaigns.items()
            },
        )


def _listing(web: Web, connection: sa.Connection, agent: str, day: dt.date) -> AgentList:
    """AGENT's list of DAY: three queries whatever its length."""
    campaigns = web.campaigns()
    rows = worklists.todays_calls(connection, campaigns, agent, day, web.clock())
    history = worklists.line_history(connection, {row["line_id"] for row in rows})
    progress = worklists.agent_progress(connection, campaigns, agent, day, web.config.tz)
    reading = _Reading.of(web, campaigns)
    return AgentList(
        agent=agent,
        date=day,
        attempted=progress.attempted,
        quota=progress.quota,
        items=[_item(reading, row, history.get(row["line_id"], [])) for row in rows],
    )


def _item(reading: _Reading, row: dict[str, Any], events: list[dict[str, Any]]) -> ListItem:
    tz, campaign = reading.tz, row["campaign"]
    return ListItem(
        item=row["id"],
        campaign=campaign,
        campaign_title=reading.titles.get(campaign, campaign),
        line_id=row["line_id"],
        phone=row["phone"],
        region=row["region"],
        value=row["value"],
        attempts=row["attempts"],
        state=row["state"],
        result=row["result"],
        callback_at=row["callback_at"] and row["callback_at"].astimezone(tz),
        due_at=row["due_at"] and row["due_at"].astimezone(tz),
        next_attempt_at=row["next_attempt_at"] and row["next_attempt_at"].astimezone(tz),
        script=row["text"],
        reasons=reading.reasons.get(campaign),
        history=[_entry(reading, event) for event in events],
    )


def _entry(reading: _Reading, event: dict[str, Any]) -> HistoryEntry:
    fields = {
        "at": event["at"].astimezone(reading.tz),
        "kind": event["kind"],
        "actor": event["actor"],
        "order": event["order_id"],
        "campaign": event["campaign"],
        "campaign_title": reading.titles.get(event["campaign"], event["campaign"]),
        "code": event["code"],
        "detail": event["detail"],
    }
    if event["kind"] == "outcome":
        reasons = reading.reasons.get(event["campaign"]) or {}
        callback = event["callback_at"]
        fields |= {
            "label": reading.labels.get(event["code"], event["code"]),
            "reason": event["reason"],
            "reason_label": reasons.get(event["reason"]),
            "note": event["note"],
            "callback": callback and f"{callback.astimezone(reading.tz):%Y-%m-%d %H:%M}",
        }
    # Built from the store's own rows, of the right types: a long history skips validation.
    return HistoryEntry.model_construct(**fields)
