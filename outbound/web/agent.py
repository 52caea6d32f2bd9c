"""The agent's pages (the day's list one line a customer, searched, filtered and sorted, each
line opening its card in place; the next-call mode; today's done list with its undo; the
callbacks that fall due) and the agents' JSON API. Another agent's item is not found, never
forbidden: its existence is nobody's business."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from outbound.errors import UserError
from outbound.orders import desk, outcomes, undo, worklists
from outbound.store.models import Agent
from outbound.store.orders import LIST_ITEMS, ORDERS
from outbound.web import i18n, numbers
from outbound.web.names import Names
from outbound.web.refusals import said
from outbound.web.site import (
    AgentViewer,
    ApiAgent,
    Bearer,
    CheckedForm,
    RowId,
    Viewer,
    Web,
    api_role,
    refusal,
    role,
    team_of,
    web_of,
)
from outbound.workspace.campaigns import Campaign

router = APIRouter(dependencies=[numbers.AUDITED])
api = APIRouter(prefix="/api", tags=["agent"], dependencies=[numbers.AUDITED])
# How often an open page asks for the callbacks that have fallen due.
REMINDER_SECONDS = 30
_NAMES = Names()
# The numbers on the latest day's lists.
_LATEST_PHONES = (
    sa.select(ORDERS.c.phone)
    .distinct()
    .join(LIST_ITEMS, LIST_ITEMS.c.order_id == ORDERS.c.id)
    .where(LIST_ITEMS.c.day == sa.select(sa.func.max(LIST_ITEMS.c.day)).scalar_subquery())
)


class HistoryEntry(BaseModel):
    """One event of the line's work orders: an outcome, a give-back, a deadline warning."""

    at: dt.datetime
    kind: str = Field(
        description="outcome, undone (an outcome taken back), returned, warned, urged, escalated "
        "or expired"
    )
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
    dialable: str = Field(description="the number as the agent dials it, e.g. 0934-3955739")
    name: str | None = Field(description="the customer's name, from the month's extract")
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


class UndoOut(BaseModel):
    item: int
    undone: str = Field(description="the disposition code of the outcome taken back")
    state: str = Field(description="the item's state again, as before that outcome")


class ReturnIn(BaseModel):
    reason: str = Field(description="why the item goes back, e.g. 不懂镇原方言")


class ReturnOut(BaseModel):
    item: int
    state: str


class AgentProblem(BaseModel):
    detail: str


# Pages

# The list, its search and its reminders are what agents ask for all day: each checks the
# session, reads the list and makes the page in one trip to the threadpool (a sync dependency
# and a sync endpoint are a trip each, and each trip waits for the event loop's turn).
_AGENT = role("agent")


@router.get("/agent")
async def list_page(request: Request, agent: str | None = None) -> HTMLResponse:
    return await run_in_threadpool(_list_page, request, agent)


def _list_page(request: Request, agent: str | None) -> HTMLResponse:
    viewer = _AGENT(request)
    web = web_of(request)
    chosen = _page_agent(viewer, agent)
    if chosen is None:
        return web.page(request, "agent/list.html", {"agent": None})
    return web.page(request, "agent/list.html", _desk(request, web, viewer, chosen))


@router.get("/agent/lines")
async def lines_fragment(request: Request, agent: str | None = None) -> Response:
    return await run_in_threadpool(_lines_fragment, request, agent)


def _lines_fragment(request: Request, agent: str | None) -> Response:
    viewer = _AGENT(request)
    web = web_of(request)
    chosen = _page_agent(viewer, agent)
    if chosen is None:
        raise HTTPException(404, "not found")
    return web.page(request, "agent/lines.html", _desk(request, web, viewer, chosen))


@router.get("/agent/reminders")
async def reminders_fragment(request: Request, agent: str | None = None) -> HTMLResponse:
    return await run_in_threadpool(_reminders_fragment, request, agent)


def _reminders_fragment(request: Request, agent: str | None) -> HTMLResponse:
    viewer = _AGENT(request)
    web = web_of(request)
    chosen = _page_agent(viewer, agent)
    if chosen is None:
        raise HTTPException(404, "not found")
    now = web.clock()
    with web.engine.connect() as connection:
        rows = worklists.todays_calls(connection, web.campaigns(), chosen, web.now().date(), now)
        due = desk.due_callbacks(rows, now)
        names = _NAMES.of(web.config, connection, due)
    context = {
        "reminders": _reminders(_Reading.of(request, viewer, web.campaigns()), rows, names, now),
        "agent_query": _agent_query(viewer, chosen),
        "reminder_seconds": REMINDER_SECONDS,
    }
    return web.page(request, "agent/reminders.html", context)


