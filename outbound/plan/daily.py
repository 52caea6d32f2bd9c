"""The daily run: plan every active campaign, assign the call work to agents, render each
item's script or message, and write the day's work orders, once per date."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, PHONE, Config
from outbound.contact import policy, suppression
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.messages import outbox, sms
from outbound.orders import deadlines, intake
from outbound.orders.scripts import Texts, render
from outbound.plan import segments
from outbound.plan.assignment import Assignment, CampaignQuota, assign, standing
from outbound.plan.segments import Selection
from outbound.staff import agents as roster
from outbound.store import locks, orders
from outbound.store.models import Run
from outbound.store.orders import BUMP, ORDERS
from outbound.workspace import Segment, load_segments
from outbound.workspace.campaigns import Campaign, load_campaigns, problems_of
from outbound.workspace.render import Scripts


@dataclass
class DayResult:
    day: dt.date
    month: str
    status: str  # ran, or already ran
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)
    unassigned: pd.DataFrame = field(default_factory=pd.DataFrame)
    warned: int = 0
    expired: int = 0
    seconds: float = 0.0


# The agents' results from START to END (agent_id, reached, satisfaction_rate, conversion_rate):
# results.quality.agent_quality, given by the caller, as results come after plan.
Measure = Callable[[sa.Connection, Config, dt.datetime, dt.datetime], pd.DataFrame]


@dataclass(frozen=True)
class _Inputs:
    config: Config
    scripts: Scripts
    campaigns: list[Campaign]
    segments: dict[str, Segment]
    selection: Selection  # with the month before's rows of the selected lines
    day: dt.date
    now: dt.datetime
    backfill: bool  # an earlier day than the latest run: new work only
    measure: Measure | None


class _AlreadyRan(Exception):
    pass


# A run of a large center takes minutes: a second one waits for it rather than failing.
RUN_WAIT_SECONDS = 15 * 60


def run_day(
    config: Config,
    engine: sa.Engine,
    day: dt.date,
    now: dt.datetime,
    *,
    backfill: bool = False,
    measure: Measure | None = None,
) -> DayResult:
    """The run for DAY; a second run of the same day, even one racing this one in another
    process, changes nothing. Runs of one database go one at a time, whatever their days; a day
    before the latest one run is refused unless BACKFILL, which then only adds that day's new
    work and leaves the orders later days hold as they are. MEASURE gives the agents' results
    when config.toml puts the best-measured agents on the best customers."""
    with locks.one_at_a_time(config.var, engine, "run", RUN_WAIT_SECONDS, "daily run"):
        with engine.connect() as connection:
            latest = connection.scalar(sa.select(sa.func.max(Run.day)))
            ran = connection.scalar(sa.select(Run.day).where(Run.day == day)) is not None
        if latest is not None and day < latest and not backfill and not ran:
            raise UserError(
                f"{day} is before {latest}, the latest day run: running it now would move the "
                f"work that {latest} gave out. To add that day's new work all the same, leaving "
                "later days' orders as they are, run it with --backfill."
            )
        return _run_day(
            config, engine, day, now, backfill=backfill and latest is not None, measure=measure
        )


def _run_day(
    config: Config,
    engine: sa.Engine,
    day: dt.date,
    now: dt.datetime,
    *,
    backfill: bool,
    measure: Measure | None,
) -> DayResult:
    started = time.perf_counter()
    campaigns, chosen = active(config, day)
    selection = segments.select(
        config, engine, None, chosen.values(), every_column=True, previous_rows=True
    )
    scripts = Scripts(config.workspace / "scripts")
    inputs = _Inputs(config, scripts, campaigns, chosen, selection, day, now, backfill, measure)
    try:
        with engine.begin() as connection:
            _claim(connection, day, selection.month, now)
            result = _run(connection, inputs)
            result.seconds = time.perf_counter() - started
            connection.execute(
                sa.update(Run)
                .where(Run.day == day)
                .values(seconds=result.seconds, summary=_summary(result))
            )
    except _AlreadyRan:
        with engine.connect() as connection:
            run = connection.execute(sa.select(Run.month, Run.seconds).where(Run.day == day)).one()
        return DayResult(day, run.month, "already ran", seconds=run.seconds)
    return result


def _lines(
    connection: sa.Connection, inputs: _Inputs, line_ids: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The month's rows of LINE_IDS and the month before's (None when it is not loaded): from
    the months in memory, or, when a cluster selected the lines, read for these lines alone."""
    months, config = inputs.selection.months, inputs.config
    if months is not None:
        return months.current, months.previous
    month = inputs.selection.month
    current = snapshots.load_lines(config, connection, month, line_ids)
    assert current is not None, "the month was selected from"
    before = snapshots.previous_month(month)
    return current, snapshots.load_lines(config, connection, before, line_ids)


