"""A wrong rule drawn for the rule editor: the whole text with carets under the place."""

from __future__ import annotations

import pytest

from outbound.plan.rule_check import with_caret
from outbound.rules import ColumnType, RuleError, compile_rule

SCHEMA: dict[str, ColumnType] = {"region": "category", "calls_30d": "int", "status": "category"}


def error_of(text: str) -> RuleError:
    with pytest.raises(RuleError) as raised:
        compile_rule(text, SCHEMA, source="rule")
    return raised.value


def test_the_caret_sits_under_an_unknown_column_after_chinese_text_counted_two_columns_each() -> (
    None
):
    error = error_of('region == "西峰区" and calls_3d > 1')
    assert with_caret(error) == 'region == "西峰区" and calls_3d > 1\n' + " " * 23 + "^" * 8


def test_the_caret_line_follows_the_erring_line_of_a_rule_of_several_lines() -> None:
    error = error_of("status == 'active' and\n  calls_3d == 0\n  or region == '环县'")
    assert with_caret(error).split("\n") == [
        "status == 'active' and",
        "  calls_3d == 0",
        "  ^^^^^^^^",
        "  or region == '环县'",
    ]


def test_a_rule_cut_short_gets_one_caret_after_its_end() -> None:
    assert with_caret(error_of("calls_30d ==")) == "calls_30d ==\n" + " " * 12 + "^"
