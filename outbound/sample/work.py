"""The sample's month of work: each day the real daily run, its messages sent dry-run, the
other systems' tickets taken in as they arrive, the agents going through their lists, every call
ending in a seeded disposition recorded as an agent records it (the dial link clicked before,
and most calls' start and end posted by the softphone), and the departments answering what was
escalated to them. Deterministic for a seed, so the month report finds the same
figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, PHONE, PHONE_TYPE, Config
from outbound.extract import snapshots
from outbound.messages import receipts, sending
from outbound.messages.channels import Channel
from outbound.messages.outbox import OUTBOX
from outbound.orders import calls, intake, outcomes, replies, worklists
from outbound.orders.tickets import Ticket
from outbound.plan import daily
from outbound.results import quality
from outbound.sample.billing import SEED
from outbound.sample.tickets import day_tickets
from outbound.staff import agents
from outbound.store.orders import OPEN_STATES, ORDERS, TICKETS
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
# A ticket's customer has a problem: more of them want it passed on to a department.
TICKETED = ANY_CALL | {"satisfied": 0.36, "unsatisfied": 0.08, "escalate": 0.10}
RUN_AT = dt.time(7, 30)
# Messages go in two waves: the run's in the morning, the day's survey questions in the evening.
WAVES = (dt.time(9), dt.time(18))
# Agents go through what is due on their lists three times a day: a retry a few hours later
# (complaint callbacks) or a callback booked for the afternoon comes back the same day.
SHIFTS = (dt.time(9), dt.time(13, 30), dt.time(17))
CALLBACK_HOURS = (10, 17)  # a callback is booked for the next day, within these hours
# How long a call takes its agent, dial link to outcome saved (seconds): a customer reached
# talks; an unanswered call rings out. The softphone posts the start and end of most calls;
# the talk begins a few seconds after the click and ends before the agent saves the outcome.
HANDLING = {True: (120, 360), False: (60, 110)}
RING, WRAP_UP = (3, 15), (5, 25)
SWITCH_SHARE = 0.7
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


# The other systems send their tickets hour by hour, each hour's at its end.
BATCH = dt.timedelta(hours=1)
# The departments answer in the day, once the day's run has made the lists their re-callbacks
# join.
ANSWERING = (dt.time(8), dt.time(22))


@dataclass(frozen=True)
class Answer:
    """A department's answer to SHARE of its follow-ups: RESULT, HOURS after the follow-up came,
    saying one of SAYS (the note of a fix, else the reason), forwarded to FORWARD_TO if any."""

    result: str
    share: float
    hours: tuple[float, float]
    says: tuple[str, ...]
    forward_to: str | None = None


# How the sample's departments answer; the share left over is not answered in time (the
# deadline watcher sends those up). A department not named here does not answer.
ANSWERS = {
    "装维部": (
        Answer(
            "fixed", 0.70, (4, 40),
            ("已更换光猫", "已重新熔接入户光纤", "已更换入户线", "已调整线路，测速正常"),
        ),
        Answer(
            "cannot_fix", 0.08, (6, 36),
            ("该地址暂无光纤资源", "用户不同意上门", "需物业审批后才能布线"),
        ),
        Answer("not_ours", 0.07, (2, 24), ("城域网出口拥塞，非入户故障",), forward_to="网络部"),
        Answer("not_ours", 0.05, (2, 24), ("用户自购路由器故障", "属话费争议，请营业厅处理")),
    ),
    "网络部": (
        Answer("fixed", 0.75, (6, 48), ("已扩容OLT上联带宽", "已优化基站参数")),
        Answer("not_ours", 0.10, (4, 24), ("网络侧无告警，请装维部上门",)),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Call:
    """What an agent records for one item of the list, and when: the dial link clicked at
    OPENED_AT, the softphone's STARTED_AT and ENDED_AT (None when it posts none)."""

    order_id: int
    agent: str
    code: str
    reason: str | None
    callback_at: dt.datetime | None
    opened_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class Worked:
    """One day of the month: whether its run was new, the outcomes recorded by category
    (reached, not_reached, final), the messages sent and the tickets taken in."""

    day: dt.date
    month: str
    ran: bool
    outcomes: Counter[str]
    sent: int
    tickets: int


