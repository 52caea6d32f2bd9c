"""A role that sees numbers masked cannot select lines by them, this month or last."""

from __future__ import annotations

import pytest

from outbound.errors import UserError
from outbound.rules import compile_rule
from outbound.rules.grants import NUMBERS, check_grant

TYPES = {
    "line_id": "str",
    "phone": "str",
    "status": "category",
    "monthly_spend": "float",
}


@pytest.mark.parametrize(
    "text",
    [
        "startswith(phone, '+861331')",
        "line_id == 'L000123' and monthly_spend > 0",
        "status == 'active' and prev.phone != phone",
    ],
)
def test_a_rule_reading_a_number_is_refused_naming_the_column(text: str) -> None:
    rule = compile_rule(text, TYPES, source="rule")
    with pytest.raises(UserError) as refused:
        check_grant(rule, NUMBERS, "rule")
    assert refused.value.code == "column_not_granted"
    assert set(str(refused.value.values["columns"]).split(", ")) <= NUMBERS


def test_a_rule_over_other_columns_passes_and_a_granted_role_may_read_numbers() -> None:
    check_grant(compile_rule("status == 'active'", TYPES, source="rule"), NUMBERS, "rule")
    check_grant(compile_rule("startswith(phone, '+86139')", TYPES, source="rule"), (), "rule")
