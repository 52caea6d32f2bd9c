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
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from outbound.config import LINE_ID, PHONE, Config
from outbound.contact import policy
from outbound.extract import snapshots
from outbound.orders.arrival import Arrival, choose_agents
from outbound.orders.tickets import Intake, Problem, Ticket, read_file
from outbound.staff.agents import roster_on
from outbound.store import orders
from outbound.store.orders import BUMP, EVENTS, LIST_ITEMS, ORDERS, TICKETS
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
    customers = _customers(config, engine, tickets)
    keep: list[int] = []
    for index, ticket in enumerate(tickets):
        if ticket.phone is None and customers.of(ticket) is None:
            where = f"the {customers.month} extract" if customers.month else "any loaded extract"
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
            ids = _write_orders(config, connection, tickets, fresh, new, customers, now)
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
        # Locked as read on PostgreSQL (SQLite writes one at a time): two dispatchers at once
        # take different orders, and never wait on each other in a circle.
        waiting = connection.execute(
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
            .order_by(ORDERS.c.due_at, ORDERS.c.id)
            .with_for_update(skip_locked=True)
        ).all()
        if not waiting:
            return Dispatched()
        kinds = config.settings.tickets
        owners = _line_owners(connection, [row.line_id for row in waiting])
        arrivals = [
            Arrival(
                row.id,
                kinds[row.campaign].skills if row.campaign in kinds else (),
                row.owner_id or owners.get(row.line_id),
                row.returned_by,
                kinds[row.campaign].seniority_at_least if row.campaign in kinds else 0,
            )
            for row in waiting
        ]
        roster = roster_on(connection, day)
        chosen = choose_agents(arrivals, roster, _load(connection, day))
        placed = _assign(connection, [row for row in waiting if row.id in chosen], chosen, day)
        if not placed:
            return Dispatched()
        connection.execute(
            sa.insert(EVENTS),
            [
                {
                    "order_id": row.id,
                    "at": now,
                    "actor": "engine",
                    "kind": "dispatched",
                    "detail": f"to {chosen[row.id]}",
                }
                for row in placed
            ],
        )
        # A reopened order may have been on a list today already: it is listed once.
        orders.relist(connection, day, [row.id for row in placed])
        connection.execute(
            sa.insert(LIST_ITEMS),
            [
                {
                    "day": day,
                    "order_id": row.id,
                    "agent_id": chosen[row.id],
                    "campaign": row.campaign,
                    "new": True,
                }
                for row in placed
            ],
        )
        warnings = render_scripts(config, connection, placed, chosen, roster)
        return Dispatched(len(placed), warnings)


def _assign(
    connection: sa.Connection, rows: Sequence[Any], chosen: dict[int, str], day: dt.date
) -> list[Any]:
    """ROWS to their CHOSEN agents, each where it is still at the version read (one statement
    a version, not one an agent): the rows changed."""
    changed: set[int] = set()
    by_version: dict[int, list[int]] = {}
    for row in rows:
        by_version.setdefault(row.version, []).append(row.id)
    for version, ids in by_version.items():
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            agent = sa.case({i: chosen[i] for i in part}, value=ORDERS.c.id)
            result = connection.execute(
                sa.update(ORDERS)
                .where(ORDERS.c.id.in_(part), ORDERS.c.version == version)
                .values(
                    agent_id=agent,
                    owner_id=sa.func.coalesce(ORDERS.c.owner_id, agent),
                    state="assigned",
                    assigned_on=day,
                    **BUMP,
                )
                .returning(ORDERS.c.id)
            )
            changed.update(result.scalars())
    return [row for row in rows if row.id in changed]


@dataclass(frozen=True)
class Customers:
    """The latest extract's rows of a batch's lines, by line id and by phone."""

    month: str | None
    by_line: dict[str, dict[str, Any]]
    by_phone: dict[str, dict[str, Any]]

    def of(self, ticket: Ticket) -> dict[str, Any] | None:
        """The billing row of TICKET's line (or, without a line id, of its phone)."""
        if ticket.line_id:
            return self.by_line.get(ticket.line_id)
        return self.by_phone.get(ticket.phone) if ticket.phone else None


