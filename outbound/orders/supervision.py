"""What supervisors do with their teams' work: move an order to another agent, urge the one who
has it, cancel an agent's absence, and read the team's progress, the orders near their deadline
(with the customer) and the absent agents' work. Each change is one transaction, logged as an
event of the orders it touches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config, Disposition
from outbound.errors import UserError
from outbound.orders import intake, scripts, worklists
from outbound.staff import agents
from outbound.store import orders
from outbound.store.models import Absence, Agent
from outbound.store.orders import BUMP, EVENTS, LIST_ITEMS, ORDERS
from outbound.workspace.campaigns import Campaign

# Whose an order is: the agent who has it, else its owner, else who gave it back.
HOLDER = sa.func.coalesce(ORDERS.c.agent_id, ORDERS.c.owner_id, ORDERS.c.returned_by)
PROGRESS_COLUMNS = ["quota", "attempted", "reached", "converted", "returned", "overdue"]


@dataclass(frozen=True)
class Reassigned:
    order_id: int
    from_agent: str | None
    to_agent: str
    state: str


class Stale(UserError):
    """An order that changed since the supervisor's page showed it: the change is refused, so
    that nobody moves work they have not seen as it is."""

    def __init__(self, order_id: int, state: str, holder: str | None) -> None:
        self.order_id, self.state, self.holder = order_id, state, holder
        super().__init__(
            f"work order {order_id} changed since the page was shown (now {state}, "
            f"{holder or 'nobody'}'s); look at it again"
        )


@dataclass(frozen=True)
class CancelledAbsence:
    agent_id: str
    day: dt.date
    moved: int  # orders the day's run had moved off the agent's list already


def reassign(
    config: Config,
    engine: sa.Engine,
    campaigns: dict[str, Campaign],
    order_id: int,
    to_agent: str,
    by: str,
    now: dt.datetime,
    *,
    within: set[str] | None = None,
    seen_version: int | None = None,
) -> Reassigned:
    """Give ORDER_ID to TO_AGENT (one of WITHIN, when given), present today; an order open,
    assigned or returned goes onto their list today, one waiting for its retry keeps waiting.
    Its script is rendered again for TO_AGENT, since it says who is calling. With SEEN_VERSION,
    an order written since it was read at that version is refused as Stale."""
    today = now.astimezone(config.tz).date()
    rendered = _script_for(config, engine, campaigns, order_id, to_agent)
    with engine.begin() as connection:
        order = _locked(connection, order_id)
        if seen_version is not None and order["version"] != seen_version:
            raise Stale(order_id, order["state"], order["agent_id"] or order["owner_id"])
        _check_open(order)
        if order["channel"] != "call":
            raise UserError(
                f"work order {order_id} is a {order['channel']} order, not a call; "
                "it is not on an agent's list",
                "work_order_not_a_call",
                order=order_id,
            )
        _check_agent(connection, to_agent, today, within)
        if order["agent_id"] == to_agent:
            raise UserError(
                f"work order {order_id} is already {to_agent}'s",
                "work_order_already_theirs",
                order=order_id,
                agent=to_agent,
            )
        changes: dict[str, Any] = {"agent_id": to_agent}
        if rendered is not None:
            changes |= {"text": rendered.texts[0], "script_version": rendered.versions[0]}
        if order["state"] != "in_progress":
            changes |= {"state": "assigned", "assigned_on": today}
            _list_today(connection, order, to_agent, today)
        connection.execute(
            sa.update(ORDERS).where(ORDERS.c.id == order_id).values(**changes, **BUMP)
        )
        if order["ticket_id"] is not None:
            moving = SimpleNamespace(
                id=order_id, campaign=order["campaign"], line_id=order["line_id"]
            )
            intake.render_scripts(
                config,
                connection,
                [moving],
                {order_id: to_agent},
                agents.roster_on(connection, today),
            )
        moved = f"from {order['agent_id'] or 'nobody'} to {to_agent}"
        orders.log(connection, order_id, now, by, "reassigned", None, moved)
    return Reassigned(order_id, order["agent_id"], to_agent, changes.get("state", order["state"]))


def urge(engine: sa.Engine, order_id: int, by: str, now: dt.datetime) -> str:
    """Log that BY urged whoever has ORDER_ID (and their supervisor); the event's detail."""
    with engine.begin() as connection:
        order = _locked(connection, order_id)
        _check_open(order)
        target = order["agent_id"] or order["department"]
        if target is None:
            raise UserError(
                f"work order {order_id} has nobody to urge; reassign it first",
                "work_order_nobody_to_urge",
                order=order_id,
            )
        supervisor = connection.scalar(
            sa.select(Agent.supervisor).where(Agent.agent_id == order["agent_id"])
        )
        detail = f"to {target}" + (f" and supervisor {supervisor}" if supervisor else "")
        orders.log(connection, order_id, now, by, "urged", None, detail)
    return detail