@router.get("/agent/next")
def next_page(
    request: Request,
    viewer: AgentViewer,
    agent: str | None = None,
    item: int | None = None,
    skip: str = "",
) -> HTMLResponse:
    web = web_of(request)
    chosen = _page_agent(viewer, agent)
    if chosen is None:
        return web.page(request, "agent/list.html", {"agent": None})
    return _next(request, viewer, chosen, _skipped(skip), first=item)


@router.get("/agent/items/{item}")
def item_page(request: Request, viewer: AgentViewer, item: RowId) -> HTMLResponse:
    web = web_of(request)
    _acting_agent(web, viewer, item)
    return _card(request, item)


@router.post("/agent/items/{item}/outcome")
def outcome_form(request: Request, viewer: AgentViewer, form: CheckedForm, item: RowId) -> Response:
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    in_next = form.get("then") == "next"
    try:
        recorded = _record(web, item, agent, viewer, _posted_outcome(form))
    except UserError as refused:
        return _refused(request, viewer, agent, item, form, ("outcome", refused))
    if in_next and _htmx(request):
        just = (item, form["code"])
        return _next(request, viewer, agent, _skipped(form.get("skip", "")), just=just)
    if not _htmx(request):
        return _back(viewer, agent, "/agent/next" if in_next else "/agent")
    return _card(request, item, recorded=recorded, progress_of=agent)


def _refused(
    request: Request,
    viewer: Viewer,
    agent: str,
    item: int,
    form: dict[str, str],
    refusal_of: tuple[str, UserError],
) -> Response:
    """The card (or the next-call page) again, with the refused FORM's reason next to it."""
    which, refused = refusal_of
    shown = (which, said(refused, viewer.language), form)
    if form.get("then") == "next":
        skipped = _skipped(form.get("skip", ""))
        return _next(request, viewer, agent, skipped, first=item, refused=shown)
    return _card(request, item, refused=shown)


@router.post("/agent/items/{item}/return")
def return_form(request: Request, viewer: AgentViewer, form: CheckedForm, item: RowId) -> Response:
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    in_next = form.get("then") == "next"
    try:
        _give_back(web, item, agent, viewer, form.get("reason", ""))
    except UserError as refused:
        return _refused(request, viewer, agent, item, form, ("return", refused))
    if not _htmx(request):
        return _back(viewer, agent, "/agent/next" if in_next else "/agent")
    if in_next:
        return _next(request, viewer, agent, _skipped(form.get("skip", "")))
    return web.page(request, "agent/returned.html", {"item": item})


@router.post("/agent/items/{item}/undo")
def undo_form(request: Request, viewer: AgentViewer, form: CheckedForm, item: RowId) -> Response:
    """Take back the item's last outcome: the done list (or the next-call mode) comes back
    with what happened, and the page's list is asked to reload itself."""
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        undone = undo.undo(web.engine, item, web.clock(), web.config.tz, by=viewer.actor)
        message = ("ok", _undone_sentence(web, viewer, undone))
    except UserError as refused:
        message = ("error", said(refused, viewer.language))
    if not _htmx(request):
        return _back(viewer, agent, "/agent/next" if form.get("then") == "next" else "/agent")
    if form.get("then") == "next":
        return _next(request, viewer, agent, _skipped(form.get("skip", "")), message=message)
    with web.engine.connect() as connection:
        context = {
            "done": _done(request, connection, viewer, agent),
            "message": message,
            "progress": _progress(web, connection, agent),
            "oob": False,
        }
    headers = {"HX-Trigger": "desk-changed"} if message[0] == "ok" else None
    return web.page(request, "agent/undone.html", context, headers=headers)


def warm(web: Web) -> None:
    """What the first pages of agents would read at once, read before they ask: the customers'
    names and numbers (as dialled) on the latest lists, and the pages' templates (engine serve,
    as it starts)."""
    with web.engine.connect() as connection:
        _NAMES.warm(web.config, connection)
        phones = connection.execute(_LATEST_PHONES).scalars().all()
    for phone in phones:
        numbers.dialable(phone, web.config.extract.country)
    for template in ["base.html", *web.templates.list_templates(filter_func=_agents)]:
        web.templates.get_template(template)


def _agents(template: str) -> bool:
    return template.startswith("agent/")


