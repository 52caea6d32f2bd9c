"""Taking tickets in: each (source, external id) once, whichever way it came and however often
it was sent, as a work order of its type with the line's billing data joined, dispatched at
once to a present agent with the skills when calling hours are open (else at their opening).
Each step is an event: 受理 (received) and 派单 (dispatched)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from outbound.config import LINE_ID, PHONE, Config
from outbound.contact import policy
from outbound.extract import snapshots
from outbound.orders.arrival import Arrival, choose_agents
from outbound.orders.tickets import Intake, Problem, Ticket, read_file
from outbound.staff.agents import roster_on
from outbound.store import orders
from outbound.store.orders import BUMP, LIST_ITEMS, ORDERS, TICKETS
from outbound.workspace.render import ScriptError, Scripts

CHUNK = 500


@dataclass
class Taken:
    """What a batch did: the work orders of the tickets new to the engine (by their position
    in the batch), how many repeated a ticket taken before, and the tickets refused."""

    orders: dict[int, int] = field(default_factory=dict)
    repeated: int = 0
    problems: list[Problem] = field(default_factory=list)
    dispatched: int = 0
    warnings: list[str] = field(default_factory=list)


def take_in(
    config: Config,
    engine: sa.Engine,
    tickets: Sequence[Ticket],
    now: dt.datetime,
    via: str,
    rows: Sequence[int] | None = None,
) -> Taken:
    """Take TICKETS in, at NOW, that came VIA api, file or broker; ROWS number them for the
    problems (their position from 1 by default). One transaction: all or nothing."""
    rows = list(rows) if rows is not None else list(range(1, len(tickets) + 1))
    taken = Taken()
    if not tickets:
        return taken
    month, customers = _customers(config, engine, tickets)
    keep: list[int] = []
    for index, ticket in enumerate(tickets):
        if ticket.phone is None and _found(customers, ticket) is None:
            where = f"the {month} extract" if month else "any loaded extract"
            taken.problems.append(
                Problem(
                    rows[index],
                    "phone",
                    f"is empty and line {ticket.line_id} is not in {where}; give the phone to "
                    "call back on",
                )
            )
        else:
            keep.append(index)
    with engine.begin() as connection:
        new = _insert_tickets(connection, [tickets[i] for i in keep], now, via)
        old = [i for i in keep if tickets[i].key not in new]
        _compare_with_earlier(connection, tickets, old, rows, taken)
        fresh = [i for i in keep if tickets[i].key in new]
        if fresh:
            ids = _write_orders(config, connection, tickets, fresh, new, month, customers, now)
            taken.orders = {rows[i]: ids[tickets[i].key] for i in fresh}
            _log_received(connection, tickets, fresh, ids, now, via)
    dispatched = dispatch_waiting(config, engine, now)
    taken.dispatched, taken.warnings = dispatched.count, dispatched.warnings
    return taken


@dataclass(frozen=True)
class Summary:
    """A file's or a batch's tickets: rows read, taken in (new), already taken, refused with
    why (sorted by row), dispatched at once, and scripts that failed."""

    read: int
    taken: dict[int, int]
    repeated: int
    problems: list[Problem]
    dispatched: int
    warnings: list[str]

    def said(self) -> str:
        return (
            f"{self.read} read, {len(self.taken)} taken in ({self.dispatched} dispatched), "
            f"{self.repeated} already taken, {len(self.problems)} refused"
        )


def take_rows(
    config: Config, engine: sa.Engine, intake: Intake, now: dt.datetime, via: str
) -> Summary:
    """The tickets INTAKE read, taken in; its problems and take_in's together."""
    taken = take_in(config, engine, intake.tickets, now, via, intake.rows)
    return Summary(
        intake.read,
        taken.orders,
        intake.repeated + taken.repeated,
        sorted([*intake.problems, *taken.problems], key=lambda p: p.row),
        taken.dispatched,
        taken.warnings,
    )


def take_file(config: Config, engine: sa.Engine, path: Path, now: dt.datetime) -> Summary:
    """The tickets of a CSV or XLSX file, taken in."""
    return take_rows(config, engine, read_file(path, config, now), now, "file")


def digest(ticket: Ticket) -> str:
    """What a resent ticket must match to be the same ticket."""
    values = [
        ticket.type,
        ticket.line_id,
        ticket.phone,
        ticket.received_at.astimezone(dt.UTC).isoformat(),
        ticket.text,
        ticket.department,
    ]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Dispatched:
    count: int = 0
    warnings: list[str] = field(default_factory=list)


