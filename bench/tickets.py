"""Tickets taken in and dispatched to agents, against the target of 1,000 tickets/s: through
POST /api/tickets in batches of 100 from 4 clients, against one ticket a request; and through
the broker in messages of 10 tickets taken 100 messages a transaction, against messages of one
taken one a transaction. The server (`engine serve`'s app, in its own process) and the consumer
run on a fixed clock within calling hours, so every ticket meets an agent; each run checks that
none was doubled and counts those dispatched. On SQLite, then on PostgreSQL when one answers.
One at a time runs at a few tickets/s: the baselines take fewer tickets, to keep the bench
within two minutes.

python -m bench.tickets [--lines 200000] [--agents 200] [--tickets 2000] [--single 80]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import requests
import sqlalchemy as sa

from bench import OUT, ROOT, answering, extracts, postgres_schema
from outbound.config import LINE_ID, Config, load_config
from outbound.extract import snapshots
from outbound.extract.imports import import_extract
from outbound.orders import stream
from outbound.sample.roster import write_roster
from outbound.staff import users
from outbound.staff.agents import read_roster, save_roster
from outbound.store.db import open_database

BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"
# 10:00 in Shanghai: calling hours are open, so each ticket is dispatched as it comes.
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TARGET = 1_000
# A request's body or a message: one ticket, or a list of them.
Body = dict[str, Any] | list[dict[str, Any]]
CLIENTS = 4
TYPES = ("complaint", "complaint", "fault", "new_install")
TEXTS = (
    "宽带晚上经常掉线，影响孩子上网课",
    "话费多扣了10元，要求核实退还",
    "光猫红灯一直闪，无法上网",
    "家里信号差，室内打不出电话",
    "套餐变更后月租没有降下来",
    "新装宽带已三天，师傅还没上门",
    "营业厅办理业务排队太久，态度差",
)
# The web app on the fixed clock, in its own process as `engine serve` runs it.
SERVE = """
import datetime as dt, sys
from pathlib import Path
import uvicorn
from outbound.config import load_config
from outbound.store.db import open_database
from outbound.web.app import create_app
config = load_config(Path(sys.argv[1]))
engine = open_database(config.database_url, config.database.wait_seconds)
now = dt.datetime.fromisoformat(sys.argv[3])
app = create_app(config, engine, lambda: now)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="error", proxy_headers=False)
"""


@dataclass
class CallCenter:
    """A workspace with a month of LINES lines and a roster imported, and a system user's
    API token; its database URL is the environment's (None: SQLite under var/)."""

    folder: Path
    database_url: str | None
    lines: list[str]
    token: str

    def config(self, intake: str = "") -> Config:
        """The workspace's config, with INTAKE as its [intake] section."""
        text = (ROOT / "config.toml").read_text(encoding="utf-8") + intake
        (self.folder / "config.toml").write_text(text, encoding="utf-8")
        return load_config(self.folder, environ=self.environ())

    def environ(self) -> dict[str, str]:
        return {"ENGINE_DATABASE_URL": self.database_url or ""}


def call_center(lines: int, agents: int, database_url: str | None) -> CallCenter:
    folder = OUT / ("tickets-sqlite" if database_url is None else "tickets-postgresql")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for part in ("segments", "campaigns", "scripts"):
        shutil.copytree(ROOT / part, folder / part)
    _, october = extracts(lines)
    center = CallCenter(folder, database_url, [], "")
    config = center.config()
    engine = open_database(config.database_url)
    import_extract(config, engine, october, "2026-10")
    save_roster(engine, read_roster(write_roster(folder / "agents.csv", agents)))
    users.add(engine, "crm", "system", "bench-password", NOW)
    center.token = users.new_token(engine, "crm")
    month = snapshots.load_month(config, engine, "2026-10", [LINE_ID])
    assert month is not None
    center.lines = month[LINE_ID].tolist()  # those the import took
    engine.dispose()
    return center


def tickets(center: CallCenter, source: str, count: int) -> list[dict[str, Any]]:
    """COUNT tickets of SOURCE on the extract's lines, received in the hour before NOW."""
    return [
        {
            "external_id": f"{source}-{number:07d}",
            "source": source,
            "type": TYPES[number % len(TYPES)],
            "line_id": center.lines[(number * 7919) % len(center.lines)],
            "received_at": (NOW - dt.timedelta(seconds=number % 3600)).isoformat(),
            "text": TEXTS[number % len(TEXTS)],
        }
        for number in range(count)
    ]


def _serve(center: CallCenter) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (center.folder / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(center.folder), str(port), NOW.isoformat()],
            cwd=ROOT,
            env={**os.environ, **center.environ()},
            stdout=log,
            stderr=log,
        )
    answering(server, port, "the web app")
    return server, port


def post(port: int, token: str, bodies: list[Body], clients: int) -> tuple[float, Counter[str]]:
    """BODIES posted to /api/tickets by CLIENTS sessions at once, each sent again (up to three
    tries) while no answer or a 5xx comes, as a CRM does: taking in is idempotent. The seconds
    it took, and the answers other than 200 by status (or "dropped")."""
    others: Counter[str] = Counter()

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for body in bodies[number::clients]:
            for _ in range(3):
                try:
                    answer = session.post(
                        f"http://127.0.0.1:{port}/api/tickets", json=body, timeout=60
                    )
                except requests.ConnectionError:
                    others["dropped"] += 1
                    continue
                if answer.status_code != 200:
                    others[str(answer.status_code)] += 1
                if answer.status_code < 500:
                    break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, others