def reopen(
    engine: sa.Engine, order_id: int, by: str, now: dt.datetime, hours: float, why: str
) -> dt.datetime:
    """Open ORDER_ID again, closed by its deadline or by a result the customer disputes, due
    HOURS from NOW: a call goes back to whoever held it (the next run or dispatch lists it), a
    follow-up to its department. The new deadline."""
    if not why.strip():
        raise UserError.of("reopen_needs_reason", "say why the order is opened again")
    with engine.begin() as connection:
        order = _locked(connection, order_id)
        if order["state"] not in orders.CLOSED_STATES:
            raise UserError.of("reopen_open", "work order {order} is still open", order=order_id)
        due = now + dt.timedelta(hours=hours)
        connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == order_id)
            .values(
                state="open",
                agent_id=None,
                owner_id=order["owner_id"] or order["agent_id"],
                assigned_on=None,
                result=None,
                closed_at=None,
                warned_at=None,
                escalated_to=None,
                next_attempt_at=None,
                callback_at=None,
                due_at=due,
                **BUMP,
            )
        )
        orders.log(connection, order_id, now, by, "reopened", order["result"], why.strip())
    return due


def _script_for(
    config: Config,
    engine: sa.Engine,
    campaigns: dict[str, Campaign],
    order_id: int,
    agent_id: str,
) -> scripts.Texts | None:
    """ORDER_ID's script rendered for AGENT_ID, before the move's transaction (an order's line,
    month and campaign never change); None where there is nothing to render, and the move's
    own checks say why when it is refused."""
    with engine.connect() as connection:
        order = (
            connection.execute(
                sa.select(
                    ORDERS.c.line_id, ORDERS.c.month, ORDERS.c.campaign, ORDERS.c.channel
                ).where(ORDERS.c.id == order_id)
            )
            .mappings()
            .first()
        )
        agent = (
            connection.execute(
                sa.select(Agent.agent_id, Agent.name, Agent.team).where(Agent.agent_id == agent_id)
            )
            .mappings()
            .first()
        )
    if order is None or agent is None or order["channel"] != "call":
        return None
    campaign = campaigns.get(order["campaign"])
    if campaign is None:
        return None
    return scripts.for_agent(config, engine, campaign, dict(order), dict(agent))


def _locked(connection: sa.Connection, order_id: int) -> dict[str, Any]:
    query = sa.select(ORDERS).where(ORDERS.c.id == order_id).with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        raise UserError(f"no work order {order_id}", "no_work_order", order=order_id)
    return dict(row)


def _check_open(order: dict[str, Any]) -> None:
    if order["state"] in orders.CLOSED_STATES:
        raise UserError(
            f"work order {order['id']} is already closed ({order['result'] or order['state']})",
            "work_order_closed",
            order=order["id"],
        )


def check_agent(engine: sa.Engine, agent_id: str, day: dt.date, within: set[str] | None) -> None:
    """Refuse AGENT_ID as who gets work on DAY: not one of WITHIN, not active, or absent."""
    with engine.connect() as connection:
        _check_agent(connection, agent_id, day, within)


def _check_agent(
    connection: sa.Connection, agent_id: str, day: dt.date, within: set[str] | None
) -> None:
    if not agent_id:
        raise UserError("choose the agent who gets the work", "choose_an_agent")
    if within is not None and agent_id not in within:
        raise not_in_team(agent_id)
    if not connection.scalar(sa.select(Agent.active).where(Agent.agent_id == agent_id)):
        raise UserError(
            f"no active agent {agent_id!r}; see engine agents list",
            "no_active_agent",
            agent=agent_id,
        )
    absent = sa.select(Absence.reason).where(Absence.agent_id == agent_id, Absence.day == day)
    if connection.execute(absent).first() is not None:
        raise UserError(
            f"{agent_id} is absent on {day}; pick an agent at work",
            "agent_absent",
            agent=agent_id,
            day=day,
        )


def not_in_team(agent_id: str) -> UserError:
    """The refusal of AGENT_ID, who is not of the supervisor's teams."""
    return UserError(
        f"{agent_id!r} is not an agent of your team", "agent_not_in_team", agent=agent_id
    )


