"""The typed tree a rule compiles to: small frozen dataclasses, one per construct."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

# Every extract has this column; prev.X is looked up by it.
LINE_ID = "line_id"
ColumnType = Literal["str", "int", "float", "bool", "date", "datetime", "category"]
ValueType = Literal["str", "int", "float", "bool", "date", "datetime"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
ArithOp = Literal["+", "-", "*", "/"]
Value: TypeAlias = str | int | float | bool | datetime.date | datetime.datetime

NUMBER_TYPES: frozenset[str] = frozenset({"int", "float"})
TIME_TYPES: frozenset[str] = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class Span:
    """Character offsets of a construct in the rule's text, end exclusive."""

    start: int
    end: int


@dataclass(frozen=True)
class Column:
    name: str
    prev: bool
    type: ValueType
    span: Span


@dataclass(frozen=True)
class Const:
    value: Value
    type: ValueType
    span: Span


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node
    span: Span
    type: ValueType = "bool"


@dataclass(frozen=True)
class InList:
    operand: Node
    values: tuple[Const, ...]
    negated: bool
    span: Span
    type: ValueType = "bool"


@dataclass(frozen=True)
class Logic:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]
    span: Span
    type: ValueType = "bool"


@dataclass(frozen=True)
class Not:
    operand: Node
    span: Span
    type: ValueType = "bool"


@dataclass(frozen=True)
class Arith:
    op: ArithOp
    left: Node
    right: Node
    type: ValueType
    span: Span


@dataclass(frozen=True)
class Negate:
    operand: Node
    type: ValueType
    span: Span


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    type: ValueType
    span: Span


Node: TypeAlias = Column | Const | Compare | InList | Logic | Not | Arith | Negate | Call


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of NODE."""
    match node:
        case Compare() | Arith():
            return (node.left, node.right)
        case InList():
            return (node.operand, *node.values)
        case Logic():
            return node.operands
        case Not() | Negate():
            return (node.operand,)
        case Call():
            return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """NODE and every node below it."""
    yield node
    for child in children(node):
        yield from walk(child)


def value_type(column_type: ColumnType) -> ValueType:
    """A schema type as the rule language sees it: a category is text."""
    return "str" if column_type == "category" else column_type
