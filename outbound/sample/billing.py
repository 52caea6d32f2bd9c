"""The sample workspace's synthetic billing extract: 庆阳 lines month by month, deterministic for
a seed, written as the operator's billing system writes them (GBK CSV, Parquet)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from outbound.extract.phones import normalise_phones

MONTHS = ("2026-09", "2026-10")
SEED = 20261
LINE_ID, PHONE = "用户编号", "用户号码"
HEADERS = (
    LINE_ID, PHONE, "客户姓名", "区县", "套餐", "状态", "入网日期", "月话费", "通话次数",
    "通话分钟", "来电显示", "投诉次数", "最近投诉时间", "故障申告次数",
)  # fmt: skip
# District, share of lines, first digit of its 7-digit fixed-line numbers (area code 0934).
REGIONS = (
    ("西峰区", 0.30, "8"), ("庆城县", 0.10, "3"), ("环县", 0.12, "4"), ("华池县", 0.05, "5"),
    ("合水县", 0.06, "5"), ("正宁县", 0.08, "6"), ("宁县", 0.14, "6"), ("镇原县", 0.15, "7"),
)  # fmt: skip
# Plan, share among fixed lines, share among mobiles, typical monthly bill in yuan.
PLANS = (
    ("家家e", 0.30, 0.10, 45.0), ("天翼畅享", 0.0, 0.58, 59.0), ("固话基础套餐", 0.43, 0.0, 25.0),
    ("宽带融合套餐", 0.15, 0.22, 99.0), ("老年关爱套餐", 0.12, 0.10, 19.0),
)  # fmt: skip
STATUSES = ("在用", "停机", "拆机")
ACTIVE, SUSPENDED, CLOSED = 0, 1, 2
MOBILE_PREFIXES = ("133", "153", "173", "177", "180", "181", "189", "191", "193", "199")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹魏董苏牛"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚英华玉兰桂秀红建国文海"
    "生春梅金福荣志宏亮鹏燕萍辉斌丹慧玲婷雪琴云凤珍龙虎成德学永宁庆"
)


def write_sample(folder: Path, lines: int = 30_000, seed: int = SEED) -> list[tuple[Path, str]]:
    """Write two months of a synthetic billing extract into folder; return [(path, month)] in
    month order."""
    folder.mkdir(parents=True, exist_ok=True)
    september = extract_frame(lines, MONTHS[0], seed)
    october = extract_frame(lines, MONTHS[1], seed, previous=september)
    csv_path, parquet_path = folder / f"{MONTHS[0]}.csv", folder / f"{MONTHS[1]}.parquet"
    write_csv(september, csv_path, encoding="gbk")
    write_parquet(october, parquet_path)
    return [(csv_path, MONTHS[0]), (parquet_path, MONTHS[1])]


def extract_frame(
    lines: int, month: str, seed: int, previous: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One month's extract with the source (Chinese) headers of config.toml, every value a
    string as an extract would carry it. With PREVIOUS (last month's frame) the same lines
    continue, a few closed and about 1% newly installed; without it LINES lines start."""
    rng = np.random.default_rng([seed, *map(int, month.split("-"))])
    if previous is None:
        state = _new_lines(rng, lines, 1, month, installed_this_month=False)
    else:
        carried = _carried(rng, previous, month)
        first_new = int(pc.max(carried.numbers).as_py() or 0) + 1
        state = _concat(
            carried,
            _new_lines(rng, max(1, lines // 80), first_new, month, installed_this_month=True),
        )
    table = _plant_bad_rows(rng, _render(rng, state, month), month)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "gbk") -> Path:
    """FRAME as a CSV the way billing systems export it: unquoted, CRLF, in ENCODING."""
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none", eol="\r\n")
    table = _string_table(frame)
    if encoding.replace("-", "").lower() == "utf8":
        pacsv.write_csv(table, path, options)
        return path
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, options)
    path.write_bytes(sink.getvalue().to_pybytes().decode("utf-8").encode(encoding))
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """FRAME as Parquet with string columns under the source headers, no pandas metadata."""
    pq.write_table(_string_table(frame).replace_schema_metadata(None), path)
    return path


