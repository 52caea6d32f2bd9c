"""The marketing pages and API: segment counts month on month, a rule editor that tries a rule
as it is typed and saves it as a segment, campaigns' progress with pause and resume, and a
preview of their SMS. Phones only ever show masked, in the pages and in the CSV export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from outbound import output
from outbound.config import PHONE
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.plan import daily, rule_check, segment_counts
from outbound.privacy import mask as masked
from outbound.results import charts, lift, monthly, period, progress, reasons, verdict
from outbound.results.progress import Progress
from outbound.rules import RuleError
from outbound.rules.values import ValueNotFound
from outbound.web import i18n
from outbound.web.refusals import said
from outbound.web.site import (
    ApiMarketing,
    CheckedForm,
    MarketingViewer,
    Viewer,
    Web,
    refusal,
    role,
    web_of,
)
from outbound.workspace import edits
from outbound.workspace.campaigns import Campaign, load_campaigns

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
        context = {"counts": None, "problem": said(exc, viewer.language)}
    return web.page(request, "marketing/segments.html", context)


@router.get("/marketing/rules")
def rule_editor(
    request: Request, viewer: MarketingViewer, rule: str = "", month: str = ""
) -> HTMLResponse:
    web = web_of(request)
    return web.page(request, "marketing/rules.html", _editor(web, rule, month, viewer))


def _editor(web: Web, rule: str, month: str, viewer: Viewer) -> dict[str, Any]:
    return {
        "rule": rule,
        "month": month,
        "months": snapshots.loaded_months(web.engine),
        "checked": _checked(web, rule, month, viewer) if rule else None,
        "saving": None,
    }


@router.post("/marketing/rules/check")
def rule_check_fragment(
    request: Request, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    web = web_of(request)
    checked = _checked(web, form.get("rule", ""), form.get("month", ""), viewer)
    return web.page(request, "marketing/rule_result.html", {"checked": checked, "saving": None})


@router.get("/marketing/rules/export.csv")
def rule_export(request: Request, viewer: MarketingViewer, rule: str, month: str = "") -> Response:
    """Every line the rule selects, phones masked, as CSV that Excel opens in Chinese."""
    web = web_of(request)
    try:
        trial = rule_check.try_rule(
            web.config, web.engine, rule, month or None, None, hidden=viewer.hidden_columns
        )
    except UserError as exc:
        problem = said(exc, viewer.language)
        return Response(problem, status_code=422, media_type="text/plain; charset=utf-8")
    body = "\ufeff" + _masked(trial.sample).to_csv(index=False)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rule-{trial.month}.csv"'},
    )


@router.post("/marketing/segments")
def save_segment(request: Request, viewer: MarketingViewer, form: CheckedForm) -> Response:
    """Save the checked rule as segments/NAME.toml; an existing name only when confirmed."""
    web = web_of(request)
    name, title, rule = (
        form.get("name", "").strip(),
        form.get("title", "").strip(),
        form.get("rule", ""),
    )
    saving: dict[str, Any] = {
        "name": name,
        "title": title,
        "rule": rule,
        "month": form.get("month", ""),
        "exists": False,
        "note": None,
    }
    status = 409
    try:
        replace = form.get("replace") == "yes"
        edits.save_segment(
            web.config, name, rule, title, replace=replace, hidden=viewer.hidden_columns
        )
        saving["note"] = ("ok", "Saved as segments/{name}.toml.", {"name": name})
        status = 200
    except edits.SegmentExists as exc:
        saving |= {"exists": True, "note": ("error", said(exc, viewer.language), {})}
    except UserError as exc:
        saving["note"] = ("error", said(exc, viewer.language), {})
    if request.headers.get("HX-Request"):
        return web.page(request, "marketing/save_segment.html", {"saving": saving})
    if status == 200:
        return RedirectResponse("/marketing", status_code=303)
    context = _editor(web, rule, saving["month"], viewer) | {"saving": saving}
    return web.page(request, "marketing/rules.html", context, status=status)


@router.get("/marketing/results")
def results_page(
    request: Request,
    viewer: ResultsViewer,
    month: str = "",
    by: str = "campaign",
    reasons_by: reasons.Breakdown = "region",
) -> HTMLResponse:
    """Did the campaigns of a month work: the month report's charts and lift table, and the
    reasons agents recorded while they were worked (the calendar month after it)."""
    web = web_of(request)
    loaded = snapshots.loaded_months(web.engine)
    context: dict[str, Any] = {
        "months": loaded[:-1],
        "month": month,
        "by": by,
        "reasons_by": reasons_by,
        "breakdowns": reasons.BREAKDOWNS,
        "problem": None,
    }
    campaigns = web.campaigns()
    titles = {name: campaign.spec.title or name for name, campaign in campaigns.items()}
    try:
        month = verdict.judged_month(web.engine, month)
        report = monthly.build(web.config, web.engine, list(campaigns.values()), month, by)
        context |= {
            "month": month,
            "judged_on": report.judged_on,
            "rows": output.records(report.lift),
            "scores": output.records(report.scores),
            "warnings": lift.WARNINGS,
            "want": lift.MIN_HOLDOUT,
            **monthly.figures(report, i18n.translator(viewer.language), titles),
            "reasons": _reasons(web, report.judged_on, reasons_by, viewer, titles),
        }
    except UserError as exc:
        context["problem"] = said(exc, viewer.language)
    return web.page(request, "marketing/results.html", context)


def _reasons(
    web: Web, worked: str, by: reasons.Breakdown, viewer: Viewer, titles: dict[str, str]
) -> list[dict[str, Any]]:
    """Each campaign's reasons recorded in the calendar month WORKED, broken down BY: its
    chart and its table."""
    say = i18n.translator(viewer.language)
    with web.engine.connect() as connection:
        counted = reasons.table(
            web.config, connection, web.campaigns().values(), period.month(worked), by
        )
    shown = []
    for name, rows in counted.groupby("campaign", sort=True):
        title = say("{campaign}: reasons by {by}", campaign=titles.get(name, name), by=say(by))
        table = reasons.wide(rows)
        shown.append(
            {
                "campaign": name,
                "chart": Markup(charts.reasons(rows, title, say)),
                "labels": list(table.columns[2:]),
                "rows": output.records(table),
            }
        )
    return shown


@router.get("/marketing/campaigns")
def campaigns_page(request: Request, viewer: MarketingViewer) -> HTMLResponse:
    web = web_of(request)
    context = {"campaigns": _progress(web), "note": None}
    return web.page(request, "marketing/campaigns.html", context)


@router.post("/marketing/campaigns/{name}/pause")
def pause_campaign(
    request: Request, name: str, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    return _pause_page(request, viewer, name, True)


@router.post("/marketing/campaigns/{name}/resume")
def resume_campaign(
    request: Request, name: str, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    return _pause_page(request, viewer, name, False)


def _pause_page(request: Request, viewer: Viewer, name: str, paused: bool) -> HTMLResponse:
    """Pause or resume, then the campaign's row (htmx) or the page, read from the files as
    they are now."""
    web = web_of(request)
    note = None
    try:
        _set_paused(web, name, paused)
    except UserError as exc:
        note = said(exc, viewer.language)
    shown = _progress(web)
    if request.headers.get("HX-Request"):
        row = next((c, done) for c, done in shown if c.name == name)
        return web.page(request, "marketing/campaign_row.html", {"row": row, "note": note})
    context = {"campaigns": shown, "note": note}
    return web.page(request, "marketing/campaigns.html", context, status=409 if note else 200)


def _set_paused(web: Web, name: str, paused: bool) -> Campaign:
    campaign = {c.name: c for c in load_campaigns(web.config)[0]}.get(name)
    if campaign is None:
        raise HTTPException(404, f"no campaign {name!r} in campaigns/")
    return edits.set_paused(web.config, campaign, paused)


@router.get("/marketing/sms")
def sms_page(request: Request, viewer: MarketingViewer, campaign: str = "") -> HTMLResponse:
    web = web_of(request)
    choices = [c for c in _by_priority(web) if c.spec.channel != "call"]
    context = {
        "choices": choices,
        "chosen": campaign,
        "preview": _sms_preview(web, campaign, viewer.language) if campaign else None,
    }
    return web.page(request, "marketing/sms.html", context)


@router.post("/marketing/sms/preview")
def sms_preview_fragment(
    request: Request, viewer: MarketingViewer, form: CheckedForm
) -> HTMLResponse:
    web = web_of(request)
    preview = _sms_preview(web, form.get("campaign", ""), viewer.language)
    return web.page(request, "marketing/sms_preview.html", {"preview": preview})


def _counts(web: Web) -> segment_counts.Counts:
    return segment_counts.counts(web.config, web.engine)


def _checked(web: Web, rule: str, month: str, viewer: Viewer) -> dict[str, Any]:
    """The rule's trial for the page: its count and masked sample, or where it is wrong."""
    language, hidden = viewer.language, viewer.hidden_columns
    nothing: dict[str, Any] = {"error": None, "problem": None, "trial": None}
    try:
        trial = rule_check.try_rule(
            web.config, web.engine, rule, month or None, SAMPLE_ROWS, hidden=hidden
        )
    except RuleError as error:
        hint = error.hint_refusal
        return nothing | {
            "error": {
                "reason": said(error, language),
                "hint": said(hint, language) if hint else None,
                "caret": rule_check.with_caret(error),
            }
        }
    except UserError as exc:
        return nothing | {"problem": said(exc, language)}
    sample = _masked(trial.sample)
    return nothing | {
        "trial": trial,
        "rule": rule,
        "month": month,
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
    """Each campaign with its progress, read from campaigns/ now rather than from the app's
    cache of it, which may not have seen a pause of a moment ago."""
    with web.engine.connect() as connection:
        found = progress.by_campaign(connection)
    return [(c, found.get(c.name, Progress())) for c in load_campaigns(web.config)[0]]


def _sms_preview(web: Web, name: str, language: str) -> dict[str, Any]:
    """A few of the campaign's messages as they will go, phones masked, with the segment's
    count and the wave's SMS parts; or the sentence saying why there is none."""
    try:
        campaign, messages = daily.preview_messages(
            web.config, web.engine, name, web.now().date(), web.clock()
        )
        counted = _counts(web).of(campaign.spec.segment)
    except UserError as exc:
        return {"problem": said(exc, language)}
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
    values: list[str] | None = None  # a category column's values, for a value it never takes
    suggestion: str | None = None


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
    paused: bool
    progress: CampaignProgressOut


@api.get("/segments")
def api_segments(request: Request, viewer: ApiMarketing) -> SegmentsOut:
    """Every segment's count in the latest loaded month and the month before."""
    try:
        found = _counts(web_of(request))
    except UserError as exc:
        raise refusal(exc, viewer) from None
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
        trial = rule_check.try_rule(
            web.config,
            web.engine,
            asked.rule,
            asked.month,
            SAMPLE_ROWS,
            hidden=viewer.hidden_columns,
        )
    except RuleError as error:
        hint = error.hint_refusal
        message = said(error, viewer.language)
        if hint is not None:
            message += " " + said(hint, viewer.language)
        problem = RuleProblem(message=message, line=error.line, column=error.column)
        if isinstance(error, ValueNotFound):
            problem.values = list(error.found.known)
            problem.suggestion = error.found.suggestion
        raise HTTPException(422, problem.model_dump()) from None
    except UserError as exc:
        raise refusal(exc, viewer, 400) from None
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
    return _campaigns_out(web_of(request))


def _campaigns_out(web: Web) -> list[CampaignOut]:
    return [
        CampaignOut(
            name=c.name,
            title=c.spec.title,
            segment=c.spec.segment,
            channel=c.spec.channel,
            start=c.spec.start,
            end=c.spec.end,
            priority=c.spec.priority,
            paused=c.spec.paused,
            progress=CampaignProgressOut(**vars(done)),
        )
        for c, done in _progress(web)
    ]


@api.post("/campaigns/{name}/pause")
def api_pause(request: Request, name: str, viewer: ApiMarketing) -> CampaignOut:
    """Pause the campaign: the daily run gives it no new work orders and sends none of its
    messages (paused = true in its file) until it is resumed."""
    return _campaign_out(request, viewer, name, True)


@api.post("/campaigns/{name}/resume")
def api_resume(request: Request, name: str, viewer: ApiMarketing) -> CampaignOut:
    """Resume a paused campaign from the next daily run."""
    return _campaign_out(request, viewer, name, False)


def _campaign_out(request: Request, viewer: Viewer, name: str, paused: bool) -> CampaignOut:
    web = web_of(request)
    try:
        _set_paused(web, name, paused)
    except UserError as exc:
        raise refusal(exc, viewer) from None
    return next(out for out in _campaigns_out(web) if out.name == name)
