"""What a wave learned, written to the store: each message's outcome and its order's. One
thread writes the senders' outcomes in batches, one transaction for many messages, so that the
store's round trips do not slow the wave. A message whose outcome was not written when the
process died is still `sending`; the next wave's recovery asks the provider about it."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.config import Config
from outbound.contact import suppression
from outbound.messages import outbox
from outbound.messages.channels import TransportError
from outbound.store import orders
from outbound.store.orders import BUMP, ORDERS

BACKOFF_SECONDS = 30.0
# Outcomes written together: at most this many, at least this often.
BATCH = 200
EVERY_SECONDS = 0.2


@dataclass(frozen=True)
class Outcome:
    """What happened to the outbox row ROW at AT, in a word: sent, blocked, waiting (its hours
    closed), released (the wave stopped before it went), or a failure's word (see `word`)."""

    row: dict[str, Any]
    word: str
    at: dt.datetime
    provider_id: str | None = None
    error: TransportError | None = None


def word(config: Config, row: dict[str, Any], error: TransportError) -> str:
    """What a failed send means. Only an answer about this recipient or this message fails it
    (failed, wrong_number, opt_out); a maybe-sent message is `unknown`; our side's or the
    provider's trouble stops the wave and leaves the message due (`stopped`); a throttled one
    is tried later (`retry`) until its tries run out, which stops the wave too."""
    if error.effect == "unknown":
        return "unknown"
    throttled = error.effect == "retry" and row["tries"] + 1 >= config.channels.max_tries
    if error.effect == "stop_wave" or throttled:
        return "stopped"
    if error.effect in ("retry", "wrong_number", "opt_out"):
        return error.effect
    return "failed"


def write(connection: sa.Connection, outcomes: Sequence[Outcome], close_sent: bool = False) -> None:
    """Write OUTCOMES in CONNECTION's transaction: the common ones (sent, given back) in one
    statement each, the rarer ones a message at a time. CLOSE_SENT: the channel reports no
    delivery, so a sent message's order is closed now."""
    sent = [o for o in outcomes if o.word == "sent"]
    outbox.mark_sent(connection, [(o.row["id"], o.provider_id or "", o.at) for o in sent])
    sent_orders = [
        (o.row["order_id"], o.provider_id or "", o.at) for o in sent if not outbox.is_survey(o.row)
    ]
    orders.messages_sent(connection, sent_orders)
    if close_sent:
        orders.close_sent(connection, [(order_id, at) for order_id, _, at in sent_orders])
    outbox.release(connection, [o.row["id"] for o in outcomes if o.word in ("waiting", "released")])
    for outcome in outcomes:
        if outcome.word == "blocked":
            outbox.settle(connection, outcome.row["id"], state="blocked", error="suppressed")
            _close_order(connection, outcome.row, "blocked", outcome.at, "the number is suppressed")
        elif outcome.error is not None:
            _failure(connection, outcome.row, outcome.word, outcome.error, outcome.at)


def _failure(
    connection: sa.Connection,
    row: dict[str, Any],
    word: str,
    error: TransportError,
    at: dt.datetime,
) -> None:
    why = {"error": str(error), "error_code": error.code}
    if word == "unknown":
        # Left in `sending`: the next recovery asks the provider before any resend.
        outbox.settle(connection, row["id"], **why)
    elif word == "stopped":
        outbox.settle(connection, row["id"], state="pending", next_try_at=None, **why)
    elif word == "retry":
        delay = BACKOFF_SECONDS * 2 ** row["tries"] * (0.5 + random.random())
        later = at + dt.timedelta(seconds=delay)
        outbox.settle(connection, row["id"], state="pending", next_try_at=later, **why)
    else:
        outbox.settle(connection, row["id"], state="failed", **why)
        if word in ("wrong_number", "opt_out"):
            channel, purpose = suppression.scope_of(error.code, row["channel"])
            with Session(bind=connection) as session:
                suppression.add(
                    session,
                    row["phone"],
                    word,
                    f"outbox {row['id']}",
                    channel=channel,
                    purpose=purpose,
                    line_id=row["line_id"],
                    note=str(error),
                )
                session.flush()
        _close_order(connection, row, "failed", at, str(error))


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
        .values(state="done", result=result, closed_at=at, **BUMP)
    )
    orders.log(connection, order_id, at, "engine", "closed", result, why)


class Ledger:
    """The writer beside the senders: `add` an outcome from any thread; it is in the store
    within EVERY_SECONDS, and all of them are when the `with` block ends. A write that fails
    sets STOP, so that the wave sends no more, and is raised at the end."""

    def __init__(self, engine: sa.Engine, stop: threading.Event, close_sent: bool) -> None:
        self.engine, self.stop, self.close_sent = engine, stop, close_sent
        self._waiting: list[Outcome] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self.seconds = 0.0  # spent writing
        self._thread = threading.Thread(target=self._run, name="ledger", daemon=True)

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self._waiting.append(outcome)

    def __enter__(self) -> Ledger:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        if self._error is None:
            self._flush()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while not self._done.wait(EVERY_SECONDS) and self._error is None:
            self._flush()

    def _flush(self) -> None:
        while self._error is None:
            with self._lock:
                batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            if not batch:
                return
            began = time.perf_counter()
            try:
                with self.engine.begin() as connection:
                    write(connection, batch, self.close_sent)
            except Exception as error:  # raised again when the wave ends
                self._error = error
                self.stop.set()
            self.seconds += time.perf_counter() - began
