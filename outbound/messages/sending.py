"""`engine send`: a wave of the outbox's due messages through the configured channel, at the
configured rate, each exactly once. Rows a crash left in `sending` are settled by asking the
provider before anything is sent again."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.config import Config
from outbound.contact import policy, suppression
from outbound.errors import UserError
from outbound.messages import outbox
from outbound.messages.channels import Channel, Outgoing, TransportError
from outbound.messages.channels.dryrun import DryRun
from outbound.messages.ratelimit import RateLimit
from outbound.store import locks, orders
from outbound.store.orders import ORDERS

BACKOFF_SECONDS = 30.0
# Answers lost or 5xx one after another mean the provider is down, not these messages.
UNKNOWN_IN_A_ROW = 3


@dataclass
class Wave:
    counts: Counter[str] = field(default_factory=Counter)
    waiting_for_window: int = 0
    stopped: str | None = None
    settled_after_crash: int = 0
    still_unknown: int = 0
    seconds: float = 0.0
    bookkeeping_seconds: float = 0.0


@dataclass
class Recovered:
    settled: int = 0
    unknown: int = 0  # not found yet, or the provider could not be asked


def channel_for(config: Config, dry_run: bool = False) -> Channel:
    settings = config.channels
    if dry_run or settings.sender == "dryrun":
        return DryRun(config.var / "outbox")
    from outbound.messages.channels.twilio import Twilio

    twilio = settings.twilio
    assert twilio is not None and settings.public_url is not None
    return Twilio(
        twilio,
        config.secret(twilio.account_sid_env),
        config.secret(twilio.auth_token_env),
        settings.public_url,
    )


def send_wave(
    config: Config,
    engine: sa.Engine,
    channel: Channel,
    now: dt.datetime,
    *,
    day: dt.date | None = None,
    campaign: str | None = None,
    progress: Any = None,
) -> Wave:
    """Send what is due now, each message within its hours; one wave of a database at a time,
    so a second one started meanwhile says who is sending and sends nothing."""
    with locks.exclusive(config.var, engine, "send") as holder:
        if holder is not None:
            raise UserError(
                f"another wave is sending ({holder}); this one sent nothing. It goes on with "
                "what is due when that wave ends: run engine send again then"
            )
        return _wave(config, engine, channel, now, day, campaign, progress)


def _wave(
    config: Config,
    engine: sa.Engine,
    channel: Channel,
    now: dt.datetime,
    day: dt.date | None,
    campaign: str | None,
    progress: Any,
) -> Wave:
    started = time.perf_counter()

    def clock() -> dt.datetime:
        """The wave's time: NOW when it began, moving on with the wall clock."""
        return now + dt.timedelta(seconds=time.perf_counter() - started)

    wave = Wave()
    recovered = recover(config, engine, channel, now)
    wave.settled_after_crash, wave.still_unknown = recovered.settled, recovered.unknown
    with engine.connect() as connection:
        due = outbox.due(connection, now, day, campaign)
        barred = suppression.barred(connection)
    rows = [row for row in due.to_dict("records") if _open(config, row, now)]
    wave.waiting_for_window = len(due) - len(rows)
    # The rate protects a carrier; the dry-run file needs none.
    rate = config.channels.rate_per_second if channel.name != "dryrun" else 1e9
    limit = RateLimit(rate)
    stop = threading.Event()
    lock = threading.Lock()
    unknown_in_a_row = 0

    def one(row: dict[str, Any]) -> None:
        nonlocal unknown_in_a_row
        if stop.is_set():
            return
        result, spent = _send_one(config, engine, channel, limit, row, barred, stop, clock)
        with lock:
            wave.bookkeeping_seconds += spent
            if result == "waiting":
                wave.waiting_for_window += 1
            else:
                wave.counts[result] += 1
                unknown_in_a_row = unknown_in_a_row + 1 if result == "unknown" else 0
            if unknown_in_a_row >= UNKNOWN_IN_A_ROW and not stop.is_set():
                stop.set()
                row["error"] = (
                    f"{UNKNOWN_IN_A_ROW} answers in a row were lost or server errors: "
                    "the provider is in trouble; the rest waits for the next wave"
                )
                result = "stopped"
            if result == "stopped" and wave.stopped is None:
                wave.stopped = row.get("error")
        if progress is not None:
            progress(1)

    with ThreadPoolExecutor(max_workers=config.channels.concurrency) as pool:
        list(pool.map(one, rows))
    wave.seconds = time.perf_counter() - started
    return wave


