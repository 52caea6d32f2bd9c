"""The import use case: an extract file in, a validated monthly snapshot and a reject file out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from outbound.config import Config, ExtractSettings
from outbound.errors import UserError
from outbound.extract import database, snapshots
from outbound.extract import source as sources
from outbound.extract.convert import Converted, convert
from outbound.storage import Storage
from outbound.store import locks
from outbound.store.models import ExtractImport

Progress = Callable[[int], object]
REJECT_COLUMNS = ["row", "column", "value", "reason"]
# An import of millions of rows takes a minute or two: a second one waits for it.
IMPORT_WAIT_SECONDS = 10 * 60


@dataclass(frozen=True)
class ImportSummary:
    month: str
    source: Path
    status: str  # imported, replaced or unchanged
    encoding: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int  # exact copies of earlier rows, dropped
    snapshot: str  # where in the store: a folder's path, or a URL's
    rejects: str | None
    seconds: float
    warnings: tuple[str, ...] = ()


def import_extract(
    config: Config,
    engine: sa.Engine,
    path: Path,
    month: str,
    *,
    encoding: str | None = None,
    replace: bool = False,
    progress: Progress = lambda _: None,
) -> ImportSummary:
    """Import PATH as MONTH's extract; the same file twice changes nothing. Imports of one
    database go one at a time, so that the --replace rule holds for two started at once."""
    month = snapshots.parse_month(month)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    with locks.one_at_a_time(config.var, engine, "import", IMPORT_WAIT_SECONDS, "import"):
        return _import(config, engine, path, month, encoding, replace, progress)


def import_query(
    config: Config,
    engine: sa.Engine,
    url: str,
    query_path: Path,
    month: str,
    *,
    replace: bool = False,
    progress: Progress = lambda _: None,
    environ: dict[str, str] | None = None,
) -> ImportSummary:
    """Import the rows of the SELECT in QUERY_PATH on the billing database at URL as MONTH's
    extract, as a file would be; the same query giving the same rows twice changes nothing.
    The query may name the month as :month (2026-10), :first_day and :last_day (dates)."""
    month = snapshots.parse_month(month)
    found = database.source_url(url, environ)
    first = dt.date.fromisoformat(f"{month}-01")
    following = (first + dt.timedelta(days=32)).replace(day=1)
    params = {"month": month, "first_day": first, "last_day": following - dt.timedelta(days=1)}
    with locks.one_at_a_time(config.var, engine, "import", IMPORT_WAIT_SECONDS, "import"):
        started = time.perf_counter()
        raw = database.read_query(found, query_path, progress, params)
        origin = Origin(
            f"{database.shown(found)} {query_path.resolve()}",
            raw.table.num_rows,
            "database",
            query_path,
        )
        current = snapshots.current_import(engine, month)
        existing = _may_load(config, month, current, raw.sha256, origin, replace)
        if isinstance(existing, ImportSummary):
            return dataclasses.replace(existing, seconds=time.perf_counter() - started)
        source = _mapped(raw, query_path, config.extract)
        return _load(config, engine, month, source, origin, existing, started)


@dataclass(frozen=True)
class Origin:
    """Where an extract came from, as its import records it: a file's path and size, or the
    database and query with the rows it gave; LABEL names it in messages."""

    path: str
    size: int
    fmt: str
    label: Path


def _import(
    config: Config,
    engine: sa.Engine,
    path: Path,
    month: str,
    encoding: str | None,
    replace: bool,
    progress: Progress,
) -> ImportSummary:
    started = time.perf_counter()
    size = path.stat().st_size
    origin = Origin(str(path.resolve()), size, sources.file_format(path), path)
    existing = snapshots.current_import(engine, month)
    same_size = existing is not None and existing.source_size == size
    digest = sources.sha256_of(path) if same_size else None
    checked = _may_load(config, month, existing, digest, origin, replace)
    if isinstance(checked, ImportSummary):
        return dataclasses.replace(checked, seconds=time.perf_counter() - started)
    source = _read(path, origin.fmt, config.extract, encoding, progress)
    return _load(config, engine, month, source, origin, checked, started)


def _may_load(
    config: Config,
    month: str,
    existing: ExtractImport | None,
    digest: str | None,
    origin: Origin,
    replace: bool,
) -> ExtractImport | ImportSummary | None:
    """EXISTING, MONTH's import that ORIGIN would replace (None: the first), or the summary of
    an unchanged one when it was loaded from the same DIGEST under today's mapping; refused
    when it would replace one without REPLACE."""
    if existing is not None and digest == existing.sha256:
        if snapshots.stale(config, existing) is None:
            return _unchanged(config, existing, origin.label)
        if not replace:
            raise UserError(
                f"{month} was imported from this {_kind(origin)} under another [extract] "
                "mapping. To read it again under the one in config.toml, run the import again "
                "with --replace."
            )
    elif existing is not None and not replace:
        raise UserError(
            f"{month} is already loaded from {existing.source_path} "
            f"(imported {existing.imported_at:%Y-%m-%d %H:%M}). To load {origin.label.name} "
            "instead, run the import again with --replace; the old snapshot and its record are "
            "kept."
        )
    return existing


def _kind(origin: Origin) -> str:
    return "query's rows" if origin.fmt == "database" else "file"


def _load(
    config: Config,
    engine: sa.Engine,
    month: str,
    source: sources.Source,
    origin: Origin,
    existing: ExtractImport | None,
    started: float,
) -> ImportSummary:
    """SOURCE typed, its bad rows set aside and the rest written as MONTH's snapshot."""
    path = origin.label
    mapping = snapshots.mapping_of(config.extract)
    converted = convert(source.table, config.extract, source.row_numbers)
    rejects = reject_frame(source, converted)
    copies = converted.copy_rows()
    good = ~converted.bad_rows() & ~copies
    rows_read = source.table.num_rows + len(source.malformed)
    rows_duplicate = int(copies.sum())
    rows_rejected = rows_read - int(good.sum()) - rows_duplicate
    snapshot_key, reject_key = snapshots.snapshot_keys(month, source.sha256, mapping)
    warnings: tuple[str, ...] = ()
    if source.cut_off is not None:
        warnings = (
            f"{path}: the file ends inside row {source.cut_off}, which looks cut off (a copy "
            "or an export that did not finish?); that row is rejected. Check that the file "
            "is whole.",
        )
    _refuse_if_too_bad(
        path,
        config.extract,
        rows_read - rows_duplicate,
        rows_rejected,
        rejects,
        config.storage,
        reject_key,
        warnings,
    )

    loaded = converted.table.filter(pa.array(good))
    snapshots.write_snapshot(config.storage, snapshot_key, [loaded])
    if len(rejects):
        _write_rejects(rejects, config.storage, reject_key)
    seconds = time.perf_counter() - started
    entry = snapshots.record(
        engine,
        ExtractImport(
            month=month,
            source_path=origin.path,
            source_size=origin.size,
            sha256=source.sha256,
            file_format=origin.fmt,
            encoding=source.encoding,
            rows_read=rows_read,
            rows_loaded=loaded.num_rows,
            rows_rejected=rows_rejected,
            rows_duplicate=rows_duplicate,
            mapping=mapping,
            snapshot_path=snapshot_key,
            reject_path=reject_key if len(rejects) else None,
            imported_at=dt.datetime.now(dt.UTC),
            seconds=seconds,
        ),
    )
    return ImportSummary(
        month=month,
        source=path,
        status="replaced" if existing is not None else "imported",
        encoding=entry.encoding,
        rows_read=rows_read,
        rows_loaded=entry.rows_loaded,
        rows_rejected=rows_rejected,
        rows_duplicate=rows_duplicate,
        snapshot=config.storage.path(snapshot_key),
        rejects=config.storage.path(reject_key) if len(rejects) else None,
        seconds=seconds,
        warnings=warnings,
    )


