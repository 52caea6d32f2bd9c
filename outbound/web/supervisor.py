"""The supervisor pages (their teams' progress, refreshed in place; orders near their deadline
with the customer, reassign (one or several at once) and urge; absent agents, where their work
went, and cancelling an absence) and the supervisors' JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from outbound.errors import UserError
from outbound.orders import supervision
from outbound.results import activity, charts, quality
from outbound.results.period import Period
from outbound.staff import agents
from outbound.web import i18n, numbers
from outbound.web.names import Names
from outbound.web.refusals import said
from outbound.web.site import (
    ApiSupervisor,
    CheckedForm,
    RowId,
    SupervisorViewer,
    Viewer,
    Web,
    refusal,
    team_of,
    web_of,
)

router = APIRouter(dependencies=[numbers.AUDITED])
api = APIRouter(prefix="/api", tags=["supervisor"])
_NAMES = Names()
STALE = "Changed since the page was shown (now {state}, {holder}); not moved."


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {key: (None if value is pd.NaT or value != value else value) for key, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def _day(web: Web, date: dt.date | None) -> dt.date:
    return date or web.now().date()


@router.get("/supervisor")
def progress_page(
    request: Request, viewer: SupervisorViewer, date: dt.date | None = None
) -> HTMLResponse:
    web = web_of(request)
    context = _team_progress(web, viewer, date) | {
        "targets": _targets(web, _day(web, date)),
        "measures": quality.MEASURE_TITLES,
        "sources": quality.SOURCE_TITLES,
    }
    return web.page(request, "supervisor/progress.html", context)


def _targets(web: Web, day: dt.date) -> list[dict[str, Any]]:
    """The center's measures from the first of DAY's month to DAY, beside their targets (none
    in the calendar's last year, whose end no clock can reach)."""
    if day.year == dt.MAXYEAR:
        return []
    with web.engine.connect() as connection:
        so_far = Period("month", day.replace(day=1), day)
        measured = quality.measure(connection, web.config, so_far)
    return _records(quality.against_targets(web.config, measured))


@router.get("/supervisor/progress")
def progress_fragment(
    request: Request, viewer: SupervisorViewer, date: dt.date | None = None
) -> HTMLResponse:
    """The progress page's tables and chart, which the page asks for again every minute."""
    web = web_of(request)
    return web.page(request, "supervisor/progress_body.html", _team_progress(web, viewer, date))


def _team_progress(web: Web, viewer: Viewer, date: dt.date | None) -> dict[str, Any]:
    day = _day(web, date)
    context: dict[str, Any] = {
        "day": day,
        "teams": {},
        "problem": None,
        "asked": date,
        "now": web.clock(),
    }
    with web.engine.connect() as connection:
        try:
            table = _progress(web, connection, viewer, day)
        except UserError as exc:
            context["problem"] = said(exc, viewer.language)
        else:
            context["teams"] = {
                team: _records(rows) for team, rows in table.groupby("team", sort=True)
            }
            context["month_chart"] = _month_so_far(web, connection, viewer, day)
    return context


def _month_so_far(web: Web, connection: sa.Connection, viewer: Viewer, day: dt.date) -> Markup:
    """The teams' daily progress against quota from the first of DAY's month to DAY."""
    team = team_of(connection, viewer)
    quotas = {name: c.spec.per_agent_per_day for name, c in web.campaigns().items()}
    days = activity.calendar_days(connection, day.replace(day=1), day, team, quotas, web.config.tz)
    say = i18n.translator(viewer.language)
    title = say("{month}: daily progress against quota", month=f"{day:%Y-%m}")
    return Markup(charts.progress(days, title, say))


def _progress(web: Web, connection: sa.Connection, viewer: Viewer, day: dt.date) -> pd.DataFrame:
    config = web.config
    return supervision.progress(
        connection,
        web.campaigns(),
        config.dispositions,
        day,
        web.clock(),
        config.tz,
        team_of(connection, viewer),
    )


@router.get("/supervisor/deadlines")
def deadlines_page(request: Request, viewer: SupervisorViewer) -> HTMLResponse:
    web = web_of(request)
    return web.page(request, "supervisor/deadlines.html", _deadlines(request, viewer))


def _deadlines(request: Request, viewer: Viewer, only: int | None = None) -> dict[str, Any]:
    """The deadline page's rows (or the row of ONLY), with the customer's name and number (as
    agents dial it, for a role granted it; masked otherwise), and the agents they may go to."""
    web = web_of(request)
    with web.engine.connect() as connection:
        team = team_of(connection, viewer)
        rows = supervision.near_deadline(
            connection, web.clock(), web.config.policy.warn_at, team, order_id=only
        )
        roster = supervision.team_roster(connection, web.now().date(), team)
        sent = supervision.urges(connection, [int(i) for i in rows["id"]])
        names = _NAMES.of(web.config, connection, rows[["month", "line_id"]].to_dict("records"))
    rows["customer"] = rows["line_id"].map(names)
    seen = numbers.sight(request, viewer)
    shown = zip(rows["id"], rows["phone"], strict=True)
    rows["dial"] = [seen.dialable(order, phone) for order, phone in shown]
    present = roster[~roster["absent"]]
    return {
        "rows": _records(rows),
        "urges": sent,
        "present": _records(present[["agent_id", "name"]]),
        "dial_links": seen.full,
        "notes": {},
        "banner": None,
        "summary": None,
    }


@router.post("/supervisor/orders/{order_id}/reassign")
def reassign_row(
    request: Request, order_id: RowId, viewer: SupervisorViewer, form: CheckedForm
) -> Response:
    web = web_of(request)
    team = order_of_team(web, viewer, order_id)
    note = _reassign(web, viewer, order_id, form.get("to", ""), team, form.get("version"))
    return _row(request, web, viewer, order_id, note)


@router.post("/supervisor/orders/reassign")
def reassign_rows(request: Request, viewer: SupervisorViewer, form: CheckedForm) -> Response:
    """Reassign the ticked orders (fields order-ID, valued with the version the page showed)
    to one agent: each as the single reassign does, refused alone when it changed meanwhile."""
    web = web_of(request)
    to = form.get("to", "")
    ticked = {
        int(key.removeprefix("order-")): value
        for key, value in form.items()
        if key.startswith("order-") and key.removeprefix("order-").isdigit()
    }
    with web.engine.connect() as connection:
        team = team_of(connection, viewer)
        ours = {order for order in ticked if supervision.in_team(connection, order, team)}
    refused: Note | None = None
    try:
        supervision.check_agent(web.engine, to, web.now().date(), team)
    except UserError as exc:
        refused = ("error", said(exc, viewer.language), {})
    if refused is None and not ticked:
        refused = ("error", "Tick the orders to reassign first.", {})
    if refused is not None:
        context = _deadlines(request, viewer) | {"summary": refused}
        return web.page(request, "supervisor/deadlines.html", context, status=409)
    notes: dict[int, Note] = {
        order: _reassign(web, viewer, order, to, team, seen)
        if order in ours
        else ("error", "Not an order of your teams.", {})
        for order, seen in sorted(ticked.items())
    }
    done = sum(note[0] == "ok" for note in notes.values())
    summary = (
        "ok" if done == len(notes) else "error",
        "{done} of {count} orders reassigned to {agent}.",
        {"done": str(done), "count": str(len(notes)), "agent": to},
    )
    context = _deadlines(request, viewer) | {"notes": notes, "summary": summary}
    return web.page(request, "supervisor/deadlines.html", context)


def _reassign(
    web: Web, viewer: Viewer, order_id: int, to: str, team: set[str] | None, seen: str | None
) -> Note:
    """Reassign ORDER_ID to TO, refused if it is no longer at the version SEEN (when given);
    what happened, as a row's note."""
    try:
        moved = supervision.reassign(
            web.config,
            web.engine,
            web.campaigns(),
            order_id,
            to,
            viewer.actor,
            web.clock(),
            within=team,
            seen_version=int(seen) if seen and seen.isdigit() else None,
        )
    except supervision.Stale as stale:
        state = i18n.translator(viewer.language)(stale.state)
        return ("error", STALE, {"state": state, "holder": stale.holder or "—"})
    except UserError as exc:
        return ("error", said(exc, viewer.language), {})
    return ("ok", "Reassigned to {agent}.", {"agent": moved.to_agent})


@router.post("/supervisor/orders/{order_id}/urge")
def urge_row(
    request: Request, order_id: RowId, viewer: SupervisorViewer, form: CheckedForm
) -> Response:
    web = web_of(request)
    order_of_team(web, viewer, order_id)
    try:
        supervision.urge(web.engine, order_id, viewer.actor, web.clock())
    except UserError as exc:
        return _row(request, web, viewer, order_id, ("error", said(exc, viewer.language), {}))
    return _row(request, web, viewer, order_id, ("ok", "Urged.", {}))


def order_of_team(web: Web, viewer: Viewer, order_id: int) -> set[str] | None:
    """The viewer's team, if ORDER_ID is its work; 404 otherwise."""
    with web.engine.connect() as connection:
        team = team_of(connection, viewer)
        if not supervision.in_team(connection, order_id, team):
            raise HTTPException(404, "not found")
    return team


Note = tuple[str, str, dict[str, str]]  # ok or error, the English text, its values


def _row(request: Request, web: Web, viewer: Viewer, order_id: int, note: Note) -> Response:
    """After an action on a row: htmx gets the row again with NOTE; a plain form post goes back
    to the page, a refusal shown above the table."""
    if request.headers.get("HX-Request"):
        context = _deadlines(request, viewer, order_id) | {"notes": {order_id: note}}
        return web.page(request, "supervisor/deadline_rows.html", context)
    if note[0] == "ok":
        return RedirectResponse("/supervisor/deadlines", status_code=303)
    context = _deadlines(request, viewer) | {"banner": (order_id, note[1])}
    return web.page(request, "supervisor/deadlines.html", context, status=409)


@router.get("/supervisor/absences")
def absences_page(
    request: Request, viewer: SupervisorViewer, date: dt.date | None = None
) -> HTMLResponse:
    web = web_of(request)
    return web.page(request, "supervisor/absences.html", _absences(web, viewer, _day(web, date)))


def _absences(web: Web, viewer: Viewer, day: dt.date, problem: str | None = None) -> dict[str, Any]:
    with web.engine.connect() as connection:
        team = team_of(connection, viewer)
        away = supervision.absent(connection, day, team)
        work = {
            agent: _records(supervision.work_of_absent(connection, agent, day))
            for agent in away["agent_id"]
        }
        roster = supervision.team_roster(connection, day, team)
    return {
        "day": day,
        "away": _records(away),
        "work": work,
        "roster": _records(roster[["agent_id", "name"]]),
        "problem": problem,
        "cancelled": None,
        "today": web.now().date(),
    }


@router.post("/supervisor/absences/cancel")
def cancel_absence(request: Request, viewer: SupervisorViewer, form: CheckedForm) -> Response:
    """The agent is at work on the day after all; their absence is taken back."""
    web = web_of(request)
    today = web.now().date()
    agent_id = form.get("agent", "")
    try:
        day = _date_field(form.get("date", ""), today)
        with web.engine.connect() as connection:
            team = team_of(connection, viewer)
        cancelled = supervision.cancel_absence(
            web.engine, agent_id, day, viewer.actor, web.clock(), web.config.tz, within=team
        )
    except UserError as exc:
        context = _absences(web, viewer, today, said(exc, viewer.language))
        return web.page(request, "supervisor/absences.html", context, status=409)
    context = _absences(web, viewer, day) | {"cancelled": cancelled}
    return web.page(request, "supervisor/absences.html", context)


@router.post("/supervisor/absences")
def mark_absent(request: Request, viewer: SupervisorViewer, form: CheckedForm) -> Response:
    web = web_of(request)
    today = web.now().date()
    try:
        day = _date_field(form.get("date", ""), today)
        agent_id = form.get("agent", "")
        with web.engine.connect() as connection:
            team = team_of(connection, viewer)
        if team is not None and agent_id not in team:
            raise supervision.not_in_team(agent_id)
        agents.mark_absent(web.engine, agent_id, day, form.get("reason", "").strip() or None)
    except UserError as exc:
        context = _absences(web, viewer, today, said(exc, viewer.language))
        return web.page(request, "supervisor/absences.html", context, status=409)
    return RedirectResponse(f"/supervisor/absences?date={day}", status_code=303)


def _date_field(text: str, default: dt.date) -> dt.date:
    if not text.strip():
        return default
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{text!r} is not a date; write it as YYYY-MM-DD", "not_a_date", text=text
        ) from None


