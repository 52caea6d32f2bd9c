"""The migrations build the schema the models describe, on SQLite and PostgreSQL: a column or
index added to a model without its migration (or the other way round) fails here."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext

from outbound.store.db import MIGRATIONS, open_database
from outbound.store.models import Base

# Tables that are not the models': Alembic's own, and APScheduler's job store.
OTHERS = {"alembic_version", "scheduled_jobs"}


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = open_database(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name not in OTHERS,
            },
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_every_migration_goes_down_and_up_again(database_url: str) -> None:
    engine = open_database(database_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        assert sa.inspect(connection).get_table_names() == ["alembic_version"]
        command.upgrade(config, "head")
        assert "work_orders" in sa.inspect(connection).get_table_names()
    engine.dispose()
