"""Tickets from other systems (the CRM's complaints, the fault system's repairs, new installs):
read from a file, a request or a message, checked field by field, each row's problem named, and
the good ones made Tickets. Pure but for reading a file; taking them in is the store's."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa

from outbound.config import Config, TicketType
from outbound.errors import UserError
from outbound.extract.phones import normalise_phones, why_not
from outbound.extract.source import detect_encoding
from outbound.workspace.render import Scripts

FIELDS = ("external_id", "source", "type", "line_id", "phone", "received_at", "text", "department")
REQUIRED = ("external_id", "source", "type", "received_at")
# Another system's clock may run a little ahead of ours; beyond this, a receipt is an error.
CLOCK_SLACK = dt.timedelta(minutes=5)
LONGEST = {"external_id": 64, "source": 32, "type": 32, "line_id": 64, "department": 64}
LONGEST_TEXT = 4000


@dataclass(frozen=True)
class Ticket:
    """One ticket: who sent it (SOURCE) under which id, its TYPE, the line or phone it is
    about, when it was received (aware), its text and the department it names, if any."""

    external_id: str
    source: str
    type: str
    line_id: str | None
    phone: str | None
    received_at: dt.datetime
    text: str
    department: str | None

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.external_id

    def deadline(self, kind: TicketType) -> dt.datetime:
        return self.received_at + dt.timedelta(hours=kind.deadline_hours)


@dataclass(frozen=True)
class Problem:
    """What is wrong with the ticket at ROW (a file's row, counting the header as row 1, or a
    batch's item from 1), in FIELD."""

    row: int
    field: str
    message: str

    def said(self, where: str) -> str:
        return f"{where}: row {self.row}, {self.field}: {self.message}"


@dataclass
class Intake:
    """The tickets read, the rows refused and why, and the rows that repeated an earlier row
    exactly (a resent batch: taken once)."""

    tickets: list[Ticket] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # each ticket's row
    problems: list[Problem] = field(default_factory=list)
    repeated: int = 0
    read: int = 0


def problems_of_types(config: Config, scripts: Scripts) -> list[str]:
    """What config.toml's ticket types name that the workspace does not have: a script, its
    variables, a reason set."""
    problems = []
    columns = config.extract.column_types()
    for name, kind in config.settings.tickets.items():
        shown = f"config.toml [tickets.{name}]"
        if kind.reasons is not None and kind.reasons not in config.settings.reasons:
            problems.append(f"{shown}: reasons {kind.reasons!r} is not a [reasons] set")
        if kind.script is not None:
            problems += scripts.check(kind.script, columns, ticket=True)
    return problems


def read(
    rows: Iterable[Mapping[str, object]], config: Config, now: dt.datetime, first_row: int = 1
) -> Intake:
    """ROWS (dicts of FIELDS) as tickets; the first row is numbered FIRST_ROW."""
    listed = [_cleaned(row) for row in rows]
    phones = _phones([row.get("phone") for row in listed], config)
    intake = Intake(read=len(listed))
    seen: dict[tuple[str, str], tuple[int, Ticket]] = {}
    for number, (row, phone) in enumerate(zip(listed, phones, strict=True), start=first_row):
        problems = _problems(row, phone, config, now)
        if problems:
            intake.problems += [Problem(number, name, message) for name, message in problems]
            continue
        ticket = _ticket(row, phone[0], config.tz)
        earlier = seen.get(ticket.key)
        if earlier is None:
            seen[ticket.key] = (number, ticket)
            intake.tickets.append(ticket)
            intake.rows.append(number)
        elif earlier[1] == ticket:
            intake.repeated += 1
        else:
            intake.problems.append(
                Problem(
                    number,
                    "external_id",
                    f"{ticket.source} ticket {ticket.external_id} is also row {earlier[0]}, with "
                    "other values; send each ticket once, or correct one of them",
                )
            )
    return intake


def read_file(path: Path, config: Config, now: dt.datetime) -> Intake:
    """The tickets of a CSV (UTF-8 or GBK) or XLSX file whose header names FIELDS."""
    frame = _frame(path)
    header = [_header(name) for name in frame.columns]
    missing = [name for name in REQUIRED if name not in header]
    if missing or not {"line_id", "phone"} & set(header):
        needed = [*missing, *([] if {"line_id", "phone"} & set(header) else ["line_id or phone"])]
        raise UserError(
            f"{path}: the header lacks {', '.join(needed)}; a ticket file's columns are "
            f"{', '.join(FIELDS)} (line_id or phone, text and department may be left empty)",
            "ticket_header",
            missing=", ".join(needed),
        )
    frame.columns = header
    records = frame[[name for name in FIELDS if name in header]].to_dict("records")
    return read(records, config, now, first_row=2)


def _frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    if suffix != ".csv":
        raise UserError(f"{path}: a ticket file is .csv or .xlsx", "ticket_file_kind")
    data = path.read_bytes()
    encoding = detect_encoding(data[:65536], complete=len(data) <= 65536)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: {exc}; save it as UTF-8 or GBK", "ticket_encoding") from None
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def _header(name: object) -> str:
    return unicodedata.normalize("NFKC", str(name)).strip().lower()


def _cleaned(row: Mapping[str, object]) -> dict[str, str | None]:
    """ROW's fields as text, blanks as None; a field not among FIELDS is left out."""
    cleaned: dict[str, str | None] = {}
    for name in FIELDS:
        value = row.get(name)
        if value is None or (isinstance(value, float) and pd.isna(value)):
            cleaned[name] = None
        else:
            text = unicodedata.normalize("NFC", str(value)).strip()
            cleaned[name] = text or None
    return cleaned


def _phones(values: list[str | None], config: Config) -> list[tuple[str | None, str | None]]:
    """Each value as E.164, with why it is not a number where it is given and not one."""
    extract = config.extract
    numbers = normalise_phones(
        pa.array(values, pa.string()), extract.default_area_code, extract.country
    ).to_pylist()
    return [
        (
            number,
            f"{value!r} is {why_not(value, extract.country)}" if value and not number else None,
        )
        for value, number in zip(values, numbers, strict=True)
    ]


def _problems(
    row: dict[str, str | None],
    phone: tuple[str | None, str | None],
    config: Config,
    now: dt.datetime,
) -> list[tuple[str, str]]:
    found = [(name, "is empty; every ticket needs it") for name in REQUIRED if not row[name]]
    found += [
        (name, f"is {len(value)} characters; at most {limit}")
        for name, limit in LONGEST.items()
        if (value := row[name]) and len(value) > limit
    ]
    if row["text"] and len(row["text"]) > LONGEST_TEXT:
        found.append(("text", f"is {len(row['text'])} characters; at most {LONGEST_TEXT}"))
    kind = row["type"]
    if kind and kind not in config.settings.tickets:
        known = ", ".join(sorted(config.settings.tickets)) or "none yet"
        found.append(
            ("type", f"{kind!r} is no ticket type of config.toml [tickets]; types: {known}")
        )
    if not row["line_id"] and not row["phone"]:
        found.append(("line_id", "and phone are both empty; give the line id or the phone"))
    if phone[1]:
        found.append(("phone", phone[1]))
    received = row["received_at"]
    if received:
        try:
            moment = _moment(received, config.tz)
        except ValueError:
            found.append(
                (
                    "received_at",
                    f"{received!r} is not a date and time; write ISO 8601, e.g. "
                    "2026-11-02T09:30:00+08:00 (without an offset, config.toml's timezone)",
                )
            )
        else:
            if moment > now + CLOCK_SLACK:
                found.append(
                    (
                        "received_at",
                        f"{received} is in the future; check the sending system's clock",
                    )
                )
    return found


def _moment(text: str, zone: ZoneInfo) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _ticket(row: dict[str, str | None], phone: str | None, zone: ZoneInfo) -> Ticket:
    return Ticket(
        external_id=str(row["external_id"]),
        source=str(row["source"]),
        type=str(row["type"]),
        line_id=row["line_id"],
        phone=phone,
        received_at=_moment(str(row["received_at"]), zone).astimezone(dt.UTC),
        text=row["text"] or "",
        department=row["department"],
    )
