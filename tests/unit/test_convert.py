import datetime as dt

import numpy as np
import pyarrow as pa

from outbound.config import ColumnSpec, ExtractSettings
from outbound.extract.convert import EXPECTED, convert, convert_column, format_regex

MAPPING = ExtractSettings(
    line_id="用户编号",
    phone="用户号码",
    default_area_code="0934",
    columns={
        "状态": ColumnSpec(
            name="status", type="category", values={"在用": "active", "停机": "suspended"}
        ),
        "月话费": ColumnSpec(name="monthly_spend", type="float"),
    },
)


def column(cells: list[str | None], **spec: object) -> tuple[list[object], list[int]]:
    typed, bad = convert_column(
        pa.chunked_array([pa.array(cells, pa.string())]), ColumnSpec(name="x", **spec)
    )
    return typed.to_pylist(), ([] if bad is None else bad.tolist())


def test_whole_numbers_are_read_and_words_or_fractions_are_bad() -> None:
    values, bad = column(["12", " 7 ", "3.0", "-4", "十", "12.5", "1e3", None, ""], type="int")
    assert values == [12, 7, 3, -4, None, None, None, None, None]
    assert bad == [4, 5, 6]


def test_amounts_with_a_unit_are_bad_and_empty_amounts_are_null() -> None:
    values, bad = column(["35.50", "0", ".5", "12.3元", "abc", "¥20", ""], type="float")
    assert values == [35.5, 0.0, 0.5, None, None, None, None]
    assert bad == [3, 4, 5]


def test_dates_in_the_usual_forms_are_read_and_impossible_days_are_bad() -> None:
    values, bad = column(
        [
            "2019-03-15",
            "20190315",
            "2019/03/15",
            "2026-02-30",
            "2026-13-45",
            "2024-02-29",
            "2019-3-5",
        ],
        type="date",
    )
    assert values[:3] == [dt.date(2019, 3, 15)] * 3
    assert values[5:] == [dt.date(2024, 2, 29), dt.date(2019, 3, 5)]
    assert bad == [3, 4]


def test_a_configured_date_format_replaces_the_usual_ones() -> None:
    values, bad = column(["15.03.2019", "2019-03-15"], type="date", formats=("%d.%m.%Y",))
    assert values == [dt.date(2019, 3, 15), None]
    assert bad == [1]


def test_datetimes_with_and_without_seconds_are_read() -> None:
    values, bad = column(
        ["2026-10-09 14:05:00", "2026/10/09 14:05", "2026-10-09", "昨天"], type="datetime"
    )
    assert values[:3] == [
        dt.datetime(2026, 10, 9, 14, 5),
        dt.datetime(2026, 10, 9, 14, 5),
        dt.datetime(2026, 10, 9),
    ]
    assert bad == [3]


def test_yes_and_no_are_read_in_chinese_and_english() -> None:
    values, bad = column(["是", "否", "Y", "n", "TRUE", "0", "也许"], type="bool")
    assert values == [True, False, True, False, True, False, None]
    assert bad == [6]


def test_category_values_are_recoded_and_unknown_ones_kept() -> None:
    values, bad = column(
        ["在用", "停机", "预销户", None],
        type="category",
        values={"在用": "active", "停机": "suspended"},
    )
    assert values == ["active", "suspended", "预销户", None]
    assert bad == []


def test_a_parquet_column_already_of_the_right_type_is_taken_as_it_is() -> None:
    typed, bad = convert_column(
        pa.chunked_array([pa.array([1, 2], pa.int32())]), ColumnSpec(name="x", type="float")
    )
    assert typed.type == pa.float64() and typed.to_pylist() == [1.0, 2.0] and bad is None


def test_the_format_regex_captures_the_day() -> None:
    assert format_regex("%Y-%m-%d %H:%M") == r"^\d{4}\-\d{1,2}\-(?P<d>\d{1,2})\ \d{1,2}:\d{1,2}$"


def raw(rows: list[list[str | None]]) -> pa.Table:
    names = ["用户编号", "用户号码", "状态", "月话费"]
    return pa.table(
        {name: pa.array([row[i] for row in rows], pa.string()) for i, name in enumerate(names)}
    )


def test_a_row_without_line_id_or_with_a_repeated_one_is_a_problem_naming_the_first_row() -> None:
    table = raw(
        [
            ["QY1", "13993412345", "在用", "10"],
            [None, "13993412346", "在用", "10"],
            ["QY1", "13993412347", "在用", "10"],
            ["QY2", "13993412348", "在用", "10"],
            ["QY1", "13993412349", "在用", "10"],
        ]
    )
    converted = convert(table, MAPPING, np.arange(2, 7))
    reasons = {
        (p.reason if isinstance(p.reason, str) else tuple(p.reason)): p.rows.tolist()
        for p in converted.problems
    }
    assert reasons["no line id"] == [1]
    repeated = "duplicate line id with other values (first at row 2)"
    assert reasons[(repeated, repeated)] == [2, 4]
    assert converted.bad_rows().tolist() == [False, True, True, False, True]


def test_repeats_in_an_id_ordered_file_name_the_first_row_of_each_run() -> None:
    ids = ["QY1", "QY2", "QY2", None, "QY2", "QY3", "QY4", "QY4"]
    table = raw([[line_id, "13993412345", "在用", str(i)] for i, line_id in enumerate(ids)])
    converted = convert(table, MAPPING, np.arange(2, 10))
    duplicates = [p for p in converted.problems if p.column == "用户编号" and p.rows.size > 1]
    assert duplicates[0].rows.tolist() == [2, 4, 7]
    assert list(duplicates[0].reason) == [
        "duplicate line id with other values (first at row 3)",
        "duplicate line id with other values (first at row 3)",
        "duplicate line id with other values (first at row 8)",
    ]


