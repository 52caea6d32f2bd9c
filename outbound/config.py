"""The workspace's config.toml: read with tomllib, validated, turned into typed settings."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from outbound.errors import UserError
from outbound.storage import Storage, open_storage

ColumnType = Literal["str", "int", "float", "bool", "date", "datetime", "category"]
LINE_ID = "line_id"
PHONE = "phone"
# Derived from the phone when a snapshot is read: mobile or fixed (a fixed line takes no SMS).
PHONE_TYPE = "phone_type"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    """One source column of the extract: the name it gets and the type its values must have."""

    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    type: ColumnType
    required: bool = True
    formats: tuple[str, ...] = ()
    values: dict[str, str] = {}

    @model_validator(mode="after")
    def _values_only_for_categories(self) -> ColumnSpec:
        if self.values and self.type not in ("category", "str"):
            raise ValueError('\'values\' recodes text: it needs type "category" or "str"')
        if self.formats and self.type not in ("date", "datetime"):
            raise ValueError(
                '\'formats\' are strptime formats: they need type "date" or "datetime"'
            )
        return self


class ExtractSettings(_Strict):
    """How an extract's columns map to lines. `line_id` and `phone` name source columns; the
    phone may be two (area code, number); with no id column the phone is the line's id."""

    line_id: str | None = None
    phone: str | tuple[str, str] | None = None
    # false: the file's first row is data, and columns are named by position ("1", "2", …).
    header: bool = True
    country: str = "CN"
    default_area_code: str | None = Field(default=None, pattern=r"^\d{1,5}$")
    max_reject_share: float = Field(default=0.05, ge=0, le=1)
    columns: dict[str, ColumnSpec] = {}

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"{value!r} is not a country code phonenumbers knows: use ISO 3166 codes "
                "such as CN, HK, US"
            )
        return value.upper()

    @model_validator(mode="after")
    def _names_are_unique(self) -> ExtractSettings:
        if self.line_id is None and self.phone is None:
            raise ValueError("name line_id (the line's id column), phone, or both")
        if self.country == "CN" and self.default_area_code and self.default_area_code[0] != "0":
            raise ValueError(
                f"default_area_code {self.default_area_code!r}: a Chinese area code is written "
                "with its 0, such as 0934"
            )
        if not self.header:
            named = [*filter(None, [self.line_id]), *self.phone_columns, *self.columns]
            not_positions = [name for name in named if not name.isdigit() or name == "0"]
            if not_positions:
                raise ValueError(
                    "with header = false, columns are named by their position, "
                    f'"1" for the first: {", ".join(map(repr, not_positions))} is not one'
                )
        seen: dict[str, str] = {source: PHONE for source in self.phone_columns}
        if self.line_id is not None:
            seen[self.line_id] = LINE_ID  # may be the phone's column: the number is the id
        names = {LINE_ID: self.line_id or "", PHONE: ", ".join(self.phone_columns)}
        for source, spec in self.columns.items():
            if source in seen:
                raise ValueError(f"source column {source!r} is mapped twice")
            if spec.name in names:
                raise ValueError(
                    f"name {spec.name!r} is given to both {names[spec.name]!r} and {source!r}"
                )
            seen[source] = spec.name
            names[spec.name] = source
        return self

    @property
    def phone_columns(self) -> tuple[str, ...]:
        """The source columns of the phone: none, the number, or the area code and the number."""
        if self.phone is None:
            return ()
        return (self.phone,) if isinstance(self.phone, str) else self.phone

    def column_types(self) -> dict[str, ColumnType]:
        """Every column a snapshot holds, by workspace name, with its type."""
        types: dict[str, ColumnType] = {LINE_ID: "str", PHONE: "str", PHONE_TYPE: "str"}
        types.update({spec.name: spec.type for spec in self.columns.values()})
        return types


Effect = Literal[
    "retry", "callback", "converted", "done", "wrong_number", "do_not_call", "escalate"
]


class Disposition(_Strict):
    """An outcome code agents record: what it means and what the engine does next."""

    label: str
    category: Literal["reached", "not_reached", "final"]
    effect: Effect
    department: str | None = None
    deadline_hours: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _escalation_names_a_department(self) -> Disposition:
        if self.effect == "escalate" and not (self.department and self.deadline_hours):
            raise ValueError('effect "escalate" needs department and deadline_hours')
        return self


