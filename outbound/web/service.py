"""The supervisor's view of how tickets are served: the month's measures (first call after
receipt, the share within each type's limit, department replies, re-callbacks, reopened and
re-escalated orders), and reopening a closed order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from outbound import output
from outbound.errors import UserError
from outbound.orders import supervision
from outbound.results import charts, tickets
from outbound.web import i18n
from outbound.web.refusals import said
from outbound.web.site import (
    ApiSupervisor,
    CheckedForm,
    RowId,
    SupervisorViewer,
    Viewer,
    refusal,
    web_of,
)
from outbound.web.supervisor import order_of_team

router = APIRouter()
api = APIRouter(prefix="/api", tags=["supervisor"])


class ReopenIn(BaseModel):
    reason: str = Field(min_length=1)
    hours: float = Field(24, gt=0, le=24 * 30)


class ReopenedOut(BaseModel):
    id: int
    deadline: dt.datetime


@router.get("/supervisor/tickets")
def tickets_page(request: Request, viewer: SupervisorViewer, month: str | None = None) -> Response:
    return _page(request, viewer, month)


@router.post("/supervisor/orders/reopen")
async def reopen_form(request: Request, form: CheckedForm, viewer: SupervisorViewer) -> Response:
    body = ReopenIn.model_construct(reason=form.get("reason", ""), hours=24)
    try:
        order = int(form.get("order", ""))
        await run_in_threadpool(_reopen, request, viewer, order, body)
    except ValueError:
        return await run_in_threadpool(_page, request, viewer, None, "order_number", 400)
    except UserError as exc:
        return await run_in_threadpool(
            _page, request, viewer, None, said(exc, viewer.language), 409
        )
    return RedirectResponse(f"/supervisor/tickets?reopened={order}", status_code=303)


@api.post("/orders/{order_id}/reopen")
def reopen_api(
    request: Request, order_id: RowId, body: ReopenIn, viewer: ApiSupervisor
) -> ReopenedOut:
    """Open a closed or expired order of the team again, due HOURS from now."""
    try:
        due = _reopen(request, viewer, order_id, body)
    except UserError as exc:
        raise refusal(exc, viewer) from None
    return ReopenedOut(id=order_id, deadline=due)


def _reopen(request: Request, viewer: Viewer, order_id: int, body: ReopenIn) -> dt.datetime:
    web = web_of(request)
    order_of_team(web, viewer, order_id)
    return supervision.reopen(
        web.engine, order_id, viewer.actor, web.clock(), body.hours, body.reason
    )


def _page(
    request: Request,
    viewer: Viewer,
    month: str | None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    web = web_of(request)
    say = i18n.translator(viewer.language)
    if problem == "order_number":
        problem = say("Give the number of the order to reopen.")
    shown = month or f"{web.now():%Y-%m}"
    try:
        dt.datetime.strptime(shown, "%Y-%m")
    except ValueError:
        shown, problem = f"{web.now():%Y-%m}", say("Pick a month.")
    with web.engine.connect() as connection:
        report = tickets.measure(web.config, connection, shown)
    types = report.types[report.types["source"] == "all"]
    chart = charts.shares(
        [(str(row.title), float(row.within_limit_pct)) for row in types.itertuples()],
        say("Share closed within each type's limit"),
    )
    context: dict[str, Any] = {
        "month": shown,
        "sections": {name: output.records(table) for name, _, table in report.sections()},
        "chart": Markup(chart) if len(types) else None,
        "problem": problem,
        "reopened": request.query_params.get("reopened"),
    }
    return web.page(request, "supervisor/tickets.html", context, status)
