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
from outbound.staff import logins, sessions
from outbound.store.models import Agent, User

# A department (装维部) answers what the call center escalates to it; a system (the CRM, the
# fault system) only sends tickets through the API.
Role = Literal["agent", "supervisor", "marketing", "department", "system", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
# Roles that may select lines by their numbers (rules.grants); marketing may not. Who sees a
# number in full is another matter: outbound.privacy ([privacy] full_phone_roles).
SEES_NUMBERS: frozenset[Role] = frozenset({"agent", "supervisor", "department", "admin"})
USERS = cast(sa.Table, User.__table__)
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verified when the name is unknown, so that a wrong name takes as long as a wrong password.
_UNKNOWN = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Person:
    """A logged-in user: NAME acting as ROLE; PERSON_ID is the agent id (agents), the
    supervisor id (supervisors) or the department (department users)."""

    name: str
    role: Role
    person_id: str | None
    password_hash: str


class LoginRefused(UserError):
    """Wrong name or password, or a lock after too many failures (of the name or the address)."""

    def __init__(self, message: str, lock: logins.Lock | None = None) -> None:
        super().__init__(message)
        self.lock = lock


def add(
    engine: sa.Engine,
    name: str,
    role: str,
    password: str,
    now: dt.datetime,
    person_id: str | None = None,
) -> None:
    """Add user NAME as ROLE; an agent names its agent id, a supervisor the supervisor id the
    roster gives its teams, a department user its department."""
    name = name.strip()
    if not name or len(name) > 64:
        raise UserError("a user name is 1 to 64 characters", "user_name_length")
    if role not in ROLES:
        raise UserError(
            f"unknown role {role!r}; roles: {', '.join(ROLES)}", "unknown_role", role=role
        )
    _check_password(password)
    with engine.begin() as connection:
        person_id = _checked_person(connection, role, person_id)
        if connection.execute(sa.select(USERS.c.name).where(USERS.c.name == name)).first():
            raise UserError(
                f"user {name!r} exists already; change the password with engine users password",
                "user_exists",
                name=name,
            )
        connection.execute(
            sa.insert(USERS).values(
                name=name,
                role=role,
                person_id=person_id,
                password_hash=_hasher.hash(password),
                created_at=now,
            )
        )


def set_password(engine: sa.Engine, name: str, password: str) -> None:
    """A new password for NAME; it also lifts a lockout and ends the user's sessions and API
    token: whoever knew the old password may have kept either."""
    _check_password(password)
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(USERS)
            .where(USERS.c.name == name)
            .values(password_hash=_hasher.hash(password), token_hash=None)
        )
        if not done.rowcount:
            raise _no_user(name)
        sessions.end_all(connection, name)
        logins.unlock(connection, name)


def change_own_password(engine: sa.Engine, name: str, current: str, new: str) -> None:
    """NAME's new password, given the current one (which every other session does not know)."""
    with engine.connect() as connection:
        person = by_name(connection, name)
    if person is None or not _verify(person.password_hash, current):
        raise UserError("the current password is wrong", "wrong_current_password")
    set_password(engine, name, new)


def revoke(engine: sa.Engine, name: str) -> int:
    """End NAME's sessions and API token at once (a lost phone, a leaver); how many sessions
    were open."""
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(USERS).where(USERS.c.name == name).values(token_hash=None)
        )
        if not done.rowcount:
            raise _no_user(name)
        return sessions.end_all(connection, name)


def unlock(engine: sa.Engine, name: str) -> None:
    """Lift NAME's lockout before its time."""
    with engine.begin() as connection:
        if by_name(connection, name) is None:
            raise _no_user(name)
        logins.unlock(connection, name)


def remove(engine: sa.Engine, name: str) -> None:
    with engine.begin() as connection:
        sessions.end_all(connection, name)
        if not connection.execute(sa.delete(USERS).where(USERS.c.name == name)).rowcount:
            raise _no_user(name)


