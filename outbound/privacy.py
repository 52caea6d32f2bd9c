"""Who sees a customer's phone number: masked (139****5678) in every listing and export; the
full number for an agent on their own item and for the roles granted it ([privacy]
full_phone_roles), each such view written to the audit log (table audit_log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import sqlalchemy as sa

from outbound.store.models import AuditEntry

# How a viewer sees numbers: "own" (an agent's own items: full, the dial link, not logged),
# "granted" (full, and logged) or "masked".
Sight = Literal["own", "granted", "masked"]
# The ids an audit row names in full; the rest it counts.
SUBJECT_IDS = 50
# The role of an audit row written by a command (its person is the OS user who ran it).
COMMAND = "command"


def mask(phone: str | None) -> str:
    """PHONE as a listing shows it: the first three and last four digits of the national
    number (+8613912345678 → 139****5678); a short number is all stars."""
    if not phone:
        return ""
    national = phone.removeprefix("+86")
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def sight(role: str, granted: Collection[str], *, own: bool = False) -> Sight:
    """How someone acting as ROLE sees the numbers of a listing: their OWN items in full (an
    agent's list), every number in full and logged if ROLE is among GRANTED, else masked."""
    if own:
        return "own"
    return "granted" if role in granted else "masked"


def phone_columns(frame: pd.DataFrame) -> list[str]:
    """FRAME's columns that hold phone numbers: phone, and last month's prev.phone."""
    return [str(name) for name in frame.columns if str(name).split(".")[-1] == "phone"]


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """FRAME with every phone column masked."""
    shown = frame.copy()
    for name in phone_columns(shown):
        shown[name] = shown[name].map(lambda phone: mask(str(phone)), na_action="ignore")
    return shown


def numbers_in(frame: pd.DataFrame) -> int:
    """How many numbers FRAME shows: its phone cells that are not empty."""
    return sum(
        int(frame[name].fillna("").astype(str).ne("").sum()) for name in phone_columns(frame)
    )


def subject(ids: Iterable[object]) -> str:
    """IDS (order, message or line ids) as an audit row names them: the first SUBJECT_IDS,
    each once, and how many in all ("3: 101,102,103"; "120: 1,…,50,…")."""
    distinct = list(dict.fromkeys(str(i) for i in ids if i is not None and i == i))
    named = ",".join(distinct[:SUBJECT_IDS]) + (",…" if len(distinct) > SUBJECT_IDS else "")
    return f"{len(distinct)}: {named}"


@dataclass(frozen=True)
class View:
    """One page, API answer or command run that showed full numbers: WHO (a user, or the OS
    account of a command) acting as ROLE, WHERE (the path or command), of which items, and
    how many NUMBERS."""

    who: str
    role: str
    where: str
    ids: tuple[object, ...]
    numbers: int


def record(engine: sa.Engine, at: dt.datetime, view: View) -> None:
    """Write VIEW to the audit log; a view that showed no number in full writes nothing."""
    if view.numbers == 0:
        return
    with engine.begin() as connection:
        connection.execute(
            sa.insert(AuditEntry).values(
                at=at,
                who=view.who[:64],
                role=view.role,
                where=view.where[:128],
                subject=subject(view.ids),
                numbers=view.numbers,
            )
        )


def log(connection: sa.Connection, since: dt.datetime | None, who: str | None) -> pd.DataFrame:
    """The audit log, newest first: from SINCE, of WHO only, when given."""
    columns = ["at", "who", "role", "where", "subject", "numbers"]
    query = sa.select(*(getattr(AuditEntry, name) for name in columns)).order_by(
        AuditEntry.at.desc(), AuditEntry.id.desc()
    )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if who is not None:
        query = query.where(AuditEntry.who == who)
    return pd.DataFrame(connection.execute(query).all(), columns=columns)
