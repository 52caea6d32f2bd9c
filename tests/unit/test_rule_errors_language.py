"""Rule errors as the pages say them: every code a rule is refused with has its Chinese and its
English, with the same values; the Chinese lets no English sentence through but the user's own
text, and the place is drawn apart from the reason."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import pytest

from outbound.errors import UserError
from outbound.rules import RuleError, compile_rule
from outbound.rules.errors import TypeName, excerpt
from outbound.web.refusals import REFUSALS, said
from tests.language import english_runs
from tests.schemas import SCHEMA

RULES = Path(__file__).parents[2] / "outbound" / "rules"
# The modules compile_rule goes through: every code they hold is one a rule can be refused with.
COMPILING = ("syntax.py", "parse.py", "functions.py", "rule.py")
_CODE = re.compile(r"\"(rule_[a-z_]+)\"")
# Elsewhere in outbound/rules, a code is a code= argument, or a hint's or a usage's code.
_ANY_CODE = re.compile(r"\bcode=\"(\w+)\"|\"(rule_(?:hint|usage)_[a-z_]+)\"")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

# A rule for each code (with its hint's code), and the user's text a page must name.
CASES: list[tuple[str, str, str | None, str | None]] = [
    ("  ", "rule_empty", "rule_hint_example", None),
    ("status == 'a\0'", "rule_bad_character", None, None),
    ("status = 'active'", "rule_single_equals", "rule_hint_example", None),
    ("region == '镇原县 and caller_id", "rule_unclosed_text", "rule_hint_example", None),
    ("status == 'active' status == 'b'", "rule_missing_and_or", "rule_hint_example", None),
    ("calls_30d >= = 1", "rule_invalid_syntax", "rule_hint_example", None),
    ("(calls_30d == 1", "rule_bracket_not_closed", "rule_hint_example", "("),
    ("calls_30d == 0)", "rule_unmatched_bracket", "rule_hint_example", ")"),
    ("[calls_30d == 1)", "rule_brackets_mismatch", "rule_hint_example", "["),
    ("status == 'active'，calls_30d == 1", "rule_invalid_character", "rule_hint_example", "，"),
    ("calls_30d\u00a0== 1", "rule_invisible_character", "rule_hint_example", "U+00A0"),
    ("calls_30d == 3months", "rule_invalid_number", "rule_hint_example", None),
    (" + ".join(["calls_30d"] * 500) + " > 1", "rule_too_deep", "rule_hint_split", None),
    ("[1, 2] == calls_30d", "rule_list_outside_in", "rule_hint_list_example", None),
    ("(lambda: caller_id)", "rule_not_allowed", "rule_hint_allowed", "lambda: caller_id"),
    ("caller_id & caller_id", "rule_not_allowed", "rule_hint_write_and", "&"),
    ("caller_id | caller_id", "rule_not_allowed", "rule_hint_write_or", "|"),
    ("~caller_id", "rule_not_allowed", "rule_hint_write_not", "~"),
    ("calls_30d // 2 > 1", "rule_not_allowed", "rule_hint_write_division", "//"),
    ("caller_id is True", "rule_not_allowed", "rule_hint_write_equals", "is"),
    ("caller_id is not True", "rule_not_allowed", "rule_hint_write_not_equals", "is not"),
    ("calls_30d + 1", "rule_whole_not_condition", "rule_hint_compare_it", "calls_30d + 1"),
    ("not status", "rule_not_condition", "rule_hint_compare_it", "status"),
    ("status + 1 == 'a1'", "rule_needs_numbers", None, "status"),
    ("status < 'b'", "rule_only_equality", "rule_hint_contains", None),
    ("caller_id > False", "rule_only_equality", None, None),
    ("status == 0", "rule_cannot_compare", "rule_hint_quotes", "status"),
    ("last_complaint > install_date", "rule_cannot_compare", None, "install_date"),
    ("install_date > '2026-01-01'", "rule_date_as_text", "rule_hint_write_date", "2026-01-01"),
    ("install_date > '2026/01/01'", "rule_date_as_text", "rule_usage_date", "2026/01/01"),
    ("calls_30d in {1, 2}", "rule_in_needs_list", "rule_hint_list_example", None),
    ("calls_30d in []", "rule_empty_list", "rule_hint_list_one", None),
    ("calls_30d in [calls_30d]", "rule_list_values_only", None, "calls_30d"),
    ("status.upper() == 'A'", "rule_only_functions", "rule_hint_functions", None),
    ("contains(customer_name, text='a')", "rule_keyword_argument", None, None),
    ("open('x') == 1", "rule_unknown_function", "rule_hint_functions", "open"),
    ("month_since(install_date) > 1", "rule_unknown_function", "rule_hint_function_close", None),
    ("months_since() > 1", "rule_argument_count", "rule_usage_months_since", "months_since"),
    ("is_null()", "rule_argument_count", "rule_usage_is_null", "is_null"),
    ("startswith(region, region)", "rule_last_argument_text", "rule_usage_startswith", None),
    ("days_since(calls_30d) > 1", "rule_argument_type", "rule_usage_days_since", "calls_30d"),
    ("contains(calls_30d, 'a')", "rule_argument_type", "rule_usage_contains", "calls_30d"),
    ("install_date > date(20260101)", "rule_date_argument", "rule_usage_date", None),
    ("install_date > date('2026/01/01')", "rule_not_a_date", "rule_usage_date", "2026/01/01"),
    ("install_date > date('2026-13-01')", "rule_invalid_date", "rule_usage_date", "2026-13-01"),
    ("prev == 0", "rule_prev_needs_column", "rule_hint_columns", None),
    ("is_null == 1", "rule_function_not_called", None, "is_null"),
    ("calls_3d == 0", "rule_unknown_column", "rule_hint_column_close", "calls_3d"),
    ("caller_id == true", "rule_unknown_column", "rule_hint_bool", "true"),
    ("status == null", "rule_unknown_column", "rule_hint_missing_value", "null"),
    ("prev.plan == 'a'", "rule_unknown_column", "rule_hint_columns", "prev.plan"),
    ("status.real == 1", "rule_attribute", "rule_hint_prev_only", "status.real"),
    ("calls_30d == 1e999", "rule_number_too_large", None, "1e999"),
    ("status == None", "rule_none", "rule_hint_is_null", None),
]


def refused(text: str) -> RuleError:
    with pytest.raises(RuleError) as raised:
        compile_rule(text, SCHEMA)
    return raised.value


def catalog(language: str) -> dict[str, str]:
    return tomllib.loads((REFUSALS / f"{language}.toml").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def without_users_text(text: str, error: RuleError) -> str:
    """TEXT without the values that are the user's (columns, values, the rule's own text)."""
    users = [str(value) for value in error.values.values() if not isinstance(value, TypeName)]
    for value in sorted(users, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def sayings(error: RuleError) -> list[UserError]:
    """The error and its hint, as a page says them."""
    return [error] if error.hint_refusal is None else [error, error.hint_refusal]


def codes_in(*modules: str) -> set[str]:
    return {code for module in modules for code in _CODE.findall((RULES / module).read_text())}


@pytest.mark.parametrize(("text", "code", "hint_code", "named"), CASES)
def test_each_rule_error_is_said_in_chinese_with_no_english_but_the_users_own(
    text: str, code: str, hint_code: str | None, named: str | None
) -> None:
    error = refused(text)
    assert (error.code, error.hint_code) == (code, hint_code)
    chinese = [said(part, "zh") for part in sayings(error)]
    assert all(_CJK.search(sentence) for sentence in chinese)
    assert [english_runs(without_users_text(sentence, error)) for sentence in chinese] == [
        [] for _ in chinese
    ]
    if named is not None:
        assert named in chinese[0]


@pytest.mark.parametrize(("text", "code", "hint_code", "named"), CASES)
def test_each_rule_error_is_said_in_english_without_command_line_words(
    text: str, code: str, hint_code: str | None, named: str | None
) -> None:
    error = refused(text)
    for sentence in (said(part, "en") for part in sayings(error)):
        assert re.search("[A-Za-z]{2,}", sentence)
        assert not _CJK.search(without_users_text(sentence, error).replace("镇原县', '环县", ""))
        assert "engine " not in sentence and "--" not in sentence
    if named is not None:
        assert named in said(error, "en")


def test_every_code_of_the_rules_has_chinese_and_english_with_the_same_values() -> None:
    chinese, english = catalog("zh"), catalog("en")
    codes = codes_in(*COMPILING) | {
        code
        for path in RULES.glob("*.py")
        for found in _ANY_CODE.findall(path.read_text())
        for code in found
        if code
    }
    assert sorted(code for code in codes if code not in chinese or code not in english) == []
    assert [
        code for code in codes if placeholders(chinese[code]) != placeholders(english[code])
    ] == []


def test_every_code_a_rule_compiles_to_has_a_case_here() -> None:
    covered = {code for _, code, _, _ in CASES} | {hint for _, _, hint, _ in CASES if hint}
    assert codes_in(*COMPILING) == covered


def test_a_value_type_is_said_in_the_readers_language() -> None:
    error = refused("status == 0")
    assert said(error, "zh") == "status（文本）不能与 0（数字）比较。"
    assert said(error, "en") == "status (text) cannot be compared with 0 (a number)."


def test_the_command_line_keeps_its_english_message_with_the_caret() -> None:
    error = refused("calls_3d == 0")
    assert error.message.splitlines() == [
        "rule: unknown column 'calls_3d'",
        "    calls_3d == 0",
        "    ^^^^^^^^",
        "  did you mean 'calls_30d'? Available columns: " + ", ".join(SCHEMA),
    ]
    assert said(error, "zh") == "没有列“calls_3d”。"


def test_the_excerpt_is_the_rules_line_with_carets_under_the_place_as_the_message_shows() -> None:
    error = refused("status == 'active'\n  and region == '镇原县' and calls_3d == 0")
    assert excerpt(error) == (
        "  and region == '镇原县' and calls_3d == 0\n" + " " * 29 + "^" * len("calls_3d")
    )
    assert error.message.splitlines()[1:3] == [
        f"    {line}" for line in excerpt(error).splitlines()
    ]
