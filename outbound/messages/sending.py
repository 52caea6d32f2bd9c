"""`engine send`: a wave of the outbox's due messages through the configured channel, at the
configured rate, each exactly once. Rows a crash left in `sending` are settled by asking the
provider before anything is sent again."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from outbound.config import Config
from outbound.contact import policy, suppression
from outbound.errors import UserError
from outbound.messages import outbox, settling
from outbound.messages.channels import Channel, Outgoing, TransportError
from outbound.messages.channels.dryrun import DryRun
from outbound.messages.ratelimit import RateLimit
from outbound.store import locks, orders
from outbound.workspace.campaigns import load_campaigns

# Answers lost or 5xx one after another mean the provider is down, not these messages.
UNKNOWN_IN_A_ROW = 3
# Rows claimed in one transaction, at most: a second's worth at 100 a second, and as many as a
# crash can leave for the next wave to look up at the provider.
CLAIM_BATCH = 100


@dataclass
class Wave:
    counts: Counter[str] = field(default_factory=Counter)
    waiting_for_window: int = 0
    held_paused: int = 0
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
    paused = {c.name for c in load_campaigns(config)[0] if c.spec.paused}
    running = [row for row in due.to_dict("records") if row["campaign"] not in paused]
    rows = [row for row in running if _open(config, row, now)]
    wave.held_paused = len(due) - len(running)
    wave.waiting_for_window = len(running) - len(rows)
    # The rate protects a carrier; the dry-run file needs none.
    rate = config.channels.rate_per_second if channel.name != "dryrun" else 1e9
    limit = RateLimit(rate)
    stop = threading.Event()
    lock = threading.Lock()
    unknown_in_a_row = 0

    def tell(outcome: settling.Outcome) -> None:
        """Count OUTCOME, stop the wave on the provider's trouble, and hand it to the ledger."""
        nonlocal unknown_in_a_row
        ledger.add(outcome)
        if outcome.word == "released":
            return
        with lock:
            if outcome.word == "waiting":
                wave.waiting_for_window += 1
            else:
                wave.counts[outcome.word] += 1
            unknown_in_a_row = unknown_in_a_row + 1 if outcome.word == "unknown" else 0
            why = str(outcome.error) if outcome.word == "stopped" else None
            if unknown_in_a_row >= UNKNOWN_IN_A_ROW and not stop.is_set():
                why = (
                    f"{UNKNOWN_IN_A_ROW} answers in a row were lost or server errors: "
                    "the provider is in trouble; the rest waits for the next wave"
                )
            if why is not None:
                stop.set()
                wave.stopped = wave.stopped or why
        if progress is not None:
            progress(1)

    def sender() -> None:
        while not stop.is_set() and (row := claims.next()) is not None:
            tell(_send_one(config, channel, limit, row, stop, clock))

    if not channel.reports_status:  # orders an earlier wave left open, waiting for nothing
        with engine.begin() as connection:
            orders.close_sent(connection, orders.unreported_sent(connection))
    with settling.Ledger(engine, stop, close_sent=not channel.reports_status) as ledger:
        rows = _unbarred(rows, barred, now, tell)
        batch = max(config.channels.concurrency, min(int(rate), CLAIM_BATCH))
        claims = Claims(engine, rows, clock, batch)
        try:
            _run(sender, min(config.channels.concurrency, len(rows)), stop)
        finally:
            for row in claims.unsent():
                ledger.add(settling.Outcome(row, "released", clock()))
        wave.counts["taken"] += claims.taken
    wave.counts = +wave.counts  # no zero counts
    wave.bookkeeping_seconds = claims.seconds + ledger.seconds
    wave.seconds = time.perf_counter() - started
    return wave


