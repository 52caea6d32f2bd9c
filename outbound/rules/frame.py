"""Evaluating a rule's tree on pandas frames, with SQL's three-valued logic.

Works on the frames' pyarrow arrays directly: pyarrow's kernels propagate nulls and its
and_kleene/or_kleene are SQL's AND/OR, so the mask agrees with the database."""

from __future__ import annotations

import datetime
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outbound.rules.tree import (
    LINE_ID,
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

Values: TypeAlias = Any  # a pyarrow ChunkedArray, Array or Scalar

_EPOCH = datetime.date(1970, 1, 1)
_NULL_BOOL = pa.scalar(None, pa.bool_())
_COMPARE: dict[str, Callable[..., Any]] = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}
_ARITH: dict[str, Callable[..., Any]] = {"+": pc.add, "-": pc.subtract, "*": pc.multiply}
_SCALAR_TYPES = {
    "str": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
}


def evaluate(
    tree: Node,
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    prev_columns: Iterable[str],
    as_of: datetime.date,
) -> pd.Series:
    """The rows of CURRENT the rule selects: a bool Series on current.index, null as False."""
    columns = _Columns(current, previous, frozenset(prev_columns))
    result = _Evaluator(columns, as_of).value(tree)
    if isinstance(result, pa.Scalar):
        selected = np.full(len(current), result.is_valid and bool(result.as_py()))
    else:
        selected = pc.fill_null(result, False).to_numpy(zero_copy_only=False)
    return pd.Series(selected, index=current.index, dtype=bool)


def arrow(series: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The pyarrow data behind SERIES, without a copy when it is pyarrow-backed."""
    if isinstance(series.dtype, pd.ArrowDtype):
        return series.array.__arrow_array__()
    return pa.array(series, from_pandas=True)


class _Columns:
    """Current and last month's column values; last month's are aligned on line_id once."""

    def __init__(
        self, current: pd.DataFrame, previous: pd.DataFrame | None, prev_columns: frozenset[str]
    ) -> None:
        self.current = current
        self.previous = previous
        self.prev_columns = prev_columns
        self._positions: pa.Array | None = None

    def get(self, name: str) -> Values:
        return arrow(self.current[name])

    def get_prev(self, name: str, kind: pa.DataType) -> Values:
        if self.previous is None:
            return pa.nulls(len(self.current), kind)
        if self._positions is None:
            self._positions = _aligned(arrow(self.current[LINE_ID]), arrow(self.previous[LINE_ID]))
        return arrow(self.previous[name]).take(self._positions)


# The last alignment made, by the identity of its arrays (held weakly, so that it keeps no
# month alive): the segments of one evaluation read the same two months, and Arrow arrays never
# change, so the same objects mean the same ids.
_last: tuple[weakref.ref[Values], weakref.ref[Values], pa.Array] | None = None


def _aligned(current: Values, previous: Values) -> pa.Array:
    """Where each of this month's line ids is among last month's: one hash lookup, shared by
    every prev column of every rule over the same two months."""
    global _last
    last = _last
    if last is not None and last[0]() is current and last[1]() is previous:
        return last[2]
    ids = previous.combine_chunks() if isinstance(previous, pa.ChunkedArray) else previous
    positions = pc.index_in(current, value_set=ids)
    _last = (weakref.ref(current), weakref.ref(previous), positions)
    return positions


class _Evaluator:
    def __init__(self, columns: _Columns, as_of: datetime.date) -> None:
        self.columns = columns
        self.as_of = as_of

    def value(self, node: Node) -> Values:
        match node:
            case Column(prev=False):
                return self.columns.get(node.name)
            case Column():
                return self.columns.get_prev(node.name, _SCALAR_TYPES[node.type])
            case Const():
                return pa.scalar(node.value, _SCALAR_TYPES[node.type])
            case Compare():
                return _COMPARE[node.op](self.value(node.left), self.value(node.right))
            case InList():
                return self.in_list(node)
            case Logic():
                combine = pc.and_kleene if node.op == "and" else pc.or_kleene
                values = [self.value(operand) for operand in node.operands]
                result = values[0]
                for value in values[1:]:
                    result = combine(result, value)
                return result
            case Not():
                return pc.invert(self.value(node.operand))
            case Arith():
                return self.arith(node)
            case Negate():
                return pc.negate(self.value(node.operand))
            case Call():
                return self.call(node)
        raise AssertionError(f"unknown node {node!r}")

    def in_list(self, node: InList) -> Values:
        operand = self.value(node.operand)
        if node.operand.type == "int" and any(value.type == "float" for value in node.values):
            operand = pc.cast(operand, pa.float64())
        values = pa.array([value.value for value in node.values]).cast(operand.type)
        if pa.types.is_floating(operand.type):
            # is_in hashes -0.0 apart from 0.0, which compare equal (and do in SQL): adding
            # 0.0 turns every -0.0 into 0.0.
            operand, values = pc.add(operand, 0.0), pc.add(values, 0.0)
        found = pc.is_in(operand, value_set=values)
        if node.negated:
            found = pc.invert(found)
        # is_in says false for a null; SQL says null, for 'in' and for 'not in'
        return pc.if_else(pc.is_null(operand), _NULL_BOOL, found)

    def arith(self, node: Arith) -> Values:
        left, right = self.value(node.left), self.value(node.right)
        if node.op != "/":
            return _ARITH[node.op](left, right)
        left, right = pc.cast(left, pa.float64()), pc.cast(right, pa.float64())
        # SQL's NULLIF(divisor, 0): a division by zero is null, not infinity
        divisor = pc.if_else(pc.equal(right, 0.0), pa.scalar(None, pa.float64()), right)
        return pc.divide(left, divisor)

    def call(self, node: Call) -> Values:
        args = [self.value(arg) for arg in node.args]
        match node.name:
            case "is_null":
                return pc.is_null(args[0])
            case "contains":
                return pc.match_substring(args[0], node.args[1].value)  # type: ignore[union-attr]
            case "startswith":
                return pc.starts_with(args[0], node.args[1].value)  # type: ignore[union-attr]
            case "months_since":
                month = pc.add(pc.multiply(pc.year(args[0]), 12), pc.month(args[0]))
                return pc.subtract(self.as_of.year * 12 + self.as_of.month, month)
            case "days_since":
                day = pc.cast(pc.cast(args[0], pa.date32()), pa.int32())
                return pc.subtract((self.as_of - _EPOCH).days, pc.cast(day, pa.int64()))
        raise AssertionError(f"unknown function {node.name}")