def active(config: Config, day: dt.date) -> tuple[list[Campaign], dict[str, Segment]]:
    """The campaigns running on DAY and their segments; any broken file stops the run."""
    campaigns, problems = load_campaigns(config)
    loaded, segment_problems = load_segments(config)
    by_name = {segment.name: segment for segment in loaded}
    running = [c for c in campaigns if c.active_on(day)]
    scripts = Scripts(config.workspace / "scripts")
    messages = [str(p) for p in problems + segment_problems]
    for campaign in running:
        messages += problems_of(config, campaign, by_name, scripts)
    messages += [
        f"campaigns/{c.name}.toml: a ticket type of config.toml [tickets] has its name; "
        "rename one of them"
        for c in campaigns
        if c.name in config.settings.tickets
    ]
    if messages:
        raise UserError(
            "the run needs a sound workspace; fix these first (engine check lists them too):\n  "
            + "\n  ".join(messages)
        )
    if not running:
        paused = [c.name for c in campaigns if c.spec.paused]
        why = f" ({', '.join(paused)} paused)" if paused else ""
        raise UserError(
            f"no campaign runs on {day}{why}; see start, end and paused in campaigns/*.toml"
        )
    return running, {c.name: by_name[c.spec.segment] for c in running}


def _claim(connection: sa.Connection, day: dt.date, month: str, now: dt.datetime) -> None:
    """Insert the day's run row, the claim on the day. A racing process waits on the row's key
    (PostgreSQL) or on the write lock (SQLite) until this transaction ends, then fails here."""
    if connection.execute(sa.select(Run.day).where(Run.day == day)).first() is not None:
        raise _AlreadyRan
    try:
        connection.execute(
            sa.insert(Run).values(day=day, month=month, started_at=now, seconds=0, summary={})
        )
    except sa.exc.IntegrityError:
        raise _AlreadyRan from None


def _run(connection: sa.Connection, inputs: _Inputs) -> DayResult:
    config, day, now = inputs.config, inputs.day, inputs.now
    result = DayResult(day, inputs.selection.month, "ran")
    if not inputs.backfill:  # deadlines and earlier work belong to the latest day
        watched = deadlines.watch(
            connection, now, config.policy.warn_at, config.tz, config.settings.departments
        )
        result.warned, result.expired = watched.warned, watched.expired
    agents = _best_first(connection, inputs, roster.roster_on(connection, day))
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=config.tz)
    open_work = orders.open_work(connection)
    todays = _todays_existing(open_work.iloc[:0] if inputs.backfill else open_work, end_of_day)
    # Work of a campaign that has ended or gone stays open for supervisors, off the lists;
    # tickets' work stays on them, once dispatched: a ticket that came in the night waits for
    # the opening of calling hours, when it is dispatched with its script.
    kinds = config.settings.tickets
    ticket = todays["campaign"].isin(list(kinds)).to_numpy(dtype=bool)
    undispatched = ticket & todays["owner_id"].isna().to_numpy(dtype=bool)
    campaign = todays["campaign"].isin([c.name for c in inputs.campaigns]).to_numpy(dtype=bool)
    running = campaign | (ticket & ~undispatched)
    existing = todays[running].reset_index(drop=True)
    calls, messages = _plan(connection, inputs, result)
    work = pd.concat(
        [_existing_work(existing), *(_new_work(c, kept) for c, kept in calls)], ignore_index=True
    )
    quotas = [_quota(c) for c in inputs.campaigns if c.spec.channel == "call"] + [
        CampaignQuota(name, kind.priority, 0, None, frozenset(kind.skills) or None)
        for name, kind in kinds.items()
    ]
    assignment = assign(work, agents, quotas)
    created = _write_new_calls(connection, inputs, assignment, calls, agents)
    created |= _write_messages(connection, inputs, messages)
    for plan in result.campaigns:
        plan["created"] = created.get(plan["campaign"], 0)
    away = set(agents.loc[agents["absent"], "agent_id"])
    result.existing, carried = _update_existing(connection, assignment, existing, away, day, now)
    result.existing["of_ended_campaigns"] = int((~running & ~undispatched).sum())
    _rerender_moved(connection, inputs, assignment, existing[existing["id"].isin(carried)], agents)
    result.unassigned = _unassigned(assignment, existing)
    return result


