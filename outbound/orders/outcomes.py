"""What agents record: outcomes by disposition code, and items given back. Each is one
transaction on one work order, logged as events."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.config import Config, Disposition, TicketType
from outbound.contact import policy, suppression
from outbound.errors import UserError
from outbound.messages import scores
from outbound.orders.undo import Before
from outbound.store import orders
from outbound.store.orders import BUMP, EVENTS, ORDERS
from outbound.workspace.campaigns import Campaign


@dataclass(frozen=True)
class Recorded:
    order_id: int
    state: str
    result: str | None
    next_at: dt.datetime | None
    follow_up: int | None


def record(
    config: Config,
    engine: sa.Engine,
    campaigns: dict[str, Campaign],
    order_id: int,
    code: str,
    now: dt.datetime,
    *,
    agent: str | None = None,
    by: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    callback_at: dt.datetime | None = None,
) -> Recorded:
    """Record CODE for ORDER_ID, by BY (a supervisor, say; else AGENT, else the order's agent).
    A closed order, one no longer AGENT's, or a second outcome while the order waits for its
    retry is refused with a sentence saying why."""
    disposition = _disposition(config, code)
    with engine.begin() as connection:
        order = _locked(connection, order_id)
        _check_open(order, agent, now, config.tz)
        campaign = campaigns.get(order["campaign"])
        kind = config.settings.tickets.get(order["campaign"]) if order["ticket_id"] else None
        reason = _reason(config, campaign, kind, order, disposition, reason)
        actor = by or agent or "console"  # who acted, never the order's agent by default
        # After the deadline (an expired order, or a ticket's still open): recorded, marked.
        late = order["state"] == "expired" or bool(order["due_at"] and order["due_at"] < now)
        outcome_event = orders.log(
            connection,
            order_id,
            now,
            actor,
            "outcome",
            code,
            order["agent_id"],  # whose attempt it was, whoever records it
            reason=reason,
            note=note,
            callback_at=callback_at,
            late=late or None,
        )
        # A new outcome replaces the last one's plan; retry and callback set theirs again.
        changes: dict[str, Any] = {
            "last_code": code,
            "reason": reason,
            "callback_at": None,
            "next_attempt_at": None,
        }
        follow_up, suppressed = None, False
        if order["channel"] != "followup":
            changes |= {"attempts": order["attempts"] + 1, "last_contact_at": now}
        match disposition.effect:
            case "retry":
                changes |= _retry(config, campaign, kind, order, now)
            case "callback":
                changes |= _callback(config, order, now, callback_at)
            case "converted":
                changes |= _closed(now, "converted")
            case "done":
                changes |= _closed(now, code)
            case "wrong_number" | "do_not_call":
                changes |= _closed(now, disposition.effect)
                with Session(bind=connection) as session:
                    suppressed = suppression.add(
                        session,
                        order["phone"],
                        disposition.effect,
                        f"work order {order_id}",
                        line_id=order["line_id"],
                        note=note,
                    )
                    session.flush()
            case "escalate":
                changes |= _closed(now, "escalated")
                follow_up = _escalate(config, connection, order, disposition, now, note, actor)
        connection.execute(
            sa.update(ORDERS).where(ORDERS.c.id == order_id).values(**changes, **BUMP)
        )
        if changes.get("state") == "done":
            orders.log(connection, order_id, now, actor, "closed", changes["result"])
        survey = scores.after_call(
            connection, campaign, order, disposition, now.astimezone(config.tz).date(), now
        )
        before = Before(
            {column: order[column] for column in changes},
            order["version"] + 1,
            follow_up,
            suppressed,
            survey,
        )
        # Kept for an undo (orders.undo), once all the outcome set off is known.
        connection.execute(
            sa.update(EVENTS).where(EVENTS.c.id == outcome_event).values(replaced=before.detail())
        )
    return Recorded(
        order_id,
        changes.get("state", order["state"]),
        changes.get("result"),
        changes.get("next_attempt_at") or changes.get("callback_at"),
        follow_up,
    )


def give_back(
    engine: sa.Engine,
    order_id: int,
    agent: str,
    reason: str,
    now: dt.datetime,
    tz: ZoneInfo,
    *,
    by: str | None = None,
    supervisor: bool = False,
) -> None:
    """AGENT's ORDER_ID goes back with REASON, given back by BY (AGENT unless a supervisor
    did it); the next run gives a call to someone else, and a department's follow-up goes back
    to the department's queue. Only the order's holder gives it back, or a SUPERVISOR."""
    if not reason.strip():
        raise UserError("say why the item goes back with --reason (e.g. 'wrong skill')")
    with engine.begin() as connection:
        order = _locked(connection, order_id)
        _check_open(order, agent, now, tz)
        if not supervisor and order["agent_id"] != agent:
            whose = f"{order['department']}'s queue" if order["department"] else "nobody's list"
            raise UserError(
                f"work order {order_id} is on {whose}, not {agent}'s: only whoever holds it, or "
                "a supervisor, gives it back"
            )
        back = (
            {"state": "open", "agent_id": None}  # to the department's queue
            if order["channel"] == "followup"
            else {"state": "returned", "returned_by": agent, "agent_id": None}
        )
        connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == order_id)
            .values(**back, assigned_on=None, **BUMP)
        )
        orders.log(connection, order_id, now, by or agent, "returned", None, reason)


def _disposition(config: Config, code: str) -> Disposition:
    if code in config.dispositions:
        return config.dispositions[code]
    close = difflib.get_close_matches(code, list(config.dispositions), n=1)
    known = ", ".join(f"{c} ({d.label})" for c, d in config.dispositions.items())
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UserError(f"unknown disposition code {code!r}.{hint} Codes: {known}.")


def _locked(connection: sa.Connection, order_id: int) -> dict[str, Any]:
    query = sa.select(ORDERS).where(ORDERS.c.id == order_id).with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        raise UserError(
            f"no work order {order_id}; the item numbers are on the agent's list (engine calls)"
        )
    return dict(row)


def _check_open(order: dict[str, Any], agent: str | None, now: dt.datetime, tz: ZoneInfo) -> None:
    number, state = order["id"], order["state"]
    if state == "done":
        when = order["closed_at"] and order["closed_at"].astimezone(tz)
        how = ", ".join(filter(None, [state, order["result"], when and f"{when:%Y-%m-%d %H:%M}"]))
        raise UserError.of(
            "order_closed",
            "work order {order} is already closed ({how}); a second outcome is refused. Ask a "
            "supervisor if the first one was wrong.",
            order=number,
            how=how,
            when=f"{when:%Y-%m-%d %H:%M}" if when else "",
        )
    if state == "returned":
        raise UserError.of(
            "order_given_back",
            "work order {order} was given back; the next run reassigns it",
            order=number,
        )
    waiting = order["callback_at"] or order["next_attempt_at"]
    retry_early = order["callback_at"] is None and waiting is not None and now < waiting
    if state == "in_progress" or retry_early:
        if not waiting:
            raise UserError.of(
                "order_waits",
                "work order {order} waits for its next attempt; it comes back on a list then, "
                "so this outcome would count an extra attempt",
                order=number,
            )
        raise UserError.of(
            "order_waits_until",
            "work order {order} waits for its next attempt at {time}; it comes back on a list "
            "then, so this outcome would count an extra attempt",
            order=number,
            time=f"{waiting.astimezone(tz):%Y-%m-%d %H:%M}",
        )
    if agent is not None and order["agent_id"] not in (None, agent):
        raise UserError.of(
            "order_of_another_agent",
            "work order {order} is on {holder}'s list, not {agent}'s; record it as that agent, "
            "or ask a supervisor to move it",
            order=number,
            holder=order["agent_id"],
            agent=agent,
        )


def _reason(
    config: Config,
    campaign: Campaign | None,
    kind: TicketType | None,
    order: dict[str, Any],
    disposition: Disposition,
    reason: str | None,
) -> str | None:
    named = kind.reasons if kind else campaign.spec.reasons if campaign else None
    reasons = config.settings.reasons.get(named) if named else None
    if reasons is None:
        return reason
    listed = ", ".join(f"{code} ({label})" for code, label in reasons.items())
    if reason is None and disposition.category == "reached" and disposition.effect != "callback":
        raise UserError.of(
            "reason_needed",
            "campaign {campaign} asks for the reason with a reached customer: add --reason, one "
            "of {listed}",
            campaign=order["campaign"],
            listed=listed,
        )
    if reason is not None and reason not in reasons:
        raise UserError.of(
            "reason_unknown",
            "unknown reason {reason!r} for {campaign}; use one of {listed}",
            reason=reason,
            campaign=order["campaign"],
            listed=listed,
        )
    return reason


def _retry(
    config: Config,
    campaign: Campaign | None,
    kind: TicketType | None,
    order: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any]:
    rules = kind or (campaign.spec if campaign else None)
    max_attempts = rules.max_attempts if rules else 1
    if order["attempts"] + 1 >= max_attempts:
        return _closed(now, "unreached")
    spacing = dt.timedelta(hours=rules.retry_after_hours if rules else 24)
    at = policy.next_opening(now + spacing, config.policy.calling_hours, config.tz)
    return {"next_attempt_at": at} | _still_today(config, order, at)


def _callback(
    config: Config, order: dict[str, Any], now: dt.datetime, at: dt.datetime | None
) -> dict[str, Any]:
    hours = config.policy.calling_hours
    if at is None:
        raise UserError(
            "a callback needs its time: add --callback-at 'YYYY-MM-DD HH:MM'", "callback_needs_time"
        )
    if at <= now:
        raise UserError.of(
            "callback_past",
            "--callback-at {time} is not in the future",
            time=f"{at:%Y-%m-%d %H:%M}",
        )
    if not policy.within_hours(at, hours, config.tz):
        raise UserError.of(
            "callback_outside_hours",
            "--callback-at {time} is outside calling hours {start}–{end}; pick a time within them",
            time=f"{at:%H:%M}",
            start=f"{hours[0]:%H:%M}",
            end=f"{hours[1]:%H:%M}",
        )
    return {"callback_at": at, "next_attempt_at": None} | _still_today(config, order, at)


def _still_today(config: Config, order: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """An order whose next attempt falls on the day of its list stays on that list."""
    if order["assigned_on"] is not None and at.astimezone(config.tz).date() == order["assigned_on"]:
        return {"state": "assigned"}
    return {"state": "in_progress", "assigned_on": None}


def _closed(now: dt.datetime, result: str) -> dict[str, Any]:
    return {"state": "done", "result": result, "closed_at": now}


def _escalate(
    config: Config,
    connection: sa.Connection,
    order: dict[str, Any],
    disposition: Disposition,
    now: dt.datetime,
    note: str | None,
    actor: str,
) -> int:
    """A follow-up for the department: the disposition's, or for a re-callback the one whose
    "fixed" it was (首问负责: "not fixed" goes back to whoever said it was)."""
    assert disposition.department and disposition.deadline_hours
    department = order["department"] or disposition.department
    known = config.settings.departments.get(department)
    hours = known.deadline_hours if known else disposition.deadline_hours
    values = {
        column: order[column]
        for column in ("campaign", "line_id", "phone", "month", "value", "region", "rank")
    }
    values |= {
        "channel": "followup",
        "state": "open",
        "department": department,
        "parent_id": order["id"],
        "ticket_id": order["ticket_id"],
        "owner_id": order["owner_id"] or order["agent_id"] or actor,
        "created_on": now.astimezone(config.tz).date(),
        "created_at": now,
        "due_at": now + dt.timedelta(hours=hours),
        "attempts": 0,
        "text": note or "",
    }
    loop = order["ticket_id"] is not None or order["parent_id"] is not None
    existing = (
        None
        if loop
        else connection.execute(
            sa.select(ORDERS.c.id).where(
                ORDERS.c.campaign == order["campaign"],
                ORDERS.c.channel == "followup",
                ORDERS.c.line_id == order["line_id"],
                ORDERS.c.month == order["month"],
            )
        ).scalar()
    )
    if existing is not None:
        raise UserError(
            f"line {order['line_id']} already has follow-up order {existing} for this campaign "
            "this month; add to that one instead"
        )
    child = connection.execute(sa.insert(ORDERS).values(**values)).inserted_primary_key
    assert child is not None
    orders.log(
        connection,
        order["id"],
        now,
        actor,
        "escalated",
        None,
        f"follow-up {child[0]} to {department}",
    )
    orders.log(connection, child[0], now, actor, "created", None, f"escalated from {order['id']}")
    return int(child[0])
