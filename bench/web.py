"""The agent list page and its API under load: a call center of 500 agents after its daily run,
`engine serve` in its own processes, and 200 agents on loopback, each asking for its list, then
thinking (exponential, mean THINK seconds) before asking again. Reports p50 and p99 latency,
against the same server's static file as the baseline (the floor of the stack), and the
throughput with no think time at all (every agent clicking as fast as answers come). An agent
really asks for the list a few times an hour (outcomes update it in place): one second of
thought is a stress test, five seconds still about fifty times the real rate.

python -m bench.web [--agents 500] [--concurrent 200] [--think 1 5] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from bench import OUT, ROOT, answering, extracts
from outbound.config import load_config
from outbound.extract.imports import import_extract
from outbound.plan.daily import run_day
from outbound.sample.roster import write_roster
from outbound.staff import users
from outbound.staff.agents import read_roster, save_roster
from outbound.store.db import open_database

PASSWORD = "bench-password"


def call_center(lines: int, agents: int) -> tuple[Path, list[str], dict[str, str]]:
    """A workspace with two months of LINES lines, AGENTS agents, today's run done and a user
    (with an API token) per agent. Returns the folder, the agent ids and their tokens."""
    folder = OUT / "web"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "config.toml", folder)
    for part in ("segments", "campaigns", "scripts"):
        shutil.copytree(ROOT / part, folder / part)
    config = load_config(folder, environ={})
    engine = open_database(config.database_url)
    september, october = extracts(lines)
    import_extract(config, engine, september, "2026-09")
    import_extract(config, engine, october, "2026-10")
    roster = read_roster(write_roster(folder / "agents.csv", agents))
    save_roster(engine, roster)
    now = dt.datetime.now(config.tz)
    run_day(config, engine, now.date(), now)
    ids = sorted(roster["agent_id"])
    # One argon2 hash for all: the bench measures pages, not 500 password hashings.
    users.add(engine, ids[0], "agent", PASSWORD, now, ids[0])
    with engine.begin() as connection:
        shared = connection.execute(sa.select(users.USERS.c.password_hash)).scalar_one()
        connection.execute(
            sa.insert(users.USERS),
            [
                {
                    "name": agent,
                    "role": "agent",
                    "person_id": agent,
                    "password_hash": shared,
                    "failed_logins": 0,
                    "created_at": now,
                }
                for agent in ids[1:]
            ],
        )
    tokens = {agent: users.new_token(engine, agent) for agent in ids}
    with engine.connect() as connection:
        items = connection.execute(
            sa.text("select count(*) from list_items where day = :day"), {"day": now.date()}
        ).scalar_one()
    engine.dispose()
    print(f"call center: {lines:,} lines, {agents} agents, {items:,} list items today")
    return folder, ids, tokens


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def _fetch(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return status, await reader.readexactly(length)


async def _agent(
    port: int, request: bytes, think: float, until: float, load: Load, rng: random.Random
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(rng.uniform(0, think))  # agents do not all start in the same instant
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            status, _ = await _fetch(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError):
            # The server closed the connection while the agent thought (keep-alive timeout):
            # a browser opens a new one and asks again, so does the agent.
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            try:
                status, _ = await _fetch(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError):
                load.errors += 1
                continue
        load.latencies.append(time.perf_counter() - started)
        if status != 200:
            load.errors += 1
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))
    writer.close()


def load(port: int, requests: list[bytes], think: float, seconds: float) -> tuple[Load, float]:
    result = Load()
    rng = random.Random(7)

    async def everyone() -> float:
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(
            *(_agent(port, request, think, until, result, rng) for request in requests)
        )
        return time.perf_counter() - started

    return result, asyncio.run(everyone())


def _request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _log_in(port: int, agent: str) -> str:
    """The session cookie of AGENT, through the log-in form as a browser gets it."""
    browser = requests.Session()
    form = browser.get(f"http://127.0.0.1:{port}/login").text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    browser.post(
        f"http://127.0.0.1:{port}/login",
        data={"name": agent, "password": PASSWORD, "csrf": token},
        allow_redirects=False,
    )
    return urllib.parse.quote(browser.cookies["session"], safe="")


def _serve(folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = str(Path(sys.executable).parent / "engine")
    options = ["--no-scheduler", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        [engine, "--workspace", str(folder), "serve", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ENGINE_DATABASE_URL": ""},
    )
    answering(server, port, "engine serve")
    return server, port


def _row(name: str, result: Load, took: float) -> tuple[float, float]:
    ordered = sorted(result.latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    rate = len(ordered) / took
    print(
        f"{name:<34} {len(ordered):>7,} requests {rate:>8,.0f}/s  "
        f"p50 {p50:>6.1f} ms  p99 {p99:>6.1f} ms  errors {result.errors}"
    )
    return p50, p99


def run(
    lines: int = 200_000,
    agents: int = 500,
    concurrent: int = 200,
    thinks: tuple[float, ...] = (1.0, 5.0),
    seconds: float = 20,
    workers: int = 2,
) -> None:
    folder, ids, tokens = call_center(lines, agents)
    server, port = _serve(folder, workers)
    try:
        chosen = random.Random(3).sample(ids, concurrent)
        cookies = {agent: _log_in(port, agent) for agent in chosen}
        pages = [_request("/agent", {"Cookie": f"session={cookies[a]}"}) for a in chosen]
        api = [
            _request(f"/api/agents/{a}/list", {"Authorization": f"Bearer {tokens[a]}"})
            for a in chosen
        ]
        static = [_request("/static/style.css", {}) for _ in chosen]
        for think in thinks:
            print(f"{concurrent} agents, think time {think:.1f} s (exponential), {workers} workers")
            floor, _ = _row("static file (baseline)", *load(port, static, think, seconds))
            page, _ = _row("agent list page", *load(port, pages, think, seconds))
            _row("agent list API", *load(port, api, think, seconds))
            print(f"list page p50 / static file p50: {page / floor:.1f}x")
        print(f"{concurrent} agents, no think time (saturation):")
        _row("agent list page", *load(port, pages, 0, seconds / 2))
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run(args.lines, args.agents, args.concurrent, tuple(args.think), args.seconds, args.workers)


if __name__ == "__main__":
    main()
