"""The key that signs sessions lives in the database, not one host's var/: two app hosts with
their own folders on one database sign alike, two starting at once make one key, and a key an
earlier version kept in var/web-secret is taken over so nobody is logged out."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from outbound.config import load_config
from outbound.store.db import open_database
from outbound.web.security import Cookies, secret_key


def test_two_hosts_with_their_own_folders_sign_sessions_alike(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENGINE_WEB_SECRET", raising=False)
    other = tmp_path / "host-2"
    shutil.copytree(workspace, other)
    first, second = load_config(workspace), load_config(other)
    engine = open_database(first.database_url)
    key = secret_key(first, engine)
    assert secret_key(second, engine) == key and len(key) >= 48
    assert Cookies(secret_key(second, engine)).secret(Cookies(key).of("abc")) == "abc"
    assert not (workspace / "var" / "web-secret").exists()
    monkeypatch.setenv("ENGINE_WEB_SECRET", "from-the-environment")
    assert secret_key(second, engine) == "from-the-environment"
    engine.dispose()


def test_hosts_starting_at_once_make_one_key(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENGINE_WEB_SECRET", raising=False)
    config = load_config(workspace)
    engine = open_database(config.database_url)
    keys: list[str] = []
    start = threading.Barrier(6)

    def start_up() -> None:
        start.wait()
        keys.append(secret_key(config, engine))

    threads = [threading.Thread(target=start_up) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(keys) == 6 and len(set(keys)) == 1


def test_a_key_kept_in_var_by_an_earlier_version_is_taken_over(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENGINE_WEB_SECRET", raising=False)
    config = load_config(workspace)
    config.var.mkdir(parents=True, exist_ok=True)
    (config.var / "web-secret").write_text("kept-by-the-last-version\n")
    engine = open_database(config.database_url)
    assert secret_key(config, engine) == "kept-by-the-last-version"
    (config.var / "web-secret").unlink()
    assert secret_key(config, engine) == "kept-by-the-last-version"
    engine.dispose()
