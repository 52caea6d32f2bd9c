"""Open the database and bring its schema up to date with the Alembic migrations."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import OperationalError

from outbound.errors import UserError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 20_261_001


@contextmanager
def _migration_lock(sqlite_file: Path | None) -> Iterator[None]:
    """On SQLite, a file lock beside the database for the time of the migration."""
    if sqlite_file is None:
        yield
        return
    with sqlite_file.with_name(sqlite_file.name + ".migrating").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_database(url: str, wait_seconds: int = 120) -> sa.Engine:
    """An engine on URL whose schema is at the latest migration (created on first use; two
    processes opening a new database at once migrate it once). A write waits WAIT_SECONDS for
    another writer's lock (a daily run) instead of failing at once."""
    sqlite_file = None
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        sqlite_file = Path(url.removeprefix("sqlite:///"))
        sqlite_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _owner_only(sqlite_file)
    try:
        connect_args = {"timeout": wait_seconds} if url.startswith("sqlite") else {}
        engine = sa.create_engine(url, connect_args=connect_args)
        if engine.dialect.name == "postgresql":

            @sa.event.listens_for(engine, "connect")
            def _lock_timeout(connection: Any, _: object) -> None:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = '{int(wait_seconds)}s'")
                connection.commit()

        with _migration_lock(sqlite_file), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            migrate(connection)
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database {sa.make_url(url).render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check [database] url in config.toml or ENGINE_DATABASE_URL."
        ) from None
    return engine


def _owner_only(path: Path) -> None:
    """The database holds customers' numbers and users' password hashes: readable by its owner
    only. SQLite gives its journal files the database file's mode."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def migrate(connection: sa.Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
