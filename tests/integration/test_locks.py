"""Work that goes one at a time per database (runs, imports, waves), on SQLite and PostgreSQL:
a second one waits for the first, and is refused naming it when the wait runs out."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from outbound.errors import UserError
from outbound.store import locks
from outbound.store.db import open_database


def test_a_second_holder_waits_for_the_first_and_is_refused_naming_it_when_it_lasts(
    database_url: str, tmp_path: Path
) -> None:
    engine = open_database(database_url)
    var = tmp_path / "var"
    with locks.exclusive(var, engine, "import") as first:
        assert first is None
        started = time.monotonic()
        with (
            pytest.raises(UserError) as refused,
            locks.one_at_a_time(var, engine, "import", 0.5, "import"),
        ):
            pass
        assert time.monotonic() - started >= 0.5
    assert "another import is going (process " in str(refused.value)
    assert "this one did nothing" in str(refused.value)

    order: list[str] = []

    def second() -> None:
        with locks.one_at_a_time(var, engine, "import", 30, "import"):
            order.append("second")

    with locks.exclusive(var, engine, "import"):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.5)
        order.append("first done")
    waiting.join(timeout=30)
    assert order == ["first done", "second"]
    engine.dispose()


def test_locks_of_different_work_do_not_wait_for_each_other(
    database_url: str, tmp_path: Path
) -> None:
    engine = open_database(database_url)
    with (
        locks.exclusive(tmp_path, engine, "run") as run,
        locks.exclusive(tmp_path, engine, "import") as import_,
    ):
        assert run is None and import_ is None
    engine.dispose()