class OrderOut(BaseModel):
    id: int
    campaign: str = Field(description="the campaign, or a ticket's type")
    type: str | None = Field(description="the ticket's type; none for a campaign's order")
    source: str | None = Field(description="the system that sent the ticket")
    external_id: str | None = Field(description="the ticket's id in that system")
    channel: str
    line_id: str
    state: str
    agent: str | None
    department: str | None
    attempts: int
    last_code: str | None
    result: str | None
    received_at: dt.datetime | None
    created_at: dt.datetime
    deadline: dt.datetime | None
    warned_at: dt.datetime | None
    escalated_to: str | None


class OrdersOut(BaseModel):
    count: int
    orders: list[OrderOut]


class ReassignIn(BaseModel):
    to: str


class ReassignedOut(BaseModel):
    order: int
    from_agent: str | None
    to_agent: str
    state: str


class UrgedOut(BaseModel):
    order: int
    detail: str


class AgentProgress(BaseModel):
    team: str
    agent: str
    name: str
    quota: int
    attempted: int
    reached: int
    converted: int
    returned: int
    overdue: int


class TeamProgressOut(BaseModel):
    date: dt.date
    agents: list[AgentProgress]


@api.get("/orders")
def orders_api(
    request: Request,
    viewer: ApiSupervisor,
    overdue: bool = False,
    agent: str | None = None,
    state: str | None = None,
    type: str | None = None,
) -> OrdersOut:
    """The work orders of the caller's teams: open past their deadline, one agent's, in a
    state, of one ticket type or campaign."""
    web = web_of(request)
    with web.engine.connect() as connection:
        team = team_of(connection, viewer)
        if agent is not None and team is not None and agent not in team:
            raise HTTPException(404, f"no agent {agent!r} in your team")
        try:
            listed = supervision.team_orders(
                connection, web.clock(), team, overdue=overdue, agent=agent, state=state, kind=type
            )
        except UserError as exc:
            raise refusal(exc, viewer) from None
    found = [OrderOut(**row) for row in _records(listed)]
    return OrdersOut(count=len(found), orders=found)


