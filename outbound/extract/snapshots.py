"""Monthly extract snapshots: Arrow IPC files under var/, catalogued in the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outbound.config import LINE_ID, PHONE, PHONE_TYPE, Config, ExtractSettings
from outbound.errors import UserError
from outbound.extract import phones
from outbound.extract.convert import ARROW_TYPES
from outbound.store.models import ExtractImport

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> str:
    if not MONTH.match(text):
        raise UserError(
            f"month {text!r} is not of the form YYYY-MM, e.g. 2026-10", "bad_month", month=text
        )
    return text


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def month_end(month: str) -> dt.date:
    year, number = int(month[:4]), int(month[5:])
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def current_import(engine: sa.Engine | sa.Connection, month: str) -> ExtractImport | None:
    with Session(engine) as session:
        return session.scalars(
            sa.select(ExtractImport).where(
                ExtractImport.month == month, ExtractImport.replaced_at.is_(None)
            )
        ).one_or_none()


def history(engine: sa.Engine, month: str | None = None) -> Sequence[ExtractImport]:
    """Every import, newest first, replaced ones included."""
    query = sa.select(ExtractImport).order_by(
        ExtractImport.imported_at.desc(), ExtractImport.id.desc()
    )
    if month:
        query = query.where(ExtractImport.month == month)
    with Session(engine) as session:
        return session.scalars(query).all()


def loaded_months(engine: sa.Engine) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                sa.select(ExtractImport.month)
                .where(ExtractImport.replaced_at.is_(None))
                .order_by(ExtractImport.month)
            )
        )


def latest_month(engine: sa.Engine) -> str:
    months = loaded_months(engine)
    if not months:
        raise UserError(
            "no extract is loaded yet; import one with: engine import FILE --month YYYY-MM",
            "no_extract",
        )
    return months[-1]


def record(engine: sa.Engine, new: ExtractImport) -> ExtractImport:
    """Make NEW the month's current import, stamping the one it replaces."""
    with Session(engine, expire_on_commit=False) as session:
        session.execute(
            sa.update(ExtractImport)
            .where(ExtractImport.month == new.month, ExtractImport.replaced_at.is_(None))
            .values(replaced_at=new.imported_at)
        )
        session.add(new)
        try:
            session.commit()
        except IntegrityError:
            raise UserError(
                f"another import of {new.month} finished at the same time; run the import again"
            ) from None
    return new


def load_month(
    config: Config, engine: sa.Engine, month: str, columns: Sequence[str] | None = None
) -> pd.DataFrame | None:
    """The month's current snapshot as a pyarrow-backed frame, or None when it is not loaded."""
    table = _snapshot(config, engine, month, columns)
    return None if table is None else table.to_pandas(types_mapper=pd.ArrowDtype)


def load_lines(
    config: Config, engine: sa.Engine | sa.Connection, month: str, line_ids: Collection[str]
) -> pd.DataFrame | None:
    """The rows of LINE_IDS in the month's current snapshot, or None when it is not loaded:
    filtered before they become a frame, so that one line of a large month reads fast."""
    return load_matching(config, engine, month, line_ids, ())


def load_matching(
    config: Config,
    engine: sa.Engine | sa.Connection,
    month: str,
    line_ids: Collection[str],
    phones: Collection[str],
) -> pd.DataFrame | None:
    """The rows of the month's snapshot whose line id is one of LINE_IDS or whose phone is one
    of PHONES, or None when the month is not loaded; typed after they are picked out, so that
    a few lines of a large month read fast."""
    path = _snapshot_path(config, engine, month)
    if path is None:
        return None
    table = _whole_snapshot(path)
    wanted = pc.is_in(table[LINE_ID], value_set=pa.array(list(line_ids), table[LINE_ID].type))
    if phones:
        numbers = pa.array(list(phones), table[PHONE].type)
        wanted = pc.or_(wanted, pc.is_in(table[PHONE], value_set=numbers))
    return _typed(table.filter(wanted)).to_pandas(types_mapper=pd.ArrowDtype)


def _snapshot(
    config: Config, engine: sa.Engine, month: str, columns: Sequence[str] | None
) -> pa.Table | None:
    """The month's snapshot, COLUMNS of it (all by default), with each line's phone type."""
    table = _snapshot_file(config, engine, month, columns)
    return None if table is None else _typed(table)


