"""Tables of the engine's own database (extract snapshots live as Arrow files beside it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sa_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment, stored in UTC and read back aware on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime {value} reached the store; give it a zone")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExtractImport(Base):
    """One imported extract file: its source, its snapshot and its counts.

    A month has one current import; one replaced with --replace keeps its row and its snapshot,
    stamped with replaced_at.
    """

    __tablename__ = "extract_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    source_path: Mapped[str] = mapped_column(String(1024))
    source_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    rows_read: Mapped[int] = mapped_column(BigInteger)
    rows_loaded: Mapped[int] = mapped_column(BigInteger)
    rows_rejected: Mapped[int] = mapped_column(BigInteger)
    # Exact copies of earlier rows, dropped: read = loaded + rejected + duplicate.
    rows_duplicate: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # The [extract] settings the snapshot was made under, as JSON (NULL: made before they were
    # kept).
    mapping: Mapped[str | None] = mapped_column(Text)
    snapshot_path: Mapped[str] = mapped_column(String(1024))
    reject_path: Mapped[str | None] = mapped_column(String(1024))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[float] = mapped_column(Float)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_extract_imports_current_month",
            "month",
            unique=True,
            sqlite_where=replaced_at.is_(None),
            postgresql_where=replaced_at.is_(None),
        ),
    )


class Agent(Base):
    """One agent of the roster (engine agents import)."""

    __tablename__ = "agents"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(String(128))
    skills: Mapped[list[str]] = mapped_column(JSON)
    seniority: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    supervisor: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Absence(Base):
    __tablename__ = "absences"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.agent_id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(256))


class Suppression(Base):
    """A phone number that may not be contacted on CHANNEL (sms, voice, call) for PURPOSE
    (marketing, service), "*" meaning every one: opt-out, do-not-call or wrong number."""

    __tablename__ = "suppressions"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    line_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Run(Base):
    """The daily run of one date; its row is the claim that makes a second run a no-op."""

    __tablename__ = "runs"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[float] = mapped_column(Float)
    summary: Mapped[dict[str, object]] = mapped_column(JSON)


class WorkOrder(Base):
    """One piece of outbound work for one line: a call, a message, or a follow-up for another
    department. States: open, assigned, in_progress, done, returned, expired."""

    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    line_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[str | None] = mapped_column(String(64))
    returned_by: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(128))
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(128))
    rank: Mapped[int] = mapped_column(BigInteger)
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    assigned_on: Mapped[dt.date | None] = mapped_column(Date)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    callback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_code: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    script_version: Mapped[str | None] = mapped_column(String(160))  # name@digest of its script
    # One more with every change: a writer that read the order changes it only while this is
    # what it read, so that two writers at once never undo each other.
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    # The ticket the order works on (its type is the order's campaign), if it came from one.
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # Past its deadline, an order of a ticket stays open and goes up: to the supervisor, then
    # to the department's head; this names the last one it reached ("supervisor:S01",
    # "head:zhang.wei").
    escalated_to: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # A campaign starts one order a line a month; tickets come as often as they come, and
        # follow-ups and re-callbacks (with a parent) as the loop needs them.
        Index(
            "uq_work_orders_campaign",
            "campaign",
            "channel",
            "line_id",
            "month",
            unique=True,
            sqlite_where=sa_text("ticket_id IS NULL AND parent_id IS NULL"),
            postgresql_where=sa_text("ticket_id IS NULL AND parent_id IS NULL"),
        ),
        Index("ix_work_orders_state_agent", "state", "agent_id"),
        Index("ix_work_orders_line_id", "line_id"),
    )


class Ticket(Base):
    """A ticket another system sent (a complaint, a fault report, a new install), taken in
    once by (source, external_id) whichever way it came, and the work order it became."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    line_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(64))
    # The sha256 of what was sent: the same ticket sent again is taken once, a changed one is
    # refused.
    digest: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))  # api, file or broker
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_tickets_received_at", "received_at"),
    )


class ListItem(Base):
    """One line of an agent's list for a day, as the run wrote it: what the day's report
    counts, whatever becomes of the order later."""

    __tablename__ = "list_items"
    __table_args__ = (Index("ix_list_items_agent_id_day", "agent_id", "day"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    campaign: Mapped[str] = mapped_column(String(128))
    new: Mapped[bool] = mapped_column(Boolean)


class Event(Base):
    """One change of a work order: who, when, what and why."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    # An outcome's reason code, the agent's note and the callback time asked for.
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    callback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # What an outcome replaced (the order's values and what it set off), for its undo: JSON.
    replaced: Mapped[str | None] = mapped_column(Text)
    # An outcome recorded after the order's deadline.
    late: Mapped[bool | None] = mapped_column(Boolean)


class Call(Base):
    """One call of an agent on a work order, for its handling time: OPENED_AT when the agent's
    page dialled (source "page": the dial link clicked); STARTED_AT and ENDED_AT when a
    softphone or switch posts them (source "switch", once by its call id, EXTERNAL_ID). Which
    outcome a call belongs to is read from the times when a report asks (results.handling),
    so a switch that posts late still counts."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_calls_source_external_id"),
        Index("ix_calls_order_id_agent_id", "order_id", "agent_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    agent_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # page or switch
    external_id: Mapped[str | None] = mapped_column(String(128))
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One view of full phone numbers outside an agent's dial link: who (user or OS account),
    in what role, where (page, API or command), which work orders or how many numbers."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    who: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    where: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(Text)  # order ids or line ids shown
    numbers: Mapped[int] = mapped_column(Integer)


class AppSecret(Base):
    """A secret every host of the app shares — the key that signs sessions — made once, by
    whichever host needs it first, so that no host keeps what another needs."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """One SMS or voice message to send exactly once. States: pending, sending, sent,
    delivered, undelivered, failed, blocked. The key (campaign, line, step, date) is what makes
    a rerun of the day write no second message. A survey question after a reached call has the
    scale it asks on in `survey` and its key is (campaign, line, "survey", order): it belongs
    to the call's order without being that order's message."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(256), unique=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    campaign: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    marketing: Mapped[bool] = mapped_column(Boolean)
    line_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sending_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    survey: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        # A customer's reply is matched to the survey sent to that phone.
        Index(
            "ix_outbox_survey_phone",
            "phone",
            sqlite_where=survey.is_not(None),
            postgresql_where=survey.is_not(None),
        ),
    )


class InboundMessage(Base):
    """An SMS a customer sent us: opt-outs act on the suppression list, the rest wait for an
    agent."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SurveyReply(Base):
    """A customer's reply to the survey SMS after a reached call, matched to the call's order
    and agent; score NULL when it could not be read, for a person to read."""

    __tablename__ = "survey_replies"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger)
    campaign: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    scale: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of a scheduled job for one time slot: the row is the claim, so two schedulers
    never run the same job for the same slot; started, finished or failed, for the admin."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    # The lease of a running claim: its process, and the last time it said it was at work.
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """Someone who logs in to the web app or calls its API. An agent user is tied to an agent
    id, a supervisor to the supervisor id of the roster's teams, a department user to its
    department (装维部): person_id holds it."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A log-in of the web app, kept on the server so that it ends when it is told to: log-out,
    a new password or an admin's revoke delete it. The cookie holds the session's secret; only
    its hash is kept."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """A refused log-in: the name tried (known or not) and the address it came from. Every web
    worker and host counts the same rows, for the lockout of a name and the throttle of an
    address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_login_failures_name_at", "name", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
