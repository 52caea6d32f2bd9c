"""The customer's score in the store: the survey SMS queued after a reached call, the replies
matched to it, and the scores per campaign or agent of a month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal, cast

import pandas as pd
import sqlalchemy as sa

from outbound.config import Disposition
from outbound.contact import policy
from outbound.messages import outbox, sms, survey
from outbound.messages.outbox import OUTBOX
from outbound.store import orders
from outbound.store.models import SurveyReply
from outbound.store.orders import ORDERS
from outbound.workspace.campaigns import Campaign

REPLIES = cast(sa.Table, SurveyReply.__table__)
# How long after its question a reply still answers it.
REPLY_DAYS = 7
BY = {"campaign": "campaign", "agent": "agent_id"}


def after_call(
    connection: sa.Connection,
    campaign: Campaign | None,
    order: Mapping[str, Any],
    disposition: Disposition,
    day: dt.date,
    now: dt.datetime,
) -> bool:
    """Queue CAMPAIGN's survey to the customer of the call ORDER when DISPOSITION reached them,
    once per order. Not while a callback is pending: the conversation is not over, and the
    score is asked about the call that ends it. Never to a fixed line, which takes no SMS; a
    suppressed number is blocked when the wave comes to it, as every message is."""
    if campaign is None or campaign.spec.survey is None or order["channel"] != "call":
        return False
    if disposition.category != "reached" or disposition.effect == "callback":
        return False
    if not policy.can_take_sms(order["phone"]):
        return False
    question = campaign.spec.survey
    return outbox.add_survey(
        connection, order, sms.normalise(question.text), question.scale, day, now
    )


def answer(
    connection: sa.Connection, phone: str, body: str, provider_id: str, now: dt.datetime
) -> str | None:
    """Keep BODY as the reply to the latest survey sent to PHONE within REPLY_DAYS that has no
    score yet: "score" when it reads as one, "unparsed" when a person must read it; None when
    PHONE has no survey waiting. The first score stands: a reply after it is an ordinary message
    for an agent, and a score after unreadable replies answers the survey."""
    scored = sa.select(REPLIES.c.id).where(
        REPLIES.c.order_id == OUTBOX.c.order_id, REPLIES.c.score.is_not(None)
    )
    asked = (
        connection.execute(
            sa.select(
                OUTBOX.c.id,
                OUTBOX.c.order_id,
                OUTBOX.c.campaign,
                OUTBOX.c.line_id,
                OUTBOX.c.survey,
                sa.func.coalesce(ORDERS.c.agent_id, ORDERS.c.owner_id).label("agent_id"),
            )
            .join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
            .where(
                OUTBOX.c.phone == phone,
                OUTBOX.c.survey.is_not(None),
                OUTBOX.c.sent_at >= now - dt.timedelta(days=REPLY_DAYS),
                ~sa.exists(scored),
            )
            .order_by(OUTBOX.c.sent_at.desc(), OUTBOX.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if asked is None:
        return None
    reading = survey.parse_reply(body, asked["survey"])
    connection.execute(
        sa.insert(REPLIES).values(
            order_id=asked["order_id"],
            outbox_id=asked["id"],
            campaign=asked["campaign"],
            agent_id=asked["agent_id"],
            line_id=asked["line_id"],
            phone=phone,
            scale=asked["survey"],
            body=body,
            score=reading.score,
            provider_id=provider_id,
            received_at=now,
        )
    )
    return "score" if reading.score is not None else "unparsed"


def table(
    engine: sa.Engine,
    month: str | None,
    by: Literal["campaign", "agent"],
    campaign: str | None = None,
) -> pd.DataFrame:
    """Per campaign or agent (of the call) and scale, the surveys after calls of MONTH's orders
    (the extract month the campaign worked on; every month when None), of CAMPAIGN's only if
    given: asked (sent), replies, reply_pct, then survey.summary's scores, each survey counted
    once by its first score."""
    key = BY[by]
    month_of = sa.and_(
        ORDERS.c.month == month if month else sa.true(),
        ORDERS.c.campaign == campaign if campaign else sa.true(),
    )
    with engine.connect() as connection:
        asked = orders.frame(
            connection,
            sa.select(
                OUTBOX.c.order_id,
                OUTBOX.c.campaign,
                sa.func.coalesce(ORDERS.c.agent_id, ORDERS.c.owner_id).label("agent_id"),
                OUTBOX.c.survey.label("scale"),
            )
            .join(ORDERS, ORDERS.c.id == OUTBOX.c.order_id)
            .where(OUTBOX.c.survey.is_not(None), OUTBOX.c.sent_at.is_not(None), month_of),
        )
        replies = orders.frame(
            connection,
            sa.select(REPLIES.c.order_id, REPLIES.c.score)
            .join(ORDERS, ORDERS.c.id == REPLIES.c.order_id)
            .where(month_of)
            .order_by(REPLIES.c.id),
        )
    first = replies.assign(score=replies["score"].astype(float)).groupby("order_id")["score"]
    answered = asked[asked["order_id"].isin(replies["order_id"])]
    scores = survey.summary(answered.assign(score=answered["order_id"].map(first.first())), [key])
    counts = asked.groupby([key, "scale"], dropna=False).size().rename("asked").reset_index()
    found = counts.merge(scores, on=[key, "scale"], how="left")
    found[["replies", "scored", "unparsed"]] = (
        found[["replies", "scored", "unparsed"]].fillna(0).astype(int)
    )
    found.insert(4, "reply_pct", (100 * found["replies"] / found["asked"]).round(1))
    return found


def unparsed(engine: sa.Engine, month: str | None) -> pd.DataFrame:
    """The replies a person must read: those of surveys that have no score yet, oldest first,
    with why each could not be read."""
    other = REPLIES.alias("other")
    scored = sa.select(other.c.id).where(
        other.c.order_id == REPLIES.c.order_id, other.c.score.is_not(None)
    )
    with engine.connect() as connection:
        found = orders.frame(
            connection,
            sa.select(
                REPLIES.c.id,
                REPLIES.c.received_at,
                REPLIES.c.campaign,
                REPLIES.c.agent_id,
                REPLIES.c.order_id,
                REPLIES.c.line_id,
                REPLIES.c.phone,
                REPLIES.c.scale,
                REPLIES.c.body,
            )
            .join(ORDERS, ORDERS.c.id == REPLIES.c.order_id)
            .where(
                REPLIES.c.score.is_(None),
                ~sa.exists(scored),
                ORDERS.c.month == month if month else sa.true(),
            )
            .order_by(REPLIES.c.received_at, REPLIES.c.id),
        )
    found["why"] = [
        survey.parse_reply(body, scale).why
        for body, scale in zip(found["body"], found["scale"], strict=True)
    ]
    return found
