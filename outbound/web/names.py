"""Customers' names on the pages, as customers.Names gives them (the extract column NAME_COLUMN
of the order's month, read from the month's current snapshot once per line and kept), but read
on the request's own connection: a request holds one connection of the pool, never waits for a
second while holding the first (under load, every thread of the pool did, and none got one), and
asks which import is current with one plain query instead of an ORM session.

A name not known yet brings those of every line on the latest day's lists with it: in one read of
the snapshot, not one for each agent's first page of the day (a few milliseconds each, all at once
when the shift starts)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, Config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.orders.customers import KEPT, NAME_COLUMN
from outbound.store.models import ExtractImport
from outbound.store.orders import LIST_ITEMS, ORDERS

_IMPORTS = cast(sa.Table, ExtractImport.__table__)
_CURRENT = sa.select(_IMPORTS.c.month, _IMPORTS.c.snapshot_path).where(
    _IMPORTS.c.month.in_(sa.bindparam("months", expanding=True)),
    _IMPORTS.c.replaced_at.is_(None),
)
# The lines on the latest day's lists, with their month; and those of one month.
_LATEST = (
    sa.select(ORDERS.c.month, ORDERS.c.line_id)
    .distinct()
    .join(LIST_ITEMS, LIST_ITEMS.c.order_id == ORDERS.c.id)
    .where(LIST_ITEMS.c.day == sa.select(sa.func.max(LIST_ITEMS.c.day)).scalar_subquery())
)
_LISTED = _LATEST.with_only_columns(ORDERS.c.line_id).where(ORDERS.c.month == sa.bindparam("month"))


class Names:
    """The names of lines by (month, line id), as the month's current import has them; shared by
    the threads that serve requests."""

    def __init__(self) -> None:
        self._imports: dict[str, str] = {}
        self._names: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()  # held to read or change the two dicts
        self._loading = threading.Lock()  # held to read the snapshot: one request at a time

    def of(
        self, config: Config, connection: sa.Connection, rows: Iterable[Mapping[str, Any]]
    ) -> dict[str, str]:
        """The customer's name of each of ROWS (with month and line_id) that has one, by line
        id; none when the extract has no NAME_COLUMN or its month is not loaded."""
        if NAME_COLUMN not in config.extract.column_types():
            return {}
        wanted: dict[str, set[str]] = {}
        for row in rows:
            wanted.setdefault(row["month"], set()).add(row["line_id"])
        if not wanted:
            return {}
        found = connection.execute(_CURRENT, {"months": list(wanted)}).all()
        current = {str(month): str(path) for month, path in found}
        for month, lines in wanted.items():
            self._load(config, connection, month, current.get(month, ""), lines)
        names = self._names
        return {
            line: name
            for month, lines in wanted.items()
            for line in lines
            if (name := names.get((month, line)))
        }

    def warm(self, config: Config, connection: sa.Connection) -> None:
        """Read the names of the latest day's lists now (a server starting), before agents ask."""
        if NAME_COLUMN in config.extract.column_types():
            listed = connection.execute(_LATEST).all()
            self.of(config, connection, [{"month": m, "line_id": line} for m, line in listed])

    def _load(
        self, config: Config, connection: sa.Connection, month: str, stamp: str, lines: set[str]
    ) -> None:
        with self._lock:
            if self._imports.get(month) != stamp or len(self._names) > KEPT:
                kept = {key: name for key, name in self._names.items() if key[0] != month}
                self._names = {} if len(kept) > KEPT else kept
                self._imports[month] = stamp
            missing = self._missing(month, lines)
        if not missing or not stamp:
            return
        # The requests that miss at the same time wait for the first, which reads their lines.
        with self._loading:
            with self._lock:
                if self._imports.get(month) != stamp:
                    return  # another request saw a newer import meanwhile
                missing = self._missing(month, missing)
            if not missing:
                return
            listed = connection.execute(_LISTED, {"month": month}).scalars().all()
            with self._lock:
                more = self._missing(month, set(listed) - set(missing))
            if len(missing) + len(more) + len(self._names) <= KEPT:
                missing += more
            try:
                found = snapshots.load_lines(config, connection, month, missing)
            except UserError:
                return  # a missing or stale snapshot is said where it is read for work
            read = (
                {} if found is None else dict(zip(found[LINE_ID], found[NAME_COLUMN], strict=True))
            )
            with self._lock:
                if self._imports.get(month) != stamp:
                    return
                for line in missing:
                    name = read.get(line)
                    self._names[(month, line)] = None if pd.isna(name) else str(name)

    def _missing(self, month: str, lines: Iterable[str]) -> list[str]:
        return [line for line in lines if (month, line) not in self._names]
