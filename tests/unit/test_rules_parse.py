"""Parsing, validating and type-checking rules: what compiles, and the errors for what does not."""

from __future__ import annotations

import pytest

from outbound.errors import UserError
from outbound.rules import FUNCTIONS, RuleError, compile_rule
from tests.schemas import SCHEMA


def error(text: str, source: str = "rule") -> RuleError:
    with pytest.raises(RuleError) as caught:
        compile_rule(text, SCHEMA, source=source)
    return caught.value


def underlined(problem: RuleError) -> str:
    return problem.text[problem.start : problem.end]


def test_a_valid_rule_reports_the_columns_it_reads() -> None:
    rule = compile_rule(
        "status == 'active' and calls_30d == 0 and months_since(install_date) >= 3", SCHEMA
    )
    assert rule.columns == {"status", "calls_30d", "install_date"}
    assert rule.prev_columns == frozenset()
    assert rule.text == "status == 'active' and calls_30d == 0 and months_since(install_date) >= 3"


def test_prev_columns_are_reported_apart_from_current_ones() -> None:
    rule = compile_rule("monthly_spend < prev.monthly_spend * 0.7 and prev.calls_30d == 0", SCHEMA)
    assert rule.columns == {"monthly_spend"}
    assert rule.prev_columns == {"monthly_spend", "calls_30d"}


def test_an_unknown_column_points_at_it_and_suggests_the_closest_name() -> None:
    problem = error(
        "status == 'active' and calls_3d == 0", source="segments/zero_usage.toml: where"
    )
    assert problem.message.splitlines() == [
        "segments/zero_usage.toml: where: unknown column 'calls_3d'",
        "    status == 'active' and calls_3d == 0",
        "                           ^^^^^^^^",
        "  did you mean 'calls_30d'? Available columns: line_id, phone, status, region, "
        "customer_name, calls_30d, monthly_spend, caller_id, install_date, last_complaint",
    ]
    assert (problem.line, problem.column, problem.start, problem.end) == (1, 23, 23, 31)


def test_a_rule_error_is_a_user_error_whose_text_is_the_message() -> None:
    problem = error("calls_3d == 0")
    assert isinstance(problem, UserError)
    assert str(problem) == problem.message
    assert problem.reason == "unknown column 'calls_3d'"
    assert problem.source == "rule"


def test_offsets_count_characters_not_utf8_bytes_after_a_chinese_literal() -> None:
    problem = error("region == '镇原县' and calls_3d == 0")
    assert underlined(problem) == "calls_3d"
    assert problem.start == 20


def test_the_caret_is_padded_by_display_width_after_chinese_text() -> None:
    lines = error("region == '镇原县' and calls_3d == 0").message.splitlines()
    assert lines[1] == "    region == '镇原县' and calls_3d == 0"
    # '镇原县' is three characters but six terminal columns wide
    assert lines[2] == "    " + " " * 23 + "^" * 8


def test_an_error_on_the_second_line_of_a_multi_line_rule_shows_that_line() -> None:
    problem = error("status == 'active'\n  and calls_3d == 0\n  and caller_id")
    assert (problem.line, problem.column) == (2, 6)
    assert underlined(problem) == "calls_3d"
    assert problem.message.splitlines()[:3] == [
        "rule: line 2: unknown column 'calls_3d'",
        "      and calls_3d == 0",
        "          ^^^^^^^^",
    ]


def test_a_rule_may_span_several_lines_with_comments() -> None:
    rule = compile_rule(
        "status == 'active'   # still billed\r\n  and calls_30d == 0\n  and caller_id\n", SCHEMA
    )
    assert rule.columns == {"status", "calls_30d", "caller_id"}


def test_an_unknown_prev_column_names_prev() -> None:
    problem = error("prev.calls_3d == 0")
    assert problem.reason == "unknown column 'prev.calls_3d'"
    assert underlined(problem) == "prev.calls_3d"
    assert "did you mean 'calls_30d'?" in problem.message


def test_prev_alone_asks_for_a_column() -> None:
    problem = error("prev == 0")
    assert problem.reason == "prev needs a column: write prev.<column>"
    assert underlined(problem) == "prev"


def test_an_unknown_function_suggests_one_and_lists_them_all() -> None:
    problem = error("month_since(install_date) >= 3")
    assert problem.reason == "unknown function 'month_since'"
    assert underlined(problem) == "month_since"
    assert "did you mean 'months_since'?" in problem.message
    for name in FUNCTIONS:
        assert f"{name}(" in problem.message


def test_a_function_name_without_a_call_is_explained() -> None:
    problem = error("is_null and caller_id")
    assert problem.reason == "is_null is a function: call it as is_null(value)"


