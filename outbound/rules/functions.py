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
    ),
    "days_since": Function(
        "days_since(date)", "whole days from the date to the run date", (_TIME,), "int"
    ),
    "is_null": Function("is_null(value)", "true where the value is missing", (_ANY,), "bool"),
    "contains": Function(
        "contains(text_column, 'text')",
        "true where the column contains the text (case-sensitive)",
        (_TEXT, _TEXT),
        "bool",
        literal_text_last=True,
    ),
    "startswith": Function(
        "startswith(text_column, 'text')",
        "true where the column starts with the text (case-sensitive)",
        (_TEXT, _TEXT),
        "bool",
        literal_text_last=True,
    ),
}

DATE_USAGE = "date('YYYY-MM-DD')"

FUNCTIONS: dict[str, str] = {
    **{name: f"{f.usage}: {f.description}" for name, f in SIGNATURES.items()},
    "date": f"{DATE_USAGE}: a date, to compare date columns with",
}
