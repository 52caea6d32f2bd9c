"""Tickets from the broker (engine intake): a RabbitMQ queue read in batches, each batch taken in
in one transaction and acknowledged only once that committed. A consumer killed in between loses
nothing and doubles nothing: the broker hands the batch over again, and taking in is idempotent.
A message with refused tickets goes to the dead-letter queue, its problems in its headers."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pika
import sqlalchemy as sa
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import (
    AMQPChannelError,
    AMQPConnectionError,
    ChannelClosedByBroker,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
)

from outbound.config import Config, IntakeSettings
from outbound.errors import UserError
from outbound.orders import intake, tickets
from outbound.orders.tickets import Problem

log = logging.getLogger(__name__)

# The dead-letter message's headers: each problem as a table of row, field and message (row 0
# is the message as a whole), and the rows taken in (now or before).
PROBLEMS = "x-ticket-problems"
ROWS_TAKEN = "x-rows-taken"
# A batch closes at `batch` messages or this long after its first, whichever comes first;
# the consumer looks at its stop and its clock every TICK while no message comes.
WINDOW = 0.2
TICK = 0.05
LONGEST_WAIT = 60.0


@dataclass(frozen=True)
class Message:
    tag: int
    properties: pika.BasicProperties
    body: bytes


@dataclass
class Totals:
    """What a consumer did since it started."""

    messages: int = 0
    taken: int = 0
    dispatched: int = 0
    repeated: int = 0
    refused: int = 0
    dead_lettered: int = 0
    warnings: list[str] = field(default_factory=list)

    def said(self) -> str:
        return (
            f"{_counted(self.messages, 'message')} read, {_counted(self.taken, 'ticket')} taken "
            f"in ({self.dispatched:,} dispatched), {self.repeated:,} already taken, "
            f"{self.refused:,} refused, {_counted(self.dead_lettered, 'message')} dead-lettered"
        )


def _counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclass
class Sorted:
    """A batch's messages as one list of rows for tickets.read, and where each row came from."""

    rows: list[Mapping[str, object]] = field(default_factory=list)
    places: list[tuple[int, int]] = field(default_factory=list)  # (message, row in it)
    sizes: list[int] = field(default_factory=list)  # each message's rows
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # by message


def sort_out(bodies: Iterable[bytes]) -> Sorted:
    """Each body is one ticket object or a list of them, UTF-8 JSON; what is not is a problem
    of its message, at row 0 for the whole message or at the row of the item."""
    found = Sorted()
    for index, body in enumerate(bodies):
        found.problems[index] = []
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            found.sizes.append(0)
            found.problems[index].append(
                Problem(0, "message", f"is not UTF-8 JSON ({exc}); send a ticket object or a list")
            )
            continue
        items = document if isinstance(document, list) else [document]
        found.sizes.append(len(items))
        for row, item in enumerate(items, start=1):
            if isinstance(item, dict):
                found.rows.append(item)
                found.places.append((index, row))
            else:
                found.problems[index].append(
                    Problem(
                        row,
                        "ticket",
                        f"is {_JSON_KINDS.get(type(item), 'a list')}, not an object of the fields "
                        f"{', '.join(tickets.FIELDS)}",
                    )
                )
    return found


_JSON_KINDS: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def take_batch(
    config: Config, engine: sa.Engine, bodies: list[bytes], now: dt.datetime
) -> tuple[intake.Summary, Sorted]:
    """The tickets of BODIES taken in (one transaction), and the messages sorted out, each with
    all its problems, numbered by row within the message."""
    found = sort_out(bodies)
    summary = intake.take_rows(
        config, engine, tickets.read(found.rows, config, now), now, via="broker"
    )
    for problem in summary.problems:
        message, row = found.places[problem.row - 1]
        found.problems[message].append(Problem(row, problem.field, problem.message))
    for listed in found.problems.values():
        listed.sort(key=lambda p: p.row)
    return summary, found


def broker_at(url: str) -> str:
    """URL's host, port and virtual host, without its user and password."""
    parameters = pika.URLParameters(url)
    return f"{parameters.host}:{parameters.port} (vhost {parameters.virtual_host})"