def _snapshot_file(
    config: Config, engine: sa.Engine, month: str, columns: Sequence[str] | None
) -> pa.Table | None:
    """The month's snapshot as stored, COLUMNS of it (all by default, and the phone)."""
    path = _snapshot_path(config, engine, month)
    if path is None:
        return None
    read = (
        None
        if columns is None
        else [c for c in dict.fromkeys([*columns, PHONE]) if c != PHONE_TYPE]
    )
    return feather.read_table(path, columns=read, memory_map=True)


@lru_cache(maxsize=2)
def _whole_snapshot(path: Path) -> pa.Table:
    """The snapshot at PATH, kept for the lines looked up one batch at a time (tickets, a
    moved order's script): its name carries its content's digest, so it never changes, and
    its file is compressed, so reading it each time would decompress it each time."""
    return feather.read_table(path, memory_map=True)


def _snapshot_path(config: Config, engine: sa.Engine | sa.Connection, month: str) -> Path | None:
    """Where the month's current snapshot is, once checked to be there and to fit config.toml;
    None when the month is not loaded."""
    entry = current_import(engine, month)
    if entry is None:
        return None
    path = config.workspace / entry.snapshot_path
    if not path.is_file():
        raise UserError(
            f"{path}: the snapshot of {month} is missing from var/; import the extract again "
            "with --replace",
            "snapshot_missing",
            month=month,
        )
    why = stale(config, entry)
    if why is not None:
        raise UserError(f"{month}: {why}. {fix(entry)}", "snapshot_stale", month=month)
    return path


def _typed(table: pa.Table) -> pa.Table:
    return table.append_column(PHONE_TYPE, phones.phone_types(table[PHONE]))


def snapshot_paths(config: Config, month: str, sha256: str, mapping: str) -> tuple[Path, Path]:
    """Where the snapshot of a file read under MAPPING goes, and its rejects: one file and
    one mapping, one snapshot."""
    folder = config.var / "snapshots" / month
    stem = f"{sha256[:16]}-{hashlib.sha256(mapping.encode()).hexdigest()[:8]}"
    return folder / f"{stem}.arrow", folder / f"{stem}.rejects.csv"


def mapping_of(extract: ExtractSettings) -> str:
    """What of [extract] makes a snapshot what it is, as JSON (max_reject_share does not)."""
    return json.dumps(
        extract.model_dump(mode="json", exclude={"max_reject_share"}),
        ensure_ascii=False,
        sort_keys=True,
    )


def stale(config: Config, entry: ExtractImport) -> str | None:
    """Why ENTRY's snapshot no longer fits config.toml's [extract], or None when it does. An
    import from before mappings were kept fits when its columns and their types are config's."""
    if entry.mapping is not None:
        if entry.mapping == mapping_of(config.extract):
            return None
        then = json.loads(entry.mapping)
        now = json.loads(mapping_of(config.extract))
        changed = sorted(key for key in then.keys() | now.keys() if then.get(key) != now.get(key))
        return (
            "its snapshot was made under another [extract] mapping in config.toml "
            f"({', '.join(changed)} changed since)"
        )
    path = config.workspace / entry.snapshot_path
    if not path.is_file():
        return None  # said when the month is read
    with pa.memory_map(str(path)) as file:
        schema = pa.ipc.open_file(file).schema
    wanted = {name: ARROW_TYPES[kind] for name, kind in config.extract.column_types().items()}
    wanted.pop(PHONE_TYPE)
    differ = sorted(
        name
        for name in wanted.keys() | set(schema.names)
        if name not in schema.names or wanted.get(name) != schema.field(name).type
    )
    if not differ:
        return None
    return (
        "its snapshot was made under another [extract] mapping in config.toml "
        f"(columns {', '.join(differ)} differ)"
    )


def fix(entry: ExtractImport) -> str:
    """The command that makes ENTRY's month fit config.toml again."""
    return (
        f'Read the file again under the mapping: engine import "{entry.source_path}" '
        f"--month {entry.month} --replace"
    )


def stale_months(config: Config, engine: sa.Engine) -> list[tuple[ExtractImport, str]]:
    """Every loaded month whose snapshot no longer fits config.toml, with why."""
    found = []
    for month in loaded_months(engine):
        entry = current_import(engine, month)
        why = None if entry is None else stale(config, entry)
        if entry is not None and why is not None:
            found.append((entry, why))
    return found
