"""The daily run with best_agents = "results": the CLI's run measures the agents' last weeks
and runs; a run given no way to measure them says so rather than falling back unseen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from outbound.config import load_config
from outbound.errors import UserError
from outbound.plan import daily
from outbound.results import quality
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center

BY_RESULTS = '\n[assignment]\nbest_agents = "results"\nweeks = 2\nmin_reached = 1\n'
NEXT = "2026-11-03"


def test_engine_run_by_results_measures_the_weeks_before_the_day_and_gives_out_new_work(
    new_center: Callable[[str], Center], monkeypatch: pytest.MonkeyPatch
) -> None:
    center = new_center(BY_RESULTS)
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    for agent, code in (("A03", "satisfied"), ("A01", "unsatisfied")):
        item = next(c for c in center.calls(agent, DAY) if c["campaign"] == "complaint_callback")
        center.ok(
            "outcome", str(item["item"]), "--code", code, "--agent", agent, now=f"{DAY} 10:00"
        )
    windows = []
    measure = quality.agent_quality

    def measured(connection, config, start, end):  # type: ignore[no-untyped-def]
        windows.append((start, end))
        return measure(connection, config, start, end)

    monkeypatch.setattr(quality, "agent_quality", measured)
    center.ok("run", "--date", NEXT, now=f"{NEXT} 07:30")
    tz = load_config(center.folder).tz
    assert windows == [
        (dt.datetime(2026, 10, 20, tzinfo=tz), dt.datetime(2026, 11, 3, tzinfo=tz))
    ]  # weeks = 2 before the day
    new = [c for a in ("A01", "A02", "A03") for c in center.calls(a, NEXT) if not c["attempts"]]
    assert new, "the second day gives out new work"


def test_a_run_by_results_without_a_measure_is_refused_with_what_to_do(
    new_center: Callable[[str], Center],
) -> None:
    center = new_center(BY_RESULTS)
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    now = dt.datetime(2026, 11, 2, 7, 30, tzinfo=config.tz)
    with pytest.raises(UserError, match='best_agents = "results" needs the agents'):
        daily.run_day(config, engine, now.date(), now)
    engine.dispose()
