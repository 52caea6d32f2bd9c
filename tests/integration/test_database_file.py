"""The SQLite file holds customers' numbers and password hashes: its owner alone reads it."""

from __future__ import annotations

import stat
from pathlib import Path

from outbound.store.db import open_database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_file_and_its_folder_are_the_owners_only(tmp_path: Path) -> None:
    database = tmp_path / "var" / "engine.db"
    open_database(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600 and _mode(database.parent) == 0o700


def test_a_world_readable_database_file_is_closed_when_opened(tmp_path: Path) -> None:
    database = tmp_path / "engine.db"
    open_database(f"sqlite:///{database}").dispose()
    database.chmod(0o644)
    open_database(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600