@pytest.mark.parametrize(
    ("text", "reason", "place"),
    [
        ("status ==", "this is not a valid rule here", ""),
        (
            "status = 'active'",
            "'=' is not a comparison: write '==' to compare",
            "status = 'active'",
        ),
        ("region == '镇原县 and caller_id", "a text in quotes is not closed", "'"),
        ("(calls_30d == 1", "'(' was never closed", "("),
        ("calls_30d == 0) or (caller_id", "unmatched ')'", ")"),
        ("calls_30d == 0)", "unmatched ')'", ")"),
        ("calls_30d == 0 &&& caller_id", "this is not a valid rule here", "&"),
        ("区域 == '镇原县' $ 1", "this is not a valid rule here", "$"),
    ],
)
def test_a_syntax_error_is_a_rule_error_at_its_position(text: str, reason: str, place: str) -> None:
    problem = error(text)
    assert problem.reason == reason
    assert underlined(problem) == place
    assert "SyntaxError" not in problem.message


def test_a_syntax_error_at_the_end_points_just_past_the_text() -> None:
    problem = error("calls_30d >")
    assert problem.start == len("calls_30d >")
    assert problem.message.splitlines()[2] == "    " + " " * 11 + "^"


def test_a_syntax_error_on_a_later_line_points_there() -> None:
    problem = error("caller_id and\n  '镇原县' == region $")
    assert problem.line == 2
    assert underlined(problem) == "$"
    assert problem.message.splitlines()[2] == "    " + " " * 21 + "^"


def test_an_empty_rule_is_an_error() -> None:
    assert error("  \n ").reason == "the rule is empty"


def test_a_null_character_is_an_error_at_it() -> None:
    problem = error("caller_id\0")
    assert problem.start == 9


@pytest.mark.parametrize(
    ("text", "what", "place"),
    [
        ("open('x') == 1", "unknown function 'open'", "open"),
        ("status.upper() == 'A'", "only the rule's functions can be called", "status.upper()"),
        ("status.real == 1", "attribute access ('.') is not allowed in a rule", "status.real"),
        ("prev.prev.status == 'a'", "attribute access ('.') is not allowed in a rule", None),
        ("customer_name[0] == 'a'", "indexing with [...] is not allowed in a rule", None),
        ("(lambda: 1)() == 1", "only the rule's functions can be called", None),
        ("[x for x in status] == 1", "a comprehension is not allowed in a rule", None),
        ("f'{status}' == 'a'", "an f-string is not allowed in a rule", "f'{status}'"),
        ("(x := 1) == 1", "':=' is not allowed in a rule", "x := 1"),
        ("caller_id is True", "'is' is not allowed in a rule", "is"),
        ("caller_id is not True", "'is not' is not allowed in a rule", "is"),
        ("caller_id & caller_id", "'&' is not allowed in a rule", "&"),
        ("caller_id | caller_id", "'|' is not allowed in a rule", "|"),
        ("~caller_id", "'~' is not allowed in a rule", "~"),
        ("calls_30d ** 2 > 1", "'**' is not allowed in a rule", "**"),
        ("calls_30d // 2 > 1", "'//' is not allowed in a rule", "//"),
        ("calls_30d % 2 == 1", "'%' is not allowed in a rule", "%"),
        ("calls_30d ^ 2 == 1", "'^' is not allowed in a rule", "^"),
        ("{'a': 1} == 1", "a dict is not allowed in a rule", "{'a': 1}"),
        ("calls_30d in {1, 2}", "'in' needs a list of values in square brackets", "{1, 2}"),
        ("is_null(*[1])", "'*' is not allowed in a rule", "*[1]"),
        ("contains(customer_name, text='a')", "keyword arguments are not allowed in a rule", None),
        ("customer_name == b'a'", "bytes is not allowed in a rule", "b'a'"),
        ("calls_30d == 1j", "a complex number is not allowed in a rule", "1j"),
        ("calls_30d == ...", "'Ellipsis' is not allowed in a rule", "..."),
        ("caller_id if caller_id else caller_id", "'... if ... else ...' is not allowed", None),
        ("status == None", "None is not allowed in a rule", "None"),
        ("[1, 2] == calls_30d", "a list is only allowed after 'in' or 'not in'", "[1, 2]"),
        ("calls_30d in [1] == [1]", "a list is only allowed after 'in' or 'not in'", "[1]"),
        ("calls_30d in [calls_30d]", "a list after 'in' can only hold values like", "calls_30d"),
        ("calls_30d in []", "the list is empty", "[]"),
        ("calls_30d == 1e999", "this number is too large", "1e999"),
    ],
)
def test_constructs_outside_the_language_are_errors_at_their_place(
    text: str, what: str, place: str | None
) -> None:
    problem = error(text)
    assert problem.reason.startswith(what)
    if place is not None:
        assert underlined(problem) == place


def test_a_not_allowed_error_lists_what_is_allowed() -> None:
    message = error("(lambda: caller_id)").message
    assert "Allowed: column names, prev.<column>" in message
    assert "months_since" in message