def consume(center: CallCenter, messages: list[Body], batch: int) -> tuple[float, float, int]:
    """MESSAGES published on a queue of their own, then taken in by one consumer, BATCH
    messages a transaction: the seconds the publishing took, those from the consumer's start
    to its last batch taken in, and the messages dead-lettered."""
    queue = f"bench-tickets-{os.getpid()}-{batch}"
    config = center.config(
        f'\n[intake]\nqueue = "{queue}"\ndead_letter_queue = "{queue}.dead"\nbatch = {batch}\n'
    )
    try:
        started = time.perf_counter()
        stream.publish(BROKER, queue, messages)
        published = time.perf_counter() - started
        engine = open_database(config.database_url)
        last = [0.0]
        consumer = stream.Consumer(
            config,
            engine,
            BROKER,
            lambda: NOW,
            lambda _: last.__setitem__(0, time.perf_counter()),
            threading.Event(),
            idle_exit=1.0,
        )
        started = time.perf_counter()
        totals = consumer.run()
        engine.dispose()
        return published, last[0] - started, totals.dead_lettered
    finally:
        connection = pika.BlockingConnection(pika.URLParameters(BROKER))
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.queue_delete(f"{queue}.dead")
        connection.close()


def counted(center: CallCenter, source: str) -> tuple[int, int, int]:
    """SOURCE's tickets in the database, their work orders, and those held by an agent."""
    engine = open_database(center.config().database_url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "select (select count(*) from tickets where source = :source),"
                " count(o.id), count(o.agent_id)"
                " from work_orders o join tickets t on t.id = o.ticket_id"
                " where t.source = :source"
            ),
            {"source": source},
        ).one()
    engine.dispose()
    return int(found[0]), int(found[1]), int(found[2])


def _row(
    center: CallCenter, name: str, source: str, count: int, seconds: float, base: float = 0
) -> float:
    """Print a run's tickets/s (against BASE's, when given, and the target), with the share of
    its tickets dispatched and whether each became exactly one work order; its tickets/s."""
    stored, orders, assigned = counted(center, source)
    rate = count / seconds
    against = ""
    if base:
        against = f"   = {rate / base:.1f}x the baseline, {rate / TARGET:.2f}x the target"
    print(
        f"  {name:<40} {count:>6,} in {seconds:5.1f} s {rate:6,.0f} tickets/s"
        f"  dispatched {assigned / max(orders, 1):6.1%}{against}"
    )
    if not stored == orders == count:
        print(f"  {'':<40} WRONG: {count:,} sent, {stored:,} taken in, {orders:,} work orders")
    return rate


def through_api(center: CallCenter, count: int, single: int) -> None:
    server, port = _serve(center)
    try:
        ones: list[Body] = list(tickets(center, "api-1", single))
        seconds, failed = post(port, center.token, ones, CLIENTS)
        base = _row(center, f"API, 1 a request, {CLIENTS} clients", "api-1", single, seconds)
        batched = tickets(center, "api-100", count)
        bodies: list[Body] = [batched[i : i + 100] for i in range(0, count, 100)]
        seconds, more = post(port, center.token, bodies, CLIENTS)
        _row(center, f"API, 100 a request, {CLIENTS} clients", "api-100", count, seconds, base)
    finally:
        server.terminate()
        server.wait(10)
    if failed or more:
        said = ", ".join(f"{status} {n}" for status, n in (failed + more).most_common())
        print(
            f"  {'':<40} answers other than 200: {said}, sent again (see {center.folder}/serve.log)"
        )


def through_broker(center: CallCenter, count: int, single: int) -> None:
    _, seconds, dead = consume(center, list(tickets(center, "mq-1", single)), 1)
    base = _row(center, "broker, 1 a message, 1 a transaction", "mq-1", single, seconds)
    messages = tickets(center, "mq-10", count)
    bodies: list[Body] = [messages[i : i + 10] for i in range(0, count, 10)]
    published, seconds, more = consume(center, bodies, 100)
    _row(center, "broker, 10 a message, 100 a transaction", "mq-10", count, seconds, base)
    print(f"  {'':<40} (publishing apart: {len(bodies) / published:,.0f} messages/s)")
    if dead or more:
        print(f"  {'':<40} dead-lettered: {dead + more} messages")


def run_on(center: CallCenter, count: int, single: int, store: str) -> None:
    print(
        f"\ntickets taken in and dispatched on {store}, {len(center.lines):,} lines"
        f" (target {TARGET:,} tickets/s)"
    )
    through_api(center, count, single)
    try:
        socket.create_connection(("127.0.0.1", 5672), 1).close()
    except OSError:
        print("  broker: not reachable at 127.0.0.1:5672, skipped")
        return
    through_broker(center, count, single)


def run(lines: int = 200_000, agents: int = 200, count: int = 2_000, single: int = 80) -> None:
    """COUNT tickets each way in batches, SINGLE one by one, on SQLite then PostgreSQL."""
    run_on(call_center(lines, agents, None), count, single, "SQLite")
    postgres = postgres_schema("bench_tickets")
    if postgres is None:
        print("  PostgreSQL: not reachable, skipped")
        return
    try:
        run_on(call_center(lines, agents, postgres), count, single, "PostgreSQL")
    finally:
        with sa.create_engine(postgres).begin() as connection:
            connection.execute(sa.text("DROP SCHEMA bench_tickets CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tickets")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=2_000)
    parser.add_argument("--single", type=int, default=80)
    args = parser.parse_args()
    run(args.lines, args.agents, args.tickets, args.single)


if __name__ == "__main__":
    main()
