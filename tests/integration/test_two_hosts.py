"""Two app hosts, each with its own working folder, on one database and one store: a person
logged in on one is logged in on the other and sees the same list, one of them runs the
scheduler while the other stands by, and a wave of messages sends from one host at a time."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from outbound.config import load_config
from outbound.staff import users
from outbound.store import locks
from outbound.store.db import open_database
from tests.e2e.conftest import Center

PASSWORD = "两台主机-2026"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(folder: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`engine serve` of FOLDER, scheduler and all, answering on its port."""
    port = _port()
    engine = str(Path(sys.executable).parent / "engine")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [engine, "--workspace", str(folder), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ENGINE_WEB_SECRET": ""},
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server, port
        except requests.ConnectionError:
            assert server.poll() is None, log.read_text("utf-8", "replace")
            assert time.monotonic() < deadline, "engine serve did not answer in a minute"
            time.sleep(0.3)


@pytest.fixture
def hosts(center: Center, tmp_path: Path) -> Iterator[tuple[Path, Path, list[int], list[int]]]:
    """Host A (the center's folder, its var/ the store) and host B (a folder of its own naming
    A's store), today's lists made, both serving: the folders, the ports and the processes."""
    for campaign in (center.folder / "campaigns").glob("*.toml"):
        text = re.sub(r"(?m)^end = .*$", "end = 2099-12-31", campaign.read_text("utf-8"))
        campaign.write_text(text, "utf-8")
    today = dt.datetime.now(load_config(center.folder).tz).date()
    center.ok("run", "--date", today.isoformat(), now=f"{today} 07:30")
    second = tmp_path / "host-b"
    shutil.copytree(center.folder, second, ignore=shutil.ignore_patterns("var", "*.csv"))
    with (second / "config.toml").open("a", encoding="utf-8") as file:
        file.write(f'\n[storage]\nurl = "{center.folder / "var"}"\n')
    started = [
        _serve(folder, tmp_path / f"{name}.log")
        for name, folder in (("a", center.folder), ("b", second))
    ]
    try:
        yield center.folder, second, [p for _, p in started], [s.pid for s, _ in started]
    finally:
        for server, _ in started:
            server.terminate()
        for server, _ in started:
            server.wait(timeout=30)


def _engine(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    engine = str(Path(sys.executable).parent / "engine")
    return subprocess.run(
        [engine, "--workspace", str(folder), *args], capture_output=True, text=True, timeout=120
    )


def _logged_in(port: int, name: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"http://127.0.0.1:{port}/login", timeout=10).text
    token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = browser.post(
        f"http://127.0.0.1:{port}/login",
        data={"name": name, "password": PASSWORD, "csrf": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    return browser


def _items(page: str) -> set[str]:
    return set(re.findall(r"/agent/items/(\d+)", page))


def test_two_hosts_serve_the_same_people_and_lists_and_elect_one_scheduler(hosts) -> None:
    first, second, ports, pids = hosts
    config = load_config(first)
    engine = open_database(config.database_url)
    try:
        with engine.connect() as connection:
            busiest = connection.execute(
                sa.text(
                    "SELECT agent_id FROM list_items WHERE day = :day GROUP BY agent_id "
                    "ORDER BY count(*) DESC, agent_id LIMIT 1"
                ),
                {"day": dt.datetime.now(config.tz).date()},
            ).scalar_one()
        users.add(engine, "wangli", "agent", PASSWORD, dt.datetime.now(dt.UTC), busiest)
        browser = _logged_in(ports[0], "wangli")
        on_first = browser.get(f"http://127.0.0.1:{ports[0]}/agent", timeout=10)
        # The same session, signed on host A, carried to host B.
        on_second = requests.get(
            f"http://127.0.0.1:{ports[1]}/agent", cookies=browser.cookies, timeout=10
        )
        assert on_first.status_code == on_second.status_code == 200
        assert len(_items(on_first.text)) > 0 and _items(on_first.text) == _items(on_second.text)
        assert "/login" not in on_second.url
        # Host B reads the snapshots host A imported, from the store.
        assert not (second / "var" / "snapshots").exists()
        previews = [
            _engine(folder, "preview", "zero_usage", "--format", "json")
            for folder in (first, second)
        ]
        assert previews[0].returncode == 0, previews[0].stderr
        assert previews[1].stdout == previews[0].stdout and '"count": 0' not in previews[0].stdout

        # One of the two runs the scheduler; the other stands by.
        deadline = time.monotonic() + 30
        while True:
            with locks.exclusive(load_config(second).var, engine, "scheduler") as holder:
                if holder is not None:
                    break
            assert time.monotonic() < deadline, "no host took the scheduler"
            time.sleep(0.5)
        elected = re.search(r"process (\d+)", holder)
        assert (
            elected is not None
            and int(elected.group(1)) in pids
            and all(
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
                in (200, 503)
                for port in ports
            )
        )

        # A wave sending from host A: host B's sends nothing and names it.
        with locks.exclusive(config.var, engine, "send") as holder:
            assert holder is None
            refused = _engine(second, "send", "--dry-run")
        assert refused.returncode == 1, refused.stderr
        assert f"another wave is sending (process {os.getpid()}" in refused.stderr
        sent = _engine(second, "send", "--dry-run")
        assert sent.returncode == 0, sent.stderr
    finally:
        engine.dispose()
