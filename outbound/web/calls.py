"""Calls, for handling times: the agent's page says when its dial link was clicked, and a
softphone or switch posts each call's start and end (POST /api/calls), once by its call id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from outbound.errors import UserError
from outbound.orders import calls
from outbound.web import i18n
from outbound.web.site import AgentViewer, CheckedForm, RowId, Viewer, api_role, web_of

router = APIRouter()
api = APIRouter(prefix="/api", tags=["calls"])
ApiCaller = Annotated[Viewer, Depends(api_role("agent", "system"))]


@router.post("/agent/items/{item}/opened", status_code=204)
def opened(request: Request, viewer: AgentViewer, _: CheckedForm, item: RowId) -> Response:
    """The viewer's page dialled ITEM (its dial link clicked): the start of the item's handling
    time. Only on the viewer's own item; any other is not found."""
    web = web_of(request)
    try:
        calls.opened(web.engine, item, viewer.actor, web.clock())
    except UserError:
        raise HTTPException(404, f"no item {item} on your list") from None
    return Response(status_code=204)


class CallIn(BaseModel):
    order_id: int = Field(ge=1, le=2**63 - 1, description="the work order (item) called")
    agent_id: str = Field(min_length=1, max_length=64, description="the agent who called")
    started_at: dt.datetime = Field(description="ISO 8601 with its offset, e.g. +08:00")
    ended_at: dt.datetime = Field(description="ISO 8601 with its offset; not before started_at")
    call_id: str = Field(
        min_length=1, max_length=128, description="the switch's own id of the call"
    )


class CallOut(BaseModel):
    id: int = Field(description="the engine's id of the call: the same for the same call posted")
    order_id: int
    agent_id: str
    call_id: str
    new: bool = Field(description="false when this call was posted before")


class Invalid(BaseModel):
    loc: list[str]
    msg: str
    type: str


class Refused(BaseModel):
    detail: list[Invalid]


@api.post(
    "/calls",
    status_code=201,
    responses={200: {"model": CallOut}, 422: {"model": Refused}, 409: {"model": Refused}},
)
def post_call(request: Request, viewer: ApiCaller, call: CallIn) -> Response:
    """A call's start and end from a softphone or switch: they time the item's next outcome
    and take precedence over the page's. 201: taken; 200: this call was taken before (the same
    id). 422 names the field: a time without a zone, an end before the start, an unknown order,
    an order not the agent's (an agent's token posts the agent's own calls only); 409: the
    call_id was posted before with other values."""
    web = web_of(request)
    try:
        if viewer.role == "agent" and call.agent_id != viewer.person.person_id:
            raise UserError.of(
                "call_of_another_agent",
                "agent_id {agent}: an agent's token posts that agent's own calls only",
                field="agent_id",
                agent=call.agent_id,
            )
        taken = calls.switched(
            web.engine,
            calls.SwitchCall(
                call.order_id, call.agent_id, call.started_at, call.ended_at, call.call_id
            ),
            web.clock(),
        )
    except UserError as refused:
        status = 409 if refused.code == "call_posted_differently" else 422
        field = str(refused.values.get("field", ""))
        problem = Invalid(
            loc=["body", field], msg=_said(refused, viewer.language), type=refused.code or ""
        )
        return JSONResponse(Refused(detail=[problem]).model_dump(), status_code=status)
    answer = CallOut(
        id=taken.id,
        order_id=call.order_id,
        agent_id=call.agent_id,
        call_id=call.call_id,
        new=taken.new,
    )
    return JSONResponse(answer.model_dump(), status_code=201 if taken.new else 200)


def _said(refused: UserError, language: str) -> str:
    """REFUSED in LANGUAGE, as a switch's operator reads it (the domain's sentence is the
    command line's)."""
    _ = i18n.translator(language)
    values = refused.values
    match refused.code:
        case "call_of_another_agent":
            return _(
                "agent_id {agent}: an agent's token posts that agent's own calls only", **values
            )
        case "call_time_without_zone":
            return _(
                "{field} {time} has no time zone; send it with its offset, e.g. +08:00", **values
            )
        case "call_ends_before_start":
            return _("ended_at {end} is before started_at {start}", **values)
        case "call_order_unknown":
            return _("order_id {order}: there is no such work order", **values)
        case "call_order_not_agents":
            return _("work order {order} is not agent {agent}'s", **values)
        case "call_posted_differently":
            return _(
                "call {call_id} was posted before with other values; use a new call_id", **values
            )
    return refused.message
