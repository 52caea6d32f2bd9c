"""Compiling a rule's tree to a SQLAlchemy clause that selects what the pandas mask selects,
on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from outbound.rules.tree import (
    Arith,
    Call,
    Column,
    Compare,
    Const,
    InList,
    Logic,
    Negate,
    Node,
    Not,
)

Expression = sa.ColumnElement[Any]

SQL_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "str": sa.String,
    "int": sa.BigInteger,
    "float": sa.Float,
    "bool": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def to_clause(
    tree: Node, current: sa.FromClause, previous: sa.FromClause | None, as_of: datetime.date
) -> Expression:
    """The WHERE clause for TREE over CURRENT and, LEFT OUTER JOINed on line_id, PREVIOUS."""
    return _Compiler(current, previous, as_of).clause(tree)


class _Compiler:
    def __init__(
        self, current: sa.FromClause, previous: sa.FromClause | None, as_of: datetime.date
    ) -> None:
        self.current = current
        self.previous = previous
        self.as_of = as_of

    def clause(self, node: Node) -> Expression:
        match node:
            case Column(prev=False):
                return self.current.c[node.name]
            case Column():
                if self.previous is None:
                    return sa.cast(sa.null(), SQL_TYPES[node.type])
                return self.previous.c[node.name]
            case Const():
                return sa.literal(node.value, SQL_TYPES[node.type])
            case Compare():
                return _OPERATORS[node.op](self.clause(node.left), self.clause(node.right))
            case InList():
                operand = self.clause(node.operand)
                values = [self.clause(value) for value in node.values]
                return operand.not_in(values) if node.negated else operand.in_(values)
            case Logic():
                combine = sa.and_ if node.op == "and" else sa.or_
                return combine(*(self.clause(operand) for operand in node.operands))
            case Not():
                return sa.not_(self.clause(node.operand))
            case Arith():
                return self.arith(node)
            case Negate():
                return -self.clause(node.operand)
            case Call():
                return self.call(node)
        raise AssertionError(f"unknown node {node!r}")

    def arith(self, node: Arith) -> Expression:
        left, right = self.clause(node.left), self.clause(node.right)
        if node.op != "/":
            return _OPERATORS[node.op](left, right)
        # both databases truncate integer division, and fail (PostgreSQL) on a zero divisor
        divisor = sa.func.nullif(
            sa.cast(right, sa.Float), sa.literal(0.0, sa.Float), type_=sa.Float
        )
        return sa.cast(left, sa.Float).op("/", return_type=sa.Float)(divisor)

    def call(self, node: Call) -> Expression:
        arg = self.clause(node.args[0])
        match node.name:
            case "is_null":
                return arg.is_(None)
            case "contains":
                text = node.args[1].value  # type: ignore[union-attr]
                return _Position(arg, sa.literal(text, sa.String)) > 0
            case "startswith":
                text = str(node.args[1].value)  # type: ignore[union-attr]
                prefix = sa.func.substr(arg, 1, len(text), type_=sa.String)
                return prefix == sa.literal(text, sa.String)
            case "months_since":
                as_of = self.as_of.year * 12 + self.as_of.month
                return sa.literal(as_of, sa.BigInteger) - _MonthNumber(arg)
            case "days_since":
                return _DaysBetween(arg, sa.literal(self.as_of, sa.Date))
        raise AssertionError(f"unknown function {node.name}")


class _Position(FunctionElement[int]):
    """Where the second text occurs in the first, 1-based; 0 when it does not (case-sensitive)."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "rule_position"


class _MonthNumber(FunctionElement[int]):
    """A date's or datetime's year * 12 + month."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "rule_month_number"


class _DaysBetween(FunctionElement[int]):
    """Whole days from the first date (or a datetime's date) to the second."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "rule_days_between"


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(_Position)
def _position(element: _Position, compiler: SQLCompiler, **kw: Any) -> str:
    return "strpos({}, {})".format(*_args(element, compiler, **kw))


@compiles(_Position, "sqlite")
def _position_sqlite(element: _Position, compiler: SQLCompiler, **kw: Any) -> str:
    # instr, unlike LIKE, is case-sensitive and has no wildcards
    return "instr({}, {})".format(*_args(element, compiler, **kw))


@compiles(_MonthNumber)
def _month_number(element: _MonthNumber, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return (
        f"(CAST(EXTRACT(YEAR FROM {value}) AS BIGINT) * 12"
        f" + CAST(EXTRACT(MONTH FROM {value}) AS BIGINT))"
    )


@compiles(_MonthNumber, "sqlite")
def _month_number_sqlite(element: _MonthNumber, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = _args(element, compiler, **kw)
    return (
        f"(CAST(strftime('%Y', {value}) AS INTEGER) * 12"
        f" + CAST(strftime('%m', {value}) AS INTEGER))"
    )


@compiles(_DaysBetween)
def _days_between(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    value, as_of = _args(element, compiler, **kw)
    return f"(CAST({as_of} AS DATE) - CAST({value} AS DATE))"


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element: _DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    value, as_of = _args(element, compiler, **kw)
    return f"CAST(julianday({as_of}) - julianday(date({value})) AS INTEGER)"
