"""Undoing an outcome: for UNDO_WINDOW after it was recorded, by whoever recorded it, while
nothing else has changed its order. The order goes back to the values the outcome replaced (kept
on its event), the outcome's event becomes "undone" (reports count outcomes
only) and an "undo" event says who undid it; what the outcome set off goes back too."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outbound.errors import UserError
from outbound.store import orders
from outbound.store.models import Suppression
from outbound.store.orders import BUMP, EVENTS, ORDERS, OUTBOX

UNDO_MINUTES = 5
UNDO_WINDOW = dt.timedelta(minutes=UNDO_MINUTES)
UNDONE = "undone"
_MOMENTS = {"callback_at", "next_attempt_at", "last_contact_at", "closed_at"}
_SUPPRESSIONS = cast(sa.Table, Suppression.__table__)


@dataclass(frozen=True)
class Before:
    """What an outcome replaced: the order's VALUES, the version it left the order at, and what
    it set off (a follow-up order, a suppressed number, a survey SMS)."""

    values: dict[str, Any]
    version: int
    follow_up: int | None = None
    suppressed: bool = False
    survey: bool = False

    def detail(self) -> str:
        values = {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, value in self.values.items()
        }
        kept = {"values": values, "version": self.version, "follow_up": self.follow_up}
        return json.dumps(kept | {"suppressed": self.suppressed, "survey": self.survey})

    @classmethod
    def of(cls, detail: str) -> Before:
        kept = json.loads(detail)
        values = {key: _read(key, value) for key, value in kept["values"].items()}
        return cls(values, kept["version"], kept["follow_up"], kept["suppressed"], kept["survey"])


@dataclass(frozen=True)
class Undone:
    order_id: int
    code: str
    state: str


def undoable_until(at: dt.datetime) -> dt.datetime:
    """The last moment an outcome recorded AT may be undone."""
    return at + UNDO_WINDOW


def undo(engine: sa.Engine, order_id: int, now: dt.datetime, tz: ZoneInfo, *, by: str) -> Undone:
    """Undo ORDER_ID's last outcome for BY, who recorded it; refused after UNDO_WINDOW, or when
    the order or what the outcome set off has changed since."""
    with engine.begin() as connection:
        order = (
            connection.execute(sa.select(ORDERS).where(ORDERS.c.id == order_id).with_for_update())
            .mappings()
            .first()
        )
        if order is None:
            raise UserError.of(
                "order_missing", "Work order {order} does not exist.", order=order_id
            )
        outcome, before = _last_outcome(connection, order_id)
        _check(outcome, before, order["version"], order_id, now, tz, by)
        assert outcome is not None and before is not None
        if before.follow_up is not None:
            _withdraw_follow_up(connection, before.follow_up, order_id)
        if before.survey:
            _withdraw_survey(connection, order_id)
        if before.suppressed:
            connection.execute(
                sa.delete(_SUPPRESSIONS).where(
                    _SUPPRESSIONS.c.phone == order["phone"],
                    _SUPPRESSIONS.c.source == f"work order {order_id}",
                )
            )
        reverted = connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == order_id, ORDERS.c.version == before.version)
            .values(**before.values, **BUMP)
        )
        assert reverted.rowcount == 1, "the order is locked and at the version checked"
        connection.execute(
            sa.update(EVENTS).where(EVENTS.c.id == outcome["id"]).values(kind=UNDONE)
        )
        detail = f"outcome of {outcome['at'].astimezone(tz):%H:%M}" + (
            f"; follow-up order {before.follow_up} withdrawn" if before.follow_up else ""
        )
        orders.log(connection, order_id, now, by, "undo", outcome["code"], detail)
    return Undone(order_id, outcome["code"], before.values.get("state", order["state"]))


def _last_outcome(
    connection: sa.Connection, order_id: int
) -> tuple[dict[str, Any] | None, Before | None]:
    """ORDER_ID's last outcome event and what it replaced (None for an outcome recorded before
    outcomes kept it)."""
    outcome = (
        connection.execute(
            sa.select(EVENTS.c.id, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.code, EVENTS.c.replaced)
            .where(EVENTS.c.order_id == order_id, EVENTS.c.kind == "outcome")
            .order_by(EVENTS.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if outcome is None:
        return None, None
    replaced = outcome["replaced"]
    return dict(outcome), Before.of(replaced) if replaced else None


def _check(
    outcome: dict[str, Any] | None,
    before: Before | None,
    version: int,
    order_id: int,
    now: dt.datetime,
    tz: ZoneInfo,
    by: str,
) -> None:
    if outcome is None:
        raise UserError.of(
            "undo_nothing", "Work order {order} has no outcome to undo.", order=order_id
        )
    at = f"{outcome['at'].astimezone(tz):%H:%M}"
    if outcome["actor"] != by:
        raise UserError.of(
            "undo_not_yours",
            "The outcome of work order {order} was recorded by {actor}; only they may undo it.",
            order=order_id,
            actor=outcome["actor"],
        )
    if now > undoable_until(outcome["at"]):
        raise UserError.of(
            "undo_too_late",
            "The outcome of work order {order} was recorded at {time}; an outcome can be undone "
            "for {minutes} minutes only. Ask a supervisor to correct it.",
            order=order_id,
            time=at,
            minutes=UNDO_MINUTES,
        )
    if before is None:
        raise UserError.of(
            "undo_impossible",
            "The outcome of work order {order} cannot be undone; ask a supervisor to correct it.",
            order=order_id,
        )
    if version != before.version:
        raise UserError.of(
            "undo_order_changed",
            "Work order {order} has changed since its outcome of {time} was recorded; it can no "
            "longer be undone. Ask a supervisor to correct it.",
            order=order_id,
            time=at,
        )


def _withdraw_follow_up(connection: sa.Connection, follow_up: int, order_id: int) -> None:
    """The follow-up order the outcome opened goes, unless its department took it up."""
    child = connection.execute(
        sa.select(ORDERS.c.version, ORDERS.c.state).where(ORDERS.c.id == follow_up)
    ).first()
    if child is not None and (child.version != 0 or child.state != "open"):
        raise UserError.of(
            "undo_follow_up_taken",
            "Follow-up order {follow_up} of work order {order} has been taken up since; the "
            "outcome can no longer be undone. Ask a supervisor to correct it.",
            follow_up=follow_up,
            order=order_id,
        )
    connection.execute(sa.delete(EVENTS).where(EVENTS.c.order_id == follow_up))
    connection.execute(sa.delete(ORDERS).where(ORDERS.c.id == follow_up))


def _withdraw_survey(connection: sa.Connection, order_id: int) -> None:
    """The survey SMS the outcome queued goes, unless it is already on its way."""
    survey = OUTBOX.c.survey.is_not(None)
    sent = connection.execute(
        sa.select(OUTBOX.c.id).where(
            OUTBOX.c.order_id == order_id, survey, OUTBOX.c.state != "pending"
        )
    ).first()
    if sent is not None:
        raise UserError.of(
            "undo_survey_sent",
            "The survey SMS after the call of work order {order} has gone to the customer; the "
            "outcome can no longer be undone. Ask a supervisor to correct it.",
            order=order_id,
        )
    connection.execute(sa.delete(OUTBOX).where(OUTBOX.c.order_id == order_id, survey))


def _read(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _MOMENTS:
        return dt.datetime.fromisoformat(value)
    if key == "assigned_on":
        return dt.date.fromisoformat(value)
    return value
