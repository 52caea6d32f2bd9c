"""A wave of SMS against the local Twilio peer: the rate reached against the configured one,
the busiest one-second window, and our bookkeeping per message (claim and settle in the
database, outside the provider's time)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from bench import postgres_schema
from outbound.config import load_config
from outbound.messages import outbox
from outbound.messages.channels.twilio import Twilio
from outbound.messages.sending import send_wave
from outbound.store.db import open_database
from tests.peers.twilio import ACCOUNT, TOKEN, marketing_sms, serve

CONFIG = """timezone = "Asia/Shanghai"

[extract]
line_id = "line"
phone = "phone"

[channels]
sender = "twilio"
public_url = "https://engine.example.cn"
rate_per_second = {rate}
concurrency = 8

[channels.twilio]
api_base = "{url}"
messaging_service_sid = "MG{zeros}"
"""


def run(messages: int = 10_000, rate: float = 100) -> None:
    """The wave on SQLite, then on PostgreSQL when a server answers."""
    wave(messages, rate, None)
    postgres = postgres_schema("bench_sending")
    if postgres is None:
        print("  PostgreSQL: not reachable, skipped")
        return
    wave(messages, rate, postgres)


def wave(messages: int, rate: float, database_url: str | None) -> None:
    peer, server = serve()
    folder = Path(tempfile.mkdtemp(prefix="bench-sending-"))
    store = "SQLite" if database_url is None else "PostgreSQL"
    environ = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    if database_url is not None:
        environ["ENGINE_DATABASE_URL"] = database_url
    try:
        (folder / "config.toml").write_text(
            CONFIG.format(rate=rate, url=peer.url, zeros="0" * 32), encoding="utf-8"
        )
        config = load_config(folder, environ=environ)
        engine = open_database(config.database_url)
        now = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
        with engine.begin() as connection:
            outbox.add(connection, marketing_sms(messages), now.date(), True, now)
        assert config.channels.twilio is not None
        channel = Twilio(config.channels.twilio, ACCOUNT, TOKEN, "https://engine.example.cn")
        result = send_wave(config, engine, channel, now)
        arrivals = sorted(peer.arrivals)
        span = arrivals[-1] - arrivals[0]
        busiest, start = 0, 0
        for end, at in enumerate(arrivals):
            while at - arrivals[start] >= 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        print(
            f"\nwave of {messages:,} SMS at a configured {rate:g}/s through the local Twilio,"
            f" on {store}"
        )
        reached = len(arrivals) / span
        print(
            f"  sent {result.counts['sent']:,}, at the server {len(peer.created):,},"
            f" requests against the API description {len(peer.violations)} wrong"
        )
        print(f"  rate reached {reached:6.1f}/s over {span:.1f} s = {reached / rate:.1%} of it")
        print(f"  busiest one-second window {busiest} requests (limit {rate:g})")
        print(
            f"  bookkeeping {result.bookkeeping_seconds / messages * 1000:.2f} ms a message"
            f" (claims and the ledger's writes in {store}, in batches)"
        )
        engine.dispose()
    finally:
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
