"""Failed log-ins, counted in the database so that every web worker and host sees the same:
a name is locked after too many failures in a row, and an address after too many failures with
any names. An unknown name locks exactly like a known one, so the lockout does not tell which
names exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from outbound.config import WebSettings
from outbound.store.models import LoginFailure

FAILURES = cast(sa.Table, LoginFailure.__table__)
# Failures from one address, with any names, before the address must wait.
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = dt.timedelta(minutes=15)
# Failures older than this count for nothing: they are deleted as new ones come.
KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class Lock:
    """Log-ins refused until UNTIL: for the name tried, or for the address (BY_ADDRESS)."""

    until: dt.datetime
    by_address: bool


def begin_attempt(
    engine: sa.Engine, name: str, address: str, now: dt.datetime, web: WebSettings
) -> int | Lock:
    """The id of the failure this attempt is counted as until it succeeds, or the lock that
    refuses it. The failure is written before the password is checked, so that attempts running
    at once in several workers count each other."""
    with engine.begin() as connection:
        connection.execute(sa.delete(FAILURES).where(FAILURES.c.at < now - KEPT))
        attempt = connection.execute(
            sa.insert(FAILURES).values(name=name, address=address, at=now).returning(FAILURES.c.id)
        ).scalar_one()
    with engine.begin() as connection:
        lock = lock_of(connection, name, address, now, web, but=attempt)
        if lock is not None:
            connection.execute(sa.delete(FAILURES).where(FAILURES.c.id == attempt))
            return lock
    return attempt


def succeeded(engine: sa.Engine, name: str) -> None:
    """A right password: the name's failures in a row end."""
    with engine.begin() as connection:
        connection.execute(sa.delete(FAILURES).where(FAILURES.c.name == name))


def lock_of(
    connection: sa.Connection,
    name: str,
    address: str | None,
    now: dt.datetime,
    web: WebSettings,
    but: int | None = None,
) -> Lock | None:
    """The lock on NAME (or on ADDRESS) now, counting every failure but the attempt BUT."""
    lockout = dt.timedelta(minutes=web.lockout_minutes)
    until = _until(connection, FAILURES.c.name == name, web.max_failed_logins, lockout, now, but)
    if until is not None:
        return Lock(until, by_address=False)
    if address is not None:
        by_address = FAILURES.c.address == address
        until = _until(connection, by_address, ADDRESS_LIMIT, ADDRESS_WINDOW, now, but)
        if until is not None:
            return Lock(until, by_address=True)
    return None


def unlock(connection: sa.Connection, name: str) -> None:
    connection.execute(sa.delete(FAILURES).where(FAILURES.c.name == name))


def _until(
    connection: sa.Connection,
    which: sa.ColumnElement[bool],
    limit: int,
    window: dt.timedelta,
    now: dt.datetime,
    but: int | None,
) -> dt.datetime | None:
    """When the LIMIT-th latest failure of WHICH leaves WINDOW, if it is still in it."""
    query = (
        sa.select(FAILURES.c.at)
        .where(which, FAILURES.c.at > now - window, FAILURES.c.id != (but or 0))
        .order_by(FAILURES.c.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    oldest = connection.execute(query).scalar()
    return oldest + window if oldest is not None else None
