"""Customers' names for the agent's pages: the extract column NAME_COLUMN of the order's month,
read from the month's snapshot once per line and kept (a list page asks on every search)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from outbound.config import LINE_ID, Config
from outbound.errors import UserError
from outbound.extract import snapshots

NAME_COLUMN = "customer_name"
# Names kept at most; past it the cache starts again (a shift's lists are a few thousand lines).
KEPT = 50_000


class Names:
    """The names of lines by (month, line id), as the month's current import has them."""

    def __init__(self) -> None:
        self._imports: dict[str, str] = {}
        self._names: dict[tuple[str, str], str | None] = {}

    def of(
        self, config: Config, engine: sa.Engine, rows: Iterable[Mapping[str, Any]]
    ) -> dict[str, str]:
        """The customer's name of each of ROWS (with month and line_id) that has one, by line
        id; none when the extract has no NAME_COLUMN or its month is not loaded."""
        if NAME_COLUMN not in config.extract.column_types():
            return {}
        wanted: dict[str, set[str]] = {}
        for row in rows:
            wanted.setdefault(row["month"], set()).add(row["line_id"])
        for month, lines in wanted.items():
            self._load(config, engine, month, lines)
        return {
            line: name
            for month, lines in wanted.items()
            for line in lines
            if (name := self._names.get((month, line)))
        }

    def _load(self, config: Config, engine: sa.Engine, month: str, lines: set[str]) -> None:
        current = snapshots.current_import(engine, month)
        stamp = current.snapshot_path if current else ""
        if self._imports.get(month) != stamp or len(self._names) > KEPT:
            self._names = {key: name for key, name in self._names.items() if key[0] != month}
            if len(self._names) > KEPT:
                self._names.clear()
            self._imports[month] = stamp
        missing = [line for line in lines if (month, line) not in self._names]
        if not missing or not stamp:
            return
        try:
            found = snapshots.load_lines(config, engine, month, missing)
        except UserError:
            return  # a missing or stale snapshot is said where it is read for work
        read = {} if found is None else dict(zip(found[LINE_ID], found[NAME_COLUMN], strict=True))
        for line in missing:
            name = read.get(line)
            self._names[(month, line)] = None if pd.isna(name) else str(name)
