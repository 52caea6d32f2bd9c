"""The span a report covers: a day (日报), an ISO week (周报, 2026-W45) or a month (月报), as
local calendar days of the workspace and as the UTC moments that bound them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from outbound.errors import UserError

Kind = Literal["day", "week", "month"]
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: dt.date
    last: dt.date  # included

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first:%Y-%m}"

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The UTC moments from the first day's local midnight to the midnight after the last."""
        start = dt.datetime.combine(self.first, dt.time(), tz)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def before(self) -> Period:
        """The period of the same kind just before this one (last week, last month)."""
        if self.kind == "month":
            return month(f"{self.first - dt.timedelta(days=1):%Y-%m}")
        length = dt.timedelta(days=(self.last - self.first).days + 1)
        return Period(self.kind, self.first - length, self.last - length)


def day(when: dt.date) -> Period:
    return Period("day", when, when)


def week(text: str) -> Period:
    """The ISO week TEXT (2026-W45: Monday 2 November to Sunday 8 November 2026)."""
    found = _WEEK.match(text.strip())
    if found is None:
        raise UserError(f"week {text!r}: write it as YYYY-Www, e.g. 2026-W45 (ISO weeks)")
    year, number = int(found[1]), int(found[2])
    try:
        monday = dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise UserError(f"week {text!r}: {year} has no ISO week {number}") from None
    return Period("week", monday, monday + dt.timedelta(days=6))


def week_of(when: dt.date) -> Period:
    monday = when - dt.timedelta(days=when.weekday())
    return Period("week", monday, monday + dt.timedelta(days=6))


def month(text: str) -> Period:
    """The calendar month TEXT (2026-11)."""
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise UserError(f"month {text!r}: write it as YYYY-MM, e.g. 2026-11")
    first = dt.date(int(found[1]), int(found[2]), 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period("month", first, following - dt.timedelta(days=1))