def _disposition(label: str, category: str, effect: str, **more: object) -> Disposition:
    return Disposition.model_validate(
        {"label": label, "category": category, "effect": effect, **more}
    )


STANDARD_DISPOSITIONS = {
    "no_answer": _disposition("无人接听", "not_reached", "retry"),
    "busy": _disposition("占线", "not_reached", "retry"),
    "switched_off": _disposition("关机/停机", "not_reached", "retry"),
    "callback": _disposition("预约回拨", "reached", "callback"),
    "accepted": _disposition("同意办理", "reached", "converted"),
    "declined": _disposition("婉拒", "reached", "done"),
    "satisfied": _disposition("满意", "reached", "done"),
    "unsatisfied": _disposition("不满意", "reached", "done"),
    "wrong_number": _disposition("号码错误", "final", "wrong_number"),
    "do_not_call": _disposition("要求不再联系", "final", "do_not_call"),
    "escalate": _disposition(
        "转派处理", "reached", "escalate", department="装维部", deadline_hours=48
    ),
}


class PolicySettings(_Strict):
    """Who may be contacted, how often and when."""

    frequency_cap_days: int = Field(default=7, ge=0)
    calling_hours: tuple[dt.time, dt.time] = (dt.time(8), dt.time(21))
    warn_at: float = Field(default=0.8, gt=0, lt=1)

    @model_validator(mode="after")
    def _hours_in_order(self) -> PolicySettings:
        if self.calling_hours[0] >= self.calling_hours[1]:
            raise ValueError('calling_hours must be [opening, closing], e.g. ["08:00", "21:00"]')
        return self


class TwilioSettings(_Strict):
    """Twilio, named but never holding secrets: those come from the environment variables named
    here."""

    api_base: str = "https://api.twilio.com"
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    from_number: str | None = Field(default=None, pattern=r"^\+\d{6,15}$")
    voice_from: str | None = Field(default=None, pattern=r"^\+\d{6,15}$")
    voice_language: str = "zh-CN"
    timeout_seconds: float = Field(default=10, gt=0)

    @model_validator(mode="after")
    def _a_sender(self) -> TwilioSettings:
        if not (self.messaging_service_sid or self.from_number):
            raise ValueError("name messaging_service_sid or from_number to send SMS from")
        return self


class ChannelSettings(_Strict):
    """How SMS and voice messages leave: dryrun (a file under var/) or twilio."""

    sender: Literal["dryrun", "twilio"] = "dryrun"
    public_url: str | None = Field(default=None, pattern=r"^https?://")
    rate_per_second: float = Field(default=10, gt=0)
    concurrency: int = Field(default=8, ge=1, le=64)
    # A message throttled (429) this many times stops the wave; it stays due for the next.
    max_tries: int = Field(default=5, ge=1)
    # A message whose answer was lost is looked for at the provider; only when it is older than
    # this and two lookups find nothing is it sent again (a provider's list may lag).
    lookup_grace_minutes: float = Field(default=5, ge=0)
    sending_window: tuple[dt.time, dt.time] = (dt.time(8), dt.time(21))
    signature: str = "【中国电信】"
    opt_out_hint: str = "回复TD退订"
    twilio: TwilioSettings | None = None

    @model_validator(mode="after")
    def _twilio_configured(self) -> ChannelSettings:
        if self.sender == "twilio" and (self.twilio is None or not self.public_url):
            raise ValueError(
                'sender "twilio" needs [channels.twilio] and public_url (where Twilio posts '
                "delivery statuses)"
            )
        return self


class BillingImportSettings(_Strict):
    """The month's extract read from the billing database by the scheduler: from DAY of each
    month at AT, once a day until it is loaded, the month before, by the SELECT in QUERY (a
    file of the workspace; :month, :first_day and :last_day bound), from the database whose URL
    is in the environment variable URL_ENV (its password in ENGINE_SOURCE_PASSWORD)."""

    query: str = Field(min_length=1)
    url_env: str = "ENGINE_BILLING_URL"
    day: int = Field(default=3, ge=1, le=28)
    at: dt.time = dt.time(6, 0)


