"""Who may log in, as what: users with argon2 password hashes, API tokens, and the lockout that
meets repeated failed log-ins."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal, cast, get_args

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from outbound.config import WebSettings
from outbound.errors import UserError
from outbound.store.models import Agent, User

Role = Literal["agent", "supervisor", "marketing", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
USERS = cast(sa.Table, User.__table__)
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified when the name is unknown, so that a wrong name takes as long as a wrong password.
_UNKNOWN = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Person:
    """A logged-in user: NAME acting as ROLE; PERSON_ID is the agent id (agents) or the
    supervisor id (supervisors)."""

    name: str
    role: Role
    person_id: str | None
    password_hash: str


class LoginRefused(UserError):
    """Wrong name or password, or a lockout after too many failures."""

    def __init__(self, message: str, locked_until: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def add(
    engine: sa.Engine,
    name: str,
    role: str,
    password: str,
    now: dt.datetime,
    person_id: str | None = None,
) -> None:
    """Add user NAME as ROLE; an agent names its agent id, a supervisor the supervisor id the
    roster gives its teams."""
    name = name.strip()
    if not name or len(name) > 64:
        raise UserError("a user name is 1 to 64 characters")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    _check_password(password)
    with engine.begin() as connection:
        person_id = _checked_person(connection, role, person_id)
        if connection.execute(sa.select(USERS.c.name).where(USERS.c.name == name)).first():
            raise UserError(
                f"user {name!r} exists already; change the password with engine users password"
            )
        connection.execute(
            sa.insert(USERS).values(
                name=name,
                role=role,
                person_id=person_id,
                password_hash=_hasher.hash(password),
                failed_logins=0,
                created_at=now,
            )
        )


def set_password(engine: sa.Engine, name: str, password: str) -> None:
    """A new password for NAME; it also lifts a lockout and ends the user's open sessions."""
    _check_password(password)
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(USERS)
            .where(USERS.c.name == name)
            .values(password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)
        )
        if not done.rowcount:
            raise UserError(f"no user {name!r}; see engine users list")


def remove(engine: sa.Engine, name: str) -> None:
    with engine.begin() as connection:
        if not connection.execute(sa.delete(USERS).where(USERS.c.name == name)).rowcount:
            raise UserError(f"no user {name!r}; see engine users list")


def new_token(engine: sa.Engine, name: str) -> str:
    """A new API token for NAME (the previous one stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(USERS).where(USERS.c.name == name).values(token_hash=_token_hash(token))
        )
        if not done.rowcount:
            raise UserError(f"no user {name!r}; see engine users list")
    return token


def listing(connection: sa.Connection) -> list[dict[str, object]]:
    query = sa.select(
        USERS.c.name,
        USERS.c.role,
        USERS.c.person_id,
        (USERS.c.token_hash.is_not(None)).label("api_token"),
        USERS.c.locked_until,
        USERS.c.created_at,
    ).order_by(USERS.c.role, USERS.c.name)
    return [dict(row) for row in connection.execute(query).mappings()]


def authenticate(
    engine: sa.Engine, name: str, password: str, now: dt.datetime, web: WebSettings
) -> Person:
    """The user NAME if PASSWORD is theirs. After web.max_failed_logins failures in a row the
    name is locked for web.lockout_minutes, right password or not."""
    refused: LoginRefused | None = None
    with engine.begin() as connection:
        row = (
            connection.execute(sa.select(USERS).where(USERS.c.name == name).with_for_update())
            .mappings()
            .first()
        )
        if row is None:
            _verify(_UNKNOWN, password)
            refused = LoginRefused("wrong user name or password")
        elif row["locked_until"] is not None and row["locked_until"] > now:
            refused = LoginRefused("too many failed log-ins", row["locked_until"])
        elif not _verify(row["password_hash"], password):
            failures, locked = row["failed_logins"] + 1, None
            if failures >= web.max_failed_logins:
                failures, locked = 0, now + dt.timedelta(minutes=web.lockout_minutes)
            connection.execute(
                sa.update(USERS)
                .where(USERS.c.name == name)
                .values(failed_logins=failures, locked_until=locked)
            )
            refused = LoginRefused(
                "too many failed log-ins" if locked else "wrong user name or password", locked
            )
        elif row["failed_logins"] or row["locked_until"]:
            connection.execute(
                sa.update(USERS)
                .where(USERS.c.name == name)
                .values(failed_logins=0, locked_until=None)
            )
    # Raised after the commit: the failure count must be kept.
    if refused is not None or row is None:
        raise refused or LoginRefused("wrong user name or password")
    return _person(row)


def by_name(connection: sa.Connection, name: str) -> Person | None:
    row = connection.execute(sa.select(USERS).where(USERS.c.name == name)).mappings().first()
    return _person(row) if row else None


def by_token(connection: sa.Connection, token: str) -> Person | None:
    query = sa.select(USERS).where(USERS.c.token_hash == _token_hash(token))
    row = connection.execute(query).mappings().first()
    return _person(row) if row else None


def _person(row: sa.RowMapping) -> Person:
    return Person(row["name"], row["role"], row["person_id"], row["password_hash"])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    # API tokens are 256 random bits: a fast hash is enough, and lets a request find its user.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


def _checked_person(connection: sa.Connection, role: str, person_id: str | None) -> str | None:
    if role == "agent":
        if not person_id:
            raise UserError("an agent user needs --agent ID (its id in the roster)")
        found = sa.select(Agent.agent_id).where(Agent.agent_id == person_id)
        if connection.execute(found).first() is None:
            raise UserError(
                f"no agent {person_id!r} in the roster; import it first (engine agents import)"
            )
        return person_id
    if role == "supervisor":
        if not person_id:
            raise UserError(
                "a supervisor user needs --supervisor ID (the roster's supervisor column)"
            )
        found = sa.select(Agent.agent_id).where(Agent.supervisor == person_id).limit(1)
        if connection.execute(found).first() is None:
            raise UserError(
                f"no agent in the roster has supervisor {person_id!r}; check the roster's "
                "supervisor column (班长)"
            )
        return person_id
    if person_id:
        raise UserError(f"a {role} user is not tied to an agent or a supervisor id")
    return None
