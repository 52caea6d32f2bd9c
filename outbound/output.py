"""Listings as a table for people, CSV or JSON for programs, or an XLSX file."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from outbound.errors import UserError

FILE_FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain JSON-ready values: null as None, dates and times as ISO text."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [{key: _plain(value) for key, value in row.items()} for row in plain.to_dict("records")]


def in_zone(frame: pd.DataFrame, tz: tzinfo) -> pd.DataFrame:
    """FRAME with its moments in TZ (the store keeps UTC), to the second, for people."""
    shown = frame.copy()
    for name in shown.columns:
        column = shown[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or (
            column.dtype == object and column.map(lambda v: isinstance(v, datetime)).any()
        ):
            moments = pd.to_datetime(column, utc=True).dt.tz_convert(tz).dt.floor("s")
            shown[name] = moments.dt.tz_localize(None).astype(object).where(moments.notna(), None)
    return shown


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return value


def emit(
    fmt: str,
    frame: pd.DataFrame,
    document: Mapping[str, Any],
    *,
    title: str | None = None,
    output: Path | None = None,
) -> None:
    """Write FRAME as a table or CSV, or DOCUMENT as JSON, to stdout or to OUTPUT."""
    if output is not None:
        _write_file(output, frame, document)
        return
    if fmt == "json":
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d %H:%M:%S")
    else:
        print_table(frame, title)


def emit_sections(
    fmt: str,
    sections: list[tuple[str, str, pd.DataFrame]],
    document: Mapping[str, Any],
    *,
    output: Path | None = None,
) -> None:
    """A report of several (name, title, table) SECTIONS: JSON is DOCUMENT, a workbook has a
    sheet a section, CSV files one file a section (report.csv, report.agents.csv...); CSV on
    stdout is the first section alone, as a program reading it expects one table."""
    if output is None:
        _, title, first = sections[0]
        emit(fmt, first, document, title=title)
        return
    kind = FILE_FORMATS.get(output.suffix.lower())
    if kind == "xlsx":
        with pd.ExcelWriter(output) as workbook:
            for name, _, table in sections:
                plain = pd.DataFrame(records(table), columns=table.columns)
                plain.to_excel(workbook, sheet_name=name, index=False)
    elif kind == "csv":
        for index, (name, _, table) in enumerate(sections):
            path = output if index == 0 else output.with_suffix(f".{name}.csv")
            table.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        _write_file(output, sections[0][2], document)


def print_table(frame: pd.DataFrame, title: str | None = None) -> None:
    console = Console(width=None if sys.stdout.isatty() else 10_000, soft_wrap=False)
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name].dtype)
        table.add_column(str(name), justify="right" if numeric else "left", overflow="fold")
    for row in records(frame):
        table.add_row(*("" if value is None else str(value) for value in row.values()))
    console.print(table)


def _write_file(path: Path, frame: pd.DataFrame, document: Mapping[str, Any]) -> None:
    kind = FILE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"{path}: --output writes .csv, .json or .xlsx files")
    if kind == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif kind == "json":
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str), "utf-8")
    else:
        plain = pd.DataFrame(records(frame), columns=frame.columns)
        plain.to_excel(path, index=False)