def work(
    config: Config, engine: sa.Engine, first: dt.date, last: dt.date, seed: int = SEED
) -> Iterator[Worked]:
    """Work every day from FIRST through LAST. A day that already ran is not run again, and
    what its lists have due is worked; its tickets are not taken in again, nor its follow-ups
    answered again: working the same days twice changes nothing."""
    loaded, _ = load_campaigns(config)  # the run refuses a workspace with problems
    campaigns = {campaign.name: campaign for campaign in loaded}
    channel = sending.channel_for(config, dry_run=True)
    elsewhere = _Elsewhere(config, engine, seed)
    for day in pd.date_range(first, last).date:
        elsewhere.begin(day)
        taken = elsewhere.until(_at(config, day, RUN_AT))
        run = daily.run_day(
            config, engine, day, _at(config, day, RUN_AT), measure=quality.agent_quality
        )
        sent = _send(config, engine, channel, day, WAVES[0])
        recorded: Counter[str] = Counter()
        for shift in SHIFTS:
            now = _at(config, day, shift)
            taken += elsewhere.until(now)
            for call in draw_calls(config, campaigns, _due(engine, campaigns, day, now), now, seed):
                calls.opened(engine, call.order_id, call.agent, call.opened_at)
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
                _posted(engine, call, now)
                recorded[config.dispositions[call.code].category] += 1
        taken += elsewhere.until(_at(config, day + dt.timedelta(days=1), dt.time()))
        sent += _send(config, engine, channel, day, WAVES[1])
        _answer_surveys(engine, day, _at(config, day, ANSWER_AT), seed)
        yield Worked(day, run.month, run.status == "ran", recorded, sent, taken)


def draw_calls(
    config: Config,
    campaigns: dict[str, Campaign],
    due: pd.DataFrame,
    now: dt.datetime,
    seed: int,
) -> list[Call]:
    """How each due item (id, campaign, agent) ends NOW: a disposition drawn from the
    campaign's mix (a ticket's order from TICKETED), with a reason where the campaign or the
    ticket type asks for one and a callback time; and the call's times, ending NOW (every call
    of a shift is saved at the shift's moment)."""
    if due.empty:
        return []
    rng = np.random.default_rng([seed, now.toordinal(), now.hour * 60 + now.minute])
    count = len(due)
    kinds = config.settings.tickets
    selling = (
        due["campaign"]
        .map(lambda name: name in campaigns and bool(campaigns[name].spec.success))
        .to_numpy()
    )
    codes = np.where(selling, _codes(rng, SELLING, count), _codes(rng, CARING, count))
    ticketed = due["campaign"].isin(list(kinds)).to_numpy()
    if ticketed.any():  # drawn apart, so that a campaign's items draw as they would alone
        other = np.random.default_rng([seed, now.toordinal(), now.hour * 60 + now.minute, 1])
        codes = np.where(ticketed, _codes(other, TICKETED, count), codes)
    pick = rng.random(count)
    hours = rng.integers(*CALLBACK_HOURS, count)
    tomorrow = now.date() + dt.timedelta(days=1)
    timing = np.random.default_rng([seed, now.toordinal(), now.hour * 60 + now.minute, 2])
    reached = np.array([config.dispositions[str(code)].category == "reached" for code in codes])
    handling = np.where(
        reached, timing.uniform(*HANDLING[True], count), timing.uniform(*HANDLING[False], count)
    )
    ring, wrap_up = timing.uniform(*RING, count), timing.uniform(*WRAP_UP, count)
    posted = timing.random(count) < SWITCH_SHARE
    drawn = []
    for row, code, choice, hour, seconds, start, end, switch in zip(
        due.itertuples(),
        codes,
        pick,
        hours,
        handling,
        ring,
        wrap_up,
        posted,
        strict=True,
    ):
        opened_at = now - dt.timedelta(seconds=round(float(seconds)))
        spec = kinds[row.campaign] if row.campaign in kinds else campaigns[row.campaign].spec
        reasons = _reasons(config, spec.reasons, str(code))
        drawn.append(
            Call(
                int(row.id),
                row.agent,
                str(code),
                reasons[int(choice * len(reasons))] if reasons else None,
                _at(config, tomorrow, dt.time(int(hour))) if code == "callback" else None,
                opened_at,
                opened_at + dt.timedelta(seconds=round(float(start))) if switch else None,
                now - dt.timedelta(seconds=round(float(end))) if switch else None,
            )
        )
    return drawn


def _posted(engine: sa.Engine, call: Call, now: dt.datetime) -> None:
    """The softphone's post of CALL, if it made one: once by its call id, however often the
    day is worked."""
    if call.started_at is None or call.ended_at is None:
        return
    call_id = f"sample-{call.order_id}-{call.started_at:%Y%m%d%H%M%S}"
    calls.switched(
        engine,
        calls.SwitchCall(call.order_id, call.agent, call.started_at, call.ended_at, call_id),
        now,
    )


def _reasons(config: Config, named: str | None, code: str) -> list[str]:
    """The reasons an agent picks from after CODE: the set NAMED by the campaign or the ticket
    type, when the customer was reached (a callback is not yet the end of the conversation)."""
    if named is None or code == "callback" or config.dispositions[code].category != "reached":
        return []
    return list(config.settings.reasons[named])


def _codes(rng: np.random.Generator, mix: dict[str, float], count: int) -> np.ndarray:
    shares = np.array(list(mix.values()))
    return rng.choice(np.array(list(mix)), count, p=shares / shares.sum())


