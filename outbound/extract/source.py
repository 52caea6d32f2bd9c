"""Read an extract file (CSV in any Chinese encoding, Parquet, XLSX) into raw Arrow columns."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from outbound.errors import UserError

Advance = Callable[[int], object]
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DELIMITERS = (",", "\t", "|", ";")
BLOCK = 4 << 20


@dataclass(frozen=True)
class Malformed:
    row: int
    text: str
    fields: int
    expected: int


@dataclass(frozen=True)
class Source:
    """The file's wanted columns as read, and where each row stood in the file (header = row 1)."""

    table: pa.Table
    row_numbers: np.ndarray
    malformed: list[Malformed]
    encoding: str | None
    sha256: str
    cut_off: int | None = None  # the row the file ends inside of, when it looks truncated


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    for name, suffixes in (
        ("csv", CSV_SUFFIXES),
        ("parquet", PARQUET_SUFFIXES),
        ("xlsx", XLSX_SUFFIXES),
    ):
        if suffix in suffixes:
            return name
    raise UserError(
        f"{path}: cannot import a {suffix or 'suffix-less'} file; use CSV, Parquet or XLSX"
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(sample: bytes, complete: bool) -> str:
    """UTF-8 (with or without BOM), GBK or GB18030, from the first bytes of a file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UserError("cannot tell the text encoding; name it with --encoding (e.g. gbk, utf-8)")


def check_one_encoding(path: Path, encoding: str) -> None:
    """Refuse a file whose rows are not all in ENCODING: a Chinese text read in the wrong one
    loads as mojibake. Rows are told apart by line; ASCII rows read alike in every encoding."""
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    first_utf8 = first_other = None
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            if line.isascii():
                continue
            if "\ufffd" in line.decode("utf-8", "replace"):
                first_other = first_other or number
            else:
                first_utf8 = first_utf8 or number
            if first_utf8 and first_other:
                raise UserError(
                    f"{path}: refused, the file mixes text encodings: row {first_utf8} is UTF-8 "
                    f"and row {first_other} is not (GBK?). Nothing was imported. Save the whole "
                    "file in one encoding, UTF-8 or GBK, and import it again."
                )
    if utf8 and first_other:
        raise UserError(
            f"{path}: refused, row {first_other} is not UTF-8 text; name the file's encoding "
            "with --encoding (e.g. gbk)"
        )


def mapped(path: Path) -> pa.Buffer:
    """The file's bytes, memory-mapped: the page cache is read in place, not copied."""
    with pa.memory_map(str(path)) as file:
        return file.read_buffer()


def sha256_in_background(
    pool: ThreadPoolExecutor, data: pa.Buffer, advance: Advance
) -> Future[str]:
    """DATA's sha256, computed on another core while the caller parses; progress follows it."""

    def digest() -> str:
        hashed = hashlib.sha256()
        view = memoryview(data)
        for start in range(0, len(view), BLOCK):
            hashed.update(view[start : start + BLOCK])
            advance(min(BLOCK, len(view) - start))
        return hashed.hexdigest()

    return pool.submit(digest)


def csv_header(path: Path, encoding: str | None, header: bool = True) -> tuple[list[str], str, str]:
    """The header's column names (without a header, the positions "1", "2", …), the delimiter
    and the encoding (detected unless given)."""
    with path.open("rb") as file:
        sample = file.read(1 << 20)
        complete = len(sample) < 1 << 20
    if not sample.strip():
        raise UserError(f"{path}: the file is empty")
    try:
        encoding = encoding or detect_encoding(sample, complete)
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UserError as exc:
        check_one_encoding(path, "utf-8")  # rows in two encodings are the likeliest cause
        raise UserError(f"{path}: {exc}") from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise UserError(f"{path}: cannot read it as {encoding}: {exc}") from None
    lines = text.lstrip("\ufeff").splitlines()
    if header and complete and not any(rest.strip() for rest in lines[1:]):
        raise UserError(f"{path}: refused, the file has a header but no data rows")
    line = lines[0]
    delimiter = max(DELIMITERS, key=line.count)
    names = [name.strip().strip('"') for name in line.split(delimiter)]
    if not header:
        names = [str(position) for position in range(1, len(names) + 1)]
    return names, delimiter, encoding


def looks_like_data(names: list[str]) -> bool:
    """Whether a header row is more likely a first data row: most of its names are numbers,
    dates or phone numbers."""
    data = [name for name in names if re.fullmatch(r"[+-]?[\d.,:/ ()-]+", name.strip())]
    return len(data) * 2 > len(names)


def read_csv(
    path: Path, wanted: list[str], encoding: str | None, advance: Advance, header: bool = True
) -> Source:
    names, delimiter, encoding = csv_header(path, encoding, header)
    malformed: list[Malformed] = []

    def on_malformed(row: pacsv.InvalidRow) -> str:
        if row.text.strip():
            malformed.append(
                Malformed(row.number or 0, row.text, row.actual_columns, row.expected_columns)
            )
        return "skip"

    data = mapped(path)
    if _codec(encoding) != "utf8":
        # Arrow checks UTF-8 as it reads; another encoding reads UTF-8 rows as mojibake.
        check_one_encoding(path, encoding)

    def read(threads: bool) -> pa.Table:
        try:
            return pacsv.read_csv(
                pa.BufferReader(data),
                read_options=pacsv.ReadOptions(
                    column_names=names,
                    skip_rows=1 if header else 0,
                    encoding=_codec(encoding),
                    block_size=BLOCK,
                    use_threads=threads,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, invalid_row_handler=on_malformed
                ),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted,
                    column_types=dict.fromkeys(wanted, pa.string()),
                    strings_can_be_null=True,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            check_one_encoding(path, encoding)  # names the rows when the encodings differ
            raise UserError(
                f"{path}: cannot read it as {encoding} CSV: {exc}. "
                "If the encoding is wrong, name it with --encoding."
            ) from None

    with ThreadPoolExecutor(max_workers=1) as pool:
        sha256 = sha256_in_background(pool, data, advance)
        table = read(threads=True)
        if malformed:
            # Parallel parsing does not know line numbers: read again, in order, to name the rows.
            malformed.clear()
            table = read(threads=False)
        first = 2 if header else 1
        return Source(
            table,
            _row_numbers(table.num_rows, malformed, first),
            malformed,
            encoding,
            sha256.result(),
            _cut_off(data, malformed, table.num_rows + len(malformed) + first - 1),
        )


def _cut_off(data: pa.Buffer, malformed: list[Malformed], last_row: int) -> int | None:
    """The last row, when the file ends inside it: short of fields and without its line end."""
    ends_a_line = len(data) == 0 or bytes(data[len(data) - 1 :]) in (b"\n", b"\r")
    short = (
        malformed
        and malformed[-1].row == last_row
        and malformed[-1].fields < (malformed[-1].expected)
    )
    return last_row if short and not ends_a_line else None


def _row_numbers(loaded: int, malformed: list[Malformed], first: int) -> np.ndarray:
    """Each loaded row's number in the file, the first data row being FIRST."""
    if not malformed:
        return np.arange(first, loaded + first)
    skipped = np.array([m.row for m in malformed])
    return np.setdiff1d(np.arange(first, loaded + len(malformed) + first), skipped)[:loaded]


def parquet_header(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UserError(f"{path}: not a readable Parquet file: {exc}") from None


def read_parquet(path: Path, wanted: list[str], advance: Advance) -> Source:
    sha256 = sha256_of(path)
    table = pq.read_table(path, columns=wanted)
    advance(path.stat().st_size)
    return Source(table, np.arange(2, table.num_rows + 2), [], None, sha256)


def read_xlsx(path: Path, advance: Advance, header: bool = True) -> tuple[list[str], Source]:
    """The first sheet; every cell as text, whole numbers without a trailing .0."""
    from python_calamine import CalamineWorkbook

    sha256 = sha256_of(path)
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise UserError(f"{path}: not a readable XLSX workbook: {exc}") from None
    if not rows:
        raise UserError(f"{path}: the first sheet is empty")
    if header:
        names, data, first = [str(cell).strip() for cell in rows[0]], rows[1:], 2
    else:
        names, data, first = [str(i) for i in range(1, len(rows[0]) + 1)], rows, 1
    columns = list(zip(*data, strict=False)) if data else [() for _ in names]
    table = pa.table(
        {
            name: pa.array([_cell_text(c) for c in col], pa.string())
            for name, col in zip(names, columns, strict=False)
        }
    )
    advance(path.stat().st_size)
    return names, Source(table, np.arange(first, table.num_rows + first), [], None, sha256)


def _cell_text(cell: object) -> str | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return (
            cell.strftime("%Y-%m-%d %H:%M:%S")
            if cell.time() != dt.time()
            else cell.date().isoformat()
        )
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def _codec(encoding: str) -> str:
    """The codec to read with: GB18030 is a superset of GBK, and pyarrow reads UTF-8 natively."""
    normal = codecs.lookup(encoding).name
    if normal in ("utf-8", "utf-8-sig"):
        return "utf8"
    return "gb18030" if normal == "gbk" else normal
