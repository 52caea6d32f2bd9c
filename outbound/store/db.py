"""Open the database and bring its schema up to date with the Alembic migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.exc import OperationalError

from outbound.errors import UserError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def open_database(url: str) -> sa.Engine:
    """An engine on URL whose schema is at the latest migration (created on first use)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        # SQLite: a second writer waits for the lock (a daily run) instead of failing at once.
        connect_args = {"timeout": 120} if url.startswith("sqlite") else {}
        engine = sa.create_engine(url, connect_args=connect_args)
        with engine.begin() as connection:
            migrate(connection)
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database {sa.make_url(url).render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check [database] url in config.toml or ENGINE_DATABASE_URL."
        ) from None
    return engine


def migrate(connection: sa.Connection) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