def _list_today(
    connection: sa.Connection, order: dict[str, Any], agent_id: str, day: dt.date
) -> None:
    """The order's line on today's lists, which the day's report counts: moved to AGENT_ID if
    the run listed it already (one line per order and day), else added."""
    listed = LIST_ITEMS.c.day == day, LIST_ITEMS.c.order_id == order["id"]
    if connection.execute(sa.select(LIST_ITEMS.c.agent_id).where(*listed)).first() is not None:
        connection.execute(sa.update(LIST_ITEMS).where(*listed).values(agent_id=agent_id))
        return
    connection.execute(
        sa.insert(LIST_ITEMS).values(
            day=day, order_id=order["id"], agent_id=agent_id, campaign=order["campaign"], new=False
        )
    )


def cancel_absence(
    engine: sa.Engine,
    agent_id: str,
    day: dt.date,
    by: str,
    now: dt.datetime,
    tz: ZoneInfo,
    *,
    within: set[str] | None = None,
) -> CancelledAbsence:
    """AGENT_ID (one of WITHIN, when given) is at work on DAY after all: today or later, so
    that what a past day's run did stays explained. Orders the day's run moved off their list
    because of the absence stay where they went (a supervisor moves back what should come
    back); each gets an event saying BY cancelled the absence."""
    if within is not None and agent_id not in within:
        raise not_in_team(agent_id)
    if day < now.astimezone(tz).date():
        raise UserError(
            f"{day} is past: an absence of a past day stays as it was recorded",
            "absence_past",
            day=day,
        )
    marked = sa.select(Absence.reason).where(Absence.agent_id == agent_id, Absence.day == day)
    with engine.begin() as connection:
        if connection.execute(marked.with_for_update()).first() is None:
            raise UserError(
                f"{agent_id} is not marked absent on {day}",
                "absence_not_marked",
                agent=agent_id,
                day=day,
            )
        connection.execute(
            sa.delete(Absence).where(Absence.agent_id == agent_id, Absence.day == day)
        )
        moved = list(
            connection.scalars(
                sa.select(EVENTS.c.order_id).where(
                    EVENTS.c.kind == "absent", EVENTS.c.detail == f"{agent_id} is absent on {day}"
                )
            )
        )
        for order_id in moved:
            detail = f"{agent_id}'s absence on {day} cancelled"
            orders.log(connection, order_id, now, by, "absence_cancelled", None, detail)
    return CancelledAbsence(agent_id, day, len(moved))


def in_team(connection: sa.Connection, order_id: int, team: set[str] | None) -> bool:
    """Whether ORDER_ID exists and is the work of one of TEAM (None: everyone's)."""
    holder = connection.execute(
        sa.select(HOLDER.label("holder")).where(ORDERS.c.id == order_id)
    ).first()
    return holder is not None and (team is None or holder.holder in team)


def team_roster(connection: sa.Connection, day: dt.date, team: set[str] | None) -> pd.DataFrame:
    """The active agents of TEAM with their roster team name and `absent` on DAY."""
    roster = agents.roster_on(connection, day)
    return roster[roster["agent_id"].isin(team)] if team is not None else roster


def progress(
    connection: sa.Connection,
    campaigns: dict[str, Campaign],
    dispositions: dict[str, Disposition],
    day: dt.date,
    now: dt.datetime,
    tz: ZoneInfo,
    team: set[str] | None,
) -> pd.DataFrame:
    """Per agent of TEAM on DAY: team, name, quota, attempted, reached, converted, returned,
    overdue; a day without a run is refused with a sentence."""
    _, by_agent = worklists.report(connection, campaigns, dispositions, day, now, tz)
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    returned = orders.frame(
        connection,
        sa.select(EVENTS.c.actor.label("agent")).where(
            EVENTS.c.kind == "returned",
            EVENTS.c.at >= start,
            EVENTS.c.at < start + dt.timedelta(days=1),
        ),
    )
    roster = team_roster(connection, day, team)[["agent_id", "name", "team"]]
    table = roster.rename(columns={"agent_id": "agent"}).merge(by_agent, on="agent", how="left")
    table["returned"] = table["agent"].map(returned["agent"].value_counts())
    table[PROGRESS_COLUMNS] = table[PROGRESS_COLUMNS].fillna(0).astype(int)
    return table[["team", "agent", "name", *PROGRESS_COLUMNS]].sort_values(
        ["team", "agent"], ignore_index=True
    )