def _unchanged(config: Config, entry: ExtractImport, path: Path) -> ImportSummary:
    return ImportSummary(
        month=entry.month,
        source=path,
        status="unchanged",
        encoding=entry.encoding,
        rows_read=entry.rows_read,
        rows_loaded=entry.rows_loaded,
        rows_rejected=entry.rows_rejected,
        rows_duplicate=entry.rows_duplicate,
        snapshot=config.storage.path(entry.snapshot_path),
        rejects=config.storage.path(entry.reject_path) if entry.reject_path else None,
        seconds=0.0,
    )


def _read(
    path: Path, fmt: str, mapping: ExtractSettings, encoding: str | None, progress: Progress
) -> sources.Source:
    """The mapped columns of PATH, under the mapping's names for them."""
    if fmt == "xlsx":
        real, whole = sources.read_xlsx(path, progress, mapping.header)
    elif fmt == "parquet":
        real = sources.parquet_header(path)
    else:
        real, _, _ = sources.csv_header(path, encoding, mapping.header)
    # A Parquet file names its columns all the same: without a header they go by position.
    by_position = fmt == "parquet" and not mapping.header
    names = _as_mapped([str(i) for i in range(1, len(real) + 1)] if by_position else real, mapping)
    wanted = _check_columns(path, names, mapping)
    columns = [real[names.index(name)] for name in wanted]
    if fmt == "parquet":
        source = sources.read_parquet(path, columns, progress)
    elif fmt == "xlsx":
        source = dataclasses.replace(whole, table=whole.table.select(columns))
    else:
        source = sources.read_csv(path, columns, encoding, progress, mapping.header)
    return dataclasses.replace(source, table=source.table.rename_columns(wanted))


