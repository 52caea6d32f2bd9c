"""The sample's month of work: each day the real daily run, its messages sent dry-run, and the
agents going through their lists, every call ending in a seeded disposition recorded as an
agent records it. Deterministic for a seed, so the month report finds the same figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.messages import receipts, sending
from outbound.messages.channels import Channel
from outbound.messages.outbox import OUTBOX
from outbound.orders import outcomes, worklists
from outbound.plan import daily
from outbound.sample.billing import SEED
from outbound.staff import agents
from outbound.workspace.campaigns import Campaign, load_campaigns

# How a call ends, as shares of attempts. A campaign with a success rule sells something, so
# the customers it reaches accept or decline; the care calls hear whether they were satisfied.
ANY_CALL = {
    "no_answer": 0.28,
    "busy": 0.07,
    "switched_off": 0.05,
    "wrong_number": 0.02,
    "do_not_call": 0.01,
    "callback": 0.05,
}
SELLING = ANY_CALL | {"accepted": 0.12, "declined": 0.40}
CARING = ANY_CALL | {"satisfied": 0.36, "unsatisfied": 0.12, "escalate": 0.04}
RUN_AT = dt.time(7, 30)
# Messages go in two waves: the run's in the morning, the day's survey questions in the evening.
WAVES = (dt.time(9), dt.time(18))
# Agents go through what is due on their lists three times a day: a retry a few hours later
# (complaint callbacks) or a callback booked for the afternoon comes back the same day.
SHIFTS = (dt.time(9), dt.time(13, 30), dt.time(17))
CALLBACK_HOURS = (10, 17)  # a callback is booked for the next day, within these hours
# Customers answer about half of the survey questions in the evening, as customers write:
# digits, full-width digits, Chinese numerals, words, and now and then nothing a machine can
# read (those wait for a person).
ANSWERED = 0.55
ANSWER_AT = dt.time(20)
REPLIES = {
    "nps": (
        "10", "９", "9分", "十分", "给你们打十分吧", "满分", "8", "八分", "7分吧", "６",
        "5分，等太久了", "3", "0分", "谢谢", "好的，已经在用了",
    ),
    "satisfaction": (
        "满意", "非常满意", "5", "５分", "4", "挺满意的", "一般", "还行吧", "不满意",
        "很不满意，修了三次", "3分", "好", "你们的宽带什么时候能便宜点",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Call:
    """What an agent records for one item of the list."""

    order_id: int
    agent: str
    code: str
    reason: str | None
    callback_at: dt.datetime | None


@dataclass(frozen=True)
class Worked:
    """One day of the month: whether its run was new, the outcomes recorded by category
    (reached, not_reached, final) and the messages sent."""

    day: dt.date
    month: str
    ran: bool
    outcomes: Counter[str]
    sent: int


def work(
    config: Config, engine: sa.Engine, first: dt.date, last: dt.date, seed: int = SEED
) -> Iterator[Worked]:
    """Work every day from FIRST through LAST. A day that already ran is not run again, and
    what its lists have due is worked: working the same days twice changes nothing."""
    loaded, _ = load_campaigns(config)  # the run refuses a workspace with problems
    campaigns = {campaign.name: campaign for campaign in loaded}
    channel = sending.channel_for(config, dry_run=True)
    for day in pd.date_range(first, last).date:
        run = daily.run_day(config, engine, day, _at(config, day, RUN_AT))
        sent = _send(config, engine, channel, day, WAVES[0])
        recorded: Counter[str] = Counter()
        for shift in SHIFTS:
            now = _at(config, day, shift)
            for call in draw_calls(config, campaigns, _due(engine, campaigns, day, now), now, seed):
                outcomes.record(
                    config,
                    engine,
                    campaigns,
                    call.order_id,
                    call.code,
                    now,
                    agent=call.agent,
                    reason=call.reason,
                    callback_at=call.callback_at,
                )
                recorded[config.dispositions[call.code].category] += 1
        sent += _send(config, engine, channel, day, WAVES[1])
        _answer_surveys(engine, day, _at(config, day, ANSWER_AT), seed)
        yield Worked(day, run.month, run.status == "ran", recorded, sent)


def draw_calls(
    config: Config,
    campaigns: dict[str, Campaign],
    due: pd.DataFrame,
    now: dt.datetime,
    seed: int,
) -> list[Call]:
    """How each due item (id, campaign, agent) ends NOW: a disposition drawn from the
    campaign's mix, with a reason where the campaign asks for one and a callback time."""
    if due.empty:
        return []
    rng = np.random.default_rng([seed, now.toordinal(), now.hour * 60 + now.minute])
    count = len(due)
    selling = due["campaign"].map(lambda name: bool(campaigns[name].spec.success)).to_numpy()
    codes = np.where(selling, _codes(rng, SELLING, count), _codes(rng, CARING, count))
    pick = rng.random(count)
    hours = rng.integers(*CALLBACK_HOURS, count)
    tomorrow = now.date() + dt.timedelta(days=1)
    calls = []
    for row, code, choice, hour in zip(due.itertuples(), codes, pick, hours, strict=True):
        reasons = _reasons(config, campaigns[row.campaign], str(code))
        calls.append(
            Call(
                int(row.id),
                row.agent,
                str(code),
                reasons[int(choice * len(reasons))] if reasons else None,
                _at(config, tomorrow, dt.time(int(hour))) if code == "callback" else None,
            )
        )
    return calls


