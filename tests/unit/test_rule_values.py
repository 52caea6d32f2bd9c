"""A rule comparing a category column with a value it never takes: the check names the column's
values and the closest one, or what the extract's own word is imported as."""

from __future__ import annotations

import pytest

from outbound.rules import ColumnType, compile_rule
from outbound.rules.values import ValueNotFound, check_values, unknown_values

SCHEMA: dict[str, ColumnType] = {
    "status": "category",
    "plan": "category",
    "region": "category",
    "customer_name": "str",
    "calls_30d": "int",
}
VALUES = {
    "status": {"active", "suspended", "closed"},
    "plan": {"家家e", "畅享套餐", "基础套餐"},
    "region": {"西峰区", "环县"},
}
RECODED = {"status": {"在用": "active", "停机": "suspended", "拆机": "closed"}}


def found(text: str) -> list[tuple[str, str, str | None, str | None]]:
    rule = compile_rule(text, SCHEMA)
    return [
        (p.column, p.value, p.suggestion, p.imported_as)
        for p in unknown_values(rule, VALUES, RECODED)
    ]


def test_a_misspelt_value_names_the_columns_values_and_the_closest_one() -> None:
    problems = unknown_values(compile_rule("status == 'actve'", SCHEMA), VALUES, RECODED)
    assert len(problems) == 1
    assert (
        problems[0].reason == "status has no value 'actve'; its values: active, closed, suspended"
    )
    assert problems[0].hint == "did you mean 'active'?"


def test_the_extracts_own_word_of_a_recoded_column_says_what_it_is_imported_as() -> None:
    assert found("status == '在用'") == [("status", "在用", "active", "active")]
    problem = unknown_values(compile_rule("status == '在用'", SCHEMA), VALUES, RECODED)[0]
    assert problem.hint == "the extract's '在用' is imported as 'active': write that"


def test_a_value_of_an_unrecoded_column_is_checked_against_the_months_values() -> None:
    assert found("plan == '家家E'") == [("plan", "家家E", "家家e", None)]
    assert found("region == '北京'") == [("region", "北京", None, None)]


def test_values_in_a_list_written_before_the_column_or_compared_unequal_are_checked() -> None:
    text = "'closd' != status or region in ['环县', '西锋区'] or plan not in ['家家e']"
    assert [(column, value) for column, value, _, _ in found(text)] == [
        ("status", "closd"),
        ("region", "西锋区"),
    ]


def test_values_the_column_takes_and_columns_of_other_types_pass() -> None:
    text = "status == 'active' and customer_name == '某某' and calls_30d == 0"
    assert found(text) == []


def test_a_long_list_of_values_is_cut_after_twelve() -> None:
    many = {"region": {f"区{n:02}" for n in range(20)}}
    problem = unknown_values(compile_rule("region == '区99'", SCHEMA), many)[0]
    assert problem.listed.endswith("区11, …") and "区12" not in problem.listed


def test_the_check_is_refused_as_a_rule_error_with_the_caret_under_the_value() -> None:
    rule = compile_rule("calls_30d > 1 and status == 'actve'", SCHEMA)
    with pytest.raises(ValueNotFound) as raised:
        check_values(rule, VALUES, RECODED)
    error = raised.value
    assert (error.line, error.column) == (1, 28)
    assert str(error).splitlines()[1:] == [
        "    calls_30d > 1 and status == 'actve'",
        "                                ^^^^^^^",
        "  did you mean 'active'?",
    ]
