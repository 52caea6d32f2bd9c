"""Turn an extract's raw columns into typed columns with pyarrow, noting every bad value."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outbound.config import LINE_ID, PHONE, ColumnSpec, ColumnType, ExtractSettings
from outbound.phones import normalise_phones

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y%m%d%H%M%S",
    *DATE_FORMATS,
)
TRUE_WORDS = ["是", "有", "开通", "已开通", "y", "yes", "true", "t", "1"]
FALSE_WORDS = ["否", "无", "未开通", "关闭", "n", "no", "false", "f", "0"]
INT_PATTERN = r"^[+-]?\d{1,18}(\.0*)?$"
FLOAT_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "str": pa.string(),
    "category": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s"),
}
EXPECTED = {
    "int": "a whole number such as 12",
    "float": "a number such as 35.5 (no unit or currency sign)",
    "bool": f"one of {', '.join(TRUE_WORDS[:3])} / {', '.join(FALSE_WORDS[:3])}",
    "date": "a date such as 2026-10-31",
    "datetime": "a date and time such as 2026-10-31 14:05:00",
}


@dataclass(frozen=True)
class Problem:
    """Rows (0-based positions) of one source column that failed for one reason."""

    column: str
    rows: np.ndarray
    reason: str | np.ndarray  # one text for all rows, or one per row


@dataclass(frozen=True)
class Converted:
    table: pa.Table  # every row, typed, under workspace names; bad values are null
    problems: list[Problem]

    def bad_rows(self) -> np.ndarray:
        """A boolean mask of the rows with at least one problem."""
        mask = np.zeros(self.table.num_rows, dtype=bool)
        for problem in self.problems:
            mask[problem.rows] = True
        return mask


def convert(raw: pa.Table, mapping: ExtractSettings, row_numbers: np.ndarray) -> Converted:
    """Type every mapped column of RAW (keyed by source header) as MAPPING says.

    ROW_NUMBERS gives each position's row in the source file, for messages that point at another
    row.
    """
    # pyarrow's kernels release the GIL: columns are converted side by side, one per core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        line_ids = pool.submit(_line_ids, raw.column(mapping.line_id), mapping.line_id, row_numbers)
        phones = pool.submit(_phones, raw.column(mapping.phone), mapping)
        others = {
            source: pool.submit(convert_column, raw.column(source), spec)
            for source, spec in mapping.columns.items()
            if source in raw.column_names
        }
        columns = {LINE_ID: line_ids.result()[0], PHONE: phones.result()[0]}
        problems = line_ids.result()[1] + phones.result()[1]
        for source, spec in mapping.columns.items():
            if source not in others:
                columns[spec.name] = pa.nulls(raw.num_rows, ARROW_TYPES[spec.type])
                continue
            values, bad = others[source].result()
            columns[spec.name] = values
            if bad is not None:
                problems.append(Problem(source, bad, f"not {EXPECTED[spec.type]}"))
    return Converted(pa.table(columns), problems)


def convert_column(values: pa.ChunkedArray, spec: ColumnSpec) -> tuple[pa.Array, np.ndarray | None]:
    """Typed values and the positions of the values that could not be read (None when all could)."""
    target = ARROW_TYPES[spec.type]
    if spec.type in ("str", "category"):
        text = _text(values)
        return (_recode(text, spec.values) if spec.values else text), None
    if values.type == target or (spec.type == "float" and pa.types.is_integer(values.type)):
        return pc.cast(values, target).combine_chunks(), None
    fast = None if spec.formats else _cast_clean(values, target)
    if fast is not None:
        return fast, None
    text = _text(values)
    if spec.type == "bool":
        lowered = pc.utf8_lower(text)
        parsed = pc.if_else(
            pc.is_in(lowered, pa.array(TRUE_WORDS)),
            True,
            pc.if_else(
                pc.is_in(lowered, pa.array(FALSE_WORDS)), False, pa.scalar(None, pa.bool_())
            ),
        )
    elif spec.type == "int":
        parsed = _numbers(text, INT_PATTERN, pa.int64())
    elif spec.type == "float":
        parsed = _numbers(text, FLOAT_PATTERN, pa.float64())
    else:
        default = DATE_FORMATS if spec.type == "date" else DATETIME_FORMATS
        parsed = pc.cast(_timestamps(text, spec.formats or default), target)
    return parsed, _newly_null(text, parsed)


def _cast_clean(values: pa.ChunkedArray, target: pa.DataType) -> pa.Array | None:
    """Arrow's own cast, which reads clean ISO text at memory speed; None when any value is not
    clean (spaces, other date forms, a bad value), for the slower reading that names each one."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return None
    try:
        typed = pc.cast(values, target).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if target == pa.float64() and pc.all(pc.is_finite(typed)).as_py() is False:
        return None
    return typed


