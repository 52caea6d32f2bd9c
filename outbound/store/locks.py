"""Locks of one database, across processes and hosts: a PostgreSQL advisory lock, or a file
lock beside a SQLite database's file. Held while a block runs; released by the end of the
block, or by the death of the process that held it."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from outbound.errors import UserError

# One advisory lock key a name; the scheduler's key predates this table and stays as it was.
KEYS = {"scheduler": 20_261_123, "send": 20_261_124, "run": 20_261_125, "import": 20_261_126}
POLL_SECONDS = 0.2


@contextmanager
def exclusive(var: Path, engine: sa.Engine, name: str, wait: float = 0.0) -> Iterator[str | None]:
    """Take lock NAME, waiting up to WAIT seconds for its holder to let go: None while this
    process holds it, else who holds it, in words."""
    deadline = time.monotonic() + wait
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = KEYS[name]
            while not connection.scalar(sa.select(sa.func.pg_try_advisory_lock(key))):
                if time.monotonic() >= deadline:
                    yield _pg_holder(connection, key)
                    return
                time.sleep(POLL_SECONDS)
            # The session says who holds the lock, for whoever finds it taken. A session lock
            # outlives the transaction, which must not stay open while the block runs.
            connection.scalar(sa.select(sa.func.set_config("application_name", _me(), False)))
            connection.commit()
            try:
                yield None
            finally:
                connection.scalar(sa.select(sa.func.pg_advisory_unlock(key)))
                connection.scalar(sa.select(sa.func.set_config("application_name", "", False)))
                connection.commit()
        return
    folder = _beside_database(var, engine)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.lock").open("a+") as file:
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    file.seek(0)
                    yield file.read().strip() or "another process"
                    return
                time.sleep(POLL_SECONDS)
        try:
            file.truncate(0)
            file.write(_me())
            file.flush()
            yield None
        finally:
            file.truncate(0)
            fcntl.flock(file, fcntl.LOCK_UN)


@contextmanager
def one_at_a_time(
    var: Path, engine: sa.Engine, name: str, wait: float, what: str
) -> Iterator[None]:
    """Hold lock NAME while the block runs, after waiting up to WAIT seconds for whoever holds
    it; refused, naming the holder, when it is still held then. WHAT names the work."""
    with exclusive(var, engine, name, wait) as holder:
        if holder is not None:
            raise UserError(
                f"another {what} is going ({holder}) and has not ended in {int(wait // 60)} "
                "minutes; this one did nothing. Try again when that one is over."
            )
        yield


def _beside_database(var: Path, engine: sa.Engine) -> Path:
    """Where a SQLite database's lock files go: beside its file, which every process using it
    reaches, whatever its workspace (VAR for a database in memory)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return var
    return Path(database).parent


def _me() -> str:
    return f"process {os.getpid()} on {socket.gethostname()} since {dt.datetime.now():%H:%M:%S}"


def _pg_holder(connection: sa.Connection, key: int) -> str:
    found = connection.execute(
        sa.text(
            "SELECT a.pid, a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"key": key},
    ).first()
    if found is None:
        return "another process"
    return found.application_name or f"database session {found.pid}"


def process_alive(pid: int) -> bool:
    """Whether process PID of this host is running (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
