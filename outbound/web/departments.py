"""Tickets from other systems (POST /api/tickets) and the departments' side of the loop: the
orders escalated to a department with their clocks, and its structured reply (回单). A
department user sees its own department's orders only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from outbound.errors import UserError
from outbound.orders import intake, replies, tickets
from outbound.web import numbers
from outbound.web.refusals import said
from outbound.web.site import CheckedForm, RowId, Viewer, api_role, refusal, role, web_of

router = APIRouter(dependencies=[numbers.AUDITED])
api = APIRouter(prefix="/api", tags=["tickets and departments"], dependencies=[numbers.AUDITED])
MOST_A_BATCH = 1000
ApiSender = Annotated[Viewer, Depends(api_role("system", "supervisor"))]
ApiDepartment = Annotated[Viewer, Depends(api_role("department"))]
DepartmentViewer = Annotated[Viewer, Depends(role("department"))]


class Refused(BaseModel):
    item: int = Field(description="the ticket's place in the batch, from 1")
    field: str
    message: str


class TicketsTaken(BaseModel):
    read: int
    taken: int = Field(description="tickets new to the engine, each now a work order")
    repeated: int = Field(description="tickets taken before (by source and external_id)")
    dispatched: int
    orders: dict[int, int] = Field(description="the work order of each new ticket, by item")
    refused: list[Refused]


@api.post("/tickets", responses={207: {"model": TicketsTaken}, 422: {"model": TicketsTaken}})
def post_tickets(
    request: Request,
    viewer: ApiSender,
    body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()],
) -> Response:
    """One ticket (an object) or a batch (a list, at most 1,000) with the fields external_id,
    source, type, line_id, phone, received_at (ISO 8601; without an offset, the workspace's
    time zone), text and department. Each ticket is taken once by (source, external_id),
    however often it is sent. 200: all taken (or taken before); 207: some refused, the others
    taken; 422: none taken. Each refusal names the item and the field."""
    web = web_of(request)
    items = body if isinstance(body, list) else [body]
    if len(items) > MOST_A_BATCH:
        raise HTTPException(413, f"at most {MOST_A_BATCH} tickets a request; send the rest next")
    now = web.clock()
    summary = intake.take_rows(
        web.config, web.engine, tickets.read(items, web.config, now), now, "api"
    )
    answer = TicketsTaken(
        read=summary.read,
        taken=len(summary.taken),
        repeated=summary.repeated,
        dispatched=summary.dispatched,
        orders=summary.taken,
        refused=[Refused(item=p.row, field=p.field, message=p.message) for p in summary.problems],
    )
    status = 200 if not answer.refused else 207 if answer.taken or answer.repeated else 422
    return JSONResponse(answer.model_dump(mode="json"), status_code=status)


class DepartmentOrder(BaseModel):
    id: int
    campaign: str
    external_id: str | None
    line_id: str
    phone: str
    state: str
    result: str | None
    received_at: dt.datetime | None
    created_at: dt.datetime
    deadline: dt.datetime | None
    late: bool
    urged: int
    escalated_to: str | None
    text: str


class ReplyIn(BaseModel):
    result: str = Field(description="fixed, cannot_fix, needs_customer or not_ours")
    reason: str | None = None
    note: str | None = None
    forward_to: str | None = Field(None, description="with not_ours: the department it is for")


class Replied(BaseModel):
    id: int
    result: str
    recall: int | None
    forwarded: int | None


@api.get("/department/orders")
def department_orders_api(request: Request, viewer: ApiDepartment) -> list[DepartmentOrder]:
    """The orders escalated to the caller's department: open ones first, soonest deadline
    first, then those answered in the last 7 days."""
    return [DepartmentOrder(**row) for row in _orders(request, viewer)]


@api.post("/department/orders/{order_id}/reply")
def reply_api(request: Request, order_id: RowId, body: ReplyIn, viewer: ApiDepartment) -> Replied:
    """The department's reply (回单) to one of its orders."""
    try:
        done = _reply(request, viewer, order_id, body)
    except UserError as exc:
        raise refusal(exc, viewer, 404 if exc.code == "no_department_order" else 409) from None
    return Replied(id=order_id, result=done.result, recall=done.recall, forwarded=done.forwarded)


@router.get("/department")
def department_page(request: Request, viewer: DepartmentViewer) -> HTMLResponse:
    return _page(request, viewer)


@router.post("/department/orders/{order_id}/reply")
async def reply_form(
    request: Request, order_id: RowId, form: CheckedForm, viewer: DepartmentViewer
) -> Response:
    body = ReplyIn(
        result=form.get("result", ""),
        reason=form.get("reason") or None,
        note=form.get("note") or None,
        forward_to=form.get("forward_to") or None,
    )
    try:
        await run_in_threadpool(_reply, request, viewer, order_id, body)
    except UserError as exc:
        return await run_in_threadpool(
            _page, request, viewer, (order_id, said(exc, viewer.language)), 409
        )
    return RedirectResponse("/department", status_code=303)


def _page(
    request: Request, viewer: Viewer, error: tuple[int, str] | None = None, status: int = 200
) -> HTMLResponse:
    web = web_of(request)
    department = _department(viewer)
    others = [name for name in web.config.settings.departments if name != department]
    context = {
        "department": department,
        "rows": _orders(request, viewer),
        "others": others,
        "error": error,
        "results": replies.REPLIES,
    }
    return web.page(request, "department/orders.html", context, status)


def _orders(request: Request, viewer: Viewer) -> list[dict[str, Any]]:
    web = web_of(request)
    with web.engine.connect() as connection:
        found = replies.department_orders(connection, _department(viewer), web.clock())
    found = found.rename(columns={"due_at": "deadline"})
    seen = numbers.sight(request, viewer)
    shown = list(zip(found["id"], found["phone"], strict=True))
    found["dial"] = [seen.dialable(order, phone) for order, phone in shown]
    found["phone"] = [seen.phone(order, phone) for order, phone in shown]
    return [
        {key: (None if value is None or value != value else value) for key, value in row.items()}
        for row in found.to_dict("records")
    ]


def _reply(request: Request, viewer: Viewer, order_id: int, body: ReplyIn) -> replies.Replied:
    web = web_of(request)
    return replies.reply(
        web.config,
        web.engine,
        order_id,
        _department(viewer),
        body.result,
        web.clock(),
        actor=viewer.person.name,
        reason=body.reason,
        note=body.note,
        forward_to=body.forward_to,
    )


def _department(viewer: Viewer) -> str:
    if viewer.person.person_id is None:  # an admin looking: no department of their own
        raise HTTPException(403, "only a department's users answer its orders")
    return viewer.person.person_id