def _text(values: pa.ChunkedArray) -> pa.Array:
    """Trimmed text, with empty strings as null."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    trimmed = pc.utf8_trim_whitespace(values.combine_chunks())
    if pc.any(pc.equal(trimmed, "")).as_py():
        trimmed = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
    return pc.cast(trimmed, pa.string())


def _recode(text: pa.Array, values: dict[str, str]) -> pa.Array:
    keys = pa.array(list(values))
    positions = pc.index_in(text, value_set=keys)
    recoded = pc.take(pa.array(list(values.values())), positions)
    return pc.coalesce(recoded, text)


def _numbers(text: pa.Array, pattern: str, target: pa.DataType) -> pa.Array:
    ok = pc.match_substring_regex(text, pattern)
    cleaned = pc.replace_substring_regex(text, r"\.0*$", "") if target == pa.int64() else text
    return pc.cast(pc.if_else(ok, cleaned, None), target)


def _timestamps(text: pa.Array, formats: tuple[str, ...]) -> pa.Array:
    """The first format that reads each value; a day that does not exist (2026-02-30) is not
    read."""
    result = pa.nulls(len(text), pa.timestamp("s"))
    for fmt in formats:
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        day = pc.struct_field(pc.extract_regex(text, format_regex(fmt)), "d")
        real = pc.equal(pc.cast(day, pa.int64()), pc.day(parsed))
        result = pc.coalesce(result, pc.if_else(real, parsed, None))
    return result


def format_regex(fmt: str) -> str:
    """A regex for strptime FMT that captures the day of the month as group d."""
    widths = {"Y": r"\d{4}", "m": r"\d{1,2}", "H": r"\d{1,2}", "M": r"\d{1,2}", "S": r"\d{1,2}"}
    parts = []
    for token in re.split(r"(%[a-zA-Z])", fmt):
        if token == "%d":
            parts.append(r"(?P<d>\d{1,2})")
        elif token.startswith("%") and token[1:] in widths:
            parts.append(widths[token[1:]])
        elif token:
            parts.append(re.escape(token))
    if "%d" not in fmt:
        raise ValueError(f"date format {fmt!r} has no %d")
    return "^" + "".join(parts) + "$"


def _newly_null(text: pa.Array, parsed: pa.Array) -> np.ndarray | None:
    """Positions where there was a value but it could not be read."""
    bad = pc.and_(pc.is_valid(text), pc.is_null(parsed))
    if not pc.any(bad).as_py():
        return None
    return np.flatnonzero(bad.to_numpy(zero_copy_only=False))


def _phones(values: pa.ChunkedArray, mapping: ExtractSettings) -> tuple[pa.Array, list[Problem]]:
    text = _text(values)
    phones = normalise_phones(text, mapping.default_area_code)
    problems = []
    missing = pc.is_null(text)
    if pc.any(missing).as_py():
        problems.append(Problem(mapping.phone, _positions(missing), "no phone number"))
    bad = _newly_null(text, phones)
    if bad is not None:
        problems.append(Problem(mapping.phone, bad, "not a Chinese mobile or fixed-line number"))
    return phones, problems


def _line_ids(
    values: pa.ChunkedArray, source: str, row_numbers: np.ndarray
) -> tuple[pa.Array, list[Problem]]:
    line_ids = _text(values)
    problems = []
    missing = pc.is_null(line_ids)
    if pc.any(missing).as_py():
        problems.append(Problem(source, _positions(missing), "no line id"))
    if _all_distinct(line_ids):
        return line_ids, problems
    ids = pd.Series(line_ids, dtype=pd.ArrowDtype(pa.string()))
    repeated = (ids.duplicated(keep="first") & ids.notna()).to_numpy(dtype=bool)
    if repeated.any():
        firsts = ids.drop_duplicates(keep="first")
        first_position = pd.Series(firsts.index, index=firsts.to_numpy())
        positions = np.flatnonzero(repeated)
        first_rows = row_numbers[first_position.reindex(ids.iloc[positions].to_numpy()).to_numpy()]
        reasons = "duplicate line id (first at row " + first_rows.astype(str).astype(object) + ")"
        problems.append(Problem(source, positions, reasons))
    return line_ids, problems


def _all_distinct(values: pa.Array) -> bool:
    """Whether no value repeats; billing systems write lines in id order, which makes this cheap."""
    if values.null_count == 0 and len(values) > 1:
        ascending = pc.greater(values.slice(1), values.slice(0, len(values) - 1))
        if pc.all(ascending).as_py():
            return True
    distinct = len(pc.unique(values)) - (values.null_count > 0)
    return distinct == len(values) - values.null_count


def _positions(mask: pa.Array) -> np.ndarray:
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))