def _send_one(
    config: Config,
    engine: sa.Engine,
    channel: Channel,
    limit: RateLimit,
    row: dict[str, Any],
    barred: suppression.Barred,
    stop: threading.Event,
    clock: Callable[[], dt.datetime],
) -> tuple[str, float]:
    """One message: claim it, send it, write what happened. The result word and the seconds
    spent on our own bookkeeping."""
    now = clock()
    if not _open(config, row, now):  # the window closed while the wave went on
        return "waiting", 0.0
    book = time.perf_counter()
    with engine.begin() as connection:
        # A survey is not owed to the customer: an opt-out from marketing stops it too.
        owed = not row["marketing"] and not outbox.is_survey(row)
        if row["phone"] in barred.phones(row["channel"], "service" if owed else "marketing"):
            outbox.settle(connection, row["id"], state="blocked", error="suppressed")
            _close_order(connection, row, "blocked", now, "the number is suppressed")
            return "blocked", time.perf_counter() - book
        if not outbox.claim(connection, row["id"], now):
            return "taken", time.perf_counter() - book
    spent = time.perf_counter() - book
    limit.wait()  # released right before its request, so that the provider sees the rate
    if not _open(config, row, clock()):  # the window closed while it waited for its turn
        book = time.perf_counter()
        with engine.begin() as connection:
            outbox.release(connection, row["id"])
        return "waiting", spent + time.perf_counter() - book
    message = Outgoing(row["id"], row["channel"], row["phone"], row["body"], now)
    try:
        provider_id = channel.send(message)
    except TransportError as error:
        book = time.perf_counter()
        result = _failed(config, engine, row, error, now, stop)
        return result, spent + time.perf_counter() - book
    book = time.perf_counter()
    with engine.begin() as connection:
        _sent(connection, row, provider_id, clock())
    return "sent", spent + time.perf_counter() - book


def _open(config: Config, row: dict[str, Any], at: dt.datetime) -> bool:
    """Whether ROW may go AT, in the customer's time: a marketing message within the sending
    window, a service message or a survey within calling hours."""
    hours = config.channels.sending_window if row["marketing"] else config.policy.calling_hours
    return policy.within_hours(at, hours, config.tz)


def _sent(
    connection: sa.Connection, row: dict[str, Any], provider_id: str, at: dt.datetime
) -> None:
    outbox.mark_sent(connection, row["id"], provider_id, at)
    if outbox.is_survey(row):
        return
    order_id = row["order_id"]
    connection.execute(
        sa.update(ORDERS).where(ORDERS.c.id == order_id).values(last_contact_at=at, attempts=1)
    )
    orders.log(connection, order_id, at, "engine", "sent", None, provider_id)


def _failed(
    config: Config,
    engine: sa.Engine,
    row: dict[str, Any],
    error: TransportError,
    now: dt.datetime,
    stop: threading.Event,
) -> str:
    """Write what a failed send means. Only an answer about this recipient or this message
    fails it; our side's or the provider's trouble leaves it due and stops the wave."""
    with engine.begin() as connection:
        if error.effect == "unknown":
            # Left in `sending`: the next recovery asks the provider before any resend.
            outbox.settle(connection, row["id"], error=str(error), error_code=error.code)
            return "unknown"
        throttled = error.effect == "retry" and row["tries"] + 1 >= config.channels.max_tries
        if error.effect == "stop_wave" or throttled:
            stop.set()
            outbox.settle(
                connection,
                row["id"],
                state="pending",
                next_try_at=None,
                error=str(error),
                error_code=error.code,
            )
            row["error"] = str(error)
            return "stopped"
        if error.effect == "retry":
            delay = BACKOFF_SECONDS * 2 ** row["tries"] * (0.5 + random.random())
            outbox.settle(
                connection,
                row["id"],
                state="pending",
                next_try_at=now + dt.timedelta(seconds=delay),
                error=str(error),
                error_code=error.code,
            )
            return "retry"
        outbox.settle(
            connection, row["id"], state="failed", error=str(error), error_code=error.code
        )
        if error.effect in ("wrong_number", "opt_out"):
            reason = "wrong_number" if error.effect == "wrong_number" else "opt_out"
            channel, purpose = suppression.scope_of(error.code, row["channel"])
            with Session(bind=connection) as session:
                suppression.add(
                    session,
                    row["phone"],
                    reason,
                    f"outbox {row['id']}",
                    channel=channel,
                    purpose=purpose,
                    line_id=row["line_id"],
                    note=str(error),
                )
                session.flush()
        _close_order(connection, row, "failed", now, str(error))
        return error.effect if error.effect in ("wrong_number", "opt_out") else "failed"


def _close_order(
    connection: sa.Connection, row: dict[str, Any], result: str, at: dt.datetime, why: str
) -> None:
    """Close the order whose message ROW is; a survey's call order was closed by its outcome."""
    if outbox.is_survey(row):
        return
    order_id = row["order_id"]
    connection.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id == order_id, ORDERS.c.state.in_(orders.OPEN_STATES))
        .values(state="done", result=result, closed_at=at)
    )
    orders.log(connection, order_id, at, "engine", "closed", result, why)


def recover(config: Config, engine: sa.Engine, channel: Channel, now: dt.datetime) -> Recovered:
    """Settle the rows an earlier wave left in `sending` (this wave holds the send lock, so that
    wave is over): sent if the provider has them; due again only once they are older than the
    lookup grace and two lookups found nothing."""
    grace = dt.timedelta(minutes=config.channels.lookup_grace_minutes)
    with engine.connect() as connection:
        stuck = outbox.in_sending(connection)
    recovered = Recovered()
    for row in stuck.to_dict("records"):
        since = pd.Timestamp(row["sending_since"]).to_pydatetime()
        if now - since < grace:
            recovered.unknown += 1
            continue
        message = Outgoing(row["id"], row["channel"], row["phone"], row["body"], since)
        try:
            provider_id = channel.find(message) or channel.find(message)
        except TransportError:
            recovered.unknown += 1  # ask again on the next wave
            continue
        with engine.begin() as connection:
            if provider_id is not None:
                _sent(connection, row, provider_id, now)
            else:
                outbox.settle(connection, row["id"], state="pending", sending_since=None)
        recovered.settled += 1
    return recovered
