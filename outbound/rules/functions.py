"""The functions a rule may call: what each takes and returns, and its help text."""

from __future__ import annotations

from dataclasses import dataclass

from outbound.rules.tree import ValueType


@dataclass(frozen=True)
class Function:
    usage: str
    description: str
    args: tuple[frozenset[str], ...]  # the value types each argument accepts
    result: ValueType
    usage_code: str  # the usage as a page says it, from the refusals catalogs
    literal_text_last: bool = False  # the last argument must be a text in quotes


_ANY = frozenset({"str", "int", "float", "bool", "date", "datetime"})
_TIME = frozenset({"date", "datetime"})
_TEXT = frozenset({"str"})

SIGNATURES: dict[str, Function] = {
    "months_since": Function(
        "months_since(date)",
        "calendar months from the date's month to the run date's month",
        (_TIME,),
        "int",
        "rule_usage_months_since",
    ),
    "days_since": Function(
        "days_since(date)",
        "whole days from the date to the run date",
        (_TIME,),
        "int",
        "rule_usage_days_since",
    ),
    "is_null": Function(
        "is_null(value)",
        "true where the value is missing",
        (_ANY,),
        "bool",
        "rule_usage_is_null",
    ),
    "contains": Function(
        "contains(text_column, 'text')",
        "true where the column contains the text (case-sensitive)",
        (_TEXT, _TEXT),
        "bool",
        "rule_usage_contains",
        literal_text_last=True,
    ),
    "startswith": Function(
        "startswith(text_column, 'text')",
        "true where the column starts with the text (case-sensitive)",
        (_TEXT, _TEXT),
        "bool",
        "rule_usage_startswith",
        literal_text_last=True,
    ),
}

DATE_USAGE = "date('YYYY-MM-DD')"
DATE_USAGE_CODE = "rule_usage_date"

FUNCTIONS: dict[str, str] = {
    **{name: f"{f.usage}: {f.description}" for name, f in SIGNATURES.items()},
    "date": f"{DATE_USAGE}: a date, to compare date columns with",
}
