"""A month's report: whether the campaigns of the month worked (lift against the holdout, the
funnel) and what they did (reach, quota attainment per agent and day, SMS waves), as sections
and SVG charts for the month's report (results.periodic) and the Results page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from markupsafe import Markup

from outbound import output
from outbound.config import Config
from outbound.messages import scores
from outbound.results import activity, charts, tickets, verdict
from outbound.results.tickets import TicketReport
from outbound.results.verdict import Judged
from outbound.workspace.campaigns import Campaign, find_campaign


@dataclass(frozen=True)
class MonthReport:
    month: str
    judged_on: str
    by: str
    lift: pd.DataFrame
    judged: list[Judged]
    campaigns: pd.DataFrame
    agents: pd.DataFrame
    days: pd.DataFrame
    waves: pd.DataFrame
    scores: pd.DataFrame
    agent_scores: pd.DataFrame
    tickets: TicketReport

    def sections(self) -> list[tuple[str, str, pd.DataFrame]]:
        """(name, title, table) of each part, in the order a reader wants them; the tickets
        are those received in the month the campaigns ran."""
        return [
            (
                "lift",
                f"campaigns of {self.month} judged on {self.judged_on} (95% intervals)",
                self.lift,
            ),
            ("campaigns", "reach and attempts per campaign", self.campaigns),
            ("agents", "quota attainment per agent", self.agents),
            ("days", "daily progress against quota", self.days),
            ("waves", "SMS and voice waves", self.waves),
            ("scores", "the customers' scores per campaign", self.scores),
            ("agent_scores", "the customers' scores per agent", self.agent_scores),
            *self.tickets.sections(),
        ]

    def document(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "judged_on": self.judged_on,
            "by": self.by,
            **{name: output.records(table) for name, _, table in self.sections()},
        }


def build(
    config: Config,
    engine: sa.Engine,
    campaigns: list[Campaign],
    month: str,
    by: str,
    name: str | None = None,
) -> MonthReport:
    """The report of MONTH: the lift of campaign NAME (or of every campaign with a success
    rule) broken down BY, and what NAME (or every campaign) did."""
    judged = [find_campaign(campaigns, name)] if name else verdict.with_success(campaigns)
    lift, funnels = verdict.month_report(config, engine, judged, month, by)
    scope = activity.Scope(month, campaigns=[name] if name else None)
    quotas = {c.name: c.spec.per_agent_per_day for c in campaigns}
    with engine.connect() as connection:
        work = activity.of_month(connection, scope, quotas, config.dispositions, config.tz)
        served = tickets.measure(config, connection, verdict.following_month(month))
    return MonthReport(
        month=month,
        judged_on=verdict.following_month(month),
        by=by,
        lift=lift,
        judged=funnels,
        campaigns=work.campaigns,
        agents=work.agents,
        days=work.days,
        waves=work.waves,
        scores=scores.table(engine, month, "campaign", name),
        agent_scores=scores.table(engine, month, "agent", name),
        tickets=served,
    )


def figures(report: MonthReport, say: charts.Say, titles: Mapping[str, str]) -> dict[str, Any]:
    """The month's charts, ready to go inline in a template: success rates, daily progress
    against quota, and each judged campaign's funnel; words through SAY, campaigns by TITLES."""
    return {
        "rates": Markup(
            charts.rates(report.lift, say("success rate with 95% intervals"), say, titles)
        ),
        "progress": Markup(charts.progress(report.days, say("daily progress against quota"), say)),
        "funnels": [
            (
                j.campaign,
                Markup(
                    charts.funnel(
                        [(say(step), count) for step, count in j.funnel()],
                        say(
                            "{campaign}: segment to success",
                            campaign=titles.get(j.campaign, j.campaign),
                        ),
                    )
                ),
            )
            for j in report.judged
        ],
    }
