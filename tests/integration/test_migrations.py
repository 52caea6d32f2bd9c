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


def alembic_config() -> AlembicConfig:
    """Alembic on the engine's migrations; its connection is set in the test's transaction."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


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
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        assert sa.inspect(connection).get_table_names() == ["alembic_version"]
        command.upgrade(config, "head")
        assert "work_orders" in sa.inspect(connection).get_table_names()
    engine.dispose()


def test_earlier_outcome_events_keep_their_reason_and_note_in_columns(database_url: str) -> None:
    engine = open_database(database_url)
    config = alembic_config()
    written = {
        1: "reason: uses_mobile; note: 在外地打工，下月回来",
        2: "reason: busy_farming; note: 秋收忙; 下周再打; callback at 2026-11-03 15:00",
        3: "reason: no_need",
        4: "转装维部处理",
        5: None,
    }
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        connection.execute(
            sa.text(
                "INSERT INTO events (id, order_id, at, actor, kind, code, detail) "
                "VALUES (:id, 1, :at, 'A01', 'outcome', 'declined', :detail)"
            ),
            [{"id": i, "at": "2026-11-02 08:00:00+00:00", "detail": d} for i, d in written.items()],
        )
        command.upgrade(config, "head")
        rows = connection.execute(
            sa.text("SELECT id, reason, note, detail FROM events ORDER BY id")
        ).all()
        assert [tuple(row) for row in rows] == [
            (1, "uses_mobile", "在外地打工，下月回来", None),
            (2, "busy_farming", "秋收忙; 下周再打", "callback at 2026-11-03 15:00"),
            (3, "no_need", None, None),
            # Not the shape outcomes.record wrote: left in detail, nothing lost.
            (4, None, None, "转装维部处理"),
            (5, None, None, None),
        ]
        command.downgrade(config, "0008")
        details = connection.execute(sa.text("SELECT detail FROM events ORDER BY id")).scalars()
        assert list(details) == list(written.values())
    engine.dispose()


def test_earlier_suppressions_get_the_scope_their_reason_has_now(database_url: str) -> None:
    engine = open_database(database_url)
    config = alembic_config()
    written = [
        ("+8613993412345", "opt_out", "inbound SMS SM1", "2026-11-02 08:00: TD"),
        ("+869348123456", "wrong_number", "outbox 7", "Twilio 21614"),
        ("+8613993400000", "wrong_number", "work order 9", None),
        ("+8613993411111", "do_not_call", "免打扰.csv", None),
    ]
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
        connection.execute(
            sa.text(
                "INSERT INTO suppressions (phone, reason, source, note, created_at) "
                "VALUES (:phone, :reason, :source, :note, '2026-11-02 08:00:00+00:00')"
            ),
            [dict(zip(("phone", "reason", "source", "note"), row, strict=True)) for row in written],
        )
        command.upgrade(config, "head")
        scoped = connection.execute(
            sa.text("SELECT phone, channel, purpose FROM suppressions ORDER BY phone")
        ).all()
        assert [tuple(row) for row in scoped] == [
            ("+8613993400000", "*", "*"),
            ("+8613993411111", "*", "*"),
            ("+8613993412345", "*", "marketing"),
            ("+869348123456", "sms", "*"),
        ]
        command.downgrade(config, "0009")
        back = connection.execute(sa.text("SELECT phone, reason FROM suppressions")).all()
        assert sorted(tuple(row) for row in back) == sorted((p, r) for p, r, _, _ in written)
        command.upgrade(config, "head")
    engine.dispose()
