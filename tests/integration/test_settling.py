"""The wave's store work in batches, on SQLite and PostgreSQL: rows claimed a batch at a time,
outcomes written many to a transaction, and a write that fails stopping the wave without
losing what the provider took."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.messages import outbox, settling
from outbound.messages.channels.dryrun import DryRun
from outbound.messages.outbox import OUTBOX
from outbound.messages.sending import Claims, send_wave
from outbound.store.db import open_database
from outbound.store.orders import EVENTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store(database_url: str) -> Iterator[sa.Engine]:
    """A store whose outbox holds 250 pending marketing SMS, orders 1 to 250."""
    engine = open_database(database_url)
    messages = pd.DataFrame(
        {
            "order_id": range(1, 251),
            "campaign": "high_spender_upsell",
            "channel": "sms",
            "line_id": [f"QY{i:010d}" for i in range(250)],
            "phone": [f"+86139{i:08d}" for i in range(250)],
            "text": "【中国电信】您本月话费188.13元，办理家家e可省更多。回复TD退订",
        }
    )
    with engine.begin() as connection:
        outbox.add(connection, messages, NOW.date(), True, NOW)
    yield engine
    engine.dispose()


def rows(engine: sa.Engine) -> list[dict]:
    with engine.connect() as connection:
        return outbox.due(connection, NOW, None, None).to_dict("records")


def states(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(OUTBOX.c.state, sa.func.count()).group_by(OUTBOX.c.state)
        )
        return {state: count for state, count in found}


def test_claims_take_a_batch_at_a_time_and_count_rows_another_sender_had(
    store: sa.Engine,
) -> None:
    due = rows(store)
    with store.begin() as connection:  # another sender took two rows of the second batch
        assert outbox.claim(connection, [due[100]["id"], due[101]["id"]], NOW) == {
            due[100]["id"],
            due[101]["id"],
        }
    claims = Claims(store, due, lambda: NOW, batch=100)
    first = claims.next()
    assert first is not None and first["id"] == due[0]["id"]
    assert states(store) == {"sending": 102, "pending": 148}
    handed = [first] + [claims.next() for _ in range(99)]
    assert states(store)["sending"] == 102  # the first batch is handed out before the next
    handed.append(claims.next())
    assert handed[-1] is not None and handed[-1]["id"] == due[102]["id"]
    assert claims.taken == 2 and states(store) == {"sending": 200, "pending": 50}
    unsent = claims.unsent()
    assert len(unsent) == 97
    assert claims.next() is not None  # claims the last 50
    with store.begin() as connection:
        outbox.release(connection, [row["id"] for row in unsent])
    assert states(store) == {"sending": 153, "pending": 97}


def test_outcomes_written_together_mark_sent_log_the_order_and_give_back_the_rest(
    store: sa.Engine,
) -> None:
    due = rows(store)
    with store.begin() as connection:
        outbox.claim(connection, [row["id"] for row in due[:3]], NOW)
        # The delivery callback of the first came before the API's answer was written.
        outbox.settle(connection, due[0]["id"], state="delivered", provider_id="SM0")
    with store.begin() as connection:
        settling.write(
            connection,
            [
                settling.Outcome(due[0], "sent", NOW, provider_id="SM0"),
                settling.Outcome(due[1], "sent", NOW, provider_id="SM1"),
                settling.Outcome(due[2], "waiting", NOW),
            ],
        )
    with store.connect() as connection:
        got = {
            r.id: (r.state, r.provider_id, r.tries)
            for r in connection.execute(
                sa.select(OUTBOX).where(OUTBOX.c.id.in_([row["id"] for row in due[:3]]))
            )
        }
        logged = connection.execute(
            sa.select(EVENTS.c.order_id, EVENTS.c.detail).where(EVENTS.c.kind == "sent")
        ).all()
    assert got == {
        due[0]["id"]: ("delivered", "SM0", 1),
        due[1]["id"]: ("sent", "SM1", 1),
        due[2]["id"]: ("pending", None, 0),
    }
    assert sorted(logged) == [(due[0]["order_id"], "SM0"), (due[1]["order_id"], "SM1")]


def test_a_write_that_fails_stops_the_wave_is_raised_and_leaves_its_rows_for_recovery(
    store: sa.Engine,
) -> None:
    due = rows(store)
    with store.begin() as connection:
        outbox.claim(connection, [row["id"] for row in due[:2]], NOW)
    broken = {**due[1], "order_id": None}  # an event without its order: the store refuses it
    stop = threading.Event()
    with (
        pytest.raises(sa.exc.IntegrityError),
        settling.Ledger(store, stop, close_sent=False) as ledger,
    ):
        ledger.add(settling.Outcome(due[0], "sent", NOW, provider_id="SM0"))
        ledger.add(settling.Outcome(broken, "sent", NOW, provider_id="SM1"))
    assert stop.is_set()
    # Neither is written: both stay `sending`, for the next wave to ask the provider about.
    assert states(store) == {"sending": 2, "pending": 248}


def test_a_sender_that_breaks_stops_the_wave_raises_and_gives_back_what_it_claimed(
    store: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(
        'timezone = "Asia/Shanghai"\n[extract]\nline_id = "line"\nphone = "phone"\n', "utf-8"
    )
    config = load_config(tmp_path, environ={"ENGINE_DATABASE_URL": database_url})
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")  # the dry-run file cannot be made under it
    with pytest.raises(FileExistsError):
        send_wave(config, store, DryRun(blocked), NOW)
    # The messages in the senders' hands stay `sending` for recovery; the rest are due again.
    left = states(store)
    assert left["pending"] >= 250 - config.channels.concurrency
    assert left["pending"] + left.get("sending", 0) == 250
    with store.connect() as connection:
        tries = connection.execute(
            sa.select(sa.func.sum(OUTBOX.c.tries)).where(OUTBOX.c.state == "pending")
        ).scalar()
    assert tries == 0