def _due(
    engine: sa.Engine, campaigns: dict[str, Campaign], day: dt.date, now: dt.datetime
) -> pd.DataFrame:
    """The items of DAY's lists whose time has come by NOW (a retry or a callback set for
    later waits), in each agent's calling order. A ticket's order or a re-callback made after
    NOW (in the evening, when the day is worked again) is not due yet."""
    rows = []
    with engine.connect() as connection:
        for agent in agents.roster_on(connection, day)["agent_id"]:
            for item in worklists.todays_calls(connection, campaigns, agent, day, now):
                waits_for = item["callback_at"] or item["next_attempt_at"]
                if waits_for is None or waits_for <= now:
                    rows.append({"id": item["id"], "campaign": item["campaign"], "agent": agent})
        later = set(
            connection.scalars(
                sa.select(ORDERS.c.id).where(
                    ORDERS.c.id.in_([row["id"] for row in rows]),
                    ORDERS.c.created_at > now,
                    sa.or_(ORDERS.c.ticket_id.is_not(None), ORDERS.c.parent_id.is_not(None)),
                )
            )
        )
    return pd.DataFrame(
        [row for row in rows if row["id"] not in later], columns=["id", "campaign", "agent"]
    )


class _Elsewhere:
    """The rest of the company over the worked days: the other systems' tickets, taken in hour
    by hour as they arrive, and the departments answering the follow-ups escalated to them.
    Nothing happens again at a moment up to the latest ticket taken in: a day worked again
    dispatches nothing into its past."""

    def __init__(self, config: Config, engine: sa.Engine, seed: int) -> None:
        self.config, self.engine, self.seed = config, engine, seed
        self.lines = _latest_lines(config, engine) if config.settings.tickets else None
        with engine.connect() as connection:
            self.lived = connection.scalar(sa.select(sa.func.max(TICKETS.c.taken_at)))
        self.batches: list[tuple[dt.datetime, list[Ticket]]] = []

    def begin(self, day: dt.date) -> None:
        """DAY's tickets of the configured types, in hourly batches."""
        kinds = self.config.settings.tickets
        tz = self.config.tz
        tickets = (
            [t for t in day_tickets(self.lines, day, tz, self.seed) if t.type in kinds]
            if self.lines is not None
            else []
        )
        start = _at(self.config, day, dt.time())
        self.batches = [
            (
                start + (hour + 1) * BATCH,
                [
                    t
                    for t in tickets
                    if start + hour * BATCH <= t.received_at < start + (hour + 1) * BATCH
                ],
            )
            for hour in range(24)
        ]

    def until(self, now: dt.datetime) -> int:
        """The batches and the answers due by NOW, then the tickets still waiting dispatched:
        how many tickets were taken in."""
        taken = 0
        while self.batches and self.batches[0][0] <= now:
            moment, batch = self.batches.pop(0)
            if self._lived(moment):
                continue
            taken += len(intake.take_in(self.config, self.engine, batch, moment, "api").orders)
            if ANSWERING[0] <= moment.astimezone(self.config.tz).time() <= ANSWERING[1]:
                self._answer(moment)
        if not self._lived(now):
            intake.dispatch_waiting(self.config, self.engine, now)
        return taken

    def _lived(self, moment: dt.datetime) -> bool:
        return self.lived is not None and moment <= self.lived

    def _answer(self, now: dt.datetime) -> None:
        """Each department's answers due by NOW to its follow-ups still open."""
        known = self.config.settings.departments
        answering = [name for name in ANSWERS if name in known]
        if not answering:
            return
        with self.engine.connect() as connection:
            open_ones = connection.execute(
                sa.select(ORDERS.c.id, ORDERS.c.department, ORDERS.c.created_at)
                .where(
                    ORDERS.c.channel == "followup",
                    ORDERS.c.state.in_(OPEN_STATES),
                    ORDERS.c.department.in_(answering),
                )
                .order_by(ORDERS.c.id)
            ).all()
        for order_id, department, created_at in open_ones:
            drawn = _answer_of(ANSWERS[department], [self.seed, order_id])
            if drawn is None or created_at + dt.timedelta(hours=drawn[1]) > now:
                continue
            answer, _, says = drawn
            forward_to = answer.forward_to if answer.forward_to in known else None
            replies.reply(
                self.config,
                self.engine,
                order_id,
                department,
                answer.result,
                now,
                actor=department,
                reason=None if answer.result == "fixed" else says,
                note=says if answer.result == "fixed" else None,
                forward_to=forward_to,
            )


def _answer_of(answers: tuple[Answer, ...], seed: list[int]) -> tuple[Answer, float, str] | None:
    """The answer a follow-up gets, after how many hours, saying what; None: not in time."""
    rng = np.random.default_rng(seed)
    draw, after, pick = rng.random(3)
    for answer in answers:
        if draw < answer.share:
            low, high = answer.hours
            return answer, low + after * (high - low), answer.says[int(pick * len(answer.says))]
        draw -= answer.share
    return None


def _latest_lines(config: Config, engine: sa.Engine) -> pd.DataFrame | None:
    """The lines of the latest extract loaded, which the tickets are about."""
    months = snapshots.loaded_months(engine)
    if not months:
        return None
    return snapshots.load_month(config, engine, months[-1], [LINE_ID, PHONE, PHONE_TYPE])


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