class ScheduleSettings(_Strict):
    """When the scheduler (engine serve or engine scheduler) does the day's work, local time."""

    daily_run: dt.time = dt.time(7, 30)
    sms_waves: tuple[dt.time, ...] = (dt.time(9), dt.time(14))
    deadline_watch_minutes: int = Field(default=15, ge=1)
    drop_folder: str | None = "inbox"
    drop_folder_minutes: int = Field(default=5, ge=1)
    # A dropped file is taken once it has not changed for this long, or at once beside its
    # marker FILE.done: never while it is still being copied.
    drop_settle_seconds: int = Field(default=30, ge=0)
    # [schedule.billing_import]: the month's extract from the billing database; none without it.
    billing_import: BillingImportSettings | None = None
    # A running job whose process has not said it is at work for this long is stuck: the next
    # scheduler to try its slot takes it over and runs it again.
    stale_minutes: int = Field(default=10, ge=1)


class WebSettings(_Strict):
    """The web app: its language, its address, its sessions and how it meets repeated failed
    log-ins."""

    language: Literal["zh", "en"] = "zh"
    # Where users reach the app; an https address makes the session cookie Secure.
    public_url: str | None = Field(default=None, pattern=r"^https?://")
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed: the log-in
    # throttle counts the address they forward for, never one a client names itself.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    secret_env: str = "ENGINE_WEB_SECRET"
    session_hours: float = Field(default=12, gt=0)
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)


class DatabaseSettings(_Strict):
    url: str = "sqlite:///var/engine.db"
    # How long a write waits for another's lock (a daily run, an import) before giving up.
    wait_seconds: int = Field(default=120, ge=1)


class TicketType(_Strict):
    """A kind of ticket other systems send (a complaint, a fault report, a new install): how
    its work order is worked, and by when, counted from the ticket's receipt."""

    title: str = ""
    deadline_hours: float = Field(gt=0)
    script: str | None = None
    reasons: str | None = None
    skills: tuple[str, ...] = ()
    priority: int = 0
    max_attempts: int = Field(default=3, ge=1)
    retry_after_hours: float = Field(default=2, gt=0)
    # A department's "fixed" brings a re-callback (再回访) due this long after the reply.
    recall_hours: float = Field(default=24, gt=0)
    # Only agents of this roster level (级别) or higher take it (care for unhappy customers).
    seniority_at_least: int = Field(default=0, ge=0)


class CareSettings(_Strict):
    """Every unhappy customer worked again: a survey score at or below these, or a call ended
    with one of OUTCOMES, opens one ticket of TYPE ([tickets.TYPE] says by when and for whom)
    with the customer's words."""

    type: str = "care"
    satisfaction_at_most: int = Field(default=2, ge=1, le=5)
    nps_at_most: int = Field(default=6, ge=0, le=10)
    outcomes: tuple[str, ...] = ("unsatisfied",)
    # What was said this long ago or more is no longer looked at.
    within_days: int = Field(default=7, ge=1)


class DepartmentSettings(_Strict):
    """A department the call center escalates to (装维部): how long it has to answer, and whom
    an answer overdue by head_after_hours goes up to (a user name), after the supervisor."""

    deadline_hours: float = Field(default=48, gt=0)
    head: str | None = None
    head_after_hours: float = Field(default=24, gt=0)


class IntakeSettings(_Strict):
    """The broker engine intake takes tickets from (RabbitMQ): where, which queues, and how
    many messages are taken in one transaction. A URL with a password belongs in the
    environment variable named by url_env, which wins over url."""

    url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/%2F", pattern=r"^amqps?://")
    url_env: str = "ENGINE_INTAKE_URL"
    queue: str = Field(default="tickets", min_length=1)
    dead_letter_queue: str = Field(default="tickets.dead", min_length=1)
    prefetch: int = Field(default=200, ge=1, le=65535)
    batch: int = Field(default=100, ge=1)
    # The first wait after the broker went away; each failed try doubles it, up to a minute.
    reconnect_seconds: float = Field(default=2, gt=0)

    @model_validator(mode="after")
    def _two_queues(self) -> IntakeSettings:
        if self.queue == self.dead_letter_queue:
            raise ValueError("queue and dead_letter_queue must be two queues")
        if self.batch > self.prefetch:
            raise ValueError(
                "batch is at most prefetch: the broker hands over only prefetch messages "
                "not yet acknowledged"
            )
        return self