def _reasons(config: Config, campaign: Campaign, code: str) -> list[str]:
    """The reasons an agent picks from after CODE: the campaign's set, when the customer was
    reached (a callback is not yet the end of the conversation)."""
    name = campaign.spec.reasons
    if name is None or code == "callback" or config.dispositions[code].category != "reached":
        return []
    return list(config.settings.reasons[name])


def _codes(rng: np.random.Generator, mix: dict[str, float], count: int) -> np.ndarray:
    shares = np.array(list(mix.values()))
    return rng.choice(np.array(list(mix)), count, p=shares / shares.sum())


def _due(
    engine: sa.Engine, campaigns: dict[str, Campaign], day: dt.date, now: dt.datetime
) -> pd.DataFrame:
    """The items of DAY's lists whose time has come by NOW (a retry or a callback set for
    later waits), in each agent's calling order."""
    rows = []
    with engine.connect() as connection:
        for agent in agents.roster_on(connection, day)["agent_id"]:
            for item in worklists.todays_calls(connection, campaigns, agent, day, now):
                waits_for = item["callback_at"] or item["next_attempt_at"]
                if waits_for is None or waits_for <= now:
                    rows.append({"id": item["id"], "campaign": item["campaign"], "agent": agent})
    return pd.DataFrame(rows, columns=["id", "campaign", "agent"])


def _answer_surveys(engine: sa.Engine, day: dt.date, now: dt.datetime, seed: int) -> None:
    """Some customers asked DAY answer at NOW, through the path a carrier's inbound SMS takes;
    a repeated day's answers carry the same message ids, so they count once."""
    with engine.begin() as connection:
        asked = connection.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.phone, OUTBOX.c.survey)
            .where(OUTBOX.c.day == day, OUTBOX.c.survey.is_not(None), OUTBOX.c.sent_at.is_not(None))
            .order_by(OUTBOX.c.id)
        ).all()
        rng = np.random.default_rng([seed, day.toordinal(), ANSWER_AT.hour])
        answers, picks = rng.random(len(asked)), rng.random(len(asked))
        for (message_id, phone, scale), answer, pick in zip(asked, answers, picks, strict=True):
            if answer >= ANSWERED:
                continue
            bodies = REPLIES[scale]
            form = {
                "MessageSid": f"SM{message_id:032d}",
                "From": phone,
                "Body": bodies[int(pick * len(bodies))],
            }
            receipts.inbound(connection, form, now)


def _send(config: Config, engine: sa.Engine, channel: Channel, day: dt.date, time: dt.time) -> int:
    wave = sending.send_wave(config, engine, channel, _at(config, day, time), day=day)
    return wave.counts["sent"]


def _at(config: Config, day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=config.tz)