@api.post("/orders/{order_id}/reassign")
def reassign_api(
    request: Request, order_id: RowId, body: ReassignIn, viewer: ApiSupervisor
) -> ReassignedOut:
    """Move the order to another agent of the team, present today; onto their list today."""
    web = web_of(request)
    team = order_of_team(web, viewer, order_id)
    try:
        moved = supervision.reassign(
            web.config,
            web.engine,
            web.campaigns(),
            order_id,
            body.to,
            viewer.actor,
            web.clock(),
            within=team,
        )
    except UserError as exc:
        raise refusal(exc, viewer) from None
    return ReassignedOut(
        order=order_id, from_agent=moved.from_agent, to_agent=moved.to_agent, state=moved.state
    )


@api.post("/orders/{order_id}/urge")
def urge_api(request: Request, order_id: RowId, viewer: ApiSupervisor) -> UrgedOut:
    """Urge whoever has the order (logged in its history)."""
    web = web_of(request)
    order_of_team(web, viewer, order_id)
    try:
        detail = supervision.urge(web.engine, order_id, viewer.actor, web.clock())
    except UserError as exc:
        raise refusal(exc, viewer) from None
    return UrgedOut(order=order_id, detail=detail)


@api.get("/progress")
def progress_api(
    request: Request, viewer: ApiSupervisor, date: dt.date | None = None
) -> TeamProgressOut:
    """Each agent's quota, attempts, reached, conversions, returns and overdue orders of the day."""
    web = web_of(request)
    day = _day(web, date)
    with web.engine.connect() as connection:
        try:
            table = _progress(web, connection, viewer, day)
        except UserError as exc:
            raise refusal(exc, viewer) from None
    return TeamProgressOut(date=day, agents=[AgentProgress(**row) for row in _records(table)])


class TargetOut(BaseModel):
    measure: str = Field(
        description="satisfaction, nps, within_deadline, reach, attainment or "
        "first_contact_resolution"
    )
    source: str = Field(description="calls, survey, nps, tickets or lists")
    value: float | None = Field(description="a share (0.99 = 99%); nps from -1 to 1")
    base: int = Field(description="how many the value counts over")
    target: float | None
    met: bool | None = Field(description="none when the measure has no target or no value")


class TargetsOut(BaseModel):
    first: dt.date
    last: dt.date
    targets: list[TargetOut]


@api.get("/targets")
def targets_api(request: Request, viewer: ApiSupervisor, date: dt.date | None = None) -> TargetsOut:
    """The center's measures from the first of the month to DATE (today), beside its targets."""
    web = web_of(request)
    day = _day(web, date)
    rows = [TargetOut(**row) for row in _targets(web, day)]
    return TargetsOut(first=day.replace(day=1), last=day, targets=rows)
