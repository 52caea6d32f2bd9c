"""The columns the rule tests compile against: one of each type the rule language knows."""

from __future__ import annotations

from outbound.rules import ColumnType

SCHEMA: dict[str, ColumnType] = {
    "line_id": "str",
    "phone": "str",
    "status": "category",
    "region": "str",
    "customer_name": "str",
    "calls_30d": "int",
    "monthly_spend": "float",
    "caller_id": "bool",
    "install_date": "date",
    "last_complaint": "datetime",
}