def test_exact_copies_of_a_row_are_dropped_apart_and_a_changed_repeat_is_a_problem() -> None:
    table = raw(
        [
            ["QY1", "13993412345", "在用", "10"],
            ["QY2", "13993412346", "在用", "12.3元"],
            ["QY1", "13993412345", "在用", "10"],  # a copy of row 2
            ["QY2", "13993412346", "在用", "12.3元"],  # a copy of a bad row: a copy all the same
            ["QY1", "13993412345", "停机", "10"],  # the same line, another status
            ["QY1", "13993412345", "在用", "10"],
        ]
    )
    converted = convert(table, MAPPING, np.arange(2, 8))
    assert converted.copies.tolist() == [2, 3, 5]
    assert converted.copy_rows().tolist() == [False, False, True, True, False, True]
    assert converted.bad_rows().tolist() == [False, True, False, False, True, False]
    [repeat] = [p for p in converted.problems if p.column == "用户编号"]
    assert list(repeat.reason) == ["duplicate line id with other values (first at row 2)"]


def test_a_few_odd_values_among_many_clean_ones_keep_their_positions() -> None:
    cells = [f"2026-10-{day % 28 + 1:02d}" for day in range(1000)]
    odd = {17: "2026/10/05", 400: "2026-02-30", 401: " 2026-10-09 ", 777: "2024-02-29", 999: "十月"}
    for position, text in odd.items():
        cells[position] = text
    values, bad = column(cells, type="date")
    assert bad == [400, 999]
    assert values[17] == dt.date(2026, 10, 5)
    assert values[401] == dt.date(2026, 10, 9)
    assert values[777] == dt.date(2024, 2, 29)
    assert values[16] == dt.date(2026, 10, 17)
    assert values[400] is None and values[999] is None


def test_phones_are_normalised_a_missing_one_loads_and_a_bad_one_is_a_problem() -> None:
    table = raw(
        [
            ["QY1", "0934-8211001", "在用", "1"],
            ["QY2", "8211002", "在用", "1"],
            ["QY3", "123", "在用", "1"],
            ["QY4", None, "在用", "1"],
            ["QY5", "+1 415-382-4657", "在用", "1"],
        ]
    )
    converted = convert(table, MAPPING, np.arange(2, 7))
    assert converted.table.column("phone").to_pylist() == [
        "+869348211001",
        "+869348211002",
        None,
        None,
        None,
    ]
    [problem] = converted.problems
    assert problem.rows.tolist() == [2, 4]
    assert list(problem.reason) == [
        "not a Chinese mobile or fixed-line number",
        "a number of US (+1), not of CN: [extract] country names the extract's country",
    ]


def test_us_numbers_take_the_area_code_of_their_own_column_and_never_become_chinese() -> None:
    mapping = ExtractSettings(
        line_id="customerID", phone=("area code", "phone number"), country="US"
    )
    table = pa.table(
        {
            "customerID": ["7590-VHVEG", "5575-GNVDE", "3668-QPYBK", "9237-HQITU"],
            "area code": ["415", "408", "510", "415"],
            "phone number": ["382-4657", "371-7191", "(510) 358-1921", "13993412345"],
        }
    )
    converted = convert(table, mapping, np.arange(2, 6))
    assert converted.table.column("phone").to_pylist() == [
        "+14153824657",
        "+14083717191",
        "+15103581921",
        None,
    ]
    [problem] = converted.problems
    assert problem.column == "phone number" and problem.rows.tolist() == [3]
    assert list(problem.reason) == ["not a valid number of US"]


def test_without_an_id_column_the_number_is_the_lines_id() -> None:
    mapping = ExtractSettings(phone="手机号码")
    table = pa.table({"手机号码": ["139 9341 2345", "13993412346", None, "13993412345"]})
    converted = convert(table, mapping, np.arange(2, 6))
    assert converted.table.column("line_id").to_pylist() == [
        "+8613993412345",
        "+8613993412346",
        None,
        "+8613993412345",
    ]
    reasons = {
        str(p.reason) if isinstance(p.reason, str) else "per row": p.rows.tolist()
        for p in converted.problems
    }
    assert reasons["no line id"] == [2]


def test_the_id_column_may_be_the_phone_column() -> None:
    mapping = ExtractSettings(line_id="手机号码", phone="手机号码")
    converted = convert(pa.table({"手机号码": ["13993412345"]}), mapping, np.arange(2, 3))
    assert converted.table.column("line_id").to_pylist() == ["13993412345"]
    assert converted.table.column("phone").to_pylist() == ["+8613993412345"]


def test_an_optional_column_absent_from_the_file_is_all_null() -> None:
    mapping = ExtractSettings(
        line_id="用户编号",
        phone="用户号码",
        columns={
            "最近投诉时间": ColumnSpec(name="last_complaint_at", type="datetime", required=False)
        },
    )
    converted = convert(raw([["QY1", "13993412345", "在用", "1"]]), mapping, np.arange(2, 3))
    assert converted.table.column("last_complaint_at").to_pylist() == [None]
    assert converted.table.schema.field("last_complaint_at").type == pa.timestamp("s")


def test_a_bad_yes_no_value_is_told_every_word_that_is_taken() -> None:
    values, bad = column(["是", "No", "TRUE", "y", "0", "开通了"], type="bool")
    assert values == [True, False, True, True, False, None] and bad == [5]
    assert EXPECTED["bool"] == (
        "one of 是, 有, 开通, 已开通, y, yes, true, t, 1 (yes) / "
        "否, 无, 未开通, 关闭, n, no, false, f, 0 (no)"
    )