def _page_agent(viewer: Viewer, asked: str | None) -> str | None:
    """Whose list the page shows: an agent's own (asking for another's finds nothing), or the
    one an admin asks for."""
    if viewer.role == "admin":
        return asked or None
    if asked not in (None, viewer.person.person_id):
        raise HTTPException(404, "not found")
    return viewer.person.person_id


def _agent_query(viewer: Viewer, agent: str) -> str:
    """The agent=... an admin's links carry (an agent's own pages need none)."""
    return f"agent={agent}" if viewer.role == "admin" else ""


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(viewer: Viewer, agent: str, path: str) -> RedirectResponse:
    query = _agent_query(viewer, agent)
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


def _skipped(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def _undone_sentence(web: Web, viewer: Viewer, undone: undo.Undone) -> str:
    label = _labels(web).get(undone.code, undone.code)
    _ = i18n.translator(viewer.language)
    return _("Outcome {label} of item {n} undone.", label=label, n=undone.order_id)


def _posted_outcome(form: dict[str, str]) -> OutcomeIn:
    if not form.get("code"):
        raise UserError("Choose an outcome.", "choose_outcome")
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
        raise UserError(
            "The callback time is not a date and time.", "callback_time_invalid"
        ) from None


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
    """ITEM's card as it is now: alone for htmx (after an outcome, with the day's counter, the
    item's line and the done list, swapped out of band), else on a page of its own. REFUSED
    (which form, why, what was typed) shows the message next to that form, which keeps what was
    typed (409, which the page's htmx swaps in too)."""
    web = web_of(request)
    viewer = request.state.viewer
    reading = _Reading.of(request, viewer, web.campaigns())
    with web.engine.connect() as connection:
        row = worklists.order_row(connection, item)
        assert row is not None, "checked by _acting_agent"
        history = worklists.line_history(connection, [row["line_id"]]).get(row["line_id"], [])
        names = _NAMES.of(web.config, connection, [row])
        after = {}
        if progress_of:
            after = {
                "progress": _progress(web, connection, progress_of),
                "done": _done(request, connection, viewer, progress_of),
                "line": _line(reading, row, names, web.clock()),
            }
    context = {
        "item": _item(reading, row, history, names),
        "labels": _labels(web),
        "refused": refused,
        "recorded": recorded,
        "progress": None,
        **after,
    }
    template = "agent/fragment.html" if _htmx(request) else "agent/item.html"
    return web.page(request, template, context, 409 if refused else 200)


def _desk(request: Request, web: Web, viewer: Viewer, agent: str) -> dict[str, Any]:
    """What the list page shows of AGENT's day: the lines the query asks for, the callbacks
    due, the done list and the counter."""
    query = desk.Query.of(request.query_params)
    now, day, campaigns = web.clock(), web.now().date(), web.campaigns()
    with web.engine.connect() as connection:
        to_call = worklists.todays_calls(connection, campaigns, agent, day, now)
        rows = [*to_call, *worklists.finished_today(connection, agent, day)]
        done = _done(request, connection, viewer, agent)
        progress = _progress(web, connection, agent)
        names = _NAMES.of(web.config, connection, rows)
    reading = _Reading.of(request, viewer, campaigns)
    picked = desk.pick(rows, query, now, names, reading.sight.country)
    return {
        "agent": agent,
        "day": day,
        "query": query,
        "lines": [_line(reading, row, names, now) for row in picked],
        "to_call": len(to_call),
        "campaigns": {row["campaign"]: reading.titles.get(row["campaign"]) for row in rows},
        "filters": list(desk.FILTERS),
        "sorts": desk.SORTS,
        "done": done,
        "progress": progress,
        "reminders": _reminders(reading, to_call, names, now),
        "agent_query": _agent_query(viewer, agent),
        "message": None,
        "reminder_seconds": REMINDER_SECONDS,
    }


def _next(
    request: Request,
    viewer: Viewer,
    agent: str,
    skipped: list[int],
    *,
    first: int | None = None,
    just: tuple[int, str] | None = None,
    refused: tuple[str, str, dict[str, str]] | None = None,
    message: tuple[str, str] | None = None,
) -> HTMLResponse:
    """The next-call mode: the customer to call now (FIRST while it is on the list), what was
    JUST recorded with its undo, or why an act was REFUSED; SKIPPED, the items passed over."""
    web = web_of(request)
    now, day, campaigns = web.clock(), web.now().date(), web.campaigns()
    reading = _Reading.of(request, viewer, campaigns)
    with web.engine.connect() as connection:
        rows = worklists.todays_calls(connection, campaigns, agent, day, now)
        row = next((r for r in rows if r["id"] == first), None)
        if row is None and refused is not None:
            # The refused item has left the list (closed meanwhile, say): say why above the next.
            message, refused = ("error", refused[1]), None
        row = row or desk.next_call(rows, now, skipped)
        history = worklists.line_history(connection, [row["line_id"]]) if row else {}
        progress = _progress(web, connection, agent)
        recorded = worklists.order_row(connection, just[0]) if just else None
        names = _NAMES.of(web.config, connection, [*rows, *([recorded] if recorded else [])])
    waiting = [r["callback_at"] or r["next_attempt_at"] for r in rows if r is not row]
    context = {
        "item": row and _item(reading, row, history.get(row["line_id"], []), names),
        "recorded": recorded
        and just
        and _line(reading, recorded, names, now)
        | {"label": _labels(web).get(just[1], just[1]), "until": undo.undoable_until(now)},
        "refused": refused,
        "message": message,
        "skipped": ",".join(map(str, skipped)),
        "skip": ",".join(map(str, [*skipped, *([row["id"]] if row else [])])),
        "later": min((at for at in waiting if at and at > now), default=None),
        "labels": _labels(web),
        "progress": progress,
        "reminders": _reminders(reading, rows, names, now),
        "agent_query": _agent_query(viewer, agent),
        "reminder_seconds": REMINDER_SECONDS,
    }
    template = "agent/next_body.html" if _htmx(request) else "agent/next.html"
    return web.page(request, template, context, 409 if refused else 200)


def _line(
    reading: _Reading, row: dict[str, Any], names: dict[str, str], now: dt.datetime
) -> dict[str, Any]:
    """A line of the list as the page shows it."""
    return row | {
        "status": desk.status(row, now),
        "name": names.get(row["line_id"]),
        "title": reading.titles.get(row["campaign"], row["campaign"]),
        "phone": reading.sight.phone(row["id"], row["phone"]),
        "dialable": reading.sight.dialable(row["id"], row["phone"]),
    }


def _reminders(
    reading: _Reading, rows: list[dict[str, Any]], names: dict[str, str], now: dt.datetime
) -> list[dict[str, Any]]:
    """The callbacks of ROWS due by NOW."""
    return [_line(reading, dict(row), names, now) for row in desk.due_callbacks(rows, now)]


def _done(
    request: Request, connection: sa.Connection, viewer: Viewer, agent: str
) -> list[dict[str, Any]]:
    """AGENT's outcomes of today, newest first; those the viewer recorded within the undo
    window say until when they may be undone."""
    web = web_of(request)
    now = web.clock()
    rows = worklists.done_today(connection, agent, web.now().date(), web.config.tz)
    names = _NAMES.of(web.config, connection, rows)
    reading = _Reading.of(request, viewer, web.campaigns())
    return [
        row
        | {
            "name": names.get(row["line_id"]),
            "phone": reading.sight.phone(row["order_id"], row["phone"]),
            "dialable": reading.sight.dialable(row["order_id"], row["phone"]),
            "title": reading.titles.get(row["campaign"], row["campaign"]),
            "label": reading.labels.get(row["code"], row["code"]),
            "until": until
            if row["actor"] == viewer.actor and now <= (until := undo.undoable_until(row["at"]))
            else None,
        }
        for row in rows
    ]


def _progress(web: Web, connection: sa.Connection, agent: str) -> worklists.Progress:
    return worklists.agent_progress(
        connection, web.campaigns(), agent, web.now().date(), web.config.tz
    )


# The agents' JSON API

_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": AgentProblem, "description": "no such item or agent among those you may see"},
    409: {"model": AgentProblem, "description": "refused, with a sentence saying why"},
}


