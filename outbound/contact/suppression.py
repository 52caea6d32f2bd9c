"""The suppression list: numbers nobody may contact (opt-out, do-not-call, wrong number)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.orm import Session

from outbound.config import Config
from outbound.errors import UserError
from outbound.extract.phones import normalise_phones
from outbound.extract.source import detect_encoding
from outbound.store.models import Suppression

REASONS = {"opt_out": "退订", "do_not_call": "免打扰", "wrong_number": "号码错误"}


def normalised(config: Config, phones: Iterable[str]) -> list[str | None]:
    text = pa.array([str(p).strip() for p in phones], pa.string())
    return normalise_phones(text, config.extract.default_area_code).to_pylist()


def add(
    session: Session,
    phone: str,
    reason: str,
    source: str,
    *,
    line_id: str | None = None,
    note: str | None = None,
) -> bool:
    """Suppress PHONE (E.164); False when it already was."""
    if reason not in REASONS:
        raise UserError(f"unknown reason {reason!r}; use one of {', '.join(REASONS)}")
    if session.get(Suppression, phone) is not None:
        return False
    session.add(
        Suppression(
            phone=phone,
            reason=reason,
            line_id=line_id,
            source=source,
            note=note,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return True


def add_numbers(
    config: Config, engine: sa.Engine, phones: list[str], reason: str, source: str
) -> tuple[int, int]:
    """Suppress every number of PHONES; a number that is not a Chinese number refuses all.
    Returns (added, already there)."""
    numbers = normalised(config, phones)
    bad = [phone for phone, number in zip(phones, numbers, strict=True) if number is None]
    if bad:
        raise UserError(
            f"not a Chinese mobile or fixed-line number: {', '.join(bad[:5])}"
            + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            + "; nothing was added"
        )
    added = 0
    with Session(engine) as session, session.begin():
        for number in dict.fromkeys(numbers):
            assert number is not None
            added += add(session, number, reason, source)
    return added, len(set(numbers)) - added


def read_numbers(path: Path) -> list[str]:
    """The first column of a CSV (header optional) or the lines of a text file."""
    data = path.read_bytes()
    text = data.decode(detect_encoding(data[:65536], complete=len(data) <= 65536)).lstrip("\ufeff")
    cells = [line.split(",")[0].strip().strip('"') for line in text.splitlines() if line.strip()]
    if cells and not any(ch.isdigit() for ch in cells[0]):
        cells = cells[1:]
    return cells


def listing(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Suppression.phone,
                Suppression.reason,
                Suppression.line_id,
                Suppression.source,
                Suppression.note,
                Suppression.created_at,
            ).order_by(Suppression.created_at, Suppression.phone)
        ).all()
    return pd.DataFrame(
        rows, columns=["phone", "reason", "line_id", "source", "note", "created_at"]
    )


def suppressed_phones(connection: sa.Connection) -> set[str]:
    return set(connection.scalars(sa.select(Suppression.phone)))