def _mapped(source: sources.Source, label: Path, mapping: ExtractSettings) -> sources.Source:
    """SOURCE's mapped columns (a query's labels being its header), under the mapping's names."""
    real = source.table.column_names
    names = _as_mapped(real, mapping)
    wanted = _check_columns(label, names, mapping)
    columns = [real[names.index(name)] for name in wanted]
    return dataclasses.replace(source, table=source.table.select(columns).rename_columns(wanted))


def _as_mapped(header: list[str], mapping: ExtractSettings) -> list[str]:
    """Each of HEADER's names as the mapping writes it, where the two differ only in spacing or
    width (a double space, a trailing one, a full-width letter)."""
    mapped = [*filter(None, [mapping.line_id]), *mapping.phone_columns, *mapping.columns]
    by_key = {_key(name): name for name in mapped}
    return [name if name in mapped else by_key.get(_key(name), name) for name in header]


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _check_columns(path: Path, header: list[str], mapping: ExtractSettings) -> list[str]:
    """The mapped columns present in HEADER; a missing required one refuses the file."""
    required = list(dict.fromkeys([*filter(None, [mapping.line_id]), *mapping.phone_columns]))
    required += [source for source, spec in mapping.columns.items() if spec.required]
    missing = [name for name in required if name not in header]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, header, n=1)
            hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
        if mapping.header and sources.looks_like_data(header):
            advice = (
                "  The first row looks like data, not column names: if the file has no header "
                'row, set header = false under [extract] and name its columns by position ("1" '
                "for the first)."
            )
        elif not mapping.header:
            advice = f"  header = false in config.toml: the file has {len(header)} columns."
        else:
            advice = "  Fix the file's header or the mapping in config.toml [extract.columns]."
        raise UserError(
            f"{path}: refused, mapped column(s) missing: {', '.join(hints)}.\n"
            f"  Columns found: {', '.join(header)}.\n{advice}"
        )
    optional = [source for source, spec in mapping.columns.items() if not spec.required]
    return required + [name for name in optional if name in header]


def reject_frame(source: sources.Source, converted: Converted) -> pd.DataFrame:
    """One line per bad value (row, source column, value, reason), in file order."""
    parts = []
    for problem in converted.problems:
        values = source.table.column(problem.column).take(pa.array(problem.rows))
        parts.append(
            pd.DataFrame(
                {
                    "row": source.row_numbers[problem.rows],
                    "column": problem.column,
                    "value": values.cast(pa.string()).to_pandas(),
                    "reason": problem.reason,
                }
            )
        )
    if source.malformed:
        parts.append(
            pd.DataFrame(
                {
                    "row": [m.row for m in source.malformed],
                    "column": "(whole row)",
                    "value": [m.text for m in source.malformed],
                    "reason": [
                        f"has {m.fields} fields where the header has {m.expected}"
                        for m in source.malformed
                    ],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=REJECT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def _refuse_if_too_bad(
    path: Path,
    mapping: ExtractSettings,
    rows_distinct: int,
    rows_rejected: int,
    rejects: pd.DataFrame,
    storage: Storage,
    reject_key: str,
    warnings: tuple[str, ...],
) -> None:
    """Refuse the file when more of its distinct rows are bad than max_reject_share allows."""
    if rows_distinct == 0:
        raise UserError(f"{path}: refused, the file has a header but no data rows")
    share = rows_rejected / rows_distinct
    if share <= mapping.max_reject_share:
        return
    _write_rejects(rejects, storage, reject_key)
    raise UserError(
        f"{path}: refused, {rows_rejected:,} of {rows_distinct:,} rows ({share:.1%}) are bad, "
        "more than "
        f"max_reject_share = {mapping.max_reject_share:.1%} in config.toml. Nothing was imported.\n"
        f"  Most common: {most_common(rejects)}.\n"
        f"  Every bad row is listed in {storage.path(reject_key)}"
        + "".join(f"\n  {warning}" for warning in warnings)
    )


def most_common(rejects: pd.DataFrame, causes: int = 3) -> str:
    """The commonest causes of REJECTS, each with its count and first row: a row's own detail
    (which earlier row it repeats) is left out of its cause."""
    cause = rejects["reason"].str.replace(r" \(first at row \d+\)$", "", regex=True)
    grouped = rejects.assign(cause=cause).groupby(["column", "cause"], sort=False)["row"]
    worst = grouped.agg(["size", "min"]).sort_values("size", ascending=False, kind="stable")
    return "; ".join(
        f"{column}: {cause} ({count:,} rows, first at row {first})"
        for (column, cause), (count, first) in worst.head(causes).iterrows()
    )


def _write_rejects(rejects: pd.DataFrame, storage: Storage, key: str) -> None:
    # UTF-8 with BOM so that Excel shows the Chinese text right.
    storage.write(key, rejects.to_csv(index=False).encode("utf-8-sig"))