def _best_first(connection: sa.Connection, inputs: _Inputs, agents: pd.DataFrame) -> pd.DataFrame:
    """AGENTS, their `seniority` the order in which they take the most valuable customers: the
    roster's level, or with best_agents = "results" their standing on the results of the
    `weeks` weeks before the day."""
    config = inputs.config
    chosen = config.settings.assignment
    if chosen.best_agents == "seniority":
        return agents
    if inputs.measure is None:
        raise UserError(
            '[assignment] best_agents = "results" needs the agents\' measured results, which '
            "this run was not given: run the day with engine run, or set best_agents = "
            '"seniority" in config.toml'
        )
    end = dt.datetime.combine(inputs.day, dt.time(), config.tz)
    start = end - dt.timedelta(weeks=chosen.weeks)
    measured = inputs.measure(connection, config, start, end)
    return standing.by_results(agents, measured, chosen.min_reached)


def _plan(
    connection: sa.Connection, inputs: _Inputs, result: DayResult
) -> tuple[list[tuple[Campaign, pd.DataFrame]], list[tuple[Campaign, pd.DataFrame]]]:
    """Each campaign's members less those the contact policy keeps out, ranked; highest
    priority first, so that a customer goes to one campaign a day."""
    cap = dt.timedelta(days=inputs.config.policy.frequency_cap_days)
    barred = suppression.barred(connection)
    open_lines = orders.open_order_lines(connection)
    contacted = orders.contacted_since(connection, inputs.now - cap)
    taken: set[str] = set()
    calls: list[tuple[Campaign, pd.DataFrame]] = []
    messages: list[tuple[Campaign, pd.DataFrame]] = []
    for campaign in inputs.campaigns:
        members = inputs.selection.of(inputs.segments[campaign.name])
        contacts = policy.Contacts(
            barred.phones(campaign.spec.channel, campaign.spec.purpose),
            open_lines,
            contacted,
            orders.lines_in_campaign(connection, campaign.name, inputs.selection.month),
        )
        kept, out = policy.apply(
            members,
            campaign.name,
            campaign.spec.holdout_percent,
            contacts,
            taken,
            channel=campaign.spec.channel,
        )
        kept = _ranked(kept, campaign)
        if campaign.spec.channel != "call" and campaign.spec.per_day:
            kept = kept.head(campaign.spec.per_day)
        taken.update(kept[LINE_ID])
        (calls if campaign.spec.channel == "call" else messages).append((campaign, kept))
        counts = out["rule"].value_counts()
        result.campaigns.append(
            {
                "campaign": campaign.name,
                "channel": campaign.spec.channel,
                "members": len(members),
                **{rule: int(counts.get(rule, 0)) for rule in policy.RULES},
                "candidates": len(kept),
            }
        )
    return calls, messages


