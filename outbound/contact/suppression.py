"""The suppression list: numbers that may not be contacted (opt-out, do-not-call, wrong number),
each within a scope: the channel (sms, voice, call) and the purpose (marketing, service) it bars,
"*" for every one. A TD to a marketing SMS bars marketing, not the complaint callback the
customer is owed; a number that takes no SMS is still called; do-not-call bars everything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
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
CHANNELS = ("*", "sms", "voice", "call")
PURPOSES = ("*", "marketing", "service")
# Provider codes that say one channel cannot reach the number (not a mobile, a landline, the
# carrier's STOP), not that the number is wrong: they bar that channel alone.
CHANNEL_ONLY = {"21610", "21614", "30006"}


def scope_of(code: str | None, channel: str) -> tuple[str, str]:
    """The (channel, purpose) a provider's CODE about a message of CHANNEL bars."""
    return (channel, "*") if code in CHANNEL_ONLY else ("*", "*")


def normalised(config: Config, phones: Iterable[str]) -> list[str | None]:
    text = pa.array([str(p).strip() for p in phones], pa.string())
    return normalise_phones(
        text, config.extract.default_area_code, config.extract.country
    ).to_pylist()


def add(
    session: Session,
    phone: str,
    reason: str,
    source: str,
    *,
    channel: str = "*",
    purpose: str = "*",
    line_id: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Suppress PHONE (E.164) on CHANNEL for PURPOSE; False when it already was, in that scope."""
    if reason not in REASONS:
        raise UserError(f"unknown reason {reason!r}; use one of {', '.join(REASONS)}")
    if session.get(Suppression, (phone, channel, purpose)) is not None:
        return False
    session.add(
        Suppression(
            phone=phone,
            channel=channel,
            purpose=purpose,
            reason=reason,
            line_id=line_id,
            source=source,
            note=note,
            created_at=at or dt.datetime.now(dt.UTC),
        )
    )
    return True


def lift_opt_outs(session: Session, phone: str) -> int:
    """The customer asked for messages again (START): PHONE's opt-outs go; how many."""
    found = session.scalars(
        sa.select(Suppression).where(Suppression.phone == phone, Suppression.reason == "opt_out")
    ).all()
    for row in found:
        session.delete(row)
    return len(found)


def add_numbers(
    config: Config,
    engine: sa.Engine,
    phones: list[str],
    reason: str,
    source: str,
    *,
    channel: str = "*",
    purpose: str = "*",
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
            added += add(session, number, reason, source, channel=channel, purpose=purpose)
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
    """Every suppression with its scope and its evidence (source and note), oldest first."""
    columns = ["phone", "channel", "purpose", "reason", "line_id", "source", "note", "created_at"]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*(getattr(Suppression, c) for c in columns)).order_by(
                Suppression.created_at, Suppression.phone
            )
        ).all()
    return pd.DataFrame(rows, columns=columns)


@dataclass
class Barred:
    """The suppression list as of a moment, asked by scope (each scope's numbers found once)."""

    scopes: pd.DataFrame  # phone, channel, purpose
    _found: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def phones(self, channel: str, purpose: str) -> frozenset[str]:
        """The numbers a message or call of CHANNEL for PURPOSE may not reach."""
        if (channel, purpose) not in self._found:
            scopes = self.scopes
            applies = scopes["channel"].isin(("*", channel)) & scopes["purpose"].isin(
                ("*", purpose)
            )
            self._found[channel, purpose] = frozenset(scopes.loc[applies, "phone"])
        return self._found[channel, purpose]


def barred(connection: sa.Connection) -> Barred:
    rows = connection.execute(
        sa.select(Suppression.phone, Suppression.channel, Suppression.purpose)
    ).all()
    return Barred(pd.DataFrame(rows, columns=["phone", "channel", "purpose"]))