def new_token(engine: sa.Engine, name: str) -> str:
    """A new API token for NAME (the previous one stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(USERS).where(USERS.c.name == name).values(token_hash=_token_hash(token))
        )
        if not done.rowcount:
            raise _no_user(name)
    return token


def _no_user(name: str) -> UserError:
    return UserError(f"no user {name!r}; see engine users list", "no_user", name=name)


def listing(
    connection: sa.Connection, now: dt.datetime, web: WebSettings
) -> list[dict[str, object]]:
    query = sa.select(
        USERS.c.name,
        USERS.c.role,
        USERS.c.person_id,
        (USERS.c.token_hash.is_not(None)).label("api_token"),
        USERS.c.created_at,
    ).order_by(USERS.c.role, USERS.c.name)
    found = []
    for row in connection.execute(query).mappings():
        lock = logins.lock_of(connection, row["name"], None, now, web)
        found.append({**row, "locked_until": lock.until if lock else None})
    return found


def authenticate(
    engine: sa.Engine, name: str, password: str, address: str, now: dt.datetime, web: WebSettings
) -> Person:
    """The user NAME if PASSWORD is theirs. After web.max_failed_logins failures in a row the
    name is locked for web.lockout_minutes, right password or not, and an address that failed
    too often with any names waits too."""
    attempt = logins.begin_attempt(engine, name, address, now, web)
    if isinstance(attempt, logins.Lock):
        raise LoginRefused("too many failed log-ins", attempt)
    with engine.connect() as connection:
        person = by_name(connection, name)
    if _verify(person.password_hash if person else _UNKNOWN, password) and person is not None:
        logins.succeeded(engine, name)
        return person
    with engine.connect() as connection:
        lock = logins.lock_of(connection, name, None, now, web)
    raise LoginRefused("too many failed log-ins" if lock else "wrong user name or password", lock)


def open_session(
    engine: sa.Engine, name: str, now: dt.datetime, web: WebSettings
) -> sessions.Opened:
    with engine.begin() as connection:
        return sessions.open_for(connection, name, now, dt.timedelta(hours=web.session_hours))


def by_session(
    connection: sa.Connection, secret: str, now: dt.datetime
) -> tuple[Person, str] | None:
    """The user of the live session SECRET, and the session's CSRF token."""
    query = (
        sa.select(USERS, sessions.SESSIONS.c.csrf)
        .join(sessions.SESSIONS, sessions.SESSIONS.c.user_name == USERS.c.name)
        .where(
            sessions.SESSIONS.c.id_hash == sessions.hash_of(secret),
            sessions.SESSIONS.c.expires_at > now,
        )
    )
    row = connection.execute(query).mappings().first()
    return (_person(row), row["csrf"]) if row else None


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
        raise UserError(
            f"a password needs at least {MIN_PASSWORD} characters",
            "password_short",
            least=MIN_PASSWORD,
        )


def _checked_person(connection: sa.Connection, role: str, person_id: str | None) -> str | None:
    if role == "agent":
        if not person_id:
            raise UserError(
                "an agent user needs --agent ID (its id in the roster)", "agent_needs_id"
            )
        found = sa.select(Agent.agent_id).where(Agent.agent_id == person_id)
        if connection.execute(found).first() is None:
            raise UserError(
                f"no agent {person_id!r} in the roster; import it first (engine agents import)",
                "unknown_agent_id",
                agent=person_id,
            )
        return person_id
    if role == "supervisor":
        if not person_id:
            raise UserError(
                "a supervisor user needs --supervisor ID (the roster's supervisor column)",
                "supervisor_needs_id",
            )
        found = sa.select(Agent.agent_id).where(Agent.supervisor == person_id).limit(1)
        if connection.execute(found).first() is None:
            raise UserError(
                f"no agent in the roster has supervisor {person_id!r}; check the roster's "
                "supervisor column (班长)",
                "unknown_supervisor_id",
                supervisor=person_id,
            )
        return person_id
    if role == "department":
        if not person_id or not person_id.strip():
            raise UserError(
                "a department user needs --department NAME (e.g. 装维部)", "department_needs_name"
            )
        return person_id.strip()
    if person_id:
        raise UserError(
            f"a {role} user is not tied to an agent, a supervisor or a department",
            "role_not_tied",
            role=role,
        )
    return None
