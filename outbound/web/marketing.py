"""The marketing pages and API: segment counts month on month, a rule editor that tries a rule
as it is typed, campaigns' progress and a preview of their SMS. Phones only ever show masked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from outbound import output
from outbound.config import PHONE
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.plan import daily, rule_check, segment_counts
from outbound.results import monthly, progress, verdict
from outbound.results.progress import Progress
from outbound.rules import RuleError
from outbound.web.site import (
    ApiMarketing,
    CheckedForm,
    MarketingViewer,
    Viewer,
    Web,
    masked,
    role,
    web_of,
)
from outbound.workspace.campaigns import Campaign

router = APIRouter()
api = APIRouter(prefix="/api", tags=["marketing"])
ResultsViewer = Annotated[Viewer, Depends(role("marketing", "supervisor"))]
SAMPLE_ROWS = 10
SMS_SAMPLE = 5


@router.get("/marketing")
def segments_page(request: Request, viewer: MarketingViewer) -> HTMLResponse:
    web = web_of(request)
    try:
        context: dict[str, Any] = {"counts": _counts(web), "problem": None}
    except UserError as exc:
        context = {"counts": None, "problem": str(exc)}
    return web.page(request, "marketing/segments.html", context)


@router.get("/marketing/rules")
def rule_editor(
    request: Request, viewer: MarketingViewer, rule: str = "", month: str = ""
) -> HTMLResponse:
    web = web_of(request)
    context = {
        "rule": rule,
        "month": month,
        "months": snapshots.loaded_months(web.engine),
        "checked": _checked(web, rule, month) if rule else None,
    }
    return web.page(request, "marketing/rules.html", context)


@router.post("/marketing/rules/check")
def rule_check_fragment(
    request: Request, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    web = web_of(request)
    checked = _checked(web, form.get("rule", ""), form.get("month", ""))
    return web.page(request, "marketing/rule_result.html", {"checked": checked})


@router.get("/marketing/results")
def results_page(
    request: Request, viewer: ResultsViewer, month: str = "", by: str = "campaign"
) -> HTMLResponse:
    """Did the campaigns of a month work: the month report's charts and lift table."""
    web = web_of(request)
    loaded = snapshots.loaded_months(web.engine)
    context: dict[str, Any] = {"months": loaded[:-1], "month": month, "by": by, "problem": None}
    try:
        month = verdict.judged_month(web.engine, month)
        report = monthly.build(web.config, web.engine, list(web.campaigns().values()), month, by)
        context |= {
            "month": month,
            "judged_on": report.judged_on,
            "rows": output.records(report.lift),
            "scores": output.records(report.scores),
            **monthly.figures(report),
        }
    except UserError as exc:
        context["problem"] = str(exc)
    return web.page(request, "marketing/results.html", context)


@router.get("/marketing/campaigns")
def campaigns_page(request: Request, viewer: MarketingViewer) -> HTMLResponse:
    web = web_of(request)
    return web.page(request, "marketing/campaigns.html", {"campaigns": _progress(web)})


@router.get("/marketing/sms")
def sms_page(request: Request, viewer: MarketingViewer, campaign: str = "") -> HTMLResponse:
    web = web_of(request)
    choices = [c for c in _by_priority(web) if c.spec.channel != "call"]
    context = {
        "choices": choices,
        "chosen": campaign,
        "preview": _sms_preview(web, campaign) if campaign else None,
    }
    return web.page(request, "marketing/sms.html", context)


