"""A wave of 10,000 SMS killed with kill -9 at random points, three times, and then finished:
every message reaches the local Twilio exactly once and every row ends sent, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from outbound.config import load_config
from outbound.messages import outbox
from outbound.store.db import open_database
from tests.e2e.conftest import channels
from tests.peers.twilio import ACCOUNT, TOKEN, TwilioPeer, marketing_sms

ROOT = Path(__file__).resolve().parent.parent.parent
MESSAGES = 10_000
DAY = dt.date(2026, 11, 2)


@pytest.fixture
def soak(tmp_path: Path, database_url: str, peer: TwilioPeer) -> tuple[Path, dict[str, str]]:
    """A workspace whose outbox holds MESSAGES marketing SMS due on DAY, and the environment
    its commands run in."""
    folder = tmp_path / "soak"
    folder.mkdir()
    config_text = """timezone = "Asia/Shanghai"

[extract]
line_id = "line"
phone = "phone"
""" + channels(peer, rate=2000, timeout=10)
    (folder / "config.toml").write_text(config_text, encoding="utf-8")
    environ = {
        **os.environ,
        "ENGINE_DATABASE_URL": database_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": TOKEN,
    }
    engine = open_database(load_config(folder, environ=environ).database_url)
    with engine.begin() as connection:
        outbox.add(
            connection, marketing_sms(MESSAGES), DAY, True, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        )
    engine.dispose()
    return folder, environ


def test_a_wave_of_ten_thousand_killed_three_times_sends_each_message_exactly_once(
    soak: tuple[Path, dict[str, str]], peer: TwilioPeer
) -> None:
    folder, environ = soak
    command = [sys.executable, str(ROOT / "engine.py"), "--workspace", str(folder)]
    chance = random.Random(7)
    for minute in (0, 10, 20):  # each wave past the lookup grace of the one before
        wave = subprocess.Popen(
            [*command, "--now", f"{DAY} 10:{minute:02d}", "send"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        left = MESSAGES - len(peer.created)
        target = len(peer.created) + chance.randint(left // 10, left // 3)
        deadline = time.monotonic() + 120
        while len(peer.created) < target and time.monotonic() < deadline:
            time.sleep(chance.uniform(0.001, 0.02))
        assert wave.poll() is None, "the wave ended before it could be killed"
        wave.send_signal(signal.SIGKILL)
        wave.wait()
    killed_at = len(peer.created)
    finish = subprocess.run(
        [*command, "--now", f"{DAY} 10:40", "send"], env=environ, capture_output=True, text=True
    )
    assert finish.returncode == 0, finish.stderr
    counts = Counter(c.outbox_id for c in peer.created)
    assert 0 < killed_at < MESSAGES
    assert len(counts) == MESSAGES and set(counts.values()) == {1}
    assert peer.violations == []
    listed = subprocess.run(
        [*command, "outbox", "--format", "json"], env=environ, capture_output=True, text=True
    )
    assert json.loads(listed.stdout)["states"] == {"sent": MESSAGES}
