"""How the tickets of a month were served: per type and source, how soon the customer was
first called after the receipt (median, p90) and the share whose whole loop (the call, the
department's work, the re-callback) closed within the type's limit, the customer served (the
72-hour rate of complaints); per department, how soon it replied and how often on time;
the re-callbacks a department's reply brought and how they ended; reopened, re-escalated and
overdue orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from outbound import output
from outbound.config import Config
from outbound.store import orders
from outbound.store.orders import EVENTS, ORDERS, TICKETS

HOUR = pd.Timedelta(hours=1)
# Orders that closed without serving the customer.
UNSERVED = ("unreached", "expired")


@dataclass(frozen=True)
class TicketReport:
    month: str
    types: pd.DataFrame
    departments: pd.DataFrame
    recalls: pd.DataFrame
    loop: pd.DataFrame

    def sections(self) -> list[tuple[str, str, pd.DataFrame]]:
        return [
            ("ticket_types", f"tickets received in {self.month}, per type and source", self.types),
            ("departments", "department replies", self.departments),
            ("recalls", "re-callbacks after a department's reply", self.recalls),
            ("loop", "reopened, re-escalated and overdue orders", self.loop),
        ]

    def document(self) -> dict[str, Any]:
        return {
            "month": self.month,
            **{name: output.records(table) for name, _, table in self.sections()},
        }

    def headline(self) -> list[str]:
        """One sentence a type: its share within the limit, e.g. the 72-hour rate."""
        said = []
        for row in self.types[self.types["source"] == "all"].itertuples():
            rate = "—" if pd.isna(row.within_limit_pct) else f"{row.within_limit_pct:.1f}%"
            said.append(
                f"{row.type}: {rate} of {row.received} closed within {row.limit_hours:g} h; "
                f"first call after {_hours(row.first_contact_median_h)} median, "
                f"{_hours(row.first_contact_p90_h)} p90"
            )
        return said


def measure(config: Config, connection: sa.Connection, month: str) -> TicketReport:
    """The tickets received in MONTH (YYYY-MM, the workspace's time zone) and the loop's work
    of that month."""
    first = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=config.tz)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return measure_span(
        config, connection, month, first.astimezone(dt.UTC), after.astimezone(dt.UTC)
    )


def measure_span(
    config: Config, connection: sa.Connection, label: str, start: dt.datetime, end: dt.datetime
) -> TicketReport:
    """The tickets received in [START, END) (a day, a week: LABEL) and the loop's work of then."""
    received = orders.frame(
        connection,
        sa.select(
            TICKETS.c.id.label("ticket_id"), TICKETS.c.type, TICKETS.c.source, TICKETS.c.received_at
        ).where(TICKETS.c.received_at >= start, TICKETS.c.received_at < end),
    )
    # The ticket's loop: every order it brought (the call, follow-ups, re-callbacks).
    still_open = ORDERS.c.state.in_(orders.OPEN_STATES)
    unserved = ORDERS.c.result.in_(UNSERVED) | still_open
    loops = orders.frame(
        connection,
        sa.select(
            ORDERS.c.ticket_id,
            sa.func.count().label("orders"),
            sa.func.sum(sa.case((unserved, 1), else_=0)).label("unserved"),
            sa.func.sum(sa.case((still_open, 1), else_=0)).label("still_open"),
            sa.func.max(ORDERS.c.closed_at).label("closed_at"),
        )
        .join(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
        .where(TICKETS.c.received_at >= start, TICKETS.c.received_at < end)
        .group_by(ORDERS.c.ticket_id),
    )
    contacts = orders.frame(
        connection,
        sa.select(ORDERS.c.ticket_id, sa.func.min(EVENTS.c.at).label("first_contact"))
        .join(EVENTS, EVENTS.c.order_id == ORDERS.c.id)
        .where(
            EVENTS.c.kind == "outcome",
            ORDERS.c.ticket_id.is_not(None),
            TICKETS.c.received_at >= start,
            TICKETS.c.received_at < end,
        )
        .join(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
        .group_by(ORDERS.c.ticket_id),
    )
    window = (start, end)
    return TicketReport(
        label,
        _types(
            config,
            received.merge(loops, on="ticket_id", how="left").merge(
                contacts, on="ticket_id", how="left"
            ),
        ),
        _departments(connection, window),
        _recalls(connection, window),
        _loop(connection, window),
    )


def _types(config: Config, tickets: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "type",
        "title",
        "source",
        "received",
        "contacted",
        "first_contact_median_h",
        "first_contact_p90_h",
        "limit_hours",
        "within_limit",
        "within_limit_pct",
        "still_open",
    ]
    if tickets.empty:
        return pd.DataFrame(columns=columns)
    received = pd.to_datetime(tickets["received_at"], utc=True)
    limit = tickets["type"].map(
        {name: kind.deadline_hours for name, kind in config.settings.tickets.items()}
    )
    closed = pd.to_datetime(tickets["closed_at"], utc=True)
    # Within the limit: the whole loop closed by then with the customer served (reached, the
    # department's work confirmed), not given up as unreached or expired.
    within = (
        tickets["orders"].fillna(0).gt(0)
        & tickets["unserved"].fillna(1).eq(0)
        & ((closed - received) / HOUR <= limit).fillna(False).astype(bool)
    )
    tickets = tickets.assign(
        wait=(pd.to_datetime(tickets["first_contact"], utc=True) - received) / HOUR,
        limit_hours=limit,
        within=within.astype(bool),
        still_open=tickets["still_open"].fillna(0).gt(0),
    )
    parts = (
        [tickets.assign(source="all"), tickets]
        if tickets["source"].nunique() > 1
        else [tickets.assign(source="all")]
    )
    rows = []
    for (kind, source), group in pd.concat(parts).groupby(["type", "source"], sort=True):
        waits = group["wait"].dropna()
        rows.append(
            {
                "type": kind,
                "title": (
                    config.settings.tickets[kind].title if kind in config.settings.tickets else kind
                ),
                "source": source,
                "received": len(group),
                "contacted": len(waits),
                "first_contact_median_h": round(waits.median(), 1) if len(waits) else None,
                "first_contact_p90_h": round(waits.quantile(0.9), 1) if len(waits) else None,
                "limit_hours": group["limit_hours"].iloc[0],
                "within_limit": int(group["within"].sum()),
                "within_limit_pct": round(100 * group["within"].mean(), 1),
                "still_open": int(group["still_open"].sum()),
            }
        )
    table = pd.DataFrame(rows, columns=columns)
    # Each type's overall row first, then its sources.
    return table.sort_values(
        ["type", "source"], key=lambda s: s if s.name == "type" else s.ne("all")
    ).reset_index(drop=True)


def _departments(
    connection: sa.Connection, window: tuple[dt.datetime, dt.datetime]
) -> pd.DataFrame:
    replied = (
        sa.select(EVENTS.c.order_id, sa.func.min(EVENTS.c.at).label("replied_at"))
        .where(EVENTS.c.kind == "replied")
        .group_by(EVENTS.c.order_id)
        .subquery()
    )
    found = orders.frame(
        connection,
        sa.select(
            ORDERS.c.department,
            ORDERS.c.created_at,
            ORDERS.c.due_at,
            ORDERS.c.state,
            replied.c.replied_at,
        )
        .outerjoin(replied, replied.c.order_id == ORDERS.c.id)
        .where(
            ORDERS.c.channel == "followup",
            ORDERS.c.created_at >= window[0],
            ORDERS.c.created_at < window[1],
        ),
    )
    columns = [
        "department",
        "escalated",
        "replied",
        "reply_median_h",
        "on_time",
        "on_time_pct",
        "unanswered",
    ]
    if found.empty:
        return pd.DataFrame(columns=columns)
    at = pd.to_datetime(found["replied_at"], utc=True)
    found = found.assign(
        hours=(at - pd.to_datetime(found["created_at"], utc=True)) / HOUR,
        on_time=(at <= pd.to_datetime(found["due_at"], utc=True)).fillna(False).astype(bool),
        answered=at.notna(),
    )
    rows = []
    for department, group in found.groupby("department", sort=True):
        answered = group[group["answered"]]
        rows.append(
            {
                "department": department,
                "escalated": len(group),
                "replied": len(answered),
                "reply_median_h": round(answered["hours"].median(), 1) if len(answered) else None,
                "on_time": int(group["on_time"].sum()),
                "on_time_pct": round(100 * group["on_time"].mean(), 1),
                "unanswered": int((~group["answered"]).sum()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _recalls(connection: sa.Connection, window: tuple[dt.datetime, dt.datetime]) -> pd.DataFrame:
    parent = ORDERS.alias("parent")
    found = orders.frame(
        connection,
        sa.select(ORDERS.c.state, ORDERS.c.result)
        .join(parent, parent.c.id == ORDERS.c.parent_id)
        .where(
            ORDERS.c.channel == "call",
            parent.c.channel == "followup",
            ORDERS.c.created_at >= window[0],
            ORDERS.c.created_at < window[1],
        ),
    )
    ending = found["result"].where(found["state"] == "done", "open").fillna("open")
    counts = ending.value_counts().sort_index()
    return pd.DataFrame({"result": counts.index.astype(str), "recalls": counts.to_numpy()})


def _loop(connection: sa.Connection, window: tuple[dt.datetime, dt.datetime]) -> pd.DataFrame:
    events = orders.frame(
        connection,
        sa.select(EVENTS.c.kind, sa.func.count().label("count"))
        .where(
            EVENTS.c.kind.in_(("reopened", "escalated_up", "sent_back", "forwarded", "urged")),
            EVENTS.c.at >= window[0],
            EVENTS.c.at < window[1],
        )
        .group_by(EVENTS.c.kind),
    )
    parent = ORDERS.alias("parent")
    again = connection.scalar(
        sa.select(sa.func.count())
        .select_from(ORDERS)
        .join(parent, parent.c.id == ORDERS.c.parent_id)
        .where(
            ORDERS.c.channel == "followup",
            parent.c.channel == "call",
            parent.c.parent_id.is_not(None),
            ORDERS.c.created_at >= window[0],
            ORDERS.c.created_at < window[1],
        )
    )
    counts = dict(zip(events["kind"], events["count"], strict=True))
    kinds = ["reopened", "re_escalated", "escalated_up", "sent_back", "forwarded", "urged"]
    counts["re_escalated"] = int(again or 0)
    return pd.DataFrame({"what": kinds, "orders": [int(counts.get(k, 0)) for k in kinds]})


def _hours(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:g} h"