@dataclass(frozen=True)
class _Lines:
    """Each line's state: what it is (carried month to month as written) and how it is used."""

    numbers: pa.Array  # int64; the line id is "QY" and this number in 10 digits
    phones: pa.Array
    names: pa.Array
    regions: pa.Array
    plans: pa.Array
    installed: pa.Array  # as the extract writes it
    caller_id: pa.Array
    status: np.ndarray
    spend: np.ndarray  # yuan
    calls: np.ndarray  # in the last 30 days


def _new_lines(
    rng: np.random.Generator, count: int, first_number: int, month: str, installed_this_month: bool
) -> _Lines:
    region = rng.choice(len(REGIONS), count, p=[share for _, share, _ in REGIONS])
    mobile = rng.random(count) < 0.38
    plan = np.where(
        mobile,
        rng.choice(len(PLANS), count, p=[p[2] for p in PLANS]),
        rng.choice(len(PLANS), count, p=[p[1] for p in PLANS]),
    )
    first, last = _month_days(month)
    if installed_this_month:
        installed = first + rng.integers(0, (last - first).astype(int) + 1, count)
    else:
        years_ago = np.minimum(rng.exponential(5.0, count), 22.0)
        installed = first - 1 - (years_ago * 365.25).astype(int)
        new = rng.random(count) < 0.02
        installed[new] = first + rng.integers(0, (last - first).astype(int) + 1, new.sum())
    status = rng.choice(3, count, p=[0.925, 0.055, 0.02]).astype(np.int8)
    activity = rng.standard_normal(count)
    calls = np.where(
        rng.random(count) < 0.07, 0, 1 + rng.poisson(np.exp(np.log(15) + 0.8 * activity))
    )
    calls[status != ACTIVE] = 0
    spend = _spend(rng, plan, activity, calls, status)
    caller_id = rng.random(count) < 1 / (1 + np.exp(0.2 - 1.2 * activity))
    return _Lines(
        numbers=pa.array(np.arange(first_number, first_number + count, dtype=np.int64)),
        phones=_phones(rng, region, mobile),
        names=_names(rng, count),
        regions=pc.take(pa.array([name for name, _, _ in REGIONS]), region),
        plans=pc.take(pa.array([name for name, *_ in PLANS]), plan),
        installed=_dates(rng, installed),
        caller_id=pc.take(pa.array(["否", "是"]), caller_id.astype(np.int8)),
        status=status,
        spend=spend,
        calls=calls.astype(np.int64),
    )


def _spend(
    rng: np.random.Generator,
    plan: np.ndarray,
    activity: np.ndarray,
    calls: np.ndarray,
    status: np.ndarray,
) -> np.ndarray:
    typical = np.array([p[3] for p in PLANS])[plan]
    spend = typical * np.exp(0.3 * activity + 0.3 * rng.standard_normal(len(plan)))
    spend = np.where(calls == 0, typical * rng.uniform(0.5, 0.9, len(plan)), spend)
    spend = np.where(status == SUSPENDED, rng.uniform(0, 10, len(plan)), spend)
    return np.where(status == CLOSED, rng.uniform(0, 30, len(plan)), spend)