_API_AGENT = api_role("agent", "supervisor")


@api.get("/agents/{agent_id}/list", responses=_REFUSALS)
async def list_api(
    request: Request, credentials: Bearer, agent_id: str, date: dt.date | None = None
) -> AgentList:
    """AGENT_ID's list for DATE (today by default) in the order to call, with scripts and each
    line's history. An agent sees its own list, a supervisor their team's."""
    # The token's check, the list and its answer in one trip to the threadpool, as the pages'.
    return await run_in_threadpool(_list_api, request, credentials, agent_id, date)


def _list_api(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    agent_id: str,
    date: dt.date | None,
) -> AgentList:
    viewer = _API_AGENT(request, credentials)
    web = web_of(request)
    with web.engine.connect() as connection:
        if not _may_see(connection, viewer, agent_id):
            raise HTTPException(404, f"no agent {agent_id} among those you may see")
        return _listing(request, viewer, connection, agent_id, date or web.now().date())


@api.post("/items/{item}/outcome", responses=_REFUSALS)
def outcome_api(request: Request, viewer: ApiAgent, item: RowId, outcome: OutcomeIn) -> OutcomeOut:
    """Record what happened with ITEM (a work order of a list)."""
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        recorded = _record(web, item, agent, viewer, outcome)
    except UserError as refused:
        raise refusal(refused, viewer) from None
    return OutcomeOut(
        item=item,
        state=recorded.state,
        result=recorded.result,
        next_at=recorded.next_at and recorded.next_at.astimezone(web.config.tz),
        follow_up=recorded.follow_up,
    )


