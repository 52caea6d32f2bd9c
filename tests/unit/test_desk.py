"""The agent's desk without a database: numbers as dialled, where a customer stands, searching,
filtering, sorting, the next customer to call and the callbacks due."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from outbound.extract.phones import dialable
from outbound.orders import desk

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.mark.parametrize(
    ("e164", "country", "dialled"),
    [
        ("+869343955739", "CN", "0934-3955739"),
        ("+861012345678", "CN", "010-12345678"),
        ("+8613912345678", "CN", "139 1234 5678"),
        ("+14155552671", "US", "(415) 555-2671"),
        ("+14155552671", "CN", "00 1 415-555-2671"),
        ("not a number", "CN", "not a number"),
        ("+8612", "CN", "+8612"),
    ],
)
def test_a_number_is_shown_as_the_agent_dials_it(e164: str, country: str, dialled: str) -> None:
    assert dialable(e164, country) == dialled


def row(item: int, **values: Any) -> dict[str, Any]:
    base = {
        "id": item,
        "campaign": "complaint_callback",
        "line_id": f"QY{item:010d}",
        "phone": "+869343955739",
        "state": "assigned",
        "attempts": 0,
        "callback_at": None,
        "next_attempt_at": None,
        "due_at": None,
        "value": None,
    }
    return base | values


def test_where_a_customer_stands_follows_callbacks_retries_and_the_order_state() -> None:
    hour = dt.timedelta(hours=1)
    assert desk.status(row(1), NOW) == "new"
    assert desk.status(row(1, attempts=1), NOW) == "retry"
    assert desk.status(row(1, attempts=1, next_attempt_at=NOW + hour), NOW) == "waiting"
    assert desk.status(row(1, callback_at=NOW + hour), NOW) == "callback"
    assert desk.status(row(1, callback_at=NOW), NOW) == "callback_due"
    assert desk.status(row(1, state="done"), NOW) == "done"
    assert desk.status(row(1, state="in_progress"), NOW) == "later"
    assert desk.status(row(1, state="returned"), NOW) == "returned"


@pytest.mark.parametrize(
    "text", ["3955739", "0934-3955739", "0934 395 5739", "+86 934 3955739", "qy0000000001", "王"]
)
def test_a_search_finds_the_customer_by_number_line_or_name(text: str) -> None:
    assert desk.matches(row(1), text, "王丽", "CN")


@pytest.mark.parametrize("text", ["39", "1234567", "QY9", "李"])
def test_a_search_leaves_out_other_customers_and_too_few_digits(text: str) -> None:
    assert not desk.matches(row(1), text, "王丽", "CN")


def test_picking_filters_by_status_and_campaign_and_sorts_by_deadline() -> None:
    rows = [
        row(1, due_at=NOW + dt.timedelta(days=2)),
        row(2, campaign="zero_usage_wakeup"),
        row(3, due_at=NOW + dt.timedelta(days=1), callback_at=NOW),
        row(4, state="done"),
    ]
    ids = lambda picked: [r["id"] for r in picked]  # noqa: E731
    assert ids(desk.pick(rows, desk.Query(), NOW, {}, "CN")) == [1, 2, 3]
    assert ids(desk.pick(rows, desk.Query(filter="done"), NOW, {}, "CN")) == [4]
    assert ids(desk.pick(rows, desk.Query(campaign="zero_usage_wakeup"), NOW, {}, "CN")) == [2]
    assert ids(desk.pick(rows, desk.Query(sort="deadline"), NOW, {}, "CN")) == [3, 1, 2]
    assert ids(desk.pick(rows, desk.Query(filter="callback"), NOW, {}, "CN")) == [3]


def test_a_query_from_the_request_falls_back_to_the_defaults() -> None:
    query = desk.Query.of({"q": " 3955 ", "state": "nonsense", "sort": "nonsense"})
    assert query == desk.Query(text="3955")


def test_the_next_call_skips_callbacks_not_yet_due_retries_waiting_and_those_skipped() -> None:
    later = NOW + dt.timedelta(minutes=30)
    rows = [row(1, callback_at=later), row(2, next_attempt_at=later, attempts=1), row(3), row(4)]
    assert desk.next_call(rows, NOW)["id"] == 3  # type: ignore[index]
    assert desk.next_call(rows, NOW, skipped=[3])["id"] == 4  # type: ignore[index]
    assert desk.next_call(rows, NOW, skipped=[3, 4]) is None
    assert desk.next_call(rows, later)["id"] == 1  # type: ignore[index]


def test_callbacks_fall_due_at_their_time_earliest_first() -> None:
    rows = [row(1, callback_at=NOW), row(2, callback_at=NOW - dt.timedelta(minutes=5)), row(3)]
    assert [r["id"] for r in desk.due_callbacks(rows, NOW - dt.timedelta(minutes=1))] == [2]
    assert [r["id"] for r in desk.due_callbacks(rows, NOW)] == [2, 1]