def _carried(rng: np.random.Generator, previous: pd.DataFrame, month: str) -> _Lines:
    """Last month's lines that go on, their usage drifted: closed lines leave, some lines are
    suspended or resumed, some bills drop by over 30%, some silent lines wake up."""
    table = _string_table(previous)
    ids = table.column(LINE_ID).combine_chunks()
    numbers = pc.cast(
        pc.if_else(
            pc.match_substring_regex(ids, r"^QY\d{10}$"), pc.utf8_slice_codeunits(ids, 2), None
        ),
        pa.int64(),
    )
    repeated = pd.Series(numbers.to_numpy(zero_copy_only=False)).duplicated(keep=False)
    was = pc.index_in(table.column("状态"), value_set=pa.array(STATUSES)).fill_null(ACTIVE)
    was = was.to_numpy().astype(np.int8)
    # Rows whose id was broken last month are not followed: their line is unknown.
    keep = (
        numbers.is_valid().to_numpy(zero_copy_only=False) & ~repeated.to_numpy() & (was != CLOSED)
    )
    table, numbers, was, count = (
        table.filter(keep),
        numbers.filter(keep),
        was[keep],
        int(keep.sum()),
    )

    roll = rng.random(count)
    status = was.copy()
    status[(was == ACTIVE) & (roll < 0.015)] = SUSPENDED
    status[(was == ACTIVE) & (roll > 0.994)] = CLOSED
    status[(was == SUSPENDED) & (roll < 0.25)] = ACTIVE
    status[(was == SUSPENDED) & (roll > 0.92)] = CLOSED

    spend = _number(table.column("月话费"), 38.0) * np.exp(0.08 * rng.standard_normal(count))
    calls = _number(table.column("通话次数"), 0.0).astype(np.int64)
    silent = calls == 0
    wakes = silent & (rng.random(count) < 0.2)
    falls_silent = ~silent & (rng.random(count) < 0.03)
    drift = np.exp(0.25 * rng.standard_normal(count))
    calls = np.where(silent, 0, 1 + rng.poisson(np.maximum(calls - 1, 0) * drift))
    calls = np.where(wakes, 1 + rng.poisson(5, count), calls)
    calls = np.where(falls_silent | (status != ACTIVE), 0, calls)
    drops = (status == ACTIVE) & (rng.random(count) < 0.06)
    spend = np.where(drops, spend * rng.uniform(0.25, 0.65, count), spend)
    spend = np.where(status == SUSPENDED, rng.uniform(0, 10, count), spend)
    resumed = (status == ACTIVE) & (was == SUSPENDED)
    spend = np.where(resumed, rng.uniform(20, 60, count), spend)

    return _Lines(
        numbers=numbers,
        phones=_repaired_phones(rng, table.column(PHONE).combine_chunks()),
        names=table.column("客户姓名").combine_chunks(),
        regions=table.column("区县").combine_chunks(),
        plans=table.column("套餐").combine_chunks(),
        installed=_repaired_dates(rng, table.column("入网日期").combine_chunks(), month),
        caller_id=_repaired_caller_id(table.column("来电显示").combine_chunks()),
        status=status,
        spend=spend,
        calls=calls,
    )


def _render(rng: np.random.Generator, lines: _Lines, month: str) -> pa.Table:
    """The month's rows as text, with what is drawn afresh each month: minutes, complaints,
    fault reports."""
    count = len(lines.status)
    minutes_tenths = np.rint(lines.calls * rng.lognormal(np.log(2.2), 0.4, count) * 10)
    complaints = rng.poisson(np.where(lines.spend > 100, 0.035, 0.015))
    first, last = _month_days(month)
    complained = complaints > 0
    days = first + rng.integers(0, (last - first).astype(int) + 1, int(complained.sum()))
    clock = rng.integers(8 * 3600, 21 * 3600, len(days)).astype("timedelta64[s]")
    complained_at = pc.replace_with_mask(
        pa.nulls(count, pa.string()), complained, _datetimes(days.astype("datetime64[s]") + clock)
    )
    columns = [
        pc.binary_join_element_wise(
            "QY", pc.utf8_lpad(pc.cast(lines.numbers, pa.string()), 10, "0"), ""
        ),
        lines.phones,
        lines.names,
        lines.regions,
        lines.plans,
        pc.take(pa.array(STATUSES), lines.status),
        lines.installed,
        _decimal(np.rint(lines.spend * 100).astype(np.int64), 2),
        pc.cast(pa.array(lines.calls), pa.string()),
        _decimal(minutes_tenths.astype(np.int64), 1),
        lines.caller_id,
        pc.cast(pa.array(complaints), pa.string()),
        complained_at,
        pc.cast(pa.array(rng.poisson(0.03, count)), pa.string()),
    ]
    return pa.table(columns, names=list(HEADERS))