def _ranked(members: pd.DataFrame, campaign: Campaign) -> pd.DataFrame:
    """MEMBERS in the campaign's order (order_by, then line id), with their rank."""
    columns = [column for column, _ in campaign.order] + [LINE_ID]
    ascending = [up for _, up in campaign.order] + [True]
    ordered = members.sort_values(columns, ascending=ascending, na_position="last", kind="stable")
    return ordered.assign(rank=range(len(ordered))).reset_index(drop=True)


def _quota(campaign: Campaign) -> CampaignQuota:
    spec = campaign.spec
    return CampaignQuota(
        campaign.name, spec.priority, spec.per_agent_per_day, spec.agents.teams, spec.agents.skills
    )


def _todays_existing(open_work: pd.DataFrame, end_of_day: dt.datetime) -> pd.DataFrame:
    """The open call orders that belong on today's lists: unfinished, returned, waiting for
    an agent, or whose retry or callback falls before the day ends."""
    if open_work.empty:
        return open_work
    waiting = open_work["state"] == "in_progress"
    callback = pd.to_datetime(open_work["callback_at"], utc=True)
    next_at = callback.fillna(pd.to_datetime(open_work["next_attempt_at"], utc=True))
    due = next_at < pd.Timestamp(end_of_day)
    return open_work[~waiting | due.to_numpy()].reset_index(drop=True)


def _existing_work(existing: pd.DataFrame) -> pd.DataFrame:
    if existing.empty:
        return pd.DataFrame(columns=WORK_COLUMNS)
    return pd.DataFrame(
        {
            "item": "o" + existing["id"].astype(str),
            "campaign": existing["campaign"],
            "new": False,
            "owner": existing["agent_id"]
            .fillna(existing["owner_id"])
            .where(existing["state"] != "returned", existing["owner_id"]),
            "excluded": existing["returned_by"],
            "due_first": existing["callback_at"].notna(),
            "rank": existing["rank"],
            "value": existing["value"],
            "region": existing["region"],
        }
    )


WORK_COLUMNS = [
    "item",
    "campaign",
    "new",
    "owner",
    "excluded",
    "due_first",
    "rank",
    "value",
    "region",
]


def _new_work(campaign: Campaign, kept: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": "n" + campaign.name + ":" + kept[LINE_ID].astype(str),
            "campaign": campaign.name,
            "new": True,
            "owner": None,
            "excluded": None,
            "due_first": False,
            "rank": kept["rank"],
            "value": _column(kept, "monthly_spend"),
            "region": _column(kept, "region"),
        }
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(object).where(frame[name].notna(), None)
    return pd.Series(None, index=frame.index, dtype=object)


def _write_new_calls(
    connection: sa.Connection,
    inputs: _Inputs,
    assignment: Assignment,
    calls: list[tuple[Campaign, pd.DataFrame]],
    agents: pd.DataFrame,
) -> dict[str, int]:
    """Work orders for the new items that found an agent, with the script rendered for that
    agent and customer."""
    assigned = assignment.assigned.set_index("item")
    created = {}
    for campaign, kept in calls:
        items = "n" + campaign.name + ":" + kept[LINE_ID].astype(str)
        taken = items.isin(assigned.index).to_numpy()
        rows = kept[taken].reset_index(drop=True)
        rows["agent_id"] = assigned.loc[items[taken], "agent_id"].to_numpy()
        rows["basis"] = assigned.loc[items[taken], "basis"].to_numpy()
        people = agents.set_index("agent_id").loc[rows["agent_id"]]
        rendered = _render(inputs, campaign, rows, people.reset_index())
        frame = _orders(inputs, campaign, rows, rendered).assign(
            state="assigned",
            agent_id=rows["agent_id"],
            owner_id=rows["agent_id"],
            assigned_on=inputs.day,
        )
        _insert_with_events(connection, inputs, campaign, frame, rows["basis"])
        created[campaign.name] = len(frame)
    return created


