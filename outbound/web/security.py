"""Sessions, CSRF tokens and the per-address throttle of the log-in form. A session is a signed,
HTTP-only cookie naming the user, a fingerprint of their password hash (a new password ends
every session) and the CSRF token that every form must send back."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from outbound.config import Config

COOKIE = "session"


@dataclass(frozen=True)
class Session:
    user: str
    fingerprint: str
    csrf: str


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


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


class Sessions:
    def __init__(self, key: str, hours: float) -> None:
        self._signer = URLSafeTimedSerializer(key, salt="session")
        self.max_age = int(hours * 3600)

    def new(self, user: str, password_hash: str) -> str:
        """The cookie of a new session of USER, with a fresh CSRF token."""
        return self._signer.dumps([user, fingerprint(password_hash), secrets.token_urlsafe(24)])

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            user, mark, csrf = self._signer.loads(cookie, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        return Session(str(user), str(mark), str(csrf))


def same_token(expected: str, given: str | None) -> bool:
    """Whether GIVEN is the token EXPECTED; no token is never the same as another missing one
    (a log-in form posted without its cookie and its field)."""
    return (
        bool(expected)
        and given is not None
        and hmac.compare_digest(expected.encode(), given.encode())
    )


class Throttle:
    """At most LIMIT failed log-ins from one address in WINDOW; beyond, the form is refused
    until the oldest failure leaves the window. (Per name, the database locks the user.)"""

    def __init__(self, limit: int = 20, window: dt.timedelta = dt.timedelta(minutes=15)) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def blocked_until(self, address: str, now: dt.datetime) -> dt.datetime | None:
        with self._lock:
            failures = self._recent(address, now)
            if not failures:
                del self._failures[address]  # addresses come and go: keep only recent ones
            return failures[0] + self.window if len(failures) >= self.limit else None

    def failed(self, address: str, now: dt.datetime) -> None:
        with self._lock:
            self._recent(address, now).append(now)

    def _recent(self, address: str, now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] + self.window <= now:
            failures.popleft()
        return failures
