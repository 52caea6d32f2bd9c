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
from outbound.extract.phones import normalise_phones, why_not, with_area_codes

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
# Text that Arrow's cast is sure to read: plain numbers, and ISO dates whose day exists in every
# year (29 February takes the slower path).
_DAY = r"\d{4}-((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
CLEAN: dict[ColumnType, str] = {
    "int": r"^-?\d{1,18}$",
    "float": r"^-?\d{1,15}(\.\d{1,15})?$",
    "date": f"^{_DAY}$",
    "datetime": f"^{_DAY} ([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$",
}
EXPECTED = {
    "int": "a whole number such as 12",
    "float": "a number such as 35.5 (no unit or currency sign)",
    "bool": f"one of {', '.join(TRUE_WORDS)} (yes) / {', '.join(FALSE_WORDS)} (no)",
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
    problems: list[Problem]  # none of them about a copy
    copies: np.ndarray  # rows that repeat an earlier row exactly: dropped, not bad

    def bad_rows(self) -> np.ndarray:
        """A boolean mask of the rows with at least one problem."""
        mask = np.zeros(self.table.num_rows, dtype=bool)
        for problem in self.problems:
            mask[problem.rows] = True
        return mask

    def copy_rows(self) -> np.ndarray:
        mask = np.zeros(self.table.num_rows, dtype=bool)
        mask[self.copies] = True
        return mask


def convert(raw: pa.Table, mapping: ExtractSettings, row_numbers: np.ndarray) -> Converted:
    """Type every mapped column of RAW (keyed by source header) as MAPPING says.

    ROW_NUMBERS gives each position's row in the source file, for messages that point at another
    row.
    """
    # pyarrow's kernels release the GIL: columns are converted side by side, one per core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        phones = pool.submit(_phones, raw, mapping)
        others = {
            source: pool.submit(convert_column, raw.column(source), spec)
            for source, spec in mapping.columns.items()
            if source in raw.column_names
        }
        if mapping.line_id is not None:
            ids, id_source = raw.column(mapping.line_id), mapping.line_id
        else:  # no id column: the number is the line's id
            ids, id_source = phones.result()[0], mapping.phone_columns[-1]
        line_ids, problems, copies = _line_ids(ids, id_source, row_numbers, raw)
        columns = {LINE_ID: line_ids, PHONE: phones.result()[0]}
        problems += phones.result()[1]
        for source, spec in mapping.columns.items():
            if source not in others:
                columns[spec.name] = pa.nulls(raw.num_rows, ARROW_TYPES[spec.type])
                continue
            values, bad = others[source].result()
            columns[spec.name] = values
            if bad is not None:
                problems.append(Problem(source, bad, f"not {EXPECTED[spec.type]}"))
    return Converted(pa.table(columns), _without(problems, copies), copies)


def _without(problems: list[Problem], rows: np.ndarray) -> list[Problem]:
    """PROBLEMS about any row but ROWS."""
    if not len(rows):
        return problems
    kept = []
    for problem in problems:
        keep = ~np.isin(problem.rows, rows)
        if keep.any():
            reason = problem.reason if isinstance(problem.reason, str) else problem.reason[keep]
            kept.append(Problem(problem.column, problem.rows[keep], reason))
    return kept


def convert_column(values: pa.ChunkedArray, spec: ColumnSpec) -> tuple[pa.Array, np.ndarray | None]:
    """Typed values and the positions of the values that could not be read (None when all could)."""
    target = ARROW_TYPES[spec.type]
    if spec.type in ("str", "category"):
        text = _text(values)
        return (_recode(text, spec.values) if spec.values else text), None
    if values.type == target or (spec.type == "float" and pa.types.is_integer(values.type)):
        return pc.cast(values, target).combine_chunks(), None
    if spec.formats or spec.type not in CLEAN or not pa.types.is_string(values.type):
        return _parse(values, spec)
    return _cast_or_parse(values.combine_chunks(), spec)


def _cast_or_parse(values: pa.Array, spec: ColumnSpec) -> tuple[pa.Array, np.ndarray | None]:
    """Arrow's own cast reads the clean values at memory speed; only the others (spaces, other
    date forms, bad values) go through the slower reading that names each one."""
    clean = pc.match_substring_regex(values, CLEAN[spec.type])
    typed = pc.cast(pc.if_else(clean, values, None), ARROW_TYPES[spec.type])
    rest = pc.and_(pc.invert(clean), pc.not_equal(values, "")).fill_null(False)
    if not pc.any(rest).as_py():
        return typed, None
    parsed, bad = _parse(values.filter(rest), spec)
    merged = pc.replace_with_mask(typed, rest, parsed)
    return merged, None if bad is None else _positions(rest)[bad]


def _parse(
    values: pa.ChunkedArray | pa.Array, spec: ColumnSpec
) -> tuple[pa.Array, np.ndarray | None]:
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
        parsed = pc.cast(_timestamps(text, spec.formats or default), ARROW_TYPES[spec.type])
    return parsed, _newly_null(text, parsed)


def _text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Trimmed text, with empty strings as null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    trimmed = pc.utf8_trim_whitespace(values)
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


def _phones(raw: pa.Table, mapping: ExtractSettings) -> tuple[pa.Array, list[Problem]]:
    """The lines' numbers in E.164; an empty one is no number (such a line is loaded and
    contacted by nobody), one that is not a number of the country is a problem."""
    if not mapping.phone_columns:
        return pa.nulls(raw.num_rows, pa.string()), []
    source = mapping.phone_columns[-1]
    text = _text(raw.column(source))
    if len(mapping.phone_columns) == 2:
        areas = _text(raw.column(mapping.phone_columns[0]))
        text = with_area_codes(areas, text, mapping.country)
    phones = normalise_phones(text, mapping.default_area_code, mapping.country)
    bad = _newly_null(text, phones)
    if bad is None:
        return phones, []
    values = pc.dictionary_encode(text.take(pa.array(bad)))
    reasons = [why_not(value, mapping.country) for value in values.dictionary.to_pylist()]
    per_row = np.array(reasons, dtype=object)[values.indices.to_numpy(zero_copy_only=False)]
    return phones, [Problem(source, bad, per_row)]


def _line_ids(
    values: pa.ChunkedArray | pa.Array, source: str, row_numbers: np.ndarray, raw: pa.Table
) -> tuple[pa.Array, list[Problem], np.ndarray]:
    """The line ids, their problems (missing, or repeated with other values), and the rows that
    repeat an earlier row exactly in every column read."""
    line_ids = _text(values)
    problems = []
    missing = pc.is_null(line_ids)
    present = np.arange(len(line_ids))
    if line_ids.null_count:
        problems.append(Problem(source, _positions(missing), "no line id"))
        present = _positions(pc.invert(missing))
    repeats, firsts = _repeats(line_ids.filter(pc.is_valid(line_ids)))
    repeats, firsts = present[repeats], present[firsts]
    copy = _same_rows(raw, repeats, firsts)
    copies, repeats, firsts = repeats[copy], repeats[~copy], firsts[~copy]
    if len(repeats):
        first_rows = row_numbers[firsts].astype(str).astype(object)
        reasons = "duplicate line id with other values (first at row " + first_rows + ")"
        problems.append(Problem(source, repeats, reasons))
    return line_ids, problems, copies


def _same_rows(raw: pa.Table, rows: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Whether each of ROWS holds what the row in OTHERS at its place does, in every column."""
    same = np.ones(len(rows), dtype=bool)
    if not len(rows):
        return same
    at, then = pa.array(rows), pa.array(others)
    for column in raw.columns:
        a, b = column.take(at), column.take(then)
        equal = pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))
        same &= equal.fill_null(False).to_numpy(zero_copy_only=False)
    return same


def _repeats(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The positions of IDS (no nulls) that repeat an earlier id, and of each one's first
    occurrence. Billing systems write lines in id order, which makes this a neighbour compare."""
    if len(ids) < 2:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    later, earlier = ids.slice(1), ids.slice(0, len(ids) - 1)
    if pc.all(pc.greater_equal(later, earlier)).as_py():
        same = np.concatenate(([False], pc.equal(later, earlier).to_numpy(zero_copy_only=False)))
        run_start = np.maximum.accumulate(np.where(same, 0, np.arange(len(ids))))
        repeats = np.flatnonzero(same)
        return repeats, run_start[repeats]
    counts = pc.value_counts(ids)
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    involved = _positions(pc.is_in(ids, value_set=repeated))
    subset = pd.Series(ids.take(pa.array(involved)).to_numpy(zero_copy_only=False), index=involved)
    later_ones = subset.duplicated(keep="first")
    firsts = subset[~later_ones]
    first_position = pd.Series(firsts.index, index=firsts.to_numpy())
    repeats = subset.index[later_ones.to_numpy()].to_numpy()
    return repeats, first_position.reindex(subset[later_ones].to_numpy()).to_numpy()


def _positions(mask: pa.Array) -> np.ndarray:
    return np.flatnonzero(mask.to_numpy(zero_copy_only=False))
