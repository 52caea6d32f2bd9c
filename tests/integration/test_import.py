"""The import use case against a real database (SQLite, and PostgreSQL when configured)."""

import codecs
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.extract.imports import import_extract
from tests.extracts import HEADER, OCTOBER, write_csv


def rejects_of(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str)


def test_a_gbk_extract_is_detected_loaded_and_typed(opened, tmp_path: Path) -> None:
    config, engine = opened
    summary = import_extract(
        config, engine, write_csv(tmp_path / "2026-10.csv", OCTOBER), "2026-10"
    )
    assert (summary.status, summary.encoding) == ("imported", "gbk")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 6, 0)
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None
    first = frame.iloc[0]
    assert first["customer_name"] == "张伟" and first["status"] == "active"
    assert first["phone"] == "+869348211001"
    assert frame["monthly_spend"].tolist()[:2] == [0.0, 128.5]
    assert frame["caller_id"].tolist()[:2] == [False, True]
    assert str(frame["install_date"].iloc[2]) == "2023-07-01"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_are_read(
    opened, tmp_path: Path, encoding: str
) -> None:
    config, engine = opened
    summary = import_extract(
        config, engine, write_csv(tmp_path / "x.csv", OCTOBER, encoding=encoding), "2026-10"
    )
    assert summary.rows_loaded == 6
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None and frame["region"].iloc[1] == "镇原县"


def test_a_pipe_delimited_extract_is_read(opened, tmp_path: Path) -> None:
    config, engine = opened
    path = write_csv(tmp_path / "x.txt", OCTOBER, delimiter="|")
    assert import_extract(config, engine, path, "2026-10").rows_loaded == 6


def test_the_encoding_can_be_named_when_detection_would_guess_wrong(opened, tmp_path: Path) -> None:
    config, engine = opened
    path = write_csv(tmp_path / "x.csv", OCTOBER, encoding="gbk")
    with pytest.raises(UserError, match="cannot read it as utf-8"):
        import_extract(config, engine, path, "2026-10", encoding="utf-8")


def test_xlsx_and_parquet_extracts_load_like_csv(opened, tmp_path: Path) -> None:
    config, engine = opened
    frame = pd.DataFrame(OCTOBER, columns=HEADER)
    xlsx = tmp_path / "2026-09.xlsx"
    numeric = frame.assign(通话次数=frame["通话次数"].astype(int), 用户号码=frame["用户号码"])
    numeric.to_excel(xlsx, index=False)
    assert import_extract(config, engine, xlsx, "2026-09").rows_loaded == 6
    parquet = tmp_path / "2026-10.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet)
    assert import_extract(config, engine, parquet, "2026-10").rows_loaded == 6
    september = snapshots.load_month(config, engine, "2026-09")
    assert september is not None and september["calls_30d"].tolist() == [0, 42, 0, 0, 7, 88]


