"""A rule's tree in plain words, for a marketing user reading a segment list."""

from __future__ import annotations

import datetime

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

_COMPARE = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_CALLS = {
    "months_since": "months since {0}",
    "days_since": "days since {0}",
    "is_null": "{0} is missing",
    "contains": "{0} contains {1}",
    "startswith": "{0} starts with {1}",
}


def describe(node: Node) -> str:
    """NODE in words, e.g. "status is 'active' and months since install_date is at least 3"."""
    match node:
        case Column(prev=True):
            return f"last month's {node.name}"
        case Column():
            return node.name
        case Const():
            return _value(node.value)
        case Compare():
            return f"{describe(node.left)} {_COMPARE[node.op]} {describe(node.right)}"
        case InList():
            values = ", ".join(describe(value) for value in node.values)
            return f"{describe(node.operand)} is {'none' if node.negated else 'one'} of {values}"
        case Logic():
            return f" {node.op} ".join(_grouped(operand, node) for operand in node.operands)
        case Not():
            return f"not {_grouped(node.operand, node)}"
        case Arith():
            return f"{_grouped(node.left, node)} {node.op} {_grouped(node.right, node)}"
        case Negate():
            return f"-{_grouped(node.operand, node)}"
        case Call():
            return _CALLS[node.name].format(*(describe(arg) for arg in node.args))
    raise AssertionError(f"unknown node {node!r}")


def _grouped(child: Node, parent: Node) -> str:
    """CHILD in words, in parentheses where it would otherwise read ambiguously."""
    words = describe(child)
    if isinstance(child, Logic | Arith) and not (
        isinstance(parent, Logic) and isinstance(child, Logic) and child.op == parent.op
    ):
        return f"({words})"
    if isinstance(parent, Not) and isinstance(child, Compare | InList | Call):
        return f"({words})"
    return words


def _value(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else str(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)