def _customers(config: Config, engine: sa.Engine, tickets: Sequence[Ticket]) -> Customers:
    """The latest extract's month and its rows of the tickets' lines and phones."""
    months = snapshots.loaded_months(engine)
    if not months:  # no extract loaded yet: tickets still come in, without billing data
        return Customers(None, {}, {})
    lines = {t.line_id for t in tickets if t.line_id}
    phones = {t.phone for t in tickets if t.phone and not t.line_id}
    found = snapshots.load_matching(config, engine, months[-1], lines, phones)
    rows = _rows(found)
    return Customers(
        months[-1],
        {row[LINE_ID]: row for row in rows},
        {row[PHONE]: row for row in rows if row[PHONE]},
    )


def _rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """FRAME's rows as dicts of plain values, None for missing ones."""
    if frame is None or frame.empty:
        return []
    return pa.Table.from_pandas(frame, preserve_index=False).to_pylist()


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
    customers: Customers,
    now: dt.datetime,
) -> dict[tuple[str, str], int]:
    """One open work order for each new ticket, due by its type's deadline from receipt; the
    order's id by ticket key."""
    values = []
    for index in indexes:
        ticket = tickets[index]
        kind = config.settings.tickets[ticket.type]
        customer = customers.of(ticket) or {}
        values.append(
            {
                "campaign": ticket.type,
                "channel": "call",
                "line_id": ticket.line_id or customer.get(LINE_ID) or ticket.phone,
                "phone": ticket.phone or customer.get(PHONE),
                "month": customers.month or f"{ticket.received_at.astimezone(config.tz):%Y-%m}",
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


def render_scripts(
    config: Config,
    connection: sa.Connection,
    placed: Sequence[Any],
    chosen: dict[int, str],
    roster: pd.DataFrame,
) -> list[str]:
    """The script of each ticket's order of PLACED (rows with id, campaign and line_id) whose
    type names one, for its CHOSEN agent of ROSTER: the customer's billing data of the order's
    month and the ticket's own fields. A script that fails leaves the text as it was, and
    says why."""
    kinds = config.settings.tickets
    placed = [row for row in placed if row.campaign in kinds and kinds[row.campaign].script]
    if not placed:
        return []
    about = {
        row.id: row
        for row in connection.execute(
            sa.select(ORDERS.c.id, ORDERS.c.month, ORDERS.c.phone, *_TICKET_FIELDS)
            .join(TICKETS, TICKETS.c.id == ORDERS.c.ticket_id)
            .where(ORDERS.c.id.in_([row.id for row in placed]))
        )
    }
    people = {p["agent_id"]: p for p in roster[["agent_id", "name", "team"]].to_dict("records")}
    customers: dict[tuple[str, str], dict[str, Any]] = {}
    for month in {about[row.id].month for row in placed}:
        lines = {row.line_id for row in placed if about[row.id].month == month}
        found = snapshots.load_lines(config, connection, month, lines)
        customers |= {(month, r[LINE_ID]): r for r in _rows(found)}
    scripts = _scripts(config.workspace / "scripts")
    versions: dict[str, str] = {}
    changes, warnings = [], []
    for row in placed:
        ticket, kind = about[row.id], kinds[row.campaign]
        assert kind.script
        customer = dict(customers.get((ticket.month, row.line_id), {}))
        customer.setdefault(LINE_ID, row.line_id)
        customer.setdefault(PHONE, ticket.phone)
        context = {
            "customer": customer,
            "prev": {},
            "agent": people[chosen[row.id]],
            "campaign": {"name": row.campaign, "title": kind.title, "channel": "call"},
            "ticket": {
                "external_id": ticket.external_id,
                "source": ticket.source,
                "type": row.campaign,
                "text": ticket.ticket_text,
                "received_at": ticket.received_at.astimezone(config.tz),
                "department": ticket.department,
            },
        }
        try:
            text = scripts.render(kind.script, context)
        except ScriptError as exc:
            warnings.append(f"ticket {ticket.external_id}: {exc.message}")
            continue
        if kind.script not in versions:
            versions[kind.script] = scripts.version(kind.script)
        changes.append({"order": row.id, "text": text, "v": versions[kind.script]})
    if changes:
        connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == sa.bindparam("order"))
            .values(text=sa.bindparam("text"), script_version=sa.bindparam("v"), **BUMP),
            changes,
        )
    return warnings


@cache
def _scripts(folder: Path) -> Scripts:
    """The workspace's scripts, kept: a template is loaded once, and again when it changes."""
    return Scripts(folder)


_TICKET_FIELDS = (
    TICKETS.c.external_id,
    TICKETS.c.source,
    TICKETS.c.text.label("ticket_text"),
    TICKETS.c.received_at,
    TICKETS.c.department,
)


def _line_owners(connection: sa.Connection, lines: list[str]) -> dict[str, str]:
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