class TargetSettings(_Strict):
    """What the center is held to, each a share (0.99 = 99%); a measure below its target is
    flagged on the supervisor's page and in the reports. A target left out is not judged."""

    satisfaction: float | None = 0.99
    within_deadline: float | None = 0.95
    reach: float | None = None
    attainment: float | None = None
    first_contact_resolution: float | None = None

    @field_validator("*")
    @classmethod
    def _share(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 1:
            raise ValueError(f"{value:g} is no share: a target of 99% is written 0.99")
        return value


class QualitySettings(_Strict):
    """How service quality is counted: the outcome codes of a satisfied and of an unsatisfied
    customer, and the windows in which a contact again for the same type counts as a repeat
    (the first window is the one first-contact resolution is judged on)."""

    satisfied: tuple[str, ...] = ("satisfied",)
    unsatisfied: tuple[str, ...] = ("unsatisfied",)
    repeat_days: tuple[int, ...] = (7, 30)

    @field_validator("repeat_days")
    @classmethod
    def _windows(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(days < 1 for days in value):
            raise ValueError("repeat_days: one or more windows of at least 1 day, e.g. [7, 30]")
        return tuple(sorted(set(value)))


class AssignmentSettings(_Strict):
    """Who gets the most valuable customers: the roster's level (级别), or the agents' measured
    results (satisfaction, then conversion) over the last `weeks` weeks."""

    best_agents: Literal["seniority", "results"] = "seniority"
    weeks: int = Field(default=4, ge=1, le=26)
    # An agent with fewer reached customers than this in the window keeps their roster place.
    min_reached: int = Field(default=20, ge=1)


class PrivacySettings(_Strict):
    """Phone numbers show masked (139****5678) in every listing and export; an agent sees the
    full number of their own items; the roles here see every number, and each such view is
    written to the audit log."""

    # Marketing is never among them: it counts and selects lines, it does not call them.
    full_phone_roles: tuple[Literal["admin", "supervisor", "department"], ...] = ()


class StorageSettings(_Strict):
    """Where snapshots and reject lists are kept: a folder (relative to the workspace unless
    absolute) or object storage by URL (s3://bucket/prefix?region=...). Every host of one
    center names the same store; ENGINE_STORAGE_URL overrides it."""

    url: str = "var"


class ComputeSettings(_Strict):
    """Where segments are evaluated: "local" (this process) or a dask.distributed scheduler
    ("tcp://host:8786"), whose workers read the snapshots from [storage] partition by
    partition and send back only the selected lines."""

    scheduler: str = Field(default="local", pattern=r"^(local|(tcp|tls)://.+)$")


class Settings(_Strict):
    timezone: str = "Asia/Shanghai"
    database: DatabaseSettings = DatabaseSettings()
    extract: ExtractSettings
    policy: PolicySettings = PolicySettings()
    dispositions: dict[str, Disposition] = STANDARD_DISPOSITIONS
    reasons: dict[str, dict[str, str]] = {}
    channels: ChannelSettings = ChannelSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    web: WebSettings = WebSettings()
    intake: IntakeSettings = IntakeSettings()
    # [tickets.NAME]: the ticket types, e.g. [tickets.complaint] deadline_hours = 72.
    tickets: dict[str, TicketType] = {}
    # [departments."装维部"]: the departments' clocks and heads.
    departments: dict[str, DepartmentSettings] = {}
    # [care]: unhappy customers worked again, as tickets of its type; none without it.
    care: CareSettings | None = None
    targets: TargetSettings = TargetSettings()
    quality: QualitySettings = QualitySettings()
    assignment: AssignmentSettings = AssignmentSettings()
    privacy: PrivacySettings = PrivacySettings()
    storage: StorageSettings = StorageSettings()
    compute: ComputeSettings = ComputeSettings()

    @field_validator("tickets")
    @classmethod
    def _ticket_type_names(cls, value: dict[str, TicketType]) -> dict[str, TicketType]:
        for name in value:
            if not name.isidentifier() or not name.isascii():
                raise ValueError(
                    f"ticket type {name!r}: name it with ASCII letters, digits and _ "
                    "(e.g. complaint); its title is for people"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from None
        return value

    @model_validator(mode="after")
    def _care_has_its_type(self) -> Settings:
        care = self.care
        if care is not None and care.type not in self.tickets:
            raise ValueError(
                f"[care] type {care.type!r} is no ticket type: add [tickets.{care.type}] (its "
                "title, deadline_hours and seniority_at_least)"
            )
        unknown = [code for code in care.outcomes if code not in self.dispositions] if care else []
        if unknown:
            raise ValueError(f"[care] outcomes {', '.join(unknown)} are no [dispositions] codes")
        quality = self.quality
        said = (
            (*quality.satisfied, *quality.unsatisfied) if "quality" in self.model_fields_set else ()
        )
        unknown = [code for code in said if code not in self.dispositions]
        if unknown:
            raise ValueError(f"[quality] codes {', '.join(unknown)} are no [dispositions] codes")
        return self


class Config:
    """Settings plus where they came from: the workspace folder and its derived paths."""

    def __init__(
        self,
        workspace: Path,
        settings: Settings,
        database_url: str,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.settings = settings
        self.database_url = database_url
        self._environ = environ or {}

    def secret(self, name: str) -> str:
        """The value of environment variable NAME (credentials never live in files)."""
        value = self._environ.get(name)
        if not value:
            raise UserError(f"environment variable {name} is not set; it holds a credential")
        return value

    @property
    def channels(self) -> ChannelSettings:
        return self.settings.channels

    @property
    def database(self) -> DatabaseSettings:
        return self.settings.database

    @property
    def web(self) -> WebSettings:
        return self.settings.web

    @property
    def var(self) -> Path:
        return self.workspace / "var"

    @property
    def storage_url(self) -> str:
        return self._environ.get("ENGINE_STORAGE_URL") or self.settings.storage.url

    @cached_property
    def storage(self) -> Storage:
        return open_storage(self.storage_url, self.workspace)

    @property
    def compute(self) -> ComputeSettings:
        return self.settings.compute

    @property
    def extract(self) -> ExtractSettings:
        return self.settings.extract

    @property
    def policy(self) -> PolicySettings:
        return self.settings.policy

    @property
    def dispositions(self) -> dict[str, Disposition]:
        return self.settings.dispositions

    @property
    def targets(self) -> TargetSettings:
        return self.settings.targets

    @property
    def quality(self) -> QualitySettings:
        return self.settings.quality

    @property
    def privacy(self) -> PrivacySettings:
        return self.settings.privacy

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


def load_config(workspace: Path, environ: dict[str, str] | None = None) -> Config:
    """Read and validate WORKSPACE/config.toml; ENGINE_DATABASE_URL overrides the database URL."""
    environ = dict(os.environ) if environ is None else environ
    path = workspace / "config.toml"
    if not path.is_file():
        raise UserError(
            f"{path}: no config.toml here. Run engine in a workspace folder "
            "or name one with --workspace DIR (or ENGINE_WORKSPACE)."
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise UserError(format_validation_error(path, exc)) from None
    url = environ.get("ENGINE_DATABASE_URL") or settings.database.url
    return Config(workspace, settings, resolve_sqlite_path(url, workspace), environ)


def format_validation_error(path: Path, exc: ValidationError) -> str:
    """One line per problem: file, dotted key, what is wrong and what is expected."""
    lines = [f"{path}: {exc.error_count()} problem(s):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        kind = error["type"]
        if kind == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif kind == "missing":
            message = "required key is missing"
        elif kind == "literal_error":
            message = f"got {error['input']!r}, expected {error['ctx']['expected']}"
        elif kind == "value_error":
            # A rule about several keys: its text names them; the section's values would not help.
            message = str(error["ctx"]["error"])
        else:
            message = f"{error['msg']} (got {error['input']!r})"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def resolve_sqlite_path(url: str, workspace: Path) -> str:
    """A relative SQLite path is relative to the workspace, not to wherever engine was started."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    file = Path(url[len(prefix) :])
    if file.is_absolute():
        return url
    return prefix + str((workspace / file).resolve())
