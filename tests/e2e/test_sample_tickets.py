"""The sample's tickets: a stream of complaints, repairs and installs on the extract's lines,
the same for a seed, that every reader of tickets takes; worked over a few days, the tickets
are taken in as they arrive, called within their limits or not, escalated, answered by the
departments and called back, and the ticket report measures it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

import pandas as pd
import pytest

from outbound.config import LINE_ID, PHONE, PHONE_TYPE, Config, load_config
from outbound.extract import snapshots
from outbound.orders.tickets import FIELDS, Ticket, read
from outbound.sample.billing import extract_frame, write_parquet
from outbound.sample.tickets import stream
from outbound.store.db import open_database
from tests.e2e.conftest import Center

TICKETS = """
[tickets.complaint]
title = "投诉回访"
deadline_hours = 72

[tickets.fault]
title = "故障修复回访"
deadline_hours = 24

[tickets.new_install]
title = "新装关怀"
deadline_hours = 72

[departments."装维部"]
deadline_hours = 48

[departments."网络部"]
deadline_hours = 72
"""
FIRST, LAST = dt.date(2026, 11, 2), dt.date(2026, 11, 4)
WORK = ("sample", "work", "--from", f"{FIRST}", "--through", f"{LAST}")
TAKEN = re.compile(r"^(\S+): .*; (\d+) tickets taken in$", re.M)


@pytest.fixture
def center(new_center: Callable[[str], Center]) -> Center:
    made = new_center(TICKETS)
    # What `engine sample work` continues into the next month's extract: the fixture's October.
    september = extract_frame(600, "2026-09", seed=11)
    october = extract_frame(600, "2026-10", seed=11, previous=september)
    (made.folder / "data").mkdir()
    write_parquet(october, made.folder / "data" / "2026-10.parquet")
    return made


def the_lines(center: Center) -> tuple[Config, pd.DataFrame]:
    config = load_config(center.folder)
    engine = open_database(config.database_url)
    try:
        lines = snapshots.load_month(config, engine, "2026-10", [LINE_ID, PHONE, PHONE_TYPE])
    finally:
        engine.dispose()
    assert lines is not None
    return config, lines


def as_rows(tickets: list[Ticket]) -> list[dict[str, object]]:
    rows = []
    for ticket in tickets:
        row = {name: getattr(ticket, name) for name in FIELDS}
        rows.append(row | {"received_at": ticket.received_at.isoformat()})
    return rows


def test_the_stream_is_the_same_for_a_seed_and_every_ticket_reads_without_a_problem(
    center: Center,
) -> None:
    config, lines = the_lines(center)
    week = stream(lines, dt.date(2026, 11, 2), dt.date(2026, 11, 8), config.tz, seed=5)
    assert week == stream(lines, dt.date(2026, 11, 2), dt.date(2026, 11, 8), config.tz, seed=5)
    assert week != stream(lines, dt.date(2026, 11, 2), dt.date(2026, 11, 8), config.tz, seed=6)
    # A day is the same whichever range it is drawn in: working on later never changes it.
    middle = [
        t for t in week if dt.date(2026, 11, 4) <= t.received_at.date() <= dt.date(2026, 11, 5)
    ]
    assert middle == stream(lines, dt.date(2026, 11, 4), dt.date(2026, 11, 5), config.tz, seed=5)

    intake = read(as_rows(week), config, dt.datetime(2026, 11, 9, tzinfo=config.tz))
    assert intake.problems == [] and intake.tickets == week

    per_day = Counter((t.received_at.astimezone(config.tz).date(), t.type) for t in week)
    for day in range(2, 9):
        assert per_day[dt.date(2026, 11, day), "complaint"] >= 10, per_day
        assert per_day[dt.date(2026, 11, day), "fault"] >= 5, per_day
    assert sum(per_day[d, "new_install"] for d, _ in per_day) > 0
    assert {t.source for t in week} == {"crm", "fault", "install"}
    assert {t.department for t in week if t.type == "fault"} == {"装维部"}
    hours = {t.received_at.astimezone(config.tz).hour for t in week}
    assert hours & {22, 23, 0, 1, 2, 3, 4, 5, 6}  # some wait for the morning's calling hours
    lines_twice = [line for line, n in Counter(t.line_id or t.phone for t in week).items() if n > 1]
    assert lines_twice
    assert len({t.text for t in week if t.type == "complaint"}) >= 10


def test_worked_days_take_the_tickets_in_call_them_answer_them_and_call_back(
    center: Center,
) -> None:
    config, lines = the_lines(center)
    worked = center.ok(*WORK)
    taken = dict(TAKEN.findall(worked))
    assert set(taken) == {f"{FIRST}", f"{FIRST + dt.timedelta(1)}", f"{LAST}"}, worked
    sent = stream(lines, FIRST, LAST, config.tz)
    assert sum(int(n) for n in taken.values()) == len(sent)

    report = center.json("tickets", "report", "--month", "2026-11", now="2026-11-30 12:00")
    types = {row["type"]: row for row in report["ticket_types"] if row["source"] == "all"}
    assert sum(row["received"] for row in types.values()) == len(sent)
    complaints, faults = types["complaint"], types["fault"]
    assert 0 < complaints["within_limit_pct"] < 100, complaints  # the last evening's still wait
    assert 0 < faults["within_limit_pct"] < 100, faults
    assert complaints["contacted"] > complaints["received"] / 2, complaints
    assert complaints["first_contact_median_h"] < 24, complaints

    departments = {row["department"]: row for row in report["departments"]}
    repairs = departments["装维部"]
    assert 0 < repairs["replied"] < repairs["escalated"], repairs  # and some not answered
    recalls = {row["result"]: row["recalls"] for row in report["recalls"]}
    assert sum(n for result, n in recalls.items() if result != "open") > 0, recalls

    again = center.ok(*WORK)
    assert again.count("outcomes none due; 0 messages sent; 0 tickets taken in") == 3, again
    assert center.json("tickets", "report", "--month", "2026-11", now="2026-11-30 12:00") == report


def test_a_customers_second_ticket_goes_to_the_agent_of_the_first(center: Center) -> None:
    center.ok(*WORK)
    listed = center.json("orders", now="2026-11-30 12:00")["orders"]
    # Each ticket's own order (its re-callbacks carry its external id too, made later).
    own: dict[str, dict] = {}
    for order in sorted(listed, key=lambda o: o["id"]):
        if order["external_id"] and order["channel"] == "call":
            own.setdefault(order["external_id"], order)
    agent_before: dict[str, str] = {}
    pairs = []
    for order in sorted(own.values(), key=lambda o: o["id"]):
        if order["external_id"].rsplit("-", 1)[1].startswith("R") and order["agent"]:
            pairs.append((agent_before.get(order["line_id"]), order["agent"]))
        if order["agent"]:
            agent_before[order["line_id"]] = order["agent"]
    both = [(first, second) for first, second in pairs if first]
    assert both, pairs
    assert sum(first == second for first, second in both) > len(both) / 2, both
