"""The reasons agents record with reached zero-usage customers, counted per campaign and broken
down by region, plan, agent and week, against a hand-made week of outcomes on both databases;
only an order's current outcome counts; the Results page shows them with their chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pytest
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.errors import UserError
from outbound.orders.undo import undo
from outbound.results import charts, period, reasons
from outbound.store.db import open_database
from outbound.workspace.campaigns import load_campaigns
from tests.e2e.conftest import DAY, Center
from tests.e2e.test_results import october

CAMPAIGN = "zero_usage_wakeup"
NEXT, NEXT_WEEK = "2026-11-03", "2026-11-09"


@dataclass(frozen=True)
class Worked:
    """The center after its outcomes, and the orders (id, agent, line) given each reason."""

    center: Center
    config: Config
    engine: sa.Engine
    counted: dict[str, tuple[str, str, str]]  # order id: (reason, agent, line id)


@pytest.fixture
def worked(center: Center) -> Iterator[Worked]:
    """DAY (Monday of 2026-W45): A01 records 资费原因 and 搬迁; A02 first hears 线路故障 at a
    callback and then 搬迁 the next day (that order counts once, as 搬迁), records 其他 and
    undoes it; A03 misses one customer. NEXT_WEEK (W46): A01 records 线路故障 on a third."""
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    mine = zero_usage(center, "A01")
    theirs = zero_usage(center, "A02")
    missed = zero_usage(center, "A03")[0]
    outcome(center, mine[0], "accepted", "price", f"{DAY} 10:00")
    outcome(center, mine[1], "declined", "moved_away", f"{DAY} 10:05")
    outcome(center, theirs[0], "callback", "line_fault", f"{DAY} 11:00", f"{NEXT} 09:30")
    outcome(center, theirs[1], "declined", "other", f"{DAY} 11:10")
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    at = dt.datetime(2026, 11, 2, 11, 12, tzinfo=config.tz)
    undo(engine, int(theirs[1]["id"]), at.astimezone(dt.UTC), config.tz, by="A02")
    center.ok("outcome", str(missed["id"]), "--code", "no_answer", now=f"{DAY} 11:20")
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    outcome(center, theirs[0], "declined", "moved_away", f"{NEXT} 09:35")
    center.ok("run", "--date", NEXT_WEEK, now=f"{NEXT_WEEK} 07:30")
    later = next(o for o in zero_usage(center, "A01") if o["state"] == "assigned")
    outcome(center, later, "declined", "line_fault", f"{NEXT_WEEK} 10:00")
    counted = {
        str(mine[0]["id"]): ("price", "A01", mine[0]["line_id"]),
        str(mine[1]["id"]): ("moved_away", "A01", mine[1]["line_id"]),
        str(theirs[0]["id"]): ("moved_away", "A02", theirs[0]["line_id"]),
        str(later["id"]): ("line_fault", "A01", later["line_id"]),
    }
    yield Worked(center, config, engine, counted)
    engine.dispose()


def zero_usage(center: Center, agent: str) -> list[dict]:
    listed = center.json("orders", "--agent", agent, "--type", CAMPAIGN)["orders"]
    return sorted(listed, key=lambda order: order["id"])


def outcome(
    center: Center,
    order: dict,
    code: str,
    reason: str,
    now: str,
    callback_at: str | None = None,
) -> None:
    callback = ("--callback-at", callback_at) if callback_at else ()
    center.ok(
        "outcome",
        str(order["id"]),
        *("--code", code, "--reason", reason, "--agent", order["agent"], *callback),
        now=now,
    )


def table(worked: Worked, by: str, span: period.Period) -> pd.DataFrame:
    campaigns, _ = load_campaigns(worked.config)
    with worked.engine.connect() as connection:
        return reasons.table(worked.config, connection, campaigns, span, by)  # type: ignore[arg-type]


def counts(found: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(value, label) → count, the reasons nobody gave left out."""
    rows = zip(found["value"], found["label"], found["count"], strict=True)
    return {(value, label): count for value, label, count in rows if count}


def test_the_months_reasons_count_each_order_once_by_its_current_outcome(worked: Worked) -> None:
    found = table(worked, "agent", period.month("2026-11"))
    assert set(found["campaign"]) == {CAMPAIGN}
    whole = found[found["value"] == "all"]
    assert list(whole["label"]) == ["搬迁", "改用手机", "资费原因", "线路故障", "其他"]
    assert list(whole["count"]) == [2, 0, 1, 1, 0]
    assert list(whole["share"]) == [0.5, 0.0, 0.25, 0.25, 0.0]
    assert counts(found[found["value"] != "all"]) == {
        ("A01", "搬迁"): 1,
        ("A01", "资费原因"): 1,
        ("A01", "线路故障"): 1,
        ("A02", "搬迁"): 1,
    }
    a01 = found[found["value"] == "A01"]
    assert list(a01["share"]) == [0.333, 0.0, 0.333, 0.333, 0.0]


def test_reasons_by_week_fall_in_the_iso_week_of_the_outcomes_local_day(worked: Worked) -> None:
    found = table(worked, "week", period.month("2026-11"))
    assert counts(found[found["value"] != "all"]) == {
        ("2026-W45", "搬迁"): 2,
        ("2026-W45", "资费原因"): 1,
        ("2026-W46", "线路故障"): 1,
    }
    only_w45 = table(worked, "week", period.week("2026-W45"))
    assert counts(only_w45[only_w45["value"] == "all"]) == {
        ("all", "搬迁"): 2,
        ("all", "资费原因"): 1,
    }
    assert table(worked, "week", period.month("2026-12")).empty


def test_reasons_by_region_and_plan_follow_the_order_and_its_months_extract(
    worked: Worked,
) -> None:
    extract = october().set_index("用户编号")
    expected_region: dict[tuple[str, str], int] = {}
    expected_plan: dict[tuple[str, str], int] = {}
    labels = worked.config.settings.reasons["unused_line"]
    for reason, _, line in worked.counted.values():
        for expected, column in ((expected_region, "区县"), (expected_plan, "套餐")):
            key = (str(extract.loc[line, column]), labels[reason])
            expected[key] = expected.get(key, 0) + 1
    for by, expected in (("region", expected_region), ("plan", expected_plan)):
        found = table(worked, by, period.month("2026-11"))
        assert counts(found[found["value"] != "all"]) == expected
        each = found[found["value"] != "all"].groupby("value")["share"].sum()
        assert each.round(2).eq(1.0).all()


def test_a_reason_breakdown_that_does_not_exist_is_refused_with_the_ones_that_do(
    worked: Worked,
) -> None:
    with pytest.raises(UserError, match="by one of region, plan, agent, week"):
        table(worked, "team", period.month("2026-11"))


def test_the_chart_has_a_bar_a_value_and_the_whole_and_each_reasons_label(worked: Worked) -> None:
    found = table(worked, "agent", period.month("2026-11"))
    svg = charts.reasons(found, "零次户唤醒：按坐席的原因分布", lambda text, **_: text)
    assert svg.startswith("<svg")
    for text in ("零次户唤醒：按坐席的原因分布", "A01", "A02", "all", "搬迁", "线路故障"):
        assert text in svg