def connect(url: str) -> pika.BlockingConnection:
    """A connection to the broker at URL, or a UserError saying why there is none."""
    where = broker_at(url)
    try:
        return pika.BlockingConnection(pika.URLParameters(url))
    except ProbableAuthenticationError:
        raise UserError(
            f"the broker at {where} refused the user and password of the intake URL; correct "
            "them in the environment variable named by [intake] url_env (ENGINE_INTAKE_URL)"
        ) from None
    except ProbableAccessDeniedError:
        raise UserError(
            f"the broker at {where} refused access to the virtual host; give the intake URL's "
            "user permissions on it, or name another in [intake] url"
        ) from None
    except AMQPConnectionError as exc:
        raise UserError(
            f"no broker answers at {where} ({type(exc).__name__}); start RabbitMQ there, or name "
            "the broker in config.toml [intake] url or the environment variable ENGINE_INTAKE_URL"
        ) from None


def publish(url: str, queue: str, messages: Iterable[object]) -> int:
    """Put MESSAGES on QUEUE (declared durable), persistent, each confirmed by the broker: a
    message is a ticket object or a list of them, sent as JSON, or bytes sent as they are."""
    connection = connect(url)
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        channel.confirm_delivery()
        count = 0
        for message in messages:
            body = message if isinstance(message, bytes) else json.dumps(message).encode()
            channel.basic_publish(
                "",
                queue,
                body,
                pika.BasicProperties(content_type="application/json", delivery_mode=2),
            )
            count += 1
        return count
    finally:
        connection.close()


@dataclass
class Consumer:
    """A consumer of [intake] queue at URL, taking tickets in at the time CLOCK tells, until
    STOP is set (the batch at hand is finished first), MAX_MESSAGES were handled, or no message
    came for IDLE_EXIT seconds; SAID hears the totals after each batch."""

    config: Config
    engine: sa.Engine
    url: str
    clock: Callable[[], dt.datetime]
    said: Callable[[Totals], object]
    stop: threading.Event
    max_messages: int | None = None
    idle_exit: float | None = None
    totals: Totals = field(default_factory=Totals)

    def run(self) -> Totals:
        """Consume; a broker gone away is connected to again, after reconnect_seconds doubled
        at each failed try, up to a minute. The first connection must work."""
        settings = self.config.settings.intake
        wait = settings.reconnect_seconds
        connection: pika.BlockingConnection | None = connect(self.url)
        while True:
            try:
                connection = connection or pika.BlockingConnection(pika.URLParameters(self.url))
                wait = settings.reconnect_seconds
                self._work(connection)
                connection.close()
                return self.totals
            except (AMQPConnectionError, AMQPChannelError) as exc:
                if isinstance(exc, ChannelClosedByBroker) and exc.reply_code in (403, 406):
                    raise UserError(
                        f"the broker at {broker_at(self.url)} refused the queues of [intake]: "
                        f"{exc.reply_text}"
                    ) from None
                log.warning(
                    "lost the broker at %s (%s); connecting again in %g s",
                    broker_at(self.url),
                    type(exc).__name__,
                    wait,
                )
                connection = None
                if self.stop.wait(wait):
                    return self.totals
                wait = min(wait * 2, LONGEST_WAIT)

    def _work(self, connection: pika.BlockingConnection) -> None:
        """Batches until told to stop; a batch the database failed goes back to the broker
        (which hands it over again) and the database is given reconnect_seconds, doubled while
        it keeps failing."""
        settings = self.config.settings.intake
        channel = connection.channel()
        channel.queue_declare(settings.queue, durable=True)
        channel.queue_declare(settings.dead_letter_queue, durable=True)
        channel.basic_qos(prefetch_count=settings.prefetch)
        channel.confirm_delivery()
        log.info("taking tickets from %s at %s", settings.queue, broker_at(self.url))
        last = time.monotonic()
        wait = settings.reconnect_seconds
        for batch in _batches(channel, settings, self.stop, self._room):
            if batch:
                try:
                    self._handle(channel, batch)
                except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
                    channel.basic_nack(batch[-1].tag, multiple=True, requeue=True)
                    log.warning(
                        "the database failed (%s); %d messages left to the broker, trying "
                        "again in %g s",
                        type(exc.orig).__name__,
                        len(batch),
                        wait,
                    )
                    connection.sleep(wait)
                    wait = min(wait * 2, LONGEST_WAIT)
                    continue
                wait = settings.reconnect_seconds
                last = time.monotonic()
                self.said(self.totals)
            if self.stop.is_set() or self._room() == 0:
                break
            if self.idle_exit is not None and time.monotonic() - last >= self.idle_exit:
                break
        channel.cancel()  # what the broker handed over beyond the last batch goes back to it

    def _room(self) -> int | None:
        """How many more messages to take, if there is a limit."""
        return None if self.max_messages is None else self.max_messages - self.totals.messages

    def _handle(self, channel: BlockingChannel, batch: list[Message]) -> None:
        """Take BATCH in, put its messages with problems on the dead-letter queue, then
        acknowledge it all: a crash before the acknowledgement has the broker hand it over
        again."""
        summary, found = take_batch(self.config, self.engine, [m.body for m in batch], self.clock())
        problems = found.problems
        for index, message in enumerate(batch):
            if problems[index]:
                _dead_letter(
                    channel,
                    self.config.settings.intake,
                    message,
                    problems[index],
                    found.sizes[index],
                )
        channel.basic_ack(batch[-1].tag, multiple=True)
        totals = self.totals
        totals.messages += len(batch)
        totals.taken += len(summary.taken)
        totals.dispatched += summary.dispatched
        totals.repeated += summary.repeated
        totals.refused += sum(len({p.row for p in listed}) for listed in problems.values())
        totals.dead_lettered += sum(1 for listed in problems.values() if listed)
        totals.warnings += summary.warnings