def _write_messages(
    connection: sa.Connection, inputs: _Inputs, messages: list[tuple[Campaign, pd.DataFrame]]
) -> dict[str, int]:
    """Work orders holding each SMS or voice text, open, and their messages in the outbox."""
    created = {}
    for campaign, kept in messages:
        rows = kept.reset_index(drop=True)
        rendered = _message_texts(inputs, campaign, rows)
        marketing = campaign.spec.purpose == "marketing"
        frame = _orders(inputs, campaign, rows, rendered).assign(state="open")
        order_ids = _insert_with_events(connection, inputs, campaign, frame, None)
        outbox.add(connection, frame.assign(order_id=order_ids), inputs.day, marketing, inputs.now)
        created[campaign.name] = len(frame)
    return created


def _message_texts(inputs: _Inputs, campaign: Campaign, rows: pd.DataFrame) -> Texts:
    """Each row's SMS or voice text; an SMS normalised for the medium, a marketing SMS signed
    and carrying the opt-out hint."""
    nobody = pd.DataFrame({"agent_id": [None] * len(rows), "name": None, "team": None})
    rendered = _render(inputs, campaign, rows, nobody)
    texts, channels = rendered.texts, inputs.config.channels
    if campaign.spec.channel == "sms":
        texts = [sms.normalise(text) for text in texts]
        if campaign.spec.purpose == "marketing":
            texts = [sms.marketing(t, channels.signature, channels.opt_out_hint) for t in texts]
    return Texts(texts, rendered.versions)


def preview_messages(
    config: Config, engine: sa.Engine, name: str, day: dt.date, now: dt.datetime
) -> tuple[Campaign, pd.DataFrame]:
    """Every message CAMPAIGN would send from the latest extract (holdout left out), with its
    cost, without writing anything."""
    campaigns, chosen = active(config, day)
    campaign = next((c for c in campaigns if c.name == name), None)
    if campaign is None:
        if any(c.name == name and c.spec.paused for c in load_campaigns(config)[0]):
            raise UserError(f"{name} is paused: it sends nothing until it is resumed")
        running = ", ".join(c.name for c in campaigns)
        raise UserError(f"no campaign {name!r} runs on {day}; running: {running}")
    if campaign.spec.channel == "call":
        raise UserError(f"{name} is a call campaign; its scripts show on agents' lists")
    selection = segments.select(
        config, engine, None, [chosen[name]], every_column=True, previous_rows=True
    )
    scripts = Scripts(config.workspace / "scripts")
    inputs = _Inputs(config, scripts, campaigns, chosen, selection, day, now, False, None)
    members = selection.of(chosen[name])
    nobody = policy.Contacts((), (), (), ())
    kept, _ = policy.apply(
        members, name, campaign.spec.holdout_percent, nobody, (), channel=campaign.spec.channel
    )
    kept = _ranked(kept, campaign)
    if campaign.spec.per_day:
        kept = kept.head(campaign.spec.per_day)
    texts = _message_texts(inputs, campaign, kept).texts
    costs = [sms.cost(text) for text in texts]
    return campaign, pd.DataFrame(
        {
            "line_id": kept[LINE_ID].astype(str),
            "phone": kept[PHONE].astype(str),
            "text": texts,
            "characters": [c.characters for c in costs],
            "encoding": [c.encoding for c in costs],
            "segments": [c.segments for c in costs],
        }
    )


def _orders(
    inputs: _Inputs, campaign: Campaign, rows: pd.DataFrame, rendered: Texts
) -> pd.DataFrame:
    deadline = campaign.spec.deadline_hours
    return pd.DataFrame(
        {
            "campaign": campaign.name,
            "channel": campaign.spec.channel,
            "line_id": rows[LINE_ID].astype(str),
            "phone": rows[PHONE].astype(str),
            "month": inputs.selection.month,
            "value": _column(rows, "monthly_spend"),
            "region": _column(rows, "region"),
            "rank": rows["rank"].astype(int),
            "created_on": inputs.day,
            "created_at": inputs.now,
            "due_at": inputs.now + dt.timedelta(hours=deadline) if deadline else None,
            "attempts": 0,
            "text": rendered.texts,
            "script_version": rendered.versions,
        }
    )