@router.post("/marketing/sms/preview")
def sms_preview_fragment(
    request: Request, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    web = web_of(request)
    preview = _sms_preview(web, form.get("campaign", ""))
    return web.page(request, "marketing/sms_preview.html", {"preview": preview})


def _counts(web: Web) -> segment_counts.Counts:
    return segment_counts.counts(web.config, web.engine)


def _checked(web: Web, rule: str, month: str) -> dict[str, Any]:
    """The rule's trial for the page: its count and masked sample, or where it is wrong."""
    nothing: dict[str, Any] = {"error": None, "problem": None, "trial": None}
    try:
        trial = rule_check.try_rule(web.config, web.engine, rule, month or None, SAMPLE_ROWS)
    except RuleError as error:
        return nothing | {
            "error": {
                "reason": rule_check.reason_of(error),
                "hint": error.hint,
                "caret": rule_check.with_caret(error),
            }
        }
    except UserError as exc:
        return nothing | {"problem": str(exc)}
    sample = _masked(trial.sample)
    return nothing | {
        "trial": trial,
        "columns": list(sample.columns),
        "rows": output.records(sample),
    }


def _masked(frame: pd.DataFrame) -> pd.DataFrame:
    """FRAME with every phone column (this month's and last month's) masked."""
    shown = frame.copy()
    for name in (PHONE, f"prev.{PHONE}"):
        if name in shown.columns:
            shown[name] = shown[name].map(lambda phone: masked(str(phone)), na_action="ignore")
    return shown


def _by_priority(web: Web) -> list[Campaign]:
    return sorted(web.campaigns().values(), key=lambda c: (-c.spec.priority, c.name))


def _progress(web: Web) -> list[tuple[Campaign, Progress]]:
    with web.engine.connect() as connection:
        found = progress.by_campaign(connection)
    return [(c, found.get(c.name, Progress())) for c in _by_priority(web)]


def _sms_preview(web: Web, name: str) -> dict[str, Any]:
    """A few of the campaign's messages as they will go, phones masked, with the segment's
    count and the wave's SMS parts; or the sentence saying why there is none."""
    try:
        campaign, messages = daily.preview_messages(
            web.config, web.engine, name, web.now().date(), web.clock()
        )
        counted = _counts(web).of(campaign.spec.segment)
    except UserError as exc:
        return {"problem": str(exc)}
    sample = messages.head(SMS_SAMPLE).assign(phone=lambda f: f["phone"].map(masked))
    return {
        "problem": None,
        "campaign": campaign,
        "segment_count": counted.count if counted else None,
        "messages": len(messages),
        "parts": int(messages["segments"].sum()),
        "sample": output.records(sample),
    }


class SegmentOut(BaseModel):
    segment: str
    title: str
    where: str
    count: int
    previous: int | None
    change: int | None


class SegmentsOut(BaseModel):
    month: str
    previous_month: str | None
    segments: list[SegmentOut]
    problems: list[str]


class RuleIn(BaseModel):
    rule: str
    month: str | None = None


class RuleOut(BaseModel):
    month: str
    count: int
    of: int
    sample: list[dict[str, Any]]
    warnings: list[str]


class RuleProblem(BaseModel):
    message: str
    line: int
    column: int


class RuleRefusal(BaseModel):
    detail: RuleProblem


class CampaignProgressOut(BaseModel):
    created: int
    open: int
    done: int
    converted: int
    messages: int
    sent: int
    delivered: int


class CampaignOut(BaseModel):
    name: str
    title: str
    segment: str
    channel: str
    start: dt.date
    end: dt.date
    priority: int
    progress: CampaignProgressOut


@api.get("/segments")
def api_segments(request: Request, viewer: ApiMarketing) -> SegmentsOut:
    """Every segment's count in the latest loaded month and the month before."""
    try:
        found = _counts(web_of(request))
    except UserError as exc:
        raise HTTPException(409, str(exc)) from None
    return SegmentsOut(
        month=found.month,
        previous_month=found.previous_month,
        segments=[
            SegmentOut(
                segment=s.name,
                title=s.title,
                where=s.rule,
                count=s.count,
                previous=s.previous,
                change=s.change,
            )
            for s in found.segments
        ],
        problems=found.problems,
    )


@api.post("/rules/check", responses={422: {"model": RuleRefusal}})
def api_check_rule(request: Request, viewer: ApiMarketing, asked: RuleIn) -> RuleOut:
    """How many lines a rule selects in a month (the latest by default), with ten of them
    (phones masked); 422 with the message, line and column of a rule that is wrong."""
    web = web_of(request)
    try:
        trial = rule_check.try_rule(web.config, web.engine, asked.rule, asked.month, SAMPLE_ROWS)
    except RuleError as error:
        problem = RuleProblem(message=str(error), line=error.line, column=error.column)
        raise HTTPException(422, problem.model_dump()) from None
    except UserError as exc:
        raise HTTPException(400, str(exc)) from None
    return RuleOut(
        month=trial.month,
        count=trial.count,
        of=trial.of,
        sample=output.records(_masked(trial.sample)),
        warnings=trial.warnings,
    )


@api.get("/campaigns")
def api_campaigns(request: Request, viewer: ApiMarketing) -> list[CampaignOut]:
    """Every campaign with its work orders by state and its messages by delivery."""
    return [
        CampaignOut(
            name=c.name,
            title=c.spec.title,
            segment=c.spec.segment,
            channel=c.spec.channel,
            start=c.spec.start,
            end=c.spec.end,
            priority=c.spec.priority,
            progress=CampaignProgressOut(**vars(done)),
        )
        for c, done in _progress(web_of(request))
    ]
