"""Values a rule compares a category column with that the column never takes: `status ==
'actve'` or the extract's own `status == '在用'` select nothing, and the check says which
values the column has rather than counting 0."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from outbound.rules.errors import RuleError
from outbound.rules.rule import Rule
from outbound.rules.tree import Column, Compare, Const, InList, Node, Span, walk

SHOWN_VALUES = 12


@dataclass(frozen=True)
class UnknownValue:
    """COLUMN compared with VALUE, which it never takes; KNOWN are the values it does take,
    SUGGESTION the closest (or what the extract's VALUE is imported as, when it is one)."""

    column: str
    value: str
    known: tuple[str, ...]
    suggestion: str | None
    imported_as: str | None
    span: Span

    @property
    def listed(self) -> str:
        """KNOWN as a list to read, cut after SHOWN_VALUES."""
        more = ", …" if len(self.known) > SHOWN_VALUES else ""
        return ", ".join(self.known[:SHOWN_VALUES]) + more

    @property
    def reason(self) -> str:
        return f"{self.column} has no value {self.value!r}; its values: {self.listed}"

    @property
    def hint(self) -> str | None:
        if self.imported_as is not None:
            return f"the extract's {self.value!r} is imported as {self.imported_as!r}: write that"
        return f"did you mean {self.suggestion!r}?" if self.suggestion else None


class ValueNotFound(RuleError):
    """A rule comparing a category column with a value it never takes."""

    def __init__(self, found: UnknownValue, *, source: str, text: str) -> None:
        self.found = found
        hint_code = (
            "rule_hint_imported_as"
            if found.imported_as is not None
            else "rule_hint_value_close"
            if found.suggestion
            else None
        )
        super().__init__(
            found.reason,
            source=source,
            text=text,
            start=found.span.start,
            end=found.span.end,
            hint=found.hint,
            code="rule_unknown_value",
            hint_code=hint_code,
            column=found.column,
            value=found.value,
            values=found.listed,
            suggestion=found.suggestion or "",
        )


def unknown_values(
    rule: Rule,
    values: Mapping[str, Collection[str]],
    recoded: Mapping[str, Mapping[str, str]] | None = None,
) -> list[UnknownValue]:
    """Each text RULE compares (==, !=, in, not in) a column of VALUES (category column: the
    values it takes) with that is not one of them, in the rule's order. RECODED maps a column's
    extract values to those it is imported as."""
    found = []
    for column, const in _comparisons(rule.tree):
        known = values.get(column.name)
        if known is None or not isinstance(const.value, str) or const.value in known:
            continue
        imported_as = (recoded or {}).get(column.name, {}).get(const.value)
        close = difflib.get_close_matches(const.value, list(known), n=1, cutoff=0.6)
        found.append(
            UnknownValue(
                column.name,
                const.value,
                tuple(sorted(known)),
                imported_as or (close[0] if close else None),
                imported_as,
                const.span,
            )
        )
    return sorted(found, key=lambda problem: problem.span.start)


def check_values(
    rule: Rule,
    values: Mapping[str, Collection[str]],
    recoded: Mapping[str, Mapping[str, str]] | None = None,
    *,
    source: str = "rule",
) -> None:
    """Raise ValueNotFound for the first value RULE compares a column of VALUES with that the
    column never takes."""
    found = unknown_values(rule, values, recoded)
    if found:
        raise ValueNotFound(found[0], source=source, text=rule.text)


def _comparisons(tree: Node) -> Iterator[tuple[Column, Const]]:
    for node in walk(tree):
        match node:
            case Compare(op="==" | "!=", left=Column() as column, right=Const() as const):
                yield column, const
            case Compare(op="==" | "!=", left=Const() as const, right=Column() as column):
                yield column, const
            case InList(operand=Column() as column):
                for const in node.values:
                    yield column, const