def _insert_with_events(
    connection: sa.Connection,
    inputs: _Inputs,
    campaign: Campaign,
    frame: pd.DataFrame,
    basis: pd.Series | None,
) -> np.ndarray:
    """Insert FRAME's orders with their events (and list lines when assigned); their ids."""
    if frame.empty:
        return np.array([], dtype=np.int64)
    orders.insert_orders(connection, frame)
    ids = orders.ids_of(
        connection, campaign.name, campaign.spec.channel, inputs.selection.month, frame["line_id"]
    ).set_index("line_id")["id"]
    order_ids = ids.loc[frame["line_id"]].to_numpy()
    events = [pd.DataFrame({"order_id": order_ids, "kind": "created", "detail": campaign.name})]
    if basis is not None:
        events.append(
            pd.DataFrame(
                {
                    "order_id": order_ids,
                    "kind": "assigned",
                    "detail": "to " + frame["agent_id"] + " (" + basis.to_numpy() + ")",
                }
            )
        )
    orders.insert_events(
        connection, pd.concat(events, ignore_index=True).assign(at=inputs.now, actor="engine")
    )
    if basis is not None:
        listed = pd.DataFrame({"order_id": order_ids, "agent_id": frame["agent_id"].to_numpy()})
        orders.insert_list_items(
            connection, listed.assign(day=inputs.day, campaign=campaign.name, new=True)
        )
    return order_ids


def _render(inputs: _Inputs, campaign: Campaign, rows: pd.DataFrame, people: pd.DataFrame) -> Texts:
    return render(inputs.config, inputs.scripts, campaign, rows, inputs.selection.previous, people)


def _update_existing(
    connection: sa.Connection,
    assignment: Assignment,
    existing: pd.DataFrame,
    away: set[str],
    day: dt.date,
    now: dt.datetime,
) -> tuple[dict[str, int], set[int]]:
    """Existing orders on today's lists (kept by their owner or moved to a colleague), and
    those nobody could take, back to open: the counts, and the ids put on a list. An order
    moved off the list of an agent AWAY today says so in its history."""
    if existing.empty:
        return {"kept": 0, "moved": 0, "callbacks": 0, "unassigned": 0}, set()
    items = "o" + existing["id"].astype(str)
    to = assignment.assigned.rename(columns={"agent_id": "to_agent"})
    placed = existing.assign(item=items).merge(to, on="item", how="left")
    # Each change holds only where the order is as it was read: an outcome, a return or a
    # reassignment made while this run planned wins, and the order is left as it left it.
    taken = placed[placed["to_agent"].notna()]
    changed = orders.change_unchanged(
        connection,
        taken,
        lambda agent: {
            "agent_id": agent,
            "owner_id": sa.func.coalesce(ORDERS.c.owner_id, agent),
            "state": "assigned",
            "assigned_on": day,
        },
        by="to_agent",
    )
    taken = taken[taken["id"].isin(changed)]
    # A ticket dispatched, or a re-callback a department's reply opened, before the run is on
    # today's list already: listed once, new as it came, with whoever has it now.
    listed_new = orders.relist(connection, day, [int(i) for i in taken["id"]])
    orders.insert_list_items(
        connection,
        pd.DataFrame(
            {
                "day": day,
                "order_id": taken["id"],
                "agent_id": taken["to_agent"],
                "campaign": taken["campaign"],
                "new": taken["id"].map(listed_new).eq(True),
            }
        ),
    )
    left = placed[placed["to_agent"].isna()]
    changed = orders.change_unchanged(
        connection, left, lambda: {"state": "open", "agent_id": None, "assigned_on": None}
    )
    left = left[left["id"].isin(changed)]
    held = pd.concat([taken, left])
    absent_held = held[held["agent_id"].isin(away)]
    orders.insert_events(
        connection,
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "order_id": absent_held["id"],
                        "kind": "absent",
                        "detail": absent_held["agent_id"].astype(str) + f" is absent on {day}",
                    }
                ),
                pd.DataFrame(
                    {
                        "order_id": taken["id"],
                        "kind": taken["basis"].map({"owner": "carried"}).fillna("moved"),
                        "detail": "to " + taken["to_agent"].astype(str),
                    }
                ),
                pd.DataFrame(
                    {"order_id": left["id"], "kind": "waiting", "detail": "no agent today"}
                ),
            ],
            ignore_index=True,
        ).assign(at=now, actor="engine"),
    )
    counts = {
        "kept": int((taken["basis"] == "owner").sum()),
        "moved": int((taken["basis"] != "owner").sum()),
        "callbacks": int(taken["callback_at"].notna().sum()),
        "unassigned": len(left),
    }
    return counts, set(taken["id"].astype(int))