def _plant_bad_rows(rng: np.random.Generator, table: pa.Table, month: str) -> pa.Table:
    """A dozen rows with the mistakes real extracts carry, so that imports show their rejects."""
    year = month[:4]
    plants = [
        (LINE_ID, ""),
        (LINE_ID, None),  # the id of the row after it: a duplicate
        (PHONE, "123"),
        (PHONE, "0934-812"),
        ("月话费", "12.3元"),
        ("月话费", "abc"),
        ("入网日期", f"{year}-13-45"),
        ("入网日期", f"{year}/02/30"),
        ("通话次数", "十"),
        ("通话分钟", "约5分钟"),
        ("来电显示", "未知"),
        ("最近投诉时间", f"{month}-32 10:00:00"),
    ]
    if table.num_rows < 2 * len(plants):
        return table
    rows = np.sort(rng.choice(table.num_rows - 1, len(plants), replace=False)).tolist()
    pieces, done = [], 0
    # Slices of the table around one-row patches: the planting costs nothing per row.
    for row, (column, value) in zip(rows, plants, strict=True):
        patched = table.slice(row, 1)
        text = value if value is not None else table.column(LINE_ID)[row + 1].as_py()
        position = patched.schema.get_field_index(column)
        pieces += [table.slice(done, row - done), patched.set_column(position, column, [[text]])]
        done = row + 1
    return pa.concat_tables([*pieces, table.slice(done)])


def _phones(rng: np.random.Generator, region: np.ndarray, mobile: np.ndarray) -> pa.Array:
    """Fixed lines of 0934 and mobiles, written the several ways people and systems write them."""
    count = len(region)
    first_digit = pc.take(pa.array([digit for _, _, digit in REGIONS]), region)
    area = ["0934-", "0934", "", "(0934)", "+86 934 ", "0934 "]
    area_form = rng.choice(len(area), count, p=[0.35, 0.15, 0.25, 0.10, 0.05, 0.10])
    fixed = pc.binary_join_element_wise(
        pc.take(pa.array(area), area_form), first_digit, _digits(rng, count, 6), ""
    )
    # Mobiles as 13912345678, +86 139 1234 5678, 139-1234-5678 or 8613912345678.
    mobile_form = rng.choice(4, count, p=[0.85, 0.08, 0.04, 0.03])
    separator = pc.take(pa.array(["", " ", "-", ""]), mobile_form)
    mobiles = pc.binary_join_element_wise(
        pc.take(pa.array(["", "+86 ", "", "86"]), mobile_form),
        pc.take(pa.array(MOBILE_PREFIXES), rng.integers(0, len(MOBILE_PREFIXES), count)),
        separator,
        _digits(rng, count, 4),
        separator,
        _digits(rng, count, 4),
        "",
    )
    return pc.if_else(mobile, mobiles, fixed)


def _names(rng: np.random.Generator, count: int) -> pa.Array:
    # Common surnames are far more common: weights fall with the rank.
    weights = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    surname = pc.take(
        pa.array(list(SURNAMES)), rng.choice(len(SURNAMES), count, p=weights / weights.sum())
    )
    given = pa.array([*GIVEN, ""])
    first = pc.take(given, rng.integers(0, len(GIVEN), count))
    second = np.where(rng.random(count) < 0.35, len(GIVEN), rng.integers(0, len(GIVEN), count))
    return pc.binary_join_element_wise(surname, first, pc.take(given, second), "")


def _dates(rng: np.random.Generator, days: np.ndarray) -> pa.Array:
    """Dates mostly as 2026-09-30, some as 20260930 or 2026/09/30, as billing systems vary."""
    compact = pc.cast(pa.array(_yyyymmdd(days)), pa.string())
    text = pc.utf8_replace_slice(pc.utf8_replace_slice(compact, 6, 6, "-"), 4, 4, "-")
    form = rng.choice(3, len(days), p=[0.85, 0.10, 0.05])
    text = pc.replace_with_mask(text, form == 1, compact.filter(form == 1))
    slashed = pc.replace_substring(text.filter(form == 2), "-", "/")
    return pc.replace_with_mask(text, form == 2, slashed)


