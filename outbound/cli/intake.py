"""`engine intake`: tickets from the broker's queue, taken in as they come."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import click

from outbound.cli import App, cli
from outbound.errors import UserError

# A busy queue would print a line a batch: one every this many seconds, and the last.
PROGRESS_SECONDS = 10


@cli.command("intake")
@click.option(
    "--max-messages",
    type=click.IntRange(min=1),
    help="Stop after this many messages (tests, a catch-up by hand).",
)
@click.option(
    "--idle-exit",
    type=click.FloatRange(min=0),
    help="Stop when no message has come for this many seconds.",
)
@click.pass_obj
def intake_command(app: App, max_messages: int | None, idle_exit: float | None) -> None:
    """Take in the tickets of the broker's queue ([intake] in config.toml; the URL from the
    environment variable ENGINE_INTAKE_URL when set), in batches, each acknowledged once its
    transaction committed. A message with refused tickets goes to the dead-letter queue with
    its problems. Runs until Ctrl-C or SIGTERM, which finish the batch at hand."""
    from outbound.orders import stream

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("outbound").setLevel(logging.INFO)
    # pika's own lines (with tracebacks) repeat what the consumer says of the broker.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    settings = app.config.settings.intake
    url = os.environ.get(settings.url_env) or settings.url
    if not url.startswith(("amqp://", "amqps://")):
        raise UserError(
            f"environment variable {settings.url_env} is not a broker URL; write it "
            "amqp://USER:PASSWORD@HOST:5672/%2F"
        )
    shown, last = 0.0, ""

    def said(totals: stream.Totals) -> None:
        nonlocal shown, last
        if time.monotonic() - shown >= PROGRESS_SECONDS:
            last, shown = totals.said(), time.monotonic()
            click.echo(last)

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        consumer = stream.Consumer(
            app.config, app.engine, url, app.now, said, stop, max_messages, idle_exit
        )
        totals = consumer.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if totals.said() != last:
        click.echo(totals.said())
    for warning in totals.warnings:
        click.echo(f"warning: {warning}", err=True)
