"""The deadline watcher: warn and urge before a work order's deadline; after it, expire a
campaign's order, and send a ticket's or a follow-up's up (to the supervisor, then to the
department's head), open until someone closes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from outbound.config import DepartmentSettings
from outbound.store import orders
from outbound.store.models import Agent
from outbound.store.orders import BUMP, ORDERS


@dataclass(frozen=True)
class Watched:
    warned: int
    expired: int
    escalated: int = 0


def watch(
    connection: sa.Connection,
    now: dt.datetime,
    warn_at: float,
    tz: ZoneInfo,
    departments: Mapping[str, DepartmentSettings] | None = None,
) -> Watched:
    """Expire open orders of campaigns past their deadline, and send tickets' orders and
    follow-ups past theirs up (escalate_up); warn (and urge the agent and the supervisor)
    about those past WARN_AT of their time. Each step is an event; a second watch at the same
    moment changes nothing."""
    query = (
        sa.select(
            ORDERS.c.id,
            ORDERS.c.agent_id,
            ORDERS.c.owner_id,
            ORDERS.c.department,
            ORDERS.c.channel,
            ORDERS.c.ticket_id,
            ORDERS.c.parent_id,
            ORDERS.c.escalated_to,
            ORDERS.c.created_at,
            ORDERS.c.due_at,
            ORDERS.c.warned_at,
            Agent.supervisor,
        )
        .outerjoin(Agent, Agent.agent_id == sa.func.coalesce(ORDERS.c.agent_id, ORDERS.c.owner_id))
        .where(ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at.is_not(None))
    )
    due = orders.frame(connection, query)
    if due.empty:
        return Watched(0, 0)
    due_at, created_at = (
        pd.to_datetime(due["due_at"], utc=True),
        pd.to_datetime(due["created_at"], utc=True),
    )
    moment = pd.Timestamp(now)
    # The closed loop's orders stay open past their deadline: they go up instead.
    loop = (
        (due["channel"] == "followup") | due["ticket_id"].notna() | due["parent_id"].notna()
    ).to_numpy()
    past = (due_at <= moment).to_numpy()
    late = past & ~loop
    warn_from = created_at + (due_at - created_at) * warn_at
    warn = (~past & due["warned_at"].isna() & (warn_from <= moment)).to_numpy()

    # Only orders still open: one an agent closed meanwhile stays closed, and is not logged.
    still_open = ORDERS.c.state.in_(orders.OPEN_STATES)
    expired_ids: list[int] = []
    if late.any():
        expired = connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id.in_(due.loc[late, "id"].tolist()), still_open)
            .values(state="expired", closed_at=now, result="expired", **BUMP)
            .returning(ORDERS.c.id)
        )
        expired_ids = list(expired.scalars())
    warned = due[warn]
    if len(warned):
        changed = connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id.in_(warned["id"].tolist()), still_open)
            .values(warned_at=now, **BUMP)
            .returning(ORDERS.c.id)
        )
        warned = warned[warned["id"].isin(list(changed.scalars()))]
    events = [
        pd.DataFrame({"order_id": expired_ids, "kind": "expired", "detail": "the deadline passed"}),
        pd.DataFrame(
            {
                "order_id": warned["id"],
                "kind": "warned",
                "detail": "deadline "
                + due_at[warned.index].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M"),
            }
        ),
        pd.DataFrame(
            {
                "order_id": warned["id"],
                "kind": "urged",
                "detail": "to "
                + warned["agent_id"].fillna(warned["department"]).fillna("unassigned").astype(str)
                + warned["supervisor"]
                .map(lambda s: f" and supervisor {s}" if s else "")
                .astype(str),
            }
        ),
    ]
    events.append(_escalate_up(connection, due[past & loop], due_at, now, departments or {}))
    orders.insert_events(
        connection, pd.concat(events, ignore_index=True).assign(at=now, actor="engine")
    )
    return Watched(len(warned), len(expired_ids), int((events[-1]["kind"] == "escalated_up").sum()))


def _escalate_up(
    connection: sa.Connection,
    late: pd.DataFrame,
    due_at: pd.Series,
    now: dt.datetime,
    departments: Mapping[str, DepartmentSettings],
) -> pd.DataFrame:
    """LATE orders of the loop one step up: first to the supervisor of whoever holds them (or
    first took the customer), then, for a department's follow-up overdue by its
    head_after_hours more, to the department's head. The events of the steps taken."""
    rows = []
    for order in late.itertuples():
        # escalated_to names the role and whom, for pages to say in their language.
        step, said = (
            f"supervisor:{order.supervisor or ''}",
            (f"supervisor {order.supervisor}" if order.supervisor else "the supervisors"),
        )
        known = departments.get(order.department) if order.channel == "followup" else None
        if known and known.head:
            overdue_by = pd.Timestamp(now) - due_at[order.Index]
            if overdue_by >= pd.Timedelta(hours=known.head_after_hours):
                step, said = f"head:{known.head}", f"{order.department} head {known.head}"
        if order.escalated_to == step:
            continue
        changed = connection.execute(
            sa.update(ORDERS)
            .where(
                ORDERS.c.id == order.id,
                ORDERS.c.state.in_(orders.OPEN_STATES),
                sa.or_(ORDERS.c.escalated_to.is_(None), ORDERS.c.escalated_to != step),
            )
            .values(escalated_to=step, **BUMP)
        )
        if changed.rowcount:
            rows.append({"order_id": order.id, "kind": "escalated_up", "detail": f"to {said}"})
    return pd.DataFrame(rows, columns=["order_id", "kind", "detail"])