def dispatch_waiting(config: Config, engine: sa.Engine, now: dt.datetime) -> Dispatched:
    """Give the tickets' orders nobody holds to present agents with the skills, when calling
    hours are open, each with its script rendered for its agent: how many were dispatched
    (派单), and the scripts that failed (their orders keep the ticket's text)."""
    if not config.settings.tickets or not policy.within_hours(
        now, config.policy.calling_hours, config.tz
    ):
        return Dispatched()
    day = now.astimezone(config.tz).date()
    with engine.begin() as connection:
        waiting = orders.frame(
            connection,
            sa.select(
                ORDERS.c.id,
                ORDERS.c.campaign,
                ORDERS.c.line_id,
                ORDERS.c.owner_id,
                ORDERS.c.returned_by,
                ORDERS.c.version,
            )
            .where(
                ORDERS.c.ticket_id.is_not(None),
                ORDERS.c.channel == "call",
                ORDERS.c.state.in_(("open", "returned")),
                ORDERS.c.agent_id.is_(None),
            )
            .order_by(ORDERS.c.due_at, ORDERS.c.id),
        )
        if waiting.empty:
            return Dispatched()
        kinds = config.settings.tickets
        owners = _line_owners(connection, waiting["line_id"])
        arrivals = [
            Arrival(
                row.id,
                kinds[row.campaign].skills if row.campaign in kinds else (),
                row.owner_id or owners.get(row.line_id),
                row.returned_by,
            )
            for row in waiting.itertuples()
        ]
        roster = roster_on(connection, day)
        chosen = choose_agents(arrivals, roster, _load(connection, day))
        waiting["to_agent"] = [chosen.get(int(i)) for i in waiting["id"]]
        placed = waiting[waiting["to_agent"].notna()]
        changed = orders.change_unchanged(
            connection,
            placed,
            lambda agent: {
                "agent_id": agent,
                "owner_id": sa.func.coalesce(ORDERS.c.owner_id, agent),
                "state": "assigned",
                "assigned_on": day,
            },
            by="to_agent",
        )
        placed = placed[placed["id"].isin(changed)]
        if placed.empty:
            return Dispatched()
        orders.insert_events(
            connection,
            pd.DataFrame(
                {
                    "order_id": placed["id"],
                    "kind": "dispatched",
                    "detail": "to " + placed["to_agent"],
                }
            ).assign(at=now, actor="engine"),
        )
        # A reopened order may have been on a list today already: it is listed once.
        connection.execute(
            sa.delete(LIST_ITEMS).where(
                LIST_ITEMS.c.day == day, LIST_ITEMS.c.order_id.in_([int(i) for i in placed["id"]])
            )
        )
        orders.insert_list_items(
            connection,
            pd.DataFrame(
                {
                    "order_id": placed["id"],
                    "agent_id": placed["to_agent"],
                    "campaign": placed["campaign"],
                }
            ).assign(day=day, new=True),
        )
        warnings = _render(config, engine, connection, placed, roster)
        return Dispatched(len(placed), warnings)


def _customers(
    config: Config, engine: sa.Engine, tickets: Sequence[Ticket]
) -> tuple[str | None, pd.DataFrame]:
    """The latest extract's month and its rows of the tickets' lines and phones."""
    months = snapshots.loaded_months(engine)
    if not months:  # no extract loaded yet: tickets still come in, without billing data
        return None, pd.DataFrame(columns=[LINE_ID, PHONE])
    month = months[-1]
    lines = {t.line_id for t in tickets if t.line_id}
    phones = {t.phone for t in tickets if t.phone and not t.line_id}
    found = snapshots.load_matching(config, engine, month, lines, phones)
    return month, found if found is not None else pd.DataFrame(columns=[LINE_ID, PHONE])


def _found(customers: pd.DataFrame, ticket: Ticket) -> dict[str, Any] | None:
    """The billing row of TICKET's line (or, without a line id, of its phone)."""
    if customers.empty:
        return None
    column, value = (LINE_ID, ticket.line_id) if ticket.line_id else (PHONE, ticket.phone)
    match = customers[customers[column] == value]
    if match.empty:
        return None
    row = match.iloc[0]
    return _plain(row)


