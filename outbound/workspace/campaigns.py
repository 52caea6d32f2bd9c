"""Campaigns: one file a campaign in campaigns/, naming its segment, channel, script and rules."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from outbound.config import Config
from outbound.errors import UserError
from outbound.rules import RuleError, compile_rule
from outbound.workspace import load_each, read_toml
from outbound.workspace.render import Scripts

Channel = Literal["call", "sms", "voice"]
# nps: "how likely are you to recommend us", 0-10. satisfaction: 1-5, 5 the best, or in words.
Scale = Literal["nps", "satisfaction"]
_ORDER = re.compile(r"^\s*([a-z_][a-z0-9_]*)(?:\s+(asc|desc))?\s*$")


class AgentFilter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    teams: frozenset[str] | None = None
    skills: frozenset[str] | None = None


class Survey(BaseModel):
    """The SMS question sent after a reached call, and the scale its replies are read on."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    scale: Scale
    text: str = Field(min_length=1)


class CampaignFile(BaseModel):
    """What a campaign file may say; see the README's campaign section."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = ""
    description: str = ""
    segment: str
    channel: Channel
    script: str | tuple[str, ...]  # one script, or variants the lines are split between (A/B)
    start: dt.date
    end: dt.date
    priority: int = 0
    per_agent_per_day: int = Field(default=5, ge=1)
    per_day: int | None = Field(default=None, ge=1)
    max_attempts: int = Field(default=3, ge=1)
    retry_after_hours: float = Field(default=24, gt=0)
    deadline_hours: float | None = Field(default=None, gt=0)
    holdout_percent: float = Field(default=0, ge=0, lt=100)
    order_by: str = "line_id asc"
    agents: AgentFilter = AgentFilter()
    reasons: str | None = None
    purpose: Literal["marketing", "service"] = "marketing"  # marketing messages keep the window
    success: str | None = None  # a rule on the next month's extract (prev. = the campaign's)
    survey: Survey | None = None
    paused: bool = False  # no new work orders and no messages until it is resumed

    @property
    def scripts(self) -> tuple[str, ...]:
        return (self.script,) if isinstance(self.script, str) else self.script

    @model_validator(mode="after")
    def _coherent(self) -> CampaignFile:
        if not self.scripts or len(set(self.scripts)) < len(self.scripts):
            raise ValueError(
                f"script {list(self.scripts)!r}: name one script, or a list of different "
                'variants, e.g. script = ["upsell_call.j2", "upsell_call_short.j2"]'
            )
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for part in self.order_by.split(","):
            if not _ORDER.match(part):
                raise ValueError(
                    f"order_by {self.order_by!r}: write columns with asc or desc, "
                    'e.g. "monthly_spend desc, line_id"'
                )
        return self


@dataclass(frozen=True)
class Campaign:
    name: str
    path: Path
    spec: CampaignFile

    @property
    def order(self) -> list[tuple[str, bool]]:
        """(column, ascending) pairs of order_by."""
        pairs = []
        for part in self.spec.order_by.split(","):
            match = _ORDER.match(part)
            assert match is not None
            pairs.append((match.group(1), match.group(2) != "desc"))
        return pairs

    def active_on(self, day: dt.date) -> bool:
        """Whether the campaign runs on DAY: within its dates and not paused."""
        return self.spec.start <= day <= self.spec.end and not self.spec.paused


def read_campaign(config: Config, path: Path) -> Campaign:
    _, spec = read_toml(config, path, CampaignFile)
    return Campaign(path.stem, path, spec)


def load_campaigns(config: Config) -> tuple[list[Campaign], list[UserError]]:
    """Every campaign that reads, highest priority first, and the problems of the others."""
    campaigns, problems = load_each(config, "campaigns", read_campaign)
    campaigns.sort(key=lambda c: (-c.spec.priority, c.name))
    return campaigns, problems


def problems_of(
    config: Config, campaign: Campaign, segments: Collection[str], scripts: Scripts
) -> list[str]:
    """What campaign names that the workspace does not have: segment, script, its template's
    variables, order_by columns, reason set; and a survey on a campaign that makes no calls."""
    spec, shown = campaign.spec, f"campaigns/{campaign.path.name}"
    problems = []
    if spec.segment not in segments:
        problems.append(
            f"{shown}: segment {spec.segment!r} is not in segments/{_hint(spec.segment, segments)}"
        )
    columns = config.extract.column_types()
    for column, _ in campaign.order:
        if column not in columns:
            hint = _hint(column, columns)
            problems.append(f"{shown}: order_by column {column!r} is not an extract column{hint}")
    if spec.reasons is not None and spec.reasons not in config.settings.reasons:
        hint = _hint(spec.reasons, config.settings.reasons)
        problems.append(
            f"{shown}: reasons {spec.reasons!r} is not a [reasons] set in config.toml{hint}"
        )
    if spec.success:
        try:
            compile_rule(spec.success, columns, source=f"{shown}: success")
        except RuleError as error:
            problems.append(str(error))
    if spec.survey and spec.channel != "call":
        problems.append(
            f"{shown}: survey: only a call campaign asks for a score after its calls; "
            f'remove [survey] or make channel "call"'
        )
    for script in spec.scripts:
        problems += scripts.check(script, columns)
    return problems


def _hint(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return (
        f" (did you mean {close[0]!r}?)"
        if close
        else f"; known: {', '.join(sorted(known)) or 'none'}"
    )


def find_campaign(campaigns: list[Campaign], name: str) -> Campaign:
    for campaign in campaigns:
        if campaign.name == name:
            return campaign
    names = [c.name for c in campaigns]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UserError(f"no campaign {name!r} in campaigns/.{hint} Campaigns: {', '.join(names)}.")