@api.post("/items/{item}/undo", responses=_REFUSALS)
def undo_api(request: Request, viewer: ApiAgent, item: RowId) -> UndoOut:
    """Take back ITEM's last outcome, recorded by this token's user within the last few
    minutes (orders.undo.UNDO_MINUTES) while nothing else has changed the item."""
    web = web_of(request)
    _acting_agent(web, viewer, item)
    try:
        undone = undo.undo(web.engine, item, web.clock(), web.config.tz, by=viewer.actor)
    except UserError as refused:
        raise refusal(refused, viewer) from None
    return UndoOut(item=item, undone=undone.code, state=undone.state)


@api.post("/items/{item}/return", responses=_REFUSALS)
def return_api(request: Request, viewer: ApiAgent, item: RowId, given: ReturnIn) -> ReturnOut:
    """Give ITEM back with a reason; the next run gives it to someone else."""
    web = web_of(request)
    agent = _acting_agent(web, viewer, item)
    try:
        _give_back(web, item, agent, viewer, given.reason)
    except UserError as refused:
        raise refusal(refused, viewer) from None
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
        raise UserError("Say why the item goes back.", "give_back_needs_reason")
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
    """What turning order rows into list items needs, looked up once a request: how the
    viewer sees the numbers (an agent their own in full) among it."""

    tz: ZoneInfo
    sight: numbers.Sight
    titles: dict[str, str]
    labels: dict[str, str]
    reasons: dict[str, dict[str, str] | None]

    @classmethod
    def of(cls, request: Request, viewer: Viewer, campaigns: dict[str, Campaign]) -> _Reading:
        web = web_of(request)
        config = web.config
        return cls(
            config.tz,
            numbers.sight(request, viewer, own=viewer.role == "agent"),
            {name: campaign.spec.title or name for name, campaign in campaigns.items()},
            _labels(web),
            {
                name: config.settings.reasons.get(campaign.spec.reasons)
                if campaign.spec.reasons
                else None
                for name, campaign in campaigns.items()
            },
        )


def _listing(
    request: Request, viewer: Viewer, connection: sa.Connection, agent: str, day: dt.date
) -> AgentList:
    """AGENT's list of DAY: three queries whatever its length."""
    web = web_of(request)
    campaigns = web.campaigns()
    rows = worklists.todays_calls(connection, campaigns, agent, day, web.clock())
    history = worklists.line_history(connection, {row["line_id"] for row in rows})
    progress = worklists.agent_progress(connection, campaigns, agent, day, web.config.tz)
    reading = _Reading.of(request, viewer, campaigns)
    names = _NAMES.of(web.config, connection, rows)
    return AgentList(
        agent=agent,
        date=day,
        attempted=progress.attempted,
        quota=progress.quota,
        items=[_item(reading, row, history.get(row["line_id"], []), names) for row in rows],
    )


def _item(
    reading: _Reading,
    row: dict[str, Any],
    events: list[dict[str, Any]],
    names: dict[str, str],
) -> ListItem:
    tz, campaign = reading.tz, row["campaign"]
    return ListItem(
        item=row["id"],
        campaign=campaign,
        campaign_title=reading.titles.get(campaign, campaign),
        line_id=row["line_id"],
        phone=reading.sight.phone(row["id"], row["phone"]),
        dialable=reading.sight.dialable(row["id"], row["phone"]),
        name=names.get(row["line_id"]),
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
    if event["kind"] in ("outcome", "undone"):
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