def test_every_bad_row_goes_to_the_reject_file_with_row_column_value_and_reason(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    rows = [
        *OCTOBER,
        ["", "13993400007", "孙丽", "环县", "在用", "2020-01-01", "10", "1", "是"],
        ["QY0000000002", "13993400008", "周杰", "环县", "在用", "2020-01-01", "10", "1", "是"],
        ["QY0000000009", "123", "吴敏", "环县", "在用", "2020-01-01", "10", "1", "是"],
        ["QY0000000010", "13993400010", "郑强", "环县", "在用", "2026-13-45", "12.3元", "十", "是"],
    ]
    summary = import_extract(config, engine, write_csv(tmp_path / "x.csv", rows), "2026-10")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (10, 6, 4)
    assert summary.rejects is not None
    rejects = rejects_of(summary.rejects)
    assert rejects.fillna("").to_dict("records") == [
        {"row": "8", "column": "用户编号", "value": "", "reason": "no line id"},
        {
            "row": "9",
            "column": "用户编号",
            "value": "QY0000000002",
            "reason": "duplicate line id with other values (first at row 3)",
        },
        {
            "row": "10",
            "column": "用户号码",
            "value": "123",
            "reason": "not a Chinese mobile or fixed-line number",
        },
        {
            "row": "11",
            "column": "入网日期",
            "value": "2026-13-45",
            "reason": "not a date such as 2026-10-31",
        },
        {
            "row": "11",
            "column": "月话费",
            "value": "12.3元",
            "reason": "not a number such as 35.5 (no unit or currency sign)",
        },
        {
            "row": "11",
            "column": "通话次数",
            "value": "十",
            "reason": "not a whole number such as 12",
        },
    ]


def test_a_row_with_the_wrong_number_of_fields_is_rejected_and_later_rows_keep_their_numbers(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    path = tmp_path / "x.csv"
    lines = [
        ",".join(HEADER),
        ",".join(OCTOBER[0]),
        "QY0000000099,13993400099,残缺",
        *(",".join(row) for row in OCTOBER[1:3]),
        ",".join([*OCTOBER[3], "多余"]),
        ",".join(["QY0000000007", "123", *OCTOBER[4][2:]]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = import_extract(config, engine, path, "2026-10")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 3, 3)
    assert summary.rejects is not None
    rejects = rejects_of(summary.rejects)
    assert rejects[["row", "column"]].values.tolist() == [
        ["3", "(whole row)"],
        ["6", "(whole row)"],
        ["7", "用户号码"],
    ]
    assert rejects["reason"].tolist()[:2] == [
        "has 3 fields where the header has 9",
        "has 10 fields where the header has 9",
    ]


def test_importing_the_same_file_twice_changes_nothing(opened, tmp_path: Path) -> None:
    config, engine = opened
    path = write_csv(tmp_path / "x.csv", OCTOBER)
    import_extract(config, engine, path, "2026-10")
    again = import_extract(config, engine, path, "2026-10")
    assert again.status == "unchanged" and again.rows_loaded == 6
    assert len(snapshots.history(engine)) == 1


def test_a_different_file_for_a_loaded_month_needs_replace_and_keeps_the_old_record(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    first = import_extract(config, engine, write_csv(tmp_path / "a.csv", OCTOBER), "2026-10")
    second_file = write_csv(tmp_path / "b.csv", OCTOBER[:4])
    with pytest.raises(UserError, match=r"2026-10 is already loaded from .*a\.csv.*--replace"):
        import_extract(config, engine, second_file, "2026-10")
    replaced = import_extract(config, engine, second_file, "2026-10", replace=True)
    assert replaced.status == "replaced"
    entries = snapshots.history(engine, "2026-10")
    assert [e.rows_loaded for e in entries] == [4, 6]
    assert entries[0].replaced_at is None and entries[1].replaced_at is not None
    assert (Path(first.snapshot) / "part-000.parquet").is_file()
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None and len(frame) == 4


def test_a_file_with_too_many_bad_rows_is_refused_whole(opened, tmp_path: Path) -> None:
    config, engine = opened
    rows = [[*row[:1], "123", *row[2:]] for row in OCTOBER[:4]] + OCTOBER[4:]
    with pytest.raises(UserError) as error:
        import_extract(config, engine, write_csv(tmp_path / "x.csv", rows), "2026-10")
    message = str(error.value)
    assert "refused, 4 of 6 rows (66.7%) are bad" in message
    assert "max_reject_share = 50.0%" in message
    assert "用户号码: not a Chinese mobile or fixed-line number (4 rows, first at row 2)" in message
    assert snapshots.history(engine) == []
    reject_file = Path(message.rsplit(" ", 1)[-1])
    assert len(rejects_of(reject_file)) == 4


def test_a_missing_mapped_column_refuses_the_file_and_lists_the_columns_found(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    header = [("月费" if name == "月话费" else name) for name in HEADER]
    with pytest.raises(UserError) as error:
        import_extract(
            config, engine, write_csv(tmp_path / "x.csv", OCTOBER, header=header), "2026-10"
        )
    message = str(error.value)
    assert "mapped column(s) missing: 月话费 (did you mean 月费?)" in message
    assert "Columns found: 用户编号, 用户号码" in message
    assert snapshots.history(engine) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (",".join(HEADER).encode("gbk"), "no data rows")],
    ids=["empty", "header only"],
)
def test_an_empty_file_is_refused(opened, tmp_path: Path, content: bytes, message: str) -> None:
    config, engine = opened
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        import_extract(config, engine, path, "2026-10")


def test_a_bad_month_or_missing_file_is_named(opened, tmp_path: Path) -> None:
    config, engine = opened
    with pytest.raises(UserError, match="month '2026-13' is not of the form YYYY-MM"):
        import_extract(config, engine, tmp_path / "x.csv", "2026-13")
    with pytest.raises(UserError, match=r"x\.csv: no such file"):
        import_extract(config, engine, tmp_path / "x.csv", "2026-10")


def test_the_catalogue_records_source_size_hash_counts_and_time(opened, tmp_path: Path) -> None:
    config, engine = opened
    path = write_csv(tmp_path / "x.csv", OCTOBER)
    import_extract(config, engine, path, "2026-10")
    (entry,) = snapshots.history(engine)
    import hashlib

    assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.source_size == path.stat().st_size
    assert entry.source_path == str(path.resolve())
    assert (entry.rows_read, entry.rows_loaded, entry.rows_rejected) == (6, 6, 0)
    assert entry.imported_at is not None and entry.seconds > 0
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM extract_imports")).scalar() == 1


def test_detection_tolerates_a_multibyte_character_cut_at_the_sample_end() -> None:
    from outbound.extract.source import detect_encoding

    text = "用户编号" * 100
    data = text.encode("utf-8")[:-1]
    assert detect_encoding(data, complete=False) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + data, complete=False) == "utf-8-sig"
    assert detect_encoding(text.encode("gbk"), complete=True) == "gbk"


def test_exact_copies_are_dropped_and_counted_apart_never_as_bad_rows(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    # Every row written three times, as an export run twice over the same file does, and one
    # line again with another spend: that one is a conflict, not a copy.
    changed = [*OCTOBER[1][:6], "99.00", *OCTOBER[1][7:]]
    rows = OCTOBER + OCTOBER + OCTOBER + [changed]
    summary = import_extract(config, engine, write_csv(tmp_path / "x.csv", rows), "2026-10")
    assert (summary.rows_read, summary.rows_loaded) == (19, 6)
    assert (summary.rows_duplicate, summary.rows_rejected) == (12, 1)
    assert summary.rejects is not None
    assert rejects_of(summary.rejects)["reason"].tolist() == [
        "duplicate line id with other values (first at row 3)"
    ]
    [entry] = snapshots.history(engine, "2026-10")
    assert (entry.rows_read, entry.rows_loaded, entry.rows_rejected, entry.rows_duplicate) == (
        19,
        6,
        1,
        12,
    )


def test_a_refusal_groups_the_rejects_by_cause_with_their_count_and_first_row(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    # Every line written three times with other spends: one cause, not one for each line.
    rows = OCTOBER + [[*row[:6], spend, *row[7:]] for spend in ("1.00", "2.00") for row in OCTOBER]
    with pytest.raises(UserError) as error:
        import_extract(config, engine, write_csv(tmp_path / "x.csv", rows), "2026-10")
    message = str(error.value)
    assert (
        "Most common: 用户编号: duplicate line id with other values (12 rows, first at row 8)."
        in (message)
    )


def test_a_month_imported_under_another_mapping_says_how_to_read_it_again(
    opened, workspace: Path, tmp_path: Path
) -> None:
    config, engine = opened
    extract = write_csv(tmp_path / "x.csv", OCTOBER)
    import_extract(config, engine, extract, "2026-10")
    toml = workspace / "config.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('name = "monthly_spend"', 'name = "spend"'), "utf-8"
    )
    renamed = load_config(workspace)
    [(entry, why)] = snapshots.stale_months(renamed, engine)
    assert entry.month == "2026-10" and why.endswith("(columns changed since)")
    with pytest.raises(UserError) as refused:
        snapshots.load_month(renamed, engine, "2026-10")
    assert "made under another [extract] mapping" in str(refused.value)
    assert f'engine import "{extract.resolve()}" --month 2026-10 --replace' in str(refused.value)
    with pytest.raises(UserError, match=r"under another \[extract\] mapping.*--replace"):
        import_extract(renamed, engine, extract, "2026-10")

    summary = import_extract(renamed, engine, extract, "2026-10", replace=True)
    assert summary.status == "replaced" and summary.rows_loaded == 6
    frame = snapshots.load_month(renamed, engine, "2026-10")
    assert frame is not None and frame["spend"].tolist()[:2] == [0.0, 128.5]
    assert snapshots.stale_months(renamed, engine) == []
    # The same file under the same mapping again: nothing to do, --replace or not.
    assert import_extract(renamed, engine, extract, "2026-10", replace=True).status == "unchanged"
    # Both snapshots stay on record, one for each mapping.
    old, new = (config.var / e.snapshot_path for e in snapshots.history(engine, "2026-10"))
    assert old != new and (old / "part-000.parquet").is_file()
    assert (new / "part-000.parquet").is_file()


def test_an_import_from_before_mappings_were_kept_is_judged_by_its_columns(
    opened, workspace: Path, tmp_path: Path
) -> None:
    config, engine = opened
    import_extract(config, engine, write_csv(tmp_path / "x.csv", OCTOBER), "2026-10")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE extract_imports SET mapping = NULL"))
    assert snapshots.stale_months(config, engine) == []
    toml = workspace / "config.toml"
    toml.write_text(toml.read_text("utf-8").replace('type = "int"', 'type = "float"'), "utf-8")
    [(_, why)] = snapshots.stale_months(load_config(workspace), engine)
    assert why.endswith("(columns calls_30d differ)")


def test_a_file_without_a_header_row_is_read_by_column_positions(
    opened, workspace: Path, tmp_path: Path
) -> None:
    config, engine = opened
    path = tmp_path / "no-header.csv"
    lines = [",".join(row) for row in OCTOBER]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    with pytest.raises(UserError) as refused:
        import_extract(config, engine, path, "2026-10")
    message = str(refused.value)
    assert "Columns found: QY0000000001, 0934-8211001, 张伟" in message
    assert "The first row looks like data" not in message  # an id and a name are names here

    positions = {name: str(HEADER.index(name) + 1) for name in HEADER}
    toml = workspace / "config.toml"
    text = toml.read_text("utf-8").replace("[extract]\n", "[extract]\nheader = false\n", 1)
    for name, position in positions.items():
        text = text.replace(f'"{name}"', f'"{position}"')
    # The optional column the file does not have: a position past its last.
    toml.write_text(text.replace('"最近投诉时间"', '"10"'), "utf-8")
    summary = import_extract(load_config(workspace), engine, path, "2026-10")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 6, 0)
    frame = snapshots.load_month(load_config(workspace), engine, "2026-10")
    assert frame is not None and frame["customer_name"].tolist()[:2] == ["张伟", "王芳"]


def test_a_first_row_of_numbers_where_names_should_be_is_called_data(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    path = tmp_path / "churn.csv"
    path.write_text("1,1,792.83,13993412345,0,1\n2,0,35.5,13993412346,3,0\n", "utf-8")
    with pytest.raises(UserError) as refused:
        import_extract(config, engine, path, "2026-10")
    message = str(refused.value)
    assert "Columns found: 1, 1, 792.83, 13993412345, 0, 1." in message
    assert "The first row looks like data" in message and "header = false" in message


def test_a_parquet_file_under_header_false_is_read_by_column_positions(
    opened, workspace: Path, tmp_path: Path
) -> None:
    _, engine = opened
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({f"c{i}": [row[i] for row in OCTOBER] for i in range(9)}), path)
    toml = workspace / "config.toml"
    text = toml.read_text("utf-8").replace("[extract]\n", "[extract]\nheader = false\n", 1)
    for position, name in enumerate(HEADER, start=1):
        text = text.replace(f'"{name}"', f'"{position}"')
    toml.write_text(text.replace('"最近投诉时间"', '"10"'), "utf-8")
    config = load_config(workspace)
    assert import_extract(config, engine, path, "2026-10").rows_loaded == 6
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None and frame["monthly_spend"].tolist()[:2] == [0.0, 128.5]


def test_gbk_rows_near_the_top_of_a_utf8_file_are_refused_not_loaded_as_mojibake(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    path = tmp_path / "mixed.csv"
    good = [",".join(row).encode("utf-8") for row in OCTOBER]
    # Three rows pasted in from a GBK file, after the header and the first row.
    pasted = [",".join(row).encode("gbk") for row in OCTOBER[1:4]]
    lines = [",".join(HEADER).encode("utf-8"), good[0], *pasted, *good[4:]]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    with pytest.raises(UserError) as refused:
        import_extract(config, engine, path, "2026-10")
    assert "mixes text encodings: row 1 is UTF-8 and row 3 is not (GBK?)" in str(refused.value)
    assert snapshots.loaded_months(engine) == []


def test_gbk_rows_after_the_first_megabyte_of_a_utf8_file_are_refused_with_their_row(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    path = tmp_path / "late.csv"
    rows = [[f"QY{i:010d}", *OCTOBER[1][1:]] for i in range(14_000)]
    head = "\r\n".join([",".join(HEADER), *(",".join(row) for row in rows)]) + "\r\n"
    late = ",".join(["QY9999999999", *OCTOBER[2][1:]]).encode("gbk") + b"\r\n"
    assert len(head.encode("utf-8")) > 1 << 20
    path.write_bytes(head.encode("utf-8") + late)
    with pytest.raises(UserError) as refused:
        import_extract(config, engine, path, "2026-10")
    assert "row 1 is UTF-8 and row 14002 is not" in str(refused.value)


def test_a_file_that_ends_inside_a_row_is_said_to_look_cut_off(opened, tmp_path: Path) -> None:
    config, engine = opened
    path = write_csv(tmp_path / "x.csv", OCTOBER)
    path.write_bytes(path.read_bytes()[:-30])  # the copy stopped inside the last row
    summary = import_extract(config, engine, path, "2026-10")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 5, 1)
    [warning] = summary.warnings
    assert "ends inside row 7, which looks cut off" in warning
    whole = import_extract(
        config, engine, write_csv(tmp_path / "y.csv", OCTOBER), "2026-10", replace=True
    )
    assert whole.warnings == ()


def test_a_file_whose_only_key_is_the_phone_column_loads(
    opened, workspace: Path, tmp_path: Path
) -> None:
    _, engine = opened
    toml = workspace / "config.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('line_id = "用户编号"', 'line_id = "用户号码"'), "utf-8"
    )
    config = load_config(workspace)
    summary = import_extract(config, engine, write_csv(tmp_path / "x.csv", OCTOBER), "2026-10")
    assert (summary.rows_loaded, summary.rows_rejected) == (6, 0)
    frame = snapshots.load_month(config, engine, "2026-10")
    assert frame is not None
    assert frame["line_id"].tolist()[:2] == ["0934-8211001", "13993412345"]
    assert frame["phone"].tolist()[:2] == ["+869348211001", "+8613993412345"]


def test_two_imports_of_one_month_at_once_load_one_and_refuse_the_other(
    opened, tmp_path: Path
) -> None:
    config, engine = opened
    first = write_csv(tmp_path / "a.csv", OCTOBER)
    second = write_csv(tmp_path / "b.csv", OCTOBER[:5])
    results: dict[str, str] = {}

    def load(path: Path) -> None:
        try:
            results[path.name] = import_extract(config, engine, path, "2026-10").status
        except UserError as refusal:
            results[path.name] = str(refusal)

    threads = [threading.Thread(target=load, args=(path,)) for path in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results.values())[0].startswith("2026-10 is already loaded from")
    assert sorted(results.values())[1] == "imported"
    assert len(snapshots.history(engine, "2026-10")) == 1