def _run(sender: Callable[[], None], threads: int, stop: threading.Event) -> None:
    """SENDER in THREADS threads until they are done. The first error of one, or an interrupt,
    stops the others after the message in hand, and is raised."""
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            sender()
        except BaseException as error:
            errors.append(error)
            stop.set()

    senders = [threading.Thread(target=guarded, name=f"sender-{i}") for i in range(threads)]
    for thread in senders:
        thread.start()
    try:
        for thread in senders:
            thread.join()
    finally:
        stop.set()
        for thread in senders:
            thread.join()
    if errors:
        raise errors[0]


def _unbarred(
    rows: list[dict[str, Any]],
    barred: suppression.Barred,
    now: dt.datetime,
    tell: Callable[[settling.Outcome], None],
) -> list[dict[str, Any]]:
    """ROWS whose number may take them; the others are told blocked."""
    free = []
    for row in rows:
        # A survey is not owed to the customer: an opt-out from marketing stops it too.
        owed = not row["marketing"] and not outbox.is_survey(row)
        if row["phone"] in barred.phones(row["channel"], "service" if owed else "marketing"):
            tell(settling.Outcome(row, "blocked", now))
        else:
            free.append(row)
    return free


class Claims:
    """The wave's rows for its senders, one at a time, claimed in the store a batch at a time
    (one transaction for many rows). At most a batch is claimed and not yet sent, which is
    what a crash leaves for the next wave's recovery to ask the provider about."""

    def __init__(
        self,
        engine: sa.Engine,
        rows: list[dict[str, Any]],
        clock: Callable[[], dt.datetime],
        batch: int,
    ) -> None:
        self.engine, self.clock, self.batch = engine, clock, batch
        self.taken = 0  # rows another sender had
        self.seconds = 0.0  # spent claiming
        self._rows = deque(rows)
        self._ready: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()

    def next(self) -> dict[str, Any] | None:
        with self._lock:
            while not self._ready and self._rows:
                began = time.perf_counter()
                chunk = [self._rows.popleft() for _ in range(min(self.batch, len(self._rows)))]
                with self.engine.begin() as connection:
                    claimed = outbox.claim(connection, [r["id"] for r in chunk], self.clock())
                self._ready.extend(r for r in chunk if r["id"] in claimed)
                self.taken += len(chunk) - len(claimed)
                self.seconds += time.perf_counter() - began
            return self._ready.popleft() if self._ready else None

    def unsent(self) -> list[dict[str, Any]]:
        """The rows claimed and not handed out: the wave stopped before they went."""
        with self._lock:
            rest, self._ready = list(self._ready), deque()
            return rest


def _send_one(
    config: Config,
    channel: Channel,
    limit: RateLimit,
    row: dict[str, Any],
    stop: threading.Event,
    clock: Callable[[], dt.datetime],
) -> settling.Outcome:
    """One claimed message, sent if its hours are still open when its turn comes."""
    if not _open(config, row, clock()):  # the window closed while the wave went on
        return settling.Outcome(row, "waiting", clock())
    limit.wait()  # released right before its request, so that the provider sees the rate
    now = clock()
    if stop.is_set():
        return settling.Outcome(row, "released", now)
    if not _open(config, row, now):  # the window closed while it waited for its turn
        return settling.Outcome(row, "waiting", now)
    message = Outgoing(row["id"], row["channel"], row["phone"], row["body"], now)
    try:
        provider_id = channel.send(message)
    except TransportError as error:
        return settling.Outcome(row, settling.word(config, row, error), now, error=error)
    return settling.Outcome(row, "sent", clock(), provider_id=provider_id)


def _open(config: Config, row: dict[str, Any], at: dt.datetime) -> bool:
    """Whether ROW may go AT, in the customer's time: a marketing message within the sending
    window, a service message or a survey within calling hours."""
    hours = config.channels.sending_window if row["marketing"] else config.policy.calling_hours
    return policy.within_hours(at, hours, config.tz)


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
                settling.write(connection, [settling.Outcome(row, "sent", now, provider_id)])
            else:
                outbox.settle(connection, row["id"], state="pending", sending_since=None)
        recovered.settled += 1
    return recovered