def _batches(
    channel: BlockingChannel,
    settings: IntakeSettings,
    stop: threading.Event,
    room: Callable[[], int | None],
) -> Iterator[list[Message]]:
    """The queue's messages in batches of at most `batch` (and ROOM); an empty batch every TICK
    when none comes, so that the caller may look at the clock and at STOP."""
    batch: list[Message] = []
    closes = 0.0
    for method, properties, body in channel.consume(settings.queue, inactivity_timeout=TICK):
        if method is not None:
            if not batch:
                closes = time.monotonic() + WINDOW
            batch.append(Message(method.delivery_tag, properties, body))
        left = room()
        size = settings.batch if left is None else min(settings.batch, left)
        if not batch:
            yield []
        elif len(batch) >= size or time.monotonic() >= closes or stop.is_set():
            yield batch
            batch = []


def _dead_letter(
    channel: BlockingChannel,
    settings: IntakeSettings,
    message: Message,
    problems: list[Problem],
    size: int,
) -> None:
    """MESSAGE as it came, on the dead-letter queue, with its PROBLEMS and the rows of it that
    were taken in (so that, corrected, it may be sent again whole)."""
    refused = {p.row for p in problems}
    whole = 0 in refused
    headers: dict[str, Any] = dict(message.properties.headers or {})
    headers[PROBLEMS] = [{"row": p.row, "field": p.field, "message": p.message} for p in problems]
    headers[ROWS_TAKEN] = [] if whole else [r for r in range(1, size + 1) if r not in refused]
    properties = message.properties
    channel.basic_publish(
        "",
        settings.dead_letter_queue,
        message.body,
        pika.BasicProperties(
            content_type=properties.content_type,
            message_id=properties.message_id,
            timestamp=properties.timestamp,
            headers=headers,
            delivery_mode=2,
        ),
    )
    log.warning(
        "dead-lettered message %s (delivery %d) to %s: %s",
        properties.message_id or "without id",
        message.tag,
        settings.dead_letter_queue,
        "; ".join(f"row {p.row}, {p.field}: {p.message}" for p in problems),
    )
