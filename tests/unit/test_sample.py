"""The synthetic sample extract: deterministic, in the source's own form, realistic enough to
exercise every sample segment, with its bad rows."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from outbound.extract.phones import normalise_phones
from outbound.sample.billing import extract_frame, write_sample

ROOT = Path(__file__).resolve().parents[2]
LINES = 2_000
SEED = 11


def config_headers() -> list[str]:
    extract = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["extract"]
    return [extract["line_id"], extract["phone"], *extract["columns"]]


@pytest.fixture(scope="module")
def months() -> tuple[pd.DataFrame, pd.DataFrame]:
    september = extract_frame(LINES, "2026-09", SEED)
    return september, extract_frame(LINES, "2026-10", SEED, previous=september)


def numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.astype(str), errors="coerce")


def test_the_same_seed_writes_byte_identical_files_and_another_seed_does_not(
    tmp_path: Path,
) -> None:
    first = write_sample(tmp_path / "a", lines=LINES, seed=SEED)
    again = write_sample(tmp_path / "b", lines=LINES, seed=SEED)
    other = write_sample(tmp_path / "c", lines=LINES, seed=SEED + 1)
    assert [(p.name, m) for p, m in first] == [
        ("2026-09.csv", "2026-09"),
        ("2026-10.parquet", "2026-10"),
    ]
    for (path, _), (same, _), (different, _) in zip(first, again, other, strict=True):
        assert path.read_bytes() == same.read_bytes()
        assert path.read_bytes() != different.read_bytes()


def test_the_september_csv_is_gbk_with_the_headers_of_config_toml(tmp_path: Path) -> None:
    [(path, _), _] = write_sample(tmp_path, lines=LINES, seed=SEED)
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gbk"), newline="")))
    assert rows[0] == config_headers()
    assert len(rows) == LINES + 1
    assert {len(row) for row in rows} == {len(rows[0])}


def test_the_october_parquet_has_the_same_headers_all_as_strings(tmp_path: Path) -> None:
    [_, (path, _)] = write_sample(tmp_path, lines=LINES, seed=SEED)
    schema = pq.read_schema(path)
    assert schema.names == config_headers()
    assert set(schema.types) == {pa.string()}


PLANTED = {
    "用户号码": ["123", "0934-812"],
    "月话费": ["12.3元", "abc"],
    "入网日期": ["2026-13-45", "2026/02/30"],
    "通话次数": ["十"],
    "通话分钟": ["约5分钟"],
    "来电显示": ["未知"],
}


def test_each_month_has_its_planted_bad_rows_once_and_none_carried_over(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    for frame in months:
        ids = frame["用户编号"].astype(str)
        assert (ids == "").sum() == 1
        assert ids[ids != ""].duplicated().sum() == 1
        for column, values in PLANTED.items():
            counts = frame[column].astype(str).value_counts()
            assert [counts.get(value, 0) for value in values] == [1] * len(values), column


def test_every_phone_but_the_planted_ones_is_a_valid_number(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    for frame in months:
        phones = pa.array(frame["用户号码"].astype(str))
        bad = normalise_phones(phones, "0934").is_null().to_numpy(zero_copy_only=False)
        assert sorted(frame["用户号码"][bad]) == ["0934-812", "123"]


def test_phones_come_written_in_mixed_real_world_forms(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    phones = months[0]["用户号码"].astype(str)
    assert phones.str.match(r"^0934-\d{7}$").any()
    assert phones.str.match(r"^\(0934\)\d{7}$").any()
    assert phones.str.match(r"^\d{7}$").any()
    assert phones.str.match(r"^\+86 934 \d{7}$").any()
    assert phones.str.match(r"^1[3-9]\d{9}$").any()
    assert phones.str.match(r"^\+86 1\d\d \d{4} \d{4}$").any()


def test_october_carries_most_september_lines_with_a_few_gone_and_a_few_new(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    september, october = (set(frame["用户编号"].astype(str)) - {""} for frame in months)
    shared = september & october
    assert len(shared) >= 0.95 * len(september)
    assert september - october
    assert october - september


def test_zero_usage_is_a_realistic_share_and_mostly_lasts(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    september, october = months
    zero_share = (numbers(september["通话次数"]) == 0).mean()
    assert 0.10 <= zero_share <= 0.15
    both = september.merge(october, on="用户编号", suffixes=("_9", "_10"))
    silent = numbers(both["通话次数_9"]) == 0
    stays = silent & (numbers(both["通话次数_10"]) == 0)
    wakes = silent & (numbers(both["通话次数_10"]) > 0)
    assert stays.sum() > wakes.sum() > 0


def test_some_active_lines_spend_at_least_30_percent_less_in_october(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    both = months[0].merge(months[1], on="用户编号", suffixes=("_9", "_10"))
    down = (numbers(both["月话费_10"]) <= numbers(both["月话费_9"]) * 0.7) & (
        both["状态_10"] == "在用"
    )
    assert 0.02 * len(both) <= down.sum() <= 0.15 * len(both)


def test_spend_is_skewed_with_most_bills_modest_and_a_tail_over_100(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    spend = numbers(months[0]["月话费"]).dropna()
    assert spend.between(20, 60).mean() >= 0.4
    assert 0.03 <= (spend > 100).mean() <= 0.2
    assert months[0]["月话费"].str.match(r"^\d+\.\d\d$").mean() > 0.99


def test_each_month_has_new_installs_and_complaints_with_their_time(
    months: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    for frame, month in zip(months, ("202609", "202610"), strict=True):
        installed = frame["入网日期"].astype(str).str.replace(r"[-/]", "", regex=True)
        assert installed.str.startswith(month).sum() > 0
        complained = numbers(frame["投诉次数"]) > 0
        assert complained.sum() > 0
        stamps = frame["最近投诉时间"][complained].astype(str)
        assert stamps.str.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$").all()
        assert frame["最近投诉时间"][~complained].isna().sum() >= (~complained).sum() - 1