@pytest.mark.parametrize(
    ("text", "reason", "place"),
    [
        ("status == 0", "cannot compare status (text) with 0 (a number)", "0"),
        ("0 == status", "cannot compare 0 (a number) with status (text)", "0"),
        ("calls_30d == customer_name", "cannot compare calls_30d (a number) with", None),
        ("status + 1 == 'a1'", "'+' needs numbers, but status (text) is not", "status"),
        ("-status == 'a'", "'-' needs numbers, but status (text) is not", "status"),
        ("calls_30d and caller_id", "calls_30d is not a condition: it is a number", "calls_30d"),
        ("not status", "status is not a condition: it is text", "status"),
        ("calls_30d + 1", "the rule must be a condition", "calls_30d + 1"),
        ("install_date", "the rule must be a condition", "install_date"),
        ("install_date > '2026-01-01'", "a date cannot be compared with text", "'2026-01-01'"),
        ("status < 'b'", "text can only be compared with == or !=", "<"),
        ("caller_id > False", "true/false can only be compared with == or !=", ">"),
        ("last_complaint > install_date", "cannot compare install_date (a date) with", None),
        ("calls_30d in [1, 'a']", "cannot compare calls_30d (a number) with 'a' (text)", "'a'"),
        ("status not in ['a', 2]", "cannot compare status (text) with 2 (a number)", "2"),
        ("caller_id == 1", "cannot compare caller_id (true/false) with 1 (a number)", "1"),
    ],
)
def test_type_errors_explain_what_does_not_fit(text: str, reason: str, place: str | None) -> None:
    problem = error(text)
    assert problem.reason.startswith(reason)
    if place is not None:
        assert underlined(problem) == place


def test_a_date_compared_with_text_is_told_to_write_date() -> None:
    assert "write date('2026-01-01')" in error("install_date >= '2026-01-01'").message


def test_a_number_where_a_condition_is_needed_gets_an_example() -> None:
    assert "compare it, e.g. calls_30d > 0" in error("calls_30d").message


def test_a_bool_column_is_a_condition_on_its_own() -> None:
    assert compile_rule("caller_id", SCHEMA).columns == {"caller_id"}
    assert compile_rule("monthly_spend > 100 and not caller_id", SCHEMA).columns == {
        "monthly_spend",
        "caller_id",
    }


def test_category_columns_behave_as_text() -> None:
    compile_rule("status in ['active', '停机'] and contains(status, 'act')", SCHEMA)
    assert error("status > 1").reason.startswith("cannot compare status (text)")


def test_ints_and_floats_mix_freely() -> None:
    compile_rule("calls_30d * 1.5 + monthly_spend / 2 > -3 and calls_30d in [1, 2.5]", SCHEMA)


@pytest.mark.parametrize(
    ("text", "reason", "place"),
    [
        ("install_date > date('2026-13-01')", "'2026-13-01' is not a valid date", "'2026-13-01'"),
        ("install_date > date('2026-1-1')", "'2026-1-1' is not a date", "'2026-1-1'"),
        ("install_date > date('20260101')", "'20260101' is not a date", "'20260101'"),
        ("install_date > date(20260101)", "date takes one text in quotes", "date(20260101)"),
        ("install_date > date()", "date takes one text in quotes", "date()"),
    ],
)
def test_a_bad_date_literal_is_an_error_at_the_literal(text: str, reason: str, place: str) -> None:
    problem = error(text)
    assert problem.reason == reason
    assert underlined(problem) == place


@pytest.mark.parametrize(
    ("text", "reason", "place"),
    [
        ("months_since() > 1", "months_since takes 1 argument, not 0", "months_since()"),
        ("contains(region) ", "contains takes 2 arguments, not 1", "contains(region)"),
        ("months_since(status) > 1", "months_since needs a date, but status (text) is not", None),
        ("days_since(calls_30d) > 1", "days_since needs a date", "calls_30d"),
        ("contains(calls_30d, 'a')", "contains needs text, but calls_30d (a number) is not", None),
        ("startswith(region, region)", "the last argument of startswith must be a text", "region"),
        ("contains(region, 1)", "the last argument of contains must be a text in quotes", "1"),
    ],
)
def test_function_arguments_are_counted_and_type_checked(
    text: str, reason: str, place: str | None
) -> None:
    problem = error(text)
    assert problem.reason.startswith(reason)
    if place is not None:
        assert underlined(problem) == place


def test_true_spelled_in_lower_case_is_suggested_in_capitals() -> None:
    assert "did you mean True?" in error("caller_id == true").message


def test_a_deeply_nested_rule_is_an_error_not_a_crash() -> None:
    problem = error(" + ".join(["calls_30d"] * 500) + " > 1")
    assert problem.reason == "the rule is nested too deeply"


def test_functions_lists_every_function_with_help_text() -> None:
    assert set(FUNCTIONS) == {
        "months_since",
        "days_since",
        "is_null",
        "contains",
        "startswith",
        "date",
    }
    assert all(description.strip() for description in FUNCTIONS.values())


def test_describe_reads_the_rule_in_words() -> None:
    rule = compile_rule(
        "status == 'active' and (calls_30d == 0 or not is_null(prev.calls_30d)) "
        "and months_since(install_date) >= 3 and region not in ['镇原县', '环县']",
        SCHEMA,
    )
    assert rule.describe() == (
        "status is 'active' and (calls_30d is 0 or not (last month's calls_30d is missing)) "
        "and months since install_date is at least 3 and region is none of '镇原县', '环县'"
    )
