"""The end-to-end tests' call center: a workspace with two months of a generated extract
imported and the roster loaded, driven through the command line; and a local Twilio."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from outbound.cli import main
from outbound.sample.billing import extract_frame, write_csv
from tests.peers.twilio import ACCOUNT, TOKEN, TwilioPeer, serve

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "daily"
DAY = "2026-11-02"


class Center:
    """A call center's workspace with two months imported and the roster loaded."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder, self.capsys = folder, capsys

    def engine(self, *args: str, now: str | None = None) -> tuple[int, str, str]:
        prefix = ["--workspace", str(self.folder)] + (["--now", now] if now else [])
        try:
            main([*prefix, *args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def ok(self, *args: str, now: str | None = None) -> str:
        code, out, err = self.engine(*args, now=now)
        assert code == 0, err
        return out

    def json(self, *args: str, now: str | None = None) -> dict:
        return json.loads(self.ok(*args, "--format", "json", now=now))

    def calls(self, agent: str, day: str) -> list[dict]:
        """AGENT's calls of DAY with the customers' full numbers, which the tests dial and
        reply from (each listing so is a view in the audit log)."""
        return self.json("calls", "--agent", agent, "--date", day, "--full-phones")["calls"]

    def refused(self, *args: str, now: str | None = None) -> str:
        code, _, err = self.engine(*args, now=now)
        assert code == 1, err
        assert "Traceback" not in err
        return err


@pytest.fixture
def new_center(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[[str], Center]:
    """Make the call center, with more config.toml text if given."""

    def make(more_config: str = "") -> Center:
        return _center(tmp_path, database_url, monkeypatch, capsys, more_config)

    return make


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    return new_center("")


def _center(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    more_config: str,
) -> Center:
    folder = tmp_path / "center"
    shutil.copytree(FIXTURE, folder)
    with (folder / "config.toml").open("a", encoding="utf-8") as config:
        config.write(more_config)
    monkeypatch.setenv("ENGINE_DATABASE_URL", database_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    september = extract_frame(600, "2026-09", seed=11)
    october = extract_frame(600, "2026-10", seed=11, previous=september)
    write_csv(september, folder / "2026-09.csv", encoding="gbk")
    write_csv(october, folder / "2026-10.csv", encoding="utf-8")
    center = Center(folder, capsys)
    center.ok("import", str(folder / "2026-09.csv"), "--month", "2026-09")
    center.ok("import", str(folder / "2026-10.csv"), "--month", "2026-10")
    center.ok("agents", "import", str(folder / "agents.csv"))
    return center


@pytest.fixture
def peer() -> Iterator[TwilioPeer]:
    twilio, server = serve()
    yield twilio
    server.shutdown()


def channels(peer: TwilioPeer, rate: float = 50, timeout: float = 2, concurrency: int = 8) -> str:
    return f"""
[channels]
sender = "twilio"
public_url = "https://engine.example.cn"
rate_per_second = {rate}
concurrency = {concurrency}
max_tries = 4

[channels.twilio]
api_base = "{peer.url}"
messaging_service_sid = "MG{"0" * 32}"
voice_from = "+869348000000"
timeout_seconds = {timeout}
"""


@pytest.fixture
def messaging_center(new_center: Callable[[str], Center], peer: TwilioPeer) -> Center:
    """The call center sending through the local Twilio, its first day run."""
    center = new_center(channels(peer))
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    return center
