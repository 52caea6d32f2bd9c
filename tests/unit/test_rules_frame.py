"""Evaluating rules on pyarrow-backed frames: every construct, and SQL's three-valued logic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from outbound.extract.convert import ARROW_TYPES
from outbound.rules import compile_rule

SCHEMA: dict[str, Any] = {
    "line_id": "str",
    "status": "category",
    "customer_name": "str",
    "calls_30d": "int",
    "monthly_spend": "float",
    "caller_id": "bool",
    "install_date": "date",
    "last_complaint": "datetime",
}
AS_OF = dt.date(2026, 3, 31)


def frame(**columns: list[Any]) -> pd.DataFrame:
    """A frame as an extract is loaded: pyarrow-backed, line ids L0, L1, ... unless given."""
    length = len(next(iter(columns.values())))
    columns.setdefault("line_id", [f"L{i}" for i in range(length)])
    arrays = {name: pa.array(values, ARROW_TYPES[SCHEMA[name]]) for name, values in columns.items()}
    return pa.table(arrays).to_pandas(types_mapper=pd.ArrowDtype)


def selected(
    text: str, current: pd.DataFrame, previous: pd.DataFrame | None = None, as_of: dt.date = AS_OF
) -> list[str]:
    mask = compile_rule(text, SCHEMA).mask(current, previous, as_of)
    return list(current.loc[mask, "line_id"])


def test_the_mask_is_a_plain_bool_series_on_the_frames_index() -> None:
    current = frame(calls_30d=[0, None, 3]).set_axis([10, 20, 30])
    mask = compile_rule("calls_30d == 0", SCHEMA).mask(current, None, AS_OF)
    assert mask.dtype == bool
    assert list(mask.index) == [10, 20, 30]
    assert list(mask) == [True, False, False]


def test_zero_usage_selects_active_lines_without_calls_installed_three_months_ago() -> None:
    current = frame(
        status=["active", "active", "停机", "active", None, "active"],
        calls_30d=[0, 0, 0, 2, 0, None],
        install_date=[dt.date(2025, 12, 31), dt.date(2026, 1, 1)] + [dt.date(2020, 5, 5)] * 4,
    )
    rule = "status == 'active' and calls_30d == 0 and months_since(install_date) >= 3"
    assert selected(rule, current) == ["L0"]


def test_months_since_counts_calendar_months_of_dates_and_datetimes() -> None:
    current = frame(
        install_date=[dt.date(2026, 3, 1), dt.date(2026, 2, 28), dt.date(2025, 3, 31), None],
        last_complaint=[
            dt.datetime(2026, 3, 31, 23, 59),
            dt.datetime(2026, 2, 1, 0, 0),
            dt.datetime(2025, 4, 1, 8),
            None,
        ],
    )
    assert selected("months_since(install_date) == 0", current) == ["L0"]
    assert selected("months_since(install_date) == 1", current) == ["L1"]
    assert selected("months_since(install_date) == 12", current) == ["L2"]
    assert selected("months_since(last_complaint) in [0, 1, 11]", current) == ["L0", "L1", "L2"]


def test_days_since_counts_whole_days_from_a_datetimes_date() -> None:
    current = frame(
        install_date=[dt.date(2026, 3, 31), dt.date(2026, 3, 1), None],
        last_complaint=[dt.datetime(2026, 3, 30, 23, 59), dt.datetime(2026, 3, 31, 0, 1), None],
    )
    assert selected("days_since(install_date) == 30", current) == ["L1"]
    assert selected("days_since(last_complaint) == 1", current) == ["L0"]
    assert selected("days_since(last_complaint) < 1", current) == ["L1"]


def test_a_datetime_passed_as_as_of_counts_from_its_date() -> None:
    current = frame(install_date=[dt.date(2026, 3, 30)])
    assert selected("days_since(install_date) == 1", current, as_of=dt.datetime(2026, 3, 31, 18))


def test_a_date_literal_compares_with_a_datetime_column_at_midnight() -> None:
    current = frame(
        last_complaint=[dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 1, 0, 0, 1), None]
    )
    assert selected("last_complaint == date('2026-01-01')", current) == ["L0"]
    assert selected("last_complaint > date('2026-01-01')", current) == ["L1"]


def test_date_columns_compare_with_date_literals() -> None:
    current = frame(install_date=[dt.date(2025, 12, 31), dt.date(2026, 1, 1), None])
    assert selected("install_date < date('2026-01-01')", current) == ["L0"]
    assert selected("install_date in [date('2026-01-01')]", current) == ["L1"]


def test_a_comparison_chain_requires_every_comparison() -> None:
    current = frame(monthly_spend=[0.0, 0.5, 100.0, 100.5, None])
    assert selected("0 < monthly_spend <= 100", current) == ["L1", "L2"]


def test_arithmetic_mixes_ints_and_floats() -> None:
    current = frame(calls_30d=[2, 3, None], monthly_spend=[1.5, 1.0, 1.0])
    assert selected("calls_30d * 1.5 - monthly_spend == 1.5", current) == ["L0"]
    assert selected("calls_30d + monthly_spend >= 4", current) == ["L1"]


def test_division_is_true_division() -> None:
    current = frame(calls_30d=[1, 3, 4])
    assert selected("calls_30d / 2 == 0.5", current) == ["L0"]
    assert selected("calls_30d / 2 == 1.5", current) == ["L1"]


def test_division_by_zero_is_null_and_selects_nothing_either_way() -> None:
    current = frame(monthly_spend=[10.0, 10.0, 0.0], calls_30d=[0, 5, 0])
    assert selected("monthly_spend / calls_30d > 0", current) == ["L1"]
    assert selected("not (monthly_spend / calls_30d > 0)", current) == []
    assert selected("is_null(monthly_spend / calls_30d)", current) == ["L0", "L2"]


def test_negative_numbers_and_unary_minus() -> None:
    current = frame(calls_30d=[-2, 2, None])
    assert selected("calls_30d == -2", current) == ["L0"]
    assert selected("-calls_30d == -2", current) == ["L1"]
    assert selected("-(calls_30d - 4) > 3", current) == ["L0"]


def test_in_and_not_in_select_nothing_for_a_null_value() -> None:
    current = frame(status=["active", "停机", None])
    assert selected("status in ['active', '销户']", current) == ["L0"]
    assert selected("status not in ['active', '销户']", current) == ["L1"]
    assert selected("not (status in ['active'])", current) == ["L1"]


def test_an_int_column_matches_float_values_in_a_list() -> None:
    current = frame(calls_30d=[1, 2, 3])
    assert selected("calls_30d in [1.0, 2.5, 3]", current) == ["L0", "L2"]


def test_minus_zero_is_in_a_list_holding_zero_as_sql_says() -> None:
    current = frame(monthly_spend=[0.0, -0.0, 5.0])
    assert selected("-monthly_spend in [0]", current) == ["L0", "L1"]
    assert selected("monthly_spend not in [0.0]", current) == ["L2"]


def test_comparisons_with_null_select_nothing_and_neither_does_their_negation() -> None:
    current = frame(calls_30d=[None, 1])
    assert selected("calls_30d != 0", current) == ["L1"]
    assert selected("not (calls_30d == 0)", current) == ["L1"]


def test_null_and_false_is_false_and_null_and_true_is_null() -> None:
    current = frame(calls_30d=[None, None], caller_id=[False, True])
    assert selected("not (calls_30d > 0 and caller_id)", current) == ["L0"]


def test_null_or_true_is_true_and_null_or_false_is_null() -> None:
    current = frame(calls_30d=[None, None], caller_id=[True, False])
    assert selected("calls_30d > 0 or caller_id", current) == ["L0"]
    assert selected("not (calls_30d > 0 or caller_id)", current) == []


def test_a_bool_column_selects_its_true_lines_and_not_its_nulls() -> None:
    current = frame(caller_id=[True, False, None])
    assert selected("caller_id", current) == ["L0"]
    assert selected("not caller_id", current) == ["L1"]
    assert selected("caller_id == False", current) == ["L1"]


def test_is_null_is_true_for_missing_values_of_any_type() -> None:
    current = frame(
        customer_name=["张三", None, "李四"],
        install_date=[None, dt.date(2026, 1, 1), dt.date(2026, 1, 1)],
    )
    assert selected("is_null(customer_name)", current) == ["L1"]
    assert selected("is_null(install_date) or is_null(customer_name)", current) == ["L0", "L1"]
    assert selected("not is_null(customer_name)", current) == ["L0", "L2"]


def test_text_comparisons_match_chinese_text_exactly() -> None:
    current = frame(customer_name=["镇原县", "镇原县 ", "环县"])
    assert selected("customer_name == '镇原县'", current) == ["L0"]
    assert selected("customer_name != '镇原县'", current) == ["L1", "L2"]


def test_contains_and_startswith_are_case_sensitive() -> None:
    current = frame(customer_name=["VIP 张三", "vip 李四", "老VIP", None])
    assert selected("contains(customer_name, 'VIP')", current) == ["L0", "L2"]
    assert selected("startswith(customer_name, 'VIP')", current) == ["L0"]
    assert selected("contains(customer_name, '张')", current) == ["L0"]


def test_percent_and_underscore_in_the_text_are_literal() -> None:
    current = frame(customer_name=["50%折扣", "50元折扣", "a_b", "axb"])
    assert selected("contains(customer_name, '%')", current) == ["L0"]
    assert selected("startswith(customer_name, 'a_')", current) == ["L2"]


def test_string_functions_on_null_select_nothing_either_way() -> None:
    current = frame(customer_name=[None, "王五"])
    assert selected("contains(customer_name, '张')", current) == []
    assert selected("not contains(customer_name, '张')", current) == ["L1"]
    assert selected("not startswith(customer_name, '张')", current) == ["L1"]


def test_a_constant_rule_selects_every_line_or_none() -> None:
    current = frame(calls_30d=[1, None])
    assert selected("1 < 2", current) == ["L0", "L1"]
    assert selected("False", current) == []
    assert selected("'a' in ['a'] and contains('abc', 'b')", current) == ["L0", "L1"]
    assert selected("months_since(date('2026-01-15')) == 2", current) == ["L0", "L1"]


def test_an_empty_frame_gives_an_empty_mask() -> None:
    current = frame(calls_30d=[])
    mask = compile_rule("calls_30d == 0", SCHEMA).mask(current, None, AS_OF)
    assert len(mask) == 0
    assert mask.dtype == bool


def test_prev_values_are_looked_up_by_line_id_not_position() -> None:
    current = frame(line_id=["A", "B", "C"], monthly_spend=[50.0, 50.0, 50.0])
    previous = frame(line_id=["C", "A", "B"], monthly_spend=[100.0, 60.0, None])
    assert selected("monthly_spend < prev.monthly_spend * 0.7", current, previous) == ["C"]


def test_a_line_absent_last_month_has_null_prev_values() -> None:
    current = frame(line_id=["A", "NEW"], calls_30d=[0, 0])
    previous = frame(line_id=["A", "GONE"], calls_30d=[0, 0])
    assert selected("calls_30d == 0 and prev.calls_30d == 0", current, previous) == ["A"]
    assert selected("is_null(prev.calls_30d)", current, previous) == ["NEW"]
    assert selected("not (prev.calls_30d == 0)", current, previous) == []


def test_prev_values_are_null_when_there_is_no_previous_frame() -> None:
    current = frame(calls_30d=[0, 1], status=["active", "active"])
    assert selected("calls_30d == 0 and prev.calls_30d == 0", current, None) == []
    assert selected("is_null(prev.status) and is_null(prev.calls_30d)", current) == ["L0", "L1"]
    assert selected("prev.status == 'active' or calls_30d == 1", current) == ["L1"]


def test_prev_of_every_type_is_looked_up() -> None:
    current = frame(line_id=["A", "B"], calls_30d=[0, 0])
    previous = frame(
        line_id=["B", "A"],
        caller_id=[True, False],
        install_date=[dt.date(2026, 1, 1), None],
        last_complaint=[dt.datetime(2026, 3, 1, 12), None],
        customer_name=["张三", None],
    )
    rule = (
        "prev.caller_id and months_since(prev.install_date) == 2 and "
        "days_since(prev.last_complaint) == 30 and contains(prev.customer_name, '张')"
    )
    assert selected(rule, current, previous) == ["B"]


def test_the_mask_only_reads_the_columns_the_rule_names() -> None:
    current = frame(calls_30d=[0, 1])
    previous = frame(calls_30d=[5, 5])  # no other columns: only calls_30d and line_id are read
    assert selected("prev.calls_30d == 5 and calls_30d == 0", current, previous) == ["L0"]


@pytest.mark.parametrize("string_type", [pa.string(), pa.large_string()])
def test_large_string_columns_work_like_strings(string_type: pa.DataType) -> None:
    table = pa.table(
        {
            "line_id": pa.array(["A", "B"], string_type),
            "status": pa.array(["active", None], string_type),
        }
    )
    current = table.to_pandas(types_mapper=pd.ArrowDtype)
    assert selected("status in ['active'] and startswith(status, 'act')", current) == ["A"]
    assert selected("is_null(prev.status)", current, current) == ["B"]
