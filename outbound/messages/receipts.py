"""What comes back from a carrier: delivery statuses for the outbox's messages, and SMS that
customers send (opt-outs act at once, anything else waits for an agent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.contact import suppression
from outbound.messages import keywords, outbox, scores
from outbound.store import orders
from outbound.store.models import InboundMessage
from outbound.store.orders import BUMP, ORDERS

# Twilio's message and call statuses, as our outbox states.
STATES = {
    "accepted": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "initiated": "sent",
    "ringing": "sent",
    "in-progress": "sent",
    "answered": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "completed": "delivered",
    "undelivered": "undelivered",
    "busy": "undelivered",
    "no-answer": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
# Delivery failures a later try may get past (an unreachable handset, an unknown error): the
# first message is tried once more, an hour later.
WORTH_ANOTHER_TRY = {"30003", "30008"}
WRONG_NUMBER = {"30005", "30006", "21211", "21614"}


def delivery_status(
    connection: sa.Connection, message_id: int | None, form: dict[str, str], now: dt.datetime
) -> str:
    """Apply a status callback; what was done, in a word. A repeated or late status never moves
    a message back."""
    sid = form.get("MessageSid") or form.get("CallSid") or ""
    status = (form.get("MessageStatus") or form.get("CallStatus") or "").lower()
    row = outbox.by_id(connection, message_id) if message_id else None
    row = row or (outbox.by_provider_id(connection, sid) if sid else None)
    if row is None:
        return "unknown message"
    state = STATES.get(status)
    if state is None:
        return f"ignored status {status!r}"
    if outbox.STATUS_ORDER.get(state, 0) <= outbox.STATUS_ORDER.get(row["state"], 0):
        return "no change"
    code = form.get("ErrorCode") or None
    outbox.settle(
        connection,
        row["id"],
        state=state,
        provider_id=row["provider_id"] or sid,
        status_at=now,
        error_code=code or row["error_code"],
    )
    if not outbox.is_survey(row):
        orders.log(connection, row["order_id"], now, "twilio", state, code, sid)
    if state in ("delivered", "undelivered", "failed"):
        _close(connection, row, state, code, now)
    return state


def _close(
    connection: sa.Connection, row: dict[str, Any], state: str, code: str | None, now: dt.datetime
) -> None:
    # A survey is asked once, and its call's order was closed by the call's outcome.
    survey = outbox.is_survey(row)
    step = int(row["key"].rsplit(":", 2)[1]) if not survey else 0
    if state != "delivered" and code in WORTH_ANOTHER_TRY and step == 1:
        key = f"{row['campaign']}:{row['line_id']}:{step + 1}:{row['day'].isoformat()}"
        connection.execute(
            sa.insert(outbox.OUTBOX).values(
                {
                    column: row[column]
                    for column in ("order_id", "campaign", "channel", "marketing", "line_id")
                }
                | {
                    "phone": row["phone"],
                    "day": row["day"],
                    "body": row["body"],
                    "key": key,
                    "state": "pending",
                    "tries": row["tries"],
                    "next_try_at": now + dt.timedelta(hours=1),
                    "created_at": now,
                }
            )
        )
        return
    if state != "delivered" and code in WRONG_NUMBER:
        channel, purpose = suppression.scope_of(code, row["channel"])
        with Session(bind=connection) as session:
            suppression.add(
                session,
                row["phone"],
                "wrong_number",
                f"outbox {row['id']}",
                channel=channel,
                purpose=purpose,
                line_id=row["line_id"],
                note=f"Twilio {code}",
                at=now,
            )
            session.flush()
    if survey:
        return
    result = "delivered" if state == "delivered" else "failed"
    connection.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id == row["order_id"], ORDERS.c.state.in_(orders.OPEN_STATES))
        .values(state="done", result=result, closed_at=now, **BUMP)
    )


def inbound(connection: sa.Connection, form: dict[str, str], now: dt.datetime) -> str:
    """An SMS from a customer: STOP words suppress the number (the message kept as consent
    evidence), START words lift an opt-out, an answer to a survey the number was asked is its
    score (or kept unread for a person), anything else is kept for an agent."""
    sid, phone, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
    action: str = keywords.wish(body) or "kept"
    with Session(bind=connection) as session:
        if sid and session.scalar(
            sa.select(InboundMessage.id).where(InboundMessage.provider_id == sid)
        ):
            return "duplicate"
        if action == "kept":
            action = scores.answer(connection, phone, body, sid, now) or action
        session.add(
            InboundMessage(provider_id=sid, phone=phone, body=body, action=action, received_at=now)
        )
        if action == "stop":  # marketing, every channel: what the customer is owed still comes
            suppression.add(
                session,
                phone,
                "opt_out",
                f"inbound SMS {sid}",
                purpose="marketing",
                note=f"{now:%Y-%m-%d %H:%M:%S %Z}: {body}",
                at=now,
            )
        if action == "start":
            suppression.lift_opt_outs(session, phone)
        session.flush()
    return action
