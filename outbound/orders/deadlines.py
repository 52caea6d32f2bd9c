"""The deadline watcher: warn and urge before a work order's deadline, expire it after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from outbound.store import orders
from outbound.store.models import Agent
from outbound.store.orders import BUMP, ORDERS


@dataclass(frozen=True)
class Watched:
    warned: int
    expired: int


def watch(connection: sa.Connection, now: dt.datetime, warn_at: float, tz: ZoneInfo) -> Watched:
    """Expire open orders past their deadline; warn (and urge the agent and the supervisor)
    about those past WARN_AT of their time. Each step is an event; a second watch at the same
    moment changes nothing."""
    query = (
        sa.select(
            ORDERS.c.id,
            ORDERS.c.agent_id,
            ORDERS.c.owner_id,
            ORDERS.c.department,
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
    late = (due_at <= moment).to_numpy()
    warn_from = created_at + (due_at - created_at) * warn_at
    warn = (~late & due["warned_at"].isna() & (warn_from <= moment)).to_numpy()

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
    orders.insert_events(
        connection, pd.concat(events, ignore_index=True).assign(at=now, actor="engine")
    )
    return Watched(len(warned), len(expired_ids))
