"""The session cookie, CSRF tokens, and whose address a request comes from. The cookie carries
the session's secret, signed so that a cookie this app did not make never reaches the database;
whether the session is alive is the database's to say (staff.sessions)."""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from outbound.config import Config

COOKIE = "session"


def secret_key(config: Config) -> str:
    """The key that signs sessions: from the environment variable [web] secret_env, or made once
    and kept in var/web-secret (readable by its owner only) so a restart keeps people logged in."""
    given = os.environ.get(config.web.secret_env)
    if given:
        return given
    path: Path = config.var / "web-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


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
