"""The agent's desk for a shift, on the rows of the day's list (worklists.todays_calls and
finished_today): where each customer stands, searching by phone, line or name, filtering,
sorting, the next customer to call and the callbacks that have fallen due. Pure: rows in, rows
out, the moment passed in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from outbound.extract import phones

# Where a customer of the day's list stands: still to call (the first four) or off the list.
OPEN_STATUSES = ("callback_due", "new", "retry", "callback", "waiting")
FINISHED_STATUSES = ("done", "later", "returned")
# What the status filter offers: "" (the default) is everyone still to call.
FILTERS: dict[str, frozenset[str]] = {
    "": frozenset(OPEN_STATUSES),
    "new": frozenset({"new"}),
    "retry": frozenset({"retry"}),
    "callback": frozenset({"callback_due", "callback"}),
    "waiting": frozenset({"waiting"}),
    "done": frozenset(FINISHED_STATUSES),
    "all": frozenset(OPEN_STATUSES + FINISHED_STATUSES),
}
SORTS = ("order", "deadline", "callback", "spend")
_DIGITS = re.compile(r"\D")
Row = TypeVar("Row", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Query:
    """What the agent asked the list for: search TEXT, a CAMPAIGN, a status FILTER, a SORT."""

    text: str = ""
    campaign: str = ""
    filter: str = ""
    sort: str = "order"

    @classmethod
    def of(cls, asked: Mapping[str, str | None]) -> Query:
        """The query from a request's parameters; an unknown filter or sort is the default."""
        filter_ = asked.get("state") or ""
        sort = asked.get("sort") or "order"
        return cls(
            (asked.get("q") or "").strip(),
            (asked.get("campaign") or "").strip(),
            filter_ if filter_ in FILTERS else "",
            sort if sort in SORTS else "order",
        )


def status(row: Mapping[str, Any], now: dt.datetime) -> str:
    """Where ROW's customer stands at NOW: a callback due or later today, waiting for a retry
    later today, tried before, new; or, off the list, done, waiting for another day or given
    back."""
    state = row["state"]
    if state in ("done", "expired"):
        return "done"
    if state == "in_progress":
        return "later"
    if state in ("returned", "open"):
        return "returned"
    callback = row["callback_at"]
    if callback is not None:
        return "callback_due" if callback <= now else "callback"
    waiting = row["next_attempt_at"]
    if waiting is not None and waiting > now:
        return "waiting"
    return "retry" if row["attempts"] else "new"


def matches(row: Mapping[str, Any], text: str, name: str | None, country: str) -> bool:
    """Whether ROW's customer is the one TEXT asks for: part of the line id or of NAME, or, for
    three digits or more, part of the phone number as stored or as dialled (3955739,
    0934-3955739 and +86 934 3955739 all find +869343955739)."""
    if not text:
        return True
    folded = text.casefold()
    if folded in row["line_id"].casefold() or (name and folded in name.casefold()):
        return True
    digits = _DIGITS.sub("", text)
    if len(digits) < 3:
        return False
    phone = row["phone"]
    return digits in _DIGITS.sub("", phone) or digits in _DIGITS.sub(
        "", phones.dialable(phone, country)
    )


def pick(
    rows: Iterable[Row],
    query: Query,
    now: dt.datetime,
    names: Mapping[str, str],
    country: str,
) -> list[Row]:
    """ROWS (in the order to call) that QUERY asks for at NOW, as it sorts them; NAMES are the
    customers' names by line id."""
    wanted = FILTERS[query.filter]
    found = [
        row
        for row in rows
        if status(row, now) in wanted
        and query.campaign in ("", row["campaign"])
        and matches(row, query.text, names.get(row["line_id"]), country)
    ]
    if query.sort == "deadline":
        found.sort(key=lambda row: (row["due_at"] is None, row["due_at"] or now))
    elif query.sort == "callback":
        found.sort(key=lambda row: (row["callback_at"] is None, row["callback_at"] or now))
    elif query.sort == "spend":
        found.sort(key=lambda row: -(row["value"] or 0))
    return found


def callable_now(row: Mapping[str, Any], now: dt.datetime) -> bool:
    return status(row, now) in ("callback_due", "new", "retry")


def next_call(rows: Iterable[Row], now: dt.datetime, skipped: Iterable[int] = ()) -> Row | None:
    """The first of ROWS (in the order to call) that may be called at NOW, SKIPPED aside: a
    callback only once due, a retry only once its time has come."""
    passed = set(skipped)
    return next((row for row in rows if row["id"] not in passed and callable_now(row, now)), None)


def due_callbacks(rows: Iterable[Row], now: dt.datetime) -> list[Row]:
    """The callbacks of ROWS that have fallen due by NOW, the earliest first."""
    due = [row for row in rows if status(row, now) == "callback_due"]
    return sorted(due, key=lambda row: row["callback_at"])