def _rerender_moved(
    connection: sa.Connection,
    inputs: _Inputs,
    assignment: Assignment,
    existing: pd.DataFrame,
    agents: pd.DataFrame,
) -> None:
    """A script moved to another agent is rendered again for them (it says who is calling),
    where its campaign still runs and its line is in this month's extract, and a ticket's
    wherever its line is."""
    if existing.empty:
        return
    moved = assignment.assigned[assignment.assigned["basis"] != "owner"]
    moved = moved[moved["item"].str.startswith("o")].rename(columns={"agent_id": "to_agent"})
    orders_moved = existing.assign(item="o" + existing["id"].astype(str)).merge(moved, on="item")
    tickets = orders_moved[orders_moved["ticket_id"].notna()]
    if len(tickets):
        chosen = dict(zip(tickets["id"].astype(int), tickets["to_agent"], strict=True))
        rows = list(tickets.astype({"id": int}).itertuples())
        intake.render_scripts(inputs.config, connection, rows, chosen, agents)
    orders_moved = orders_moved[orders_moved["month"] == inputs.selection.month]
    current, previous = _lines(connection, inputs, orders_moved["line_id"].astype(str))
    orders_moved = orders_moved[orders_moved["line_id"].isin(current[LINE_ID])]
    for campaign in inputs.campaigns:
        rows = orders_moved[orders_moved["campaign"] == campaign.name]
        if rows.empty:
            continue
        customers = (
            current.set_index(LINE_ID, drop=False).loc[rows["line_id"]].reset_index(drop=True)
        )
        people = agents.set_index("agent_id").loc[rows["to_agent"]].reset_index()
        rendered = render(inputs.config, inputs.scripts, campaign, customers, previous, people)
        connection.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == sa.bindparam("order_id"))
            .values(
                text=sa.bindparam("new_text"), script_version=sa.bindparam("new_script"), **BUMP
            ),
            [
                {"order_id": int(i), "new_text": text, "new_script": script}
                for i, text, script in zip(
                    rows["id"], rendered.texts, rendered.versions, strict=True
                )
            ],
        )


def _unassigned(assignment: Assignment, existing: pd.DataFrame) -> pd.DataFrame:
    """Existing work nobody could take today, with the reason: reported, never dropped."""
    left = assignment.unassigned[assignment.unassigned["item"].str.startswith("o")]
    if existing.empty or left.empty:
        return pd.DataFrame(columns=["order", "campaign", "line_id", "reason"])
    ids = left["item"].str[1:].astype(int)
    found = existing.set_index("id").loc[ids]
    return pd.DataFrame(
        {
            "order": ids.to_numpy(),
            "campaign": found["campaign"].to_numpy(),
            "line_id": found["line_id"].to_numpy(),
            "reason": left["reason"].to_numpy(),
        }
    )


def _summary(result: DayResult) -> dict[str, Any]:
    return {
        "campaigns": result.campaigns,
        "existing": result.existing,
        "unassigned": len(result.unassigned),
        "warned": result.warned,
        "expired": result.expired,
    }