def near_deadline(
    connection: sa.Connection,
    now: dt.datetime,
    warn_at: float,
    team: set[str] | None,
    *,
    order_id: int | None = None,
) -> pd.DataFrame:
    """Open orders of TEAM warned, past WARN_AT of their time or past their deadline, soonest
    deadline first, with `overdue` and `holder`; or just ORDER_ID, near or not."""
    query = sa.select(
        ORDERS.c.id,
        ORDERS.c.version,
        ORDERS.c.campaign,
        ORDERS.c.channel,
        ORDERS.c.line_id,
        ORDERS.c.phone,
        ORDERS.c.month,
        ORDERS.c.state,
        ORDERS.c.agent_id,
        ORDERS.c.department,
        ORDERS.c.attempts,
        ORDERS.c.created_at,
        ORDERS.c.due_at,
        ORDERS.c.warned_at,
        HOLDER.label("holder"),
    ).where(ORDERS.c.state.in_(orders.OPEN_STATES), ORDERS.c.due_at.is_not(None))
    if team is not None:
        query = query.where(HOLDER.in_(team))
    if order_id is not None:
        query = query.where(ORDERS.c.id == order_id)
    found = orders.frame(connection, query)
    due_at = pd.to_datetime(found["due_at"], utc=True)
    created_at = pd.to_datetime(found["created_at"], utc=True)
    moment = pd.Timestamp(now)
    found["overdue"] = (due_at <= moment).to_numpy(dtype=bool)
    near = found["warned_at"].notna() | (created_at + (due_at - created_at) * warn_at <= moment)
    shown = near | found["overdue"] | (order_id is not None)
    return found[shown.to_numpy(dtype=bool)].sort_values(["due_at", "id"]).reset_index(drop=True)


def urges(connection: sa.Connection, order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The urges sent about each of ORDER_IDS, oldest first."""
    query = (
        sa.select(EVENTS.c.order_id, EVENTS.c.at, EVENTS.c.actor, EVENTS.c.detail)
        .where(EVENTS.c.kind == "urged", EVENTS.c.order_id.in_(order_ids))
        .order_by(EVENTS.c.id)
    )
    sent: dict[int, list[dict[str, Any]]] = {}
    for row in connection.execute(query).mappings():
        sent.setdefault(row["order_id"], []).append(dict(row))
    return sent


def team_orders(
    connection: sa.Connection,
    now: dt.datetime,
    team: set[str] | None,
    *,
    overdue: bool = False,
    agent: str | None = None,
    state: str | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """The supervisor's order listing (worklists.listing) kept to the work of TEAM."""
    listed = worklists.listing(
        connection, now, overdue=overdue, agent=agent, state=state, kind=kind
    )
    if team is None:
        return listed
    ours = set(connection.scalars(sa.select(ORDERS.c.id).where(HOLDER.in_(team))))
    return listed[listed["id"].isin(ours)].reset_index(drop=True)


def absent(connection: sa.Connection, day: dt.date, team: set[str] | None) -> pd.DataFrame:
    """The agents of TEAM absent on DAY, with the reason."""
    query = (
        sa.select(Absence.agent_id, Agent.name, Absence.reason)
        .join(Agent, Agent.agent_id == Absence.agent_id)
        .where(Absence.day == day)
        .order_by(Absence.agent_id)
    )
    if team is not None:
        query = query.where(Absence.agent_id.in_(team))
    return orders.frame(connection, cast(sa.Select[Any], query))


def work_of_absent(connection: sa.Connection, agent_id: str, day: dt.date) -> pd.DataFrame:
    """The orders on AGENT_ID's last list before DAY, and where each is now: on whose list of
    DAY (none if not listed), its state and who has it."""
    last = connection.scalar(
        sa.select(sa.func.max(LIST_ITEMS.c.day)).where(
            LIST_ITEMS.c.agent_id == agent_id, LIST_ITEMS.c.day < day
        )
    )
    today = LIST_ITEMS.alias("today")
    query = (
        sa.select(
            ORDERS.c.id,
            ORDERS.c.campaign,
            ORDERS.c.state,
            ORDERS.c.agent_id,
            today.c.agent_id.label("listed_for"),
        )
        .join(LIST_ITEMS, LIST_ITEMS.c.order_id == ORDERS.c.id)
        .outerjoin(today, sa.and_(today.c.order_id == ORDERS.c.id, today.c.day == day))
        .where(LIST_ITEMS.c.agent_id == agent_id, LIST_ITEMS.c.day == last)
        .order_by(ORDERS.c.id)
    )
    return orders.frame(connection, query).assign(listed_on=last)
