"""A compiled segment rule: what it reads, its pandas mask and its SQL clause."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from outbound.rules.describe import describe
from outbound.rules.errors import Problem, RuleError
from outbound.rules.parse import parse_rule
from outbound.rules.tree import LINE_ID, Column, ColumnType, Node, walk

# pandas and SQLAlchemy are imported by the two compilers, when a rule is first run: checking
# a workspace's rules needs neither.
if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa


@dataclass(frozen=True)
class Rule:
    """A rule that parsed and type-checked against its schema."""

    text: str
    columns: frozenset[str]
    prev_columns: frozenset[str]
    tree: Node = field(repr=False)

    def mask(
        self, current: pd.DataFrame, previous: pd.DataFrame | None, as_of: datetime.date
    ) -> pd.Series:
        """The lines of CURRENT the rule selects, as a bool Series on current.index; prev.X is
        looked up in PREVIOUS by line_id, and is null for a line absent there."""
        from outbound.rules import frame

        return frame.evaluate(self.tree, current, previous, self.prev_columns, _day(as_of))

    def clause(
        self, current: sa.FromClause, previous: sa.FromClause | None, as_of: datetime.date
    ) -> sa.ColumnElement[Any]:
        """The rule as a WHERE clause over CURRENT and PREVIOUS (LEFT OUTER JOINed on line_id
        by the caller); with no PREVIOUS, prev.X is NULL."""
        from outbound.rules import sql

        return sql.to_clause(self.tree, current, previous, _day(as_of))

    def describe(self) -> str:
        """The rule in plain words."""
        return describe(self.tree)


def compile_rule(text: str, schema: Mapping[str, ColumnType], *, source: str = "rule") -> Rule:
    """Parse, validate and type-check TEXT against SCHEMA; a RuleError names SOURCE and
    points at the problem."""
    try:
        tree = parse_rule(text, schema)
    except Problem as problem:
        raise RuleError.from_problem(problem, source, text) from None
    except RecursionError:
        reason = "the rule is nested too deeply"
        raise RuleError(
            reason, source=source, text=text, start=0, end=len(text), code="rule_too_deep"
        ) from None
    columns = [node for node in walk(tree) if isinstance(node, Column)]
    return Rule(
        text,
        frozenset(column.name for column in columns if not column.prev),
        frozenset(column.name for column in columns if column.prev),
        tree,
    )


def select_line_ids(
    rule: Rule, current: sa.FromClause, previous: sa.FromClause | None, as_of: datetime.date
) -> sa.Select[Any]:
    """SELECT current.line_id FROM current LEFT OUTER JOIN previous ON line_id WHERE the rule."""
    import sqlalchemy as sa

    query = sa.select(current.c[LINE_ID])
    if previous is not None:
        joined = current.outerjoin(previous, current.c[LINE_ID] == previous.c[LINE_ID])
        query = query.select_from(joined)
    return query.where(rule.clause(current, previous, as_of))


def _day(as_of: datetime.date) -> datetime.date:
    """AS_OF as a date, also when a datetime is passed (it is a date subclass)."""
    return as_of.date() if isinstance(as_of, datetime.datetime) else as_of
