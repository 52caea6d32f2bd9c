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
        engine = sa.create_engine(url)
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
