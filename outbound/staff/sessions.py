"""Sessions of the web app, kept in the database: a session is alive while its row is, so that
log-out, a new password and an admin's revoke end it at once, in every worker and host. The
browser holds the session's secret; the database only its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa

from outbound.store.models import WebSession

SESSIONS = cast(sa.Table, WebSession.__table__)


@dataclass(frozen=True)
class Opened:
    """A new session: the SECRET the browser keeps, and the CSRF token its forms send back."""

    secret: str
    csrf: str


def open_for(connection: sa.Connection, name: str, now: dt.datetime, lasts: dt.timedelta) -> Opened:
    connection.execute(sa.delete(SESSIONS).where(SESSIONS.c.expires_at <= now))
    opened = Opened(secrets.token_urlsafe(32), secrets.token_urlsafe(24))
    connection.execute(
        sa.insert(SESSIONS).values(
            id_hash=hash_of(opened.secret),
            user_name=name,
            csrf=opened.csrf,
            created_at=now,
            expires_at=now + lasts,
        )
    )
    return opened


def end(connection: sa.Connection, secret: str) -> None:
    connection.execute(sa.delete(SESSIONS).where(SESSIONS.c.id_hash == hash_of(secret)))


def end_all(connection: sa.Connection, name: str) -> int:
    """End every session of NAME; how many were open."""
    done = connection.execute(sa.delete(SESSIONS).where(SESSIONS.c.user_name == name))
    return done.rowcount


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
