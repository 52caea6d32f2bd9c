"""Property tests: whatever text a user writes, compiling it fails only with a RuleError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from outbound.rules import ColumnType, RuleError, compile_rule

SCHEMA: dict[str, ColumnType] = {
    "line_id": "str",
    "status": "category",
    "calls_30d": "int",
    "monthly_spend": "float",
    "caller_id": "bool",
    "install_date": "date",
    "last_call": "datetime",
}
TOKENS = [
    *SCHEMA,
    "prev",
    "prev.",
    "prev.calls_30d",
    ".",
    "0",
    "-1",
    "2.5",
    "1e999",
    "10**",
    "'active'",
    "'镇原县'",
    '"',
    "'",
    "b'x'",
    "f'{status}'",
    "True",
    "False",
    "None",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "in",
    "not",
    "is",
    "and",
    "or",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "&",
    "|",
    "~",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ":=",
    "lambda",
    "if",
    "else",
    "for",
    "months_since",
    "days_since",
    "is_null",
    "contains",
    "startswith",
    "date",
    "date('2026-01-01')",
    "date('2026-02-30')",
    "__import__",
    "\n",
    "#",
    "\\",
    "\t",
]


def compiles_or_raises_rule_error(text: str) -> None:
    try:
        rule = compile_rule(text, SCHEMA, source="segments/x.toml: where")
    except RuleError as error:
        assert error.message.startswith("segments/x.toml: where: ")
        assert 0 <= error.start <= error.end <= len(text)
    else:
        assert rule.columns | rule.prev_columns <= set(SCHEMA)


@settings(max_examples=500)
@given(st.text())
def test_any_text_compiles_or_raises_a_rule_error(text: str) -> None:
    compiles_or_raises_rule_error(text)


@settings(max_examples=1000)
@given(st.lists(st.sampled_from(TOKENS), max_size=14), st.sampled_from([" ", ""]))
def test_expression_like_text_compiles_or_raises_a_rule_error(tokens: list[str], gap: str) -> None:
    compiles_or_raises_rule_error(gap.join(tokens))