def _datetimes(seconds: np.ndarray) -> pa.Array:
    """As 2026-09-30 14:05:00."""
    days = seconds.astype("datetime64[D]")
    clock = (seconds - days).astype(np.int64)
    hhmmss = clock // 3600 * 10_000 + clock % 3600 // 60 * 100 + clock % 60
    text = pc.cast(pa.array(_yyyymmdd(days) * 1_000_000 + hhmmss), pa.string())
    for at, mark in ((12, ":"), (10, ":"), (8, " "), (6, "-"), (4, "-")):
        text = pc.utf8_replace_slice(text, at, at, mark)
    return text


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years).astype(np.int64) + 1
    day = (days - months).astype(np.int64) + 1
    return year * 10_000 + month * 100 + day


def _decimal(scaled: np.ndarray, places: int) -> pa.Array:
    """SCALED / 10**PLACES written with PLACES decimals: 3550 -> "35.50"."""
    text = pc.utf8_lpad(pc.cast(pa.array(scaled), pa.string()), places + 1, "0")
    return pc.utf8_replace_slice(text, -places, -places, ".")


def _digits(rng: np.random.Generator, count: int, width: int) -> pa.Array:
    return pc.utf8_lpad(
        pc.cast(pa.array(rng.integers(0, 10**width, count)), pa.string()), width, "0"
    )


def _month_days(month: str) -> tuple[np.datetime64, np.datetime64]:
    first = np.datetime64(month, "D")
    return first, (np.datetime64(month, "M") + 1).astype("datetime64[D]") - 1


def _number(values: pa.ChunkedArray, default: float) -> np.ndarray:
    readable = pc.match_substring_regex(values, r"^\d+(\.\d+)?$").fill_null(False)
    numbers = pc.cast(pc.if_else(readable, values, None), pa.float64())
    return numbers.fill_null(default).to_numpy()


def _repaired_phones(rng: np.random.Generator, phones: pa.Array) -> pa.Array:
    """Last month's numbers, a fresh one where last month's was not a number."""
    broken = normalise_phones(phones, "0934").is_null().to_numpy(zero_copy_only=False)
    if not broken.any():
        return phones
    count = int(broken.sum())
    fresh = _phones(rng, np.zeros(count, dtype=np.int64), np.zeros(count, dtype=bool))
    return pc.replace_with_mask(phones, pa.array(broken), fresh)


def _repaired_dates(rng: np.random.Generator, dates: pa.Array, month: str) -> pa.Array:
    """Last month's install dates, a fresh one where last month's could not be read."""
    parsed = pc.coalesce(
        *(
            pc.strptime(dates, format=form, unit="s", error_is_null=True)
            for form in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
        )
    )
    read = parsed.is_valid().to_numpy(zero_copy_only=False)
    # strptime rolls a day past the month's end over (2026/02/30): compare with what was written.
    days = parsed.filter(read).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    written = pc.replace_substring(pc.replace_substring(dates.filter(read), "-", ""), "/", "")
    same = pc.equal(written, pc.cast(pa.array(_yyyymmdd(days)), pa.string()))
    broken = ~read
    broken[read] = ~same.to_numpy(zero_copy_only=False)
    if not broken.any():
        return dates
    first, _ = _month_days(month)
    fresh = _dates(rng, first - 400 - rng.integers(0, 3000, int(broken.sum())))
    return pc.replace_with_mask(dates, pa.array(broken), fresh)


def _repaired_caller_id(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, "是").fill_null(False), "是", "否")


def _concat(a: _Lines, b: _Lines) -> _Lines:
    return _Lines(
        numbers=pa.concat_arrays([a.numbers, b.numbers]),
        phones=pa.concat_arrays([a.phones, b.phones]),
        names=pa.concat_arrays([a.names, b.names]),
        regions=pa.concat_arrays([a.regions, b.regions]),
        plans=pa.concat_arrays([a.plans, b.plans]),
        installed=pa.concat_arrays([a.installed, b.installed]),
        caller_id=pa.concat_arrays([a.caller_id, b.caller_id]),
        status=np.concatenate([a.status, b.status]),
        spend=np.concatenate([a.spend, b.spend]),
        calls=np.concatenate([a.calls, b.calls]),
    )


def _string_table(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
