"""Columns some readers may not select lines by. A role without the phone grant sees numbers
masked (139****5678); if it could count the lines of `startswith(phone, '+861391')`, fifty counts
would give it the number back. So a rule it can count may not read the phone or the line id."""

from __future__ import annotations

from collections.abc import Collection

from outbound.errors import UserError
from outbound.rules.rule import Rule
from outbound.rules.tree import LINE_ID

PHONE = "phone"
NUMBERS = frozenset({PHONE, LINE_ID})


def check_grant(rule: Rule, hidden: Collection[str], source: str) -> None:
    """Refuse RULE (of SOURCE) if it reads a column of HIDDEN, this or last month."""
    read = sorted((rule.columns | rule.prev_columns) & set(hidden))
    if read:
        raise UserError(
            f"{source}: a rule you can count may not read {', '.join(read)}: your role sees "
            "numbers masked. Select lines by other columns.",
            "column_not_granted",
            columns=", ".join(read),
        )
