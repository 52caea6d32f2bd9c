"""Parsing and type-checking a rule: Python's ast, checked against an allow-list, into a
typed tree."""

from __future__ import annotations

import ast
import datetime
import difflib
import math
import re
from collections.abc import Mapping

from outbound.rules.errors import Problem, TypeName
from outbound.rules.functions import DATE_USAGE, DATE_USAGE_CODE, FUNCTIONS, SIGNATURES
from outbound.rules.syntax import Positions, parse_expression
from outbound.rules.tree import (
    NUMBER_TYPES,
    TIME_TYPES,
    Arith,
    ArithOp,
    Call,
    Column,
    ColumnType,
    Compare,
    CompareOp,
    Const,
    InList,
    Logic,
    Negate,
    Node,
    Not,
    Span,
    ValueType,
    value_type,
)

MAX_DEPTH = 100

ALLOWED = (
    "Allowed: column names, prev.<column>, numbers, 'text', True, False, date('YYYY-MM-DD'), "
    "== != < <= > >=, in [...], not in [...], and, or, not, + - * /, parentheses and "
    f"the functions {', '.join(name for name in SIGNATURES)}."
)
ALLOWED_CODE = "rule_hint_allowed"
_FUNCTION_NAMES = ", ".join([*SIGNATURES, "date"])
LIST_EXAMPLE = "e.g. region in ['镇原县', '环县']"
LIST_EXAMPLE_CODE = "rule_hint_list_example"

_WORDS: dict[str, str] = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "date": "a date",
    "datetime": "a date and time",
}
_COMPARE: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_ARITH: dict[type[ast.operator], ArithOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
# Each operator outside the language: its symbol, and what to write instead with its code.
_OPERATOR_HINTS: dict[type[ast.AST], tuple[str, tuple[str, str] | None]] = {
    ast.BitAnd: ("&", ("write 'and'", "rule_hint_write_and")),
    ast.BitOr: ("|", ("write 'or'", "rule_hint_write_or")),
    ast.Invert: ("~", ("write 'not'", "rule_hint_write_not")),
    ast.BitXor: ("^", None),
    ast.LShift: ("<<", None),
    ast.RShift: (">>", None),
    ast.Pow: ("**", None),
    ast.FloorDiv: ("//", ("write '/' for division", "rule_hint_write_division")),
    ast.Mod: ("%", None),
    ast.MatMult: ("@", None),
    ast.Is: (
        "is",
        (
            "write '==' to compare, or is_null(column) for a missing value",
            "rule_hint_write_equals",
        ),
    ),
    ast.IsNot: (
        "is not",
        ("write '!=' to compare, or not is_null(column)", "rule_hint_write_not_equals"),
    ),
}
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda",
    ast.IfExp: "'... if ... else ...'",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.JoinedStr: "an f-string",
    ast.Subscript: "indexing with [...]",
    ast.Slice: "a slice",
    ast.Starred: "'*'",
    ast.NamedExpr: "':='",
}


def parse_rule(text: str, schema: Mapping[str, ColumnType]) -> Node:
    """The typed tree of TEXT over SCHEMA; raises Problem at the first thing wrong."""
    expression, positions = parse_expression(text)
    checker = _Checker(schema, positions)
    tree = checker.expr(expression)
    checker.require_condition(tree, whole=True)
    return tree


def word(kind: ValueType) -> str:
    """A value type in plain words."""
    return _WORDS[kind]


