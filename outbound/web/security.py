"""The session cookie, CSRF tokens, and whose address a request comes from. The cookie carries
the session's secret, signed so that a cookie this app did not make never reaches the database;
whether the session is alive is the database's to say (staff.sessions)."""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import cast

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite

from outbound.config import Config
from outbound.store.models import AppSecret

COOKIE = "session"
SECRETS = cast(sa.Table, AppSecret.__table__)
SESSION_KEY = "session_key"


def secret_key(config: Config, engine: sa.Engine) -> str:
    """The key that signs sessions: from the environment variable [web] secret_env, or made once
    and kept in the database, so that every host of the app (and a restart) knows it. A key an
    earlier version kept in var/web-secret is taken over: people stay logged in."""
    given = os.environ.get(config.web.secret_env)
    if given:
        return given
    chosen = sa.select(SECRETS.c.value).where(SECRETS.c.name == SESSION_KEY)
    with engine.begin() as connection:
        found = connection.execute(chosen).scalar()
        if found is not None:
            return str(found)
        earlier = config.var / "web-secret"
        made = earlier.read_text().strip() if earlier.is_file() else secrets.token_urlsafe(48)
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        # Two hosts starting at once: the first key written is everyone's.
        connection.execute(
            insert(SECRETS)
            .values(name=SESSION_KEY, value=made, created_at=dt.datetime.now(dt.UTC))
            .on_conflict_do_nothing(index_elements=["name"])
        )
    with engine.connect() as connection:
        return str(connection.execute(chosen).scalar_one())


class Cookies:
    def __init__(self, key: str) -> None:
        self._signer = URLSafeSerializer(key, salt="session")

    def of(self, secret: str) -> str:
        return self._signer.dumps(secret)

    def secret(self, cookie: str | None) -> str | None:
        """The session secret COOKIE carries, if this app signed it."""
        if not cookie:
            return None
        try:
            secret = self._signer.loads(cookie)
        except BadSignature:
            return None
        return secret if isinstance(secret, str) else None


def same_token(expected: str, given: str | None) -> bool:
    """Whether GIVEN is the token EXPECTED; no token is never the same as another missing one
    (a log-in form posted without its cookie and its field)."""
    return (
        bool(expected)
        and given is not None
        and hmac.compare_digest(expected.encode(), given.encode())
    )


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPv4Network | IPv6Network]
) -> str:
    """Whom a request comes from: the connecting PEER, unless it is a trusted proxy; then the
    nearest address in X-Forwarded-For that is not a trusted proxy itself. A client may write
    anything into that header: only the part the trusted proxies appended is believed."""
    address = peer or "?"
    if not forwarded_for or not _trusted(address, trusted):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if not _trusted(hop, trusted):
            return hop[:64] if hop else address
        address = hop
    return address


def _trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
