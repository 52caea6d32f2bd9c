"""Service quality: satisfaction and NPS by source (the calls' outcomes, the survey replies),
first-contact resolution and repeat contacts, the measures against the center's targets and
the agents' ranking, quality first. Pure computations on frames; the readers take a
connection. Shares are fractions (0.99 = 99%) to 4 places, NaN where nobody counts."""

from __future__ import annotations

import datetime as dt
from typing import Literal, cast

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.messages import survey
from outbound.messages.scores import REPLIES
from outbound.results import activity, tickets
from outbound.results.period import Period
from outbound.store import orders
from outbound.store.models import Agent
from outbound.store.orders import EVENTS, ORDERS, TICKETS
from outbound.workspace.campaigns import load_campaigns

AGENT_COLUMNS = [
    "agent_id",
    "reached",
    "satisfaction_rate",
    "fcr_rate",
    "conversion_rate",
    "attainment_rate",
]
PLACES = 4
AGENTS = cast(sa.Table, Agent.__table__)


def agent_quality(
    connection: sa.Connection, config: Config, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """One row per agent with work in [START, END): customers reached (orders with a reached
    outcome), the satisfied share of the customers who said (call outcomes and satisfaction
    survey replies together), first-contact resolution, conversions per reached customer and
    quota attainment over the local days of the span."""
    outcomes = read_outcomes(connection, config, start, end)
    said = pd.concat(
        [said_on_calls(outcomes, config), said_in_survey(read_replies(connection, start, end))]
    )
    satisfaction = said[said["scale"] == "satisfaction"].groupby("agent_id")["satisfied"]
    reached = outcomes[outcomes["category"] == "reached"].groupby("agent_id")["order_id"]
    converted = outcomes[outcomes["effect"] == "converted"].groupby("agent_id")["order_id"]
    fcr = first_contacts(read_contacts(connection, config, start, end), config).groupby("agent_id")[
        "resolved"
    ]
    attained = _attainment(connection, config, start, end)
    table = pd.DataFrame(
        {
            "reached": reached.nunique(),
            "satisfaction_rate": satisfaction.mean(),
            "fcr_rate": fcr.mean(),
            "converted": converted.nunique(),
            "attainment_rate": attained,
        }
    )
    table["reached"] = table["reached"].fillna(0).astype(int)
    table["conversion_rate"] = table["converted"].fillna(0) / table["reached"].where(
        table["reached"] > 0
    )
    table = table.rename_axis("agent_id").reset_index().sort_values("agent_id", kind="stable")
    return _rounded(table[AGENT_COLUMNS].reset_index(drop=True))


def read_outcomes(
    connection: sa.Connection, config: Config, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """The outcomes recorded in [START, END) (an undone one is no longer an outcome): order,
    line, type (the order's campaign or ticket type), moment, agent, code, its category and
    effect. The agent is the one whose list held the order, else who recorded it."""
    found = orders.frame(
        connection,
        sa.select(
            EVENTS.c.order_id,
            EVENTS.c.at,
            EVENTS.c.code,
            sa.func.coalesce(EVENTS.c.detail, EVENTS.c.actor).label("agent_id"),
            ORDERS.c.line_id,
            ORDERS.c.campaign.label("type"),
        )
        .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
        .where(EVENTS.c.kind == "outcome", EVENTS.c.at >= start, EVENTS.c.at < end)
        .order_by(EVENTS.c.at, EVENTS.c.id),
    )
    found["at"] = pd.to_datetime(found["at"], utc=True)
    meaning = config.dispositions
    found["category"] = found["code"].map({c: d.category for c, d in meaning.items()})
    found["effect"] = found["code"].map({c: d.effect for c, d in meaning.items()})
    return found


def said_on_calls(outcomes: pd.DataFrame, config: Config) -> pd.DataFrame:
    """What customers said of the service on the calls of OUTCOMES: one row per order, its
    last satisfied or unsatisfied outcome (agent_id, type, scale "satisfaction", satisfied)."""
    codes = {code: True for code in config.quality.satisfied}
    codes |= {code: False for code in config.quality.unsatisfied}
    said = outcomes[outcomes["code"].isin(codes)].drop_duplicates("order_id", keep="last")
    return pd.DataFrame(
        {
            "source": "calls",
            "agent_id": said["agent_id"],
            "type": said["type"],
            "scale": "satisfaction",
            "satisfied": said["code"].map(codes).astype(bool),
            "unsatisfied": ~said["code"].map(codes).astype(bool),
        }
    )


def read_replies(connection: sa.Connection, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The survey scores received in [START, END), the first of each order's survey:
    agent_id, type (the campaign), scale and score."""
    found = orders.frame(
        connection,
        sa.select(
            REPLIES.c.order_id,
            REPLIES.c.agent_id,
            REPLIES.c.campaign.label("type"),
            REPLIES.c.scale,
            REPLIES.c.score,
        )
        .where(
            REPLIES.c.score.is_not(None),
            REPLIES.c.received_at >= start,
            REPLIES.c.received_at < end,
        )
        .order_by(REPLIES.c.id),
    )
    return found.drop_duplicates("order_id")


def said_in_survey(replies: pd.DataFrame) -> pd.DataFrame:
    """REPLIES in the survey's buckets: satisfied is 4-5 on satisfaction and a promoter (9-10)
    on nps, unsatisfied 1-2 and a detractor (0-6); a 3 or a 7-8 said, and is neither."""
    score = replies["score"].astype(float)
    scale = replies["scale"]
    return pd.DataFrame(
        {
            "source": scale.map({"satisfaction": "survey", "nps": "nps"}),
            "agent_id": replies["agent_id"],
            "type": replies["type"],
            "scale": scale,
            "satisfied": score >= scale.map(survey.TOP),
            "unsatisfied": score <= scale.map(survey.BOTTOM),
        }
    )


def read_contacts(
    connection: sa.Connection, config: Config, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """The reached outcomes around [START, END), far enough before to tell a repeat and after
    to tell a resolution: as read_outcomes, with in_span marking those of the span."""
    windows = config.quality.repeat_days
    found = read_outcomes(
        connection,
        config,
        start - dt.timedelta(days=max(windows)),
        end + dt.timedelta(days=windows[0]),
    )
    found = found[found["category"] == "reached"]
    return found.assign(in_span=(found["at"] >= start) & (found["at"] < end))


def repeats(contacts: pd.DataFrame, windows: tuple[int, ...]) -> pd.DataFrame:
    """CONTACTS (line_id, type, at) each marked repeat_Nd when its line had an earlier contact
    of the same type within N days, for each of WINDOWS, and resolved when it is a first
    contact (no repeat within the first window) with no contact of the type again within that
    window after it."""
    ordered = contacts.sort_values(["line_id", "type", "at"], kind="stable")
    moments = ordered.groupby(["line_id", "type"], sort=False)["at"]
    since = ordered["at"] - moments.shift(1)
    until = moments.shift(-1) - ordered["at"]
    marked = ordered.assign(
        **{f"repeat_{days}d": since <= pd.Timedelta(days=days) for days in windows}
    )
    first = ~marked[f"repeat_{windows[0]}d"]
    return marked.assign(first=first, resolved=first & ~(until <= pd.Timedelta(days=windows[0])))


def first_contacts(contacts: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The first contacts of the span among CONTACTS (read_contacts), each resolved or not."""
    marked = repeats(contacts, config.quality.repeat_days)
    return marked[marked["in_span"] & marked["first"]]


def _attainment(
    connection: sa.Connection, config: Config, start: dt.datetime, end: dt.datetime
) -> pd.Series:
    """Each agent's quota attainment over the local days [START, END) covers."""
    table = _quotas(connection, config, start, end)
    quota = table["quota"].astype(float)
    return pd.Series((table["attempted"] / quota.where(quota > 0)).to_numpy(), index=table["agent"])


def _quotas(
    connection: sa.Connection, config: Config, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """Each agent's quota and new items attempted over the local days [START, END) covers."""
    campaigns, _ = load_campaigns(config)
    quotas = {c.name: c.spec.per_agent_per_day for c in campaigns}
    first = start.astimezone(config.tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(config.tz).date()
    return activity.calendar_agents(connection, first, last, quotas, config.tz)


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    shares = [c for c in table.columns if c.endswith("_rate") or c in ("nps", "value", "target")]
    return table.assign(**{c: table[c].astype(float).round(PLACES) for c in shares})


SOURCES = ("calls", "survey", "nps")
By = Literal["campaign", "agent"]
_KEYS = {"campaign": "type", "agent": "agent_id"}
SOURCE_COLUMNS = ["source", "said", "satisfied", "unsatisfied", "satisfaction_rate", "nps"]


def satisfaction(
    connection: sa.Connection,
    config: Config,
    span: Period,
    campaign: str | None = None,
    by: By | None = None,
) -> pd.DataFrame:
    """What the customers of SPAN said, by source: "calls" (the last satisfied or unsatisfied
    outcome of each order), "survey" (satisfaction scores, 4-5 satisfied, 1-2 not) and "nps"
    (promoters 9-10 as satisfied, detractors 0-6 as unsatisfied; nps = their shares' difference,
    -1 to 1), of CAMPAIGN's orders only if given, per campaign or agent if BY."""
    said = said_in(connection, config, span)
    if campaign is not None:
        said = said[said["type"] == campaign]
    return by_source(said, [] if by is None else [_KEYS[by]]).rename(columns={"type": "campaign"})


def said_in(connection: sa.Connection, config: Config, span: Period) -> pd.DataFrame:
    """Every saying of SPAN, calls and survey replies, one row each (see said_on_calls)."""
    start, end = span.bounds(config.tz)
    return pd.concat(
        [
            said_on_calls(read_outcomes(connection, config, start, end), config),
            said_in_survey(read_replies(connection, start, end)),
        ],
        ignore_index=True,
    )


def by_source(said: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """SAID counted per KEYS and source: said, satisfied, unsatisfied, the satisfied share
    (calls and survey) or the NPS (nps)."""
    if said.empty:
        return pd.DataFrame(columns=[*keys, *SOURCE_COLUMNS])
    grouped = said.groupby([*keys, "source"], sort=False)
    table = grouped[["satisfied", "unsatisfied"]].sum().astype(int)
    table.insert(0, "said", grouped.size())
    table = table.reset_index()
    is_nps = table["source"] == "nps"
    table["satisfaction_rate"] = (table["satisfied"] / table["said"]).where(~is_nps)
    table["nps"] = ((table["satisfied"] - table["unsatisfied"]) / table["said"]).where(is_nps)
    order = table["source"].map({source: n for n, source in enumerate(SOURCES)})
    table = table.assign(_order=order).sort_values([*keys, "_order"], kind="stable")
    return _rounded(table[[*keys, *SOURCE_COLUMNS]].reset_index(drop=True))


PerContact = Literal["type", "agent"]
_CONTACT_KEYS = {"type": "type", "agent": "agent_id"}


def repeat_contacts(
    connection: sa.Connection, config: Config, span: Period, by: PerContact = "type"
) -> pd.DataFrame:
    """Per type (or agent): the customers' reached contacts of SPAN and those that were a
    repeat, the line reached for the same type within each window of repeat_days before."""
    start, end = span.bounds(config.tz)
    windows = config.quality.repeat_days
    marked = repeats(read_contacts(connection, config, start, end), windows)
    marked = marked[marked["in_span"]]
    counted = [f"repeat_{days}d" for days in windows]
    key = _CONTACT_KEYS[by]
    grouped = marked.groupby(key, sort=True)
    table = grouped[counted].sum().astype(int)
    table.insert(0, "contacts", grouped.size())
    for column in counted:
        table[f"{column}_rate"] = table[column] / table["contacts"]
    return _rounded(table.reset_index())


def first_contact_resolution(
    connection: sa.Connection, config: Config, span: Period, by: PerContact = "type"
) -> pd.DataFrame:
    """Per type (or agent): the first contacts of SPAN (no contact of the line for the type in
    the first repeat window before), those resolved (none in that window after) and fcr_rate."""
    start, end = span.bounds(config.tz)
    firsts = first_contacts(read_contacts(connection, config, start, end), config)
    return fcr_table(firsts, [_CONTACT_KEYS[by]])


def fcr_table(firsts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """FIRSTS (first_contacts) per KEYS: first_contacts, resolved and fcr_rate."""
    grouped = firsts.groupby(keys, sort=True)["resolved"]
    table = pd.DataFrame({"first_contacts": grouped.size(), "resolved": grouped.sum()})
    table = table.astype(int).reset_index()
    table["fcr_rate"] = table["resolved"] / table["first_contacts"]
    return _rounded(table)


def repeat_complaints(connection: sa.Connection, config: Config, span: Period) -> pd.DataFrame:
    """Per local month of SPAN: the complaint tickets received, and those from a line that had
    complained within the longest repeat window (30 days) before (a ticket without a line is
    never a repeat)."""
    start, end = span.bounds(config.tz)
    window = dt.timedelta(days=max(config.quality.repeat_days))
    found = orders.frame(
        connection,
        sa.select(TICKETS.c.line_id, TICKETS.c.received_at).where(
            TICKETS.c.type == "complaint",
            TICKETS.c.received_at >= start - window,
            TICKETS.c.received_at < end,
        ),
    )
    at = pd.to_datetime(found["received_at"], utc=True)
    found = found.assign(at=at).sort_values(["line_id", "at"], kind="stable")
    since = found["at"] - found.groupby("line_id")["at"].shift(1)
    found = found.assign(repeat=since <= pd.Timedelta(window))
    found = found[(found["at"] >= start) & (found["at"] < end)]
    month = found["at"].dt.tz_convert(config.tz).dt.strftime("%Y-%m")
    grouped = found.assign(month=month).groupby("month", sort=True)["repeat"]
    table = pd.DataFrame({"complaints": grouped.size(), "repeats": grouped.sum()})
    table = table.astype(int).reset_index()
    table["repeat_rate"] = table["repeats"] / table["complaints"]
    return _rounded(table)


MEASURED_COLUMNS = ["measure", "source", "value", "base"]
# The measures and their sources as people read them (English; the pages translate).
MEASURE_TITLES = {
    "satisfaction": "Satisfaction",
    "nps": "Net promoter score",
    "within_deadline": "Tickets closed within their deadline",
    "reach": "Customers reached",
    "attainment": "Quota attainment",
    "first_contact_resolution": "First-contact resolution",
}
SOURCE_TITLES = {
    "calls": "Call outcomes",
    "survey": "SMS survey (1–5)",
    "nps": "SMS survey (0–10)",
    "tickets": "Ticket loops",
    "lists": "Daily lists",
}
TARGET_COLUMNS = [*MEASURED_COLUMNS, "target", "met"]


def measure(connection: sa.Connection, config: Config, span: Period) -> pd.DataFrame:
    """The center's measures over SPAN, one row each (measure, source, value, base: how many
    it counts over): satisfaction per source (calls, survey), nps, tickets closed within their
    deadline, customers reached among those attempted, quota attainment and first-contact
    resolution."""
    start, end = span.bounds(config.tz)
    outcomes = read_outcomes(connection, config, start, end)
    sources = by_source(said_in(connection, config, span), []).set_index("source")
    rows = [
        _said("satisfaction", "calls", sources, "satisfaction_rate"),
        _said("satisfaction", "survey", sources, "satisfaction_rate"),
        _said("nps", "nps", sources, "nps"),
    ]
    served = tickets.measure_span(config, connection, span.label, start, end).types
    served = served[served["source"] == "all"]
    rows.append(
        _share("within_deadline", "tickets", served["within_limit"].sum(), served["received"].sum())
    )
    reached = outcomes.loc[outcomes["category"] == "reached", "order_id"].nunique()
    rows.append(_share("reach", "calls", reached, outcomes["order_id"].nunique()))
    lists = _quotas(connection, config, start, end)
    rows.append(_share("attainment", "lists", lists["attempted"].sum(), lists["quota"].sum()))
    firsts = first_contacts(read_contacts(connection, config, start, end), config)
    rows.append(_share("first_contact_resolution", "calls", firsts["resolved"].sum(), len(firsts)))
    return _rounded(pd.DataFrame(rows, columns=MEASURED_COLUMNS))


def against_targets(config: Config, measured: pd.DataFrame) -> pd.DataFrame:
    """MEASURED (measure's rows) beside the center's targets: met True or False, None when the
    measure has no target or no value."""
    targets = config.targets.model_dump()
    target = measured["measure"].map(targets).astype(float)
    known = target.notna() & measured["value"].notna()
    met = (measured["value"] >= target).astype(object).where(known, None)
    return measured.assign(target=target, met=met)[TARGET_COLUMNS]


def _said(name: str, source: str, sources: pd.DataFrame, column: str) -> dict[str, object]:
    if source not in sources.index:
        return {"measure": name, "source": source, "value": None, "base": 0}
    found = sources.loc[source]
    return {"measure": name, "source": source, "value": found[column], "base": int(found["said"])}


def _share(name: str, source: str, part: float, whole: float) -> dict[str, object]:
    return {
        "measure": name,
        "source": source,
        "value": part / whole if whole else None,
        "base": int(whole),
    }


RANKING_COLUMNS = ["rank", "agent_id", "name", *AGENT_COLUMNS[1:]]
_QUALITY_FIRST = ["satisfaction_rate", "fcr_rate", "conversion_rate", "attainment_rate"]


def ranking(connection: sa.Connection, config: Config, span: Period) -> pd.DataFrame:
    """The agents of SPAN ranked quality first: satisfaction, then first-contact resolution,
    then conversion, then quota attainment; a measure nobody gave an agent sorts last."""
    start, end = span.bounds(config.tz)
    measured = agent_quality(connection, config, start, end)
    names = orders.frame(connection, sa.select(AGENTS.c.agent_id, AGENTS.c.name))
    return rank(measured.merge(names, on="agent_id", how="left"))


def rank(measured: pd.DataFrame) -> pd.DataFrame:
    """MEASURED (agent_quality, with name) in ranking order with rank 1..n; ties keep the
    agents' id order."""
    ordered = measured.sort_values(
        _QUALITY_FIRST, ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)
    ordered.insert(0, "rank", range(1, len(ordered) + 1))
    return ordered[RANKING_COLUMNS]