def _insert_tickets(
    connection: sa.Connection, tickets: Sequence[Ticket], now: dt.datetime, via: str
) -> dict[tuple[str, str], int]:
    """Insert TICKETS none has taken before (another writer may be taking the same ones right
    now: the database decides); the ids of those this one took, by key."""
    if not tickets:
        return {}
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(
        TICKETS
    )
    values = [
        {
            "source": t.source,
            "external_id": t.external_id,
            "type": t.type,
            "line_id": t.line_id,
            "phone": t.phone,
            "received_at": t.received_at,
            "text": t.text,
            "department": t.department,
            "digest": digest(t),
            "via": via,
            "taken_at": now,
        }
        for t in tickets
    ]
    statement = insert.on_conflict_do_nothing(index_elements=["source", "external_id"]).returning(
        TICKETS.c.id, TICKETS.c.source, TICKETS.c.external_id
    )
    new: dict[tuple[str, str], int] = {}
    for start in range(0, len(values), CHUNK):
        for row in connection.execute(statement, values[start : start + CHUNK]):
            new[(row.source, row.external_id)] = int(row.id)
    return new


def _compare_with_earlier(
    connection: sa.Connection,
    tickets: Sequence[Ticket],
    indexes: list[int],
    rows: Sequence[int],
    taken: Taken,
) -> None:
    """Tickets taken before: the same again is counted as repeated, a changed one refused."""
    if not indexes:
        return
    earlier: dict[tuple[str, str], tuple[str, dt.datetime]] = {}
    for source in {tickets[i].source for i in indexes}:
        ids = [tickets[i].external_id for i in indexes if tickets[i].source == source]
        for start in range(0, len(ids), CHUNK):
            found = connection.execute(
                sa.select(TICKETS.c.external_id, TICKETS.c.digest, TICKETS.c.taken_at).where(
                    TICKETS.c.source == source,
                    TICKETS.c.external_id.in_(ids[start : start + CHUNK]),
                )
            )
            earlier.update({(source, r.external_id): (r.digest, r.taken_at) for r in found})
    for index in indexes:
        ticket = tickets[index]
        before, when = earlier[ticket.key]
        if before == digest(ticket):
            taken.repeated += 1
        else:
            taken.problems.append(
                Problem(
                    rows[index],
                    "external_id",
                    f"{ticket.source} ticket {ticket.external_id} was taken in on "
                    f"{when:%Y-%m-%d %H:%M} UTC with other values; a ticket is not changed by "
                    "sending it again: send the change under a new external_id",
                )
            )


def _write_orders(
    config: Config,
    connection: sa.Connection,
    tickets: Sequence[Ticket],
    indexes: list[int],
    ticket_ids: dict[tuple[str, str], int],
    month: str | None,
    customers: pd.DataFrame,
    now: dt.datetime,
) -> dict[tuple[str, str], int]:
    """One open work order for each new ticket, due by its type's deadline from receipt; the
    order's id by ticket key."""
    values = []
    for index in indexes:
        ticket = tickets[index]
        kind = config.settings.tickets[ticket.type]
        customer = _found(customers, ticket) or {}
        values.append(
            {
                "campaign": ticket.type,
                "channel": "call",
                "line_id": ticket.line_id or customer.get(LINE_ID) or ticket.phone,
                "phone": ticket.phone or customer.get(PHONE),
                "month": month or f"{ticket.received_at.astimezone(config.tz):%Y-%m}",
                "state": "open",
                "department": ticket.department,
                "value": customer.get("monthly_spend"),
                "region": customer.get("region"),
                "rank": -kind.priority,
                "created_on": now.astimezone(config.tz).date(),
                "created_at": now,
                "due_at": ticket.deadline(kind),
                "attempts": 0,
                "text": ticket.text,
                "ticket_id": ticket_ids[ticket.key],
            }
        )
    ids: dict[int, int] = {}
    statement = sa.insert(ORDERS).returning(ORDERS.c.id, ORDERS.c.ticket_id)
    for start in range(0, len(values), CHUNK):
        for row in connection.execute(statement, values[start : start + CHUNK]):
            ids[int(row.ticket_id)] = int(row.id)
    connection.execute(
        sa.update(TICKETS)
        .where(TICKETS.c.id == sa.bindparam("ticket"))
        .values(order_id=sa.bindparam("order")),
        [{"ticket": ticket, "order": order} for ticket, order in ids.items()],
    )
    return {tickets[i].key: ids[ticket_ids[tickets[i].key]] for i in indexes}