class _Checker:
    def __init__(self, schema: Mapping[str, ColumnType], positions: Positions) -> None:
        self.schema = {name: value_type(kind) for name, kind in schema.items()}
        self.positions = positions
        self.depth = 0

    def span(self, node: ast.AST) -> Span:
        return self.positions.span(node)

    def snippet(self, span: Span) -> str:
        shown = " ".join(self.positions.text[span.start : span.end].split())
        return shown if len(shown) <= 40 else shown[:37] + "..."

    def described(self, node: Node) -> str:
        return f"{self.snippet(node.span)} ({word(node.type)})"

    def cannot_compare(self, left: Node, right: Node, span: Span) -> Problem:
        quotes = "str" in (left.type, right.type)
        return Problem(
            f"cannot compare {self.described(left)} with {self.described(right)}",
            span,
            "text goes in quotes, like '0'; numbers go without" if quotes else None,
            code="rule_cannot_compare",
            hint_code="rule_hint_quotes" if quotes else None,
            left=self.snippet(left.span),
            left_type=TypeName(left.type),
            right=self.snippet(right.span),
            right_type=TypeName(right.type),
        )

    def expr(self, node: ast.expr) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Problem(
                "the rule is nested too deeply",
                self.span(node),
                "split it into simpler parts",
                code="rule_too_deep",
                hint_code="rule_hint_split",
            )
        try:
            return self._expr(node)
        finally:
            self.depth -= 1

    def _expr(self, node: ast.expr) -> Node:
        match node:
            case ast.BoolOp():
                operands = tuple(self.condition(value) for value in node.values)
                if isinstance(node.op, ast.And):
                    return Logic("and", operands, self.span(node))
                return Logic("or", operands, self.span(node))
            case ast.UnaryOp():
                return self.unary(node)
            case ast.BinOp():
                return self.binary(node)
            case ast.Compare():
                return self.compare(node)
            case ast.Call():
                return self.call(node)
            case ast.Name():
                return self.name(node)
            case ast.Attribute():
                return self.attribute(node)
            case ast.Constant():
                return self.constant(node)
            case ast.List() | ast.Tuple():
                raise _list_outside_in(self.span(node))
        what = _CONSTRUCTS.get(type(node), f"'{type(node).__name__}'")
        span = self.span(node)
        raise _not_allowed(what, self.snippet(span), span)

    def condition(self, node: ast.expr) -> Node:
        result = self.expr(node)
        self.require_condition(result)
        return result

    def require_condition(self, node: Node, whole: bool = False) -> None:
        if node.type == "bool":
            return
        shown = self.snippet(node.span)
        if whole:
            reason = f"the rule must be a condition, true or false for each line, but {shown} is "
            code = "rule_whole_not_condition"
        else:
            reason = f"{shown} is not a condition: it is "
            code = "rule_not_condition"
        examples = {"str": f"{shown} == '...'", "date": f"months_since({shown}) >= 3"}
        example = examples.get(node.type, f"{shown} > 0")
        raise Problem(
            reason + word(node.type),
            node.span,
            f"compare it, e.g. {example}",
            code=code,
            hint_code="rule_hint_compare_it",
            shown=shown,
            type=TypeName(node.type),
            example=example,
        )

    def not_allowed(self, op: ast.AST, span: Span) -> Problem:
        symbol, instead = _OPERATOR_HINTS.get(type(op), (type(op).__name__, None))
        return _not_allowed(f"'{symbol}'", symbol, span, instead)

    def operator_span(self, left: Node, right: Node, symbol: str) -> Span:
        """Where SYMBOL is between LEFT and RIGHT (ast does not record operator positions)."""
        between = self.positions.text[left.span.end : right.span.start]
        found = between.find(symbol)
        if found < 0:
            return Span(left.span.start, right.span.end)
        start = left.span.end + found
        return Span(start, start + len(symbol))

    def unary(self, node: ast.UnaryOp) -> Node:
        span = self.span(node)
        if isinstance(node.op, ast.Not):
            return Not(self.condition(node.operand), span)
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise self.not_allowed(node.op, Span(span.start, span.start + 1))
        operand = self.expr(node.operand)
        self.require_number(operand, "-" if isinstance(node.op, ast.USub) else "+")
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(operand, Const) and not isinstance(operand.value, bool | str):
            return Const(-operand.value, operand.type, span)  # type: ignore[operator]
        return Negate(operand, operand.type, span)

    def require_number(self, node: Node, symbol: str) -> None:
        if node.type not in NUMBER_TYPES:
            raise Problem(
                f"'{symbol}' needs numbers, but {self.described(node)} is not",
                node.span,
                code="rule_needs_numbers",
                operator=symbol,
                shown=self.snippet(node.span),
                type=TypeName(node.type),
            )

    def binary(self, node: ast.BinOp) -> Node:
        left, right = self.expr(node.left), self.expr(node.right)
        symbol = _ARITH.get(type(node.op))
        if symbol is None:
            what = _OPERATOR_HINTS.get(type(node.op), ("?", None))[0]
            raise self.not_allowed(node.op, self.operator_span(left, right, what))
        self.require_number(left, symbol)
        self.require_number(right, symbol)
        kind: ValueType = "int" if left.type == right.type == "int" and symbol != "/" else "float"
        return Arith(symbol, left, right, kind, self.span(node))

    def compare(self, node: ast.Compare) -> Node:
        parts: list[Node] = []
        left: Node | None = self.expr(node.left)
        previous = node.left
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            if left is None:
                raise _list_outside_in(self.span(previous))
            if isinstance(op, ast.In | ast.NotIn):
                parts.append(self.in_list(left, right_ast, negated=isinstance(op, ast.NotIn)))
                left, previous = None, right_ast
                continue
            right = self.expr(right_ast)
            symbol = _COMPARE.get(type(op))
            if symbol is None:
                word_of_op = "is" if isinstance(op, ast.Is | ast.IsNot) else "?"
                raise self.not_allowed(op, self.operator_span(left, right, word_of_op))
            checked_left, checked_right = self.comparable(symbol, left, right)
            span = Span(left.span.start, right.span.end)
            parts.append(Compare(symbol, checked_left, checked_right, span))
            left, previous = right, right_ast
        if len(parts) == 1:
            return parts[0]
        return Logic("and", tuple(parts), self.span(node))

    def comparable(self, op: CompareOp, left: Node, right: Node) -> tuple[Node, Node]:
        """LEFT and RIGHT if they can be compared with OP (a date literal becomes a datetime
        next to a datetime); a Problem otherwise."""
        kinds = {left.type, right.type}
        if kinds <= NUMBER_TYPES:
            return left, right
        if kinds == TIME_TYPES:
            return self.as_datetime(left, right), self.as_datetime(right, left)
        if len(kinds) == 1:
            if left.type in ("str", "bool") and op not in ("==", "!="):
                text = left.type == "str"
                raise Problem(
                    f"{word(left.type)} can only be compared with == or !=",
                    self.operator_span(left, right, op),
                    "to match part of a text, use contains() or startswith()" if text else None,
                    code="rule_only_equality",
                    hint_code="rule_hint_contains" if text else None,
                    type=TypeName(left.type),
                    operator=op,
                )
            return left, right
        if kinds & TIME_TYPES and "str" in kinds:
            raise self.date_as_text(left if left.type == "str" else right)
        culprit = right if isinstance(right, Const) else left if isinstance(left, Const) else None
        span = culprit.span if culprit else Span(left.span.start, right.span.end)
        raise self.cannot_compare(left, right, span)

    def as_datetime(self, node: Node, other: Node) -> Node:
        if node.type == "datetime":
            return node
        if isinstance(node, Const) and isinstance(node.value, datetime.date):
            midnight = datetime.datetime.combine(node.value, datetime.time())
            return Const(midnight, "datetime", node.span)
        span = Span(min(node.span.start, other.span.start), max(node.span.end, other.span.end))
        raise self.cannot_compare(node, other, span)

    def date_as_text(self, text: Node) -> Problem:
        value = text.value if isinstance(text, Const) else "2026-01-01"
        iso = _ISO_DATE.fullmatch(str(value)) is not None
        example = f"date('{value}')" if iso else DATE_USAGE
        return Problem(
            "a date cannot be compared with text",
            text.span,
            f"write {example}",
            code="rule_date_as_text",
            hint_code="rule_hint_write_date" if iso else DATE_USAGE_CODE,
            shown=self.snippet(text.span),
            example=example,
        )

    def in_list(self, operand: Node, list_ast: ast.expr, negated: bool) -> Node:
        if not isinstance(list_ast, ast.List | ast.Tuple):
            raise Problem(
                "'in' needs a list of values in square brackets",
                self.span(list_ast),
                LIST_EXAMPLE,
                code="rule_in_needs_list",
                hint_code=LIST_EXAMPLE_CODE,
            )
        if not list_ast.elts:
            raise Problem(
                "the list is empty",
                self.span(list_ast),
                "list at least one value",
                code="rule_empty_list",
                hint_code="rule_hint_list_one",
            )
        values = tuple(self.list_value(operand, element) for element in list_ast.elts)
        return InList(operand, values, negated, Span(operand.span.start, self.span(list_ast).end))

    def list_value(self, operand: Node, element: ast.expr) -> Const:
        value = self.expr(element) if _is_literal(element) else None
        if not isinstance(value, Const):
            span = self.span(element)
            raise Problem(
                "a list after 'in' can only hold values like 1, 'text' or date('2026-01-01')",
                span,
                code="rule_list_values_only",
                shown=self.snippet(span),
            )
        checked = self.comparable("==", operand, value)[1]
        assert isinstance(checked, Const)
        return checked

    def call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            raise Problem(
                "only the rule's functions can be called",
                self.span(node),
                _functions(),
                code="rule_only_functions",
                hint_code="rule_hint_functions",
                functions=_FUNCTION_NAMES,
            )
        name = node.func.id
        if node.keywords:
            reason = "keyword arguments are not allowed in a rule"
            raise Problem(reason, self.span(node.keywords[0]), code="rule_keyword_argument")
        for starred in node.args:
            if isinstance(starred, ast.Starred):
                raise _not_allowed("'*'", "*", self.span(starred))
        if name == "date":
            return self.date(node)
        function = SIGNATURES.get(name)
        if function is None:
            raise _unknown_function(name, self.span(node.func))
        usage = f"write {function.usage}"
        if len(node.args) != len(function.args):
            count = len(function.args)
            plural = "s" if count > 1 else ""
            raise Problem(
                f"{name} takes {count} argument{plural}, not {len(node.args)}",
                self.span(node),
                usage,
                code="rule_argument_count",
                hint_code=function.usage_code,
                function=name,
                count=count,
                given=len(node.args),
            )
        args: list[Node] = []
        for index, (arg_ast, accepted) in enumerate(zip(node.args, function.args, strict=True)):
            if function.literal_text_last and index == len(node.args) - 1 and not _is_text(arg_ast):
                raise Problem(
                    f"the last argument of {name} must be a text in quotes",
                    self.span(arg_ast),
                    usage,
                    code="rule_last_argument_text",
                    hint_code=function.usage_code,
                    function=name,
                )
            arg = self.expr(arg_ast)
            if arg.type not in accepted:
                needs: ValueType = "date" if accepted <= TIME_TYPES else "str"
                raise Problem(
                    f"{name} needs {word(needs)}, but {self.described(arg)} is not",
                    arg.span,
                    usage,
                    code="rule_argument_type",
                    hint_code=function.usage_code,
                    function=name,
                    needs=TypeName(needs),
                    shown=self.snippet(arg.span),
                    type=TypeName(arg.type),
                )
            args.append(arg)
        return Call(name, tuple(args), function.result, self.span(node))

    def date(self, node: ast.Call) -> Const:
        usage = f"write {DATE_USAGE}"
        if len(node.args) != 1 or not _is_text(node.args[0]):
            raise Problem(
                "date takes one text in quotes",
                self.span(node),
                usage,
                code="rule_date_argument",
                hint_code=DATE_USAGE_CODE,
            )
        text = node.args[0].value  # type: ignore[attr-defined]
        text_span = self.span(node.args[0])
        if not _ISO_DATE.fullmatch(text):
            raise Problem(
                f"'{text}' is not a date",
                text_span,
                usage,
                code="rule_not_a_date",
                hint_code=DATE_USAGE_CODE,
                value=text,
            )
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            raise Problem(
                f"'{text}' is not a valid date",
                text_span,
                usage,
                code="rule_invalid_date",
                hint_code=DATE_USAGE_CODE,
                value=text,
            ) from None
        return Const(value, "date", self.span(node))

    def name(self, node: ast.Name) -> Node:
        span = self.span(node)
        kind = self.schema.get(node.id)
        if kind is not None:
            return Column(node.id, False, kind, span)
        if node.id == "prev":
            reason = "prev needs a column: write prev.<column>"
            raise self.not_a_column(reason, span, "prev", "rule_prev_needs_column")
        if node.id in SIGNATURES:
            usage = SIGNATURES[node.id].usage
            raise Problem(
                f"{node.id} is a function: call it as {usage}",
                span,
                code="rule_function_not_called",
                function=node.id,
            )
        reason = f"unknown column '{node.id}'"
        raise self.not_a_column(reason, span, node.id, "rule_unknown_column", column=node.id)

    def attribute(self, node: ast.Attribute) -> Node:
        span = self.span(node)
        if not (isinstance(node.value, ast.Name) and node.value.id == "prev"):
            raise Problem(
                "attribute access ('.') is not allowed in a rule",
                span,
                "only prev.<column> is allowed, for last month's value",
                code="rule_attribute",
                hint_code="rule_hint_prev_only",
                shown=self.snippet(span),
            )
        kind = self.schema.get(node.attr)
        if kind is None:
            column = f"prev.{node.attr}"
            reason = f"unknown column '{column}'"
            raise self.not_a_column(reason, span, node.attr, "rule_unknown_column", column=column)
        return Column(node.attr, True, kind, span)

    def not_a_column(
        self, reason: str, span: Span, name: str, code: str, **values: object
    ) -> Problem:
        """REASON, NAME not being a column: the hint says which columns there are, and what
        NAME may have meant."""
        known = ", ".join(self.schema)
        available = f"Available columns: {known}"
        close = difflib.get_close_matches(name, list(self.schema), n=1)
        suggestion = close[0] if close else ""
        if name.lower() in ("true", "false"):
            suggestion = name.capitalize()
            hint, hint_code = f"did you mean {suggestion}? {available}", "rule_hint_bool"
        elif name.lower() in ("null", "none", "nan"):
            hint = f"for a missing value write is_null(column). {available}"
            hint_code = "rule_hint_missing_value"
        elif close:
            hint, hint_code = f"did you mean '{suggestion}'? {available}", "rule_hint_column_close"
        else:
            hint, hint_code = available, "rule_hint_columns"
        return Problem(
            reason,
            span,
            hint,
            code=code,
            hint_code=hint_code,
            known=known,
            suggestion=suggestion,
            **values,
        )

    def constant(self, node: ast.Constant) -> Const:
        value, span = node.value, self.span(node)
        if isinstance(value, bool):
            return Const(value, "bool", span)
        if isinstance(value, int) and -(2**63) <= value < 2**63:
            return Const(value, "int", span)
        if isinstance(value, float) and math.isfinite(value):
            return Const(value, "float", span)
        if isinstance(value, str):
            return Const(value, "str", span)
        if isinstance(value, int | float):
            raise Problem(
                "this number is too large",
                span,
                code="rule_number_too_large",
                shown=self.snippet(span),
            )
        if value is None:
            raise Problem(
                "None is not allowed in a rule",
                span,
                "for a missing value write is_null(column)",
                code="rule_none",
                hint_code="rule_hint_is_null",
            )
        kinds = {bytes: "bytes", complex: "a complex number"}
        what = kinds.get(type(value), f"'{value!r}'")
        raise _not_allowed(what, self.snippet(span), span)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "date"
    return isinstance(node, ast.Constant)