def _log_received(
    connection: sa.Connection,
    tickets: Sequence[Ticket],
    indexes: list[int],
    ids: dict[tuple[str, str], int],
    now: dt.datetime,
    via: str,
) -> None:
    orders.insert_events(
        connection,
        pd.DataFrame(
            {
                "order_id": [ids[tickets[i].key] for i in indexes],
                "actor": [tickets[i].source for i in indexes],
                "kind": "received",
                "detail": [f"{tickets[i].external_id} via {via}" for i in indexes],
            }
        ).assign(at=now),
    )


def _render(
    config: Config,
    engine: sa.Engine,
    connection: sa.Connection,
    placed: pd.DataFrame,
    roster: pd.DataFrame,
) -> list[str]:
    """The script of each dispatched order (id, campaign, line_id, to_agent) whose type names
    one, for its agent: the customer's billing data of the order's month and the ticket's own
    fields. A script that fails leaves the ticket's text, and says why."""
    kinds = config.settings.tickets
    placed = placed[[kind in kinds and bool(kinds[kind].script) for kind in placed["campaign"]]]
    if placed.empty:
        return []
    about = orders.frame(
        connection,
        sa.select(ORDERS.c.id, ORDERS.c.month, ORDERS.c.phone, *_TICKET_FIELDS)
        .join(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
        .where(ORDERS.c.id.in_([int(i) for i in placed["id"]])),
    ).set_index("id")
    people = roster.set_index("agent_id")
    scripts = Scripts(config.workspace / "scripts")
    changes, warnings = [], []
    for month, rows in placed.assign(month=about.loc[placed["id"], "month"].to_numpy()).groupby(
        "month"
    ):
        found = snapshots.load_lines(config, engine, str(month), set(rows["line_id"]))
        customers = (
            found.drop_duplicates(LINE_ID).set_index(LINE_ID)
            if found is not None
            else pd.DataFrame()
        )
        for row in rows.itertuples():
            ticket = about.loc[row.id]
            kind = kinds[row.campaign]
            customer = _plain(customers.loc[row.line_id]) if row.line_id in customers.index else {}
            customer.setdefault(LINE_ID, row.line_id)
            customer.setdefault(PHONE, ticket["phone"])
            agent = people.loc[row.to_agent]
            context = {
                "customer": customer,
                "prev": {},
                "agent": {"agent_id": row.to_agent, "name": agent["name"], "team": agent["team"]},
                "campaign": {"name": row.campaign, "title": kind.title, "channel": "call"},
                "ticket": {
                    "external_id": ticket["external_id"],
                    "source": ticket["source"],
                    "type": row.campaign,
                    "text": ticket["ticket_text"],
                    "received_at": ticket["received_at"].astimezone(config.tz),
                    "department": ticket["department"],
                },
            }
            assert kind.script
            try:
                text = scripts.render(kind.script, context)
            except ScriptError as exc:
                warnings.append(f"ticket {ticket['external_id']}: {exc.message}")
                continue
            changes.append({"order": int(row.id), "text": text, "v": scripts.version(kind.script)})
    if changes:
        connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == sa.bindparam("order"))
            .values(text=sa.bindparam("text"), script_version=sa.bindparam("v"), **BUMP),
            changes,
        )
    return warnings


_TICKET_FIELDS = (
    TICKETS.c.external_id,
    TICKETS.c.source,
    TICKETS.c.text.label("ticket_text"),
    TICKETS.c.received_at,
    TICKETS.c.department,
)


def _plain(row: pd.Series) -> dict[str, Any]:
    return {name: (None if pd.isna(value) else value) for name, value in row.items()}


def _line_owners(connection: sa.Connection, lines: pd.Series) -> dict[str, str]:
    """The agent who took each line's latest earlier ticket: the customer's first agent."""
    owners: dict[str, str] = {}
    unique = list(dict.fromkeys(lines))
    for start in range(0, len(unique), CHUNK):
        query = (
            sa.select(ORDERS.c.line_id, ORDERS.c.owner_id)
            .where(
                ORDERS.c.line_id.in_(unique[start : start + CHUNK]),
                ORDERS.c.ticket_id.is_not(None),
                ORDERS.c.owner_id.is_not(None),
            )
            .order_by(ORDERS.c.id)
        )
        owners.update({line: owner for line, owner in connection.execute(query)})
    return owners


def _load(connection: sa.Connection, day: dt.date) -> dict[str, int]:
    """How many items each agent's list holds on DAY."""
    query = (
        sa.select(LIST_ITEMS.c.agent_id, sa.func.count())
        .where(LIST_ITEMS.c.day == day)
        .group_by(LIST_ITEMS.c.agent_id)
    )
    return {agent: int(count) for agent, count in connection.execute(query)}