def _functions() -> str:
    return "Available functions: " + ", ".join(
        [*(f.usage for f in SIGNATURES.values()), DATE_USAGE]
    )


def _unknown_function(name: str, span: Span) -> Problem:
    close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
    return Problem(
        f"unknown function '{name}'",
        span,
        (f"did you mean '{close[0]}'? " if close else "") + _functions(),
        code="rule_unknown_function",
        hint_code="rule_hint_function_close" if close else "rule_hint_functions",
        function=name,
        suggestion=close[0] if close else "",
        functions=_FUNCTION_NAMES,
    )


def _not_allowed(
    what: str, shown: str, span: Span, instead: tuple[str, str] | None = None
) -> Problem:
    """WHAT (SHOWN in the rule) is not allowed: write INSTEAD (a hint and its code), or see what
    is allowed."""
    hint, hint_code = instead or (ALLOWED, ALLOWED_CODE)
    return Problem(
        f"{what} is not allowed in a rule",
        span,
        hint,
        code="rule_not_allowed",
        hint_code=hint_code,
        what=shown,
        functions=", ".join(SIGNATURES),
    )


def _list_outside_in(span: Span) -> Problem:
    return Problem(
        "a list is only allowed after 'in' or 'not in'",
        span,
        LIST_EXAMPLE,
        code="rule_list_outside_in",
        hint_code=LIST_EXAMPLE_CODE,
    )
