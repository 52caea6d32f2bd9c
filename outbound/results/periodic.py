"""The reports a call center's manager is used to: 日报 (a day), 周报 (an ISO week) and 月报 (the
campaigns of an extract month, judged on the next, and everything done while they ran), each a
list of sections — a titled table, often with a chart — for a terminal, JSON, a workbook with a
sheet a section, or one self-contained HTML page with its charts inline. Words are English in
code and Chinese (or English) through the reader's translator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from outbound import output
from outbound.config import Config
from outbound.orders import worklists
from outbound.results import charts, handling, monthly, quality, reasons, verdict, versus
from outbound.results import period as periods
from outbound.results.lift import MIN_HOLDOUT, WARNINGS
from outbound.results.monthly import MonthReport
from outbound.results.period import Period
from outbound.workspace.campaigns import Campaign

TEMPLATES = Path(__file__).resolve().parent / "templates"
Say = charts.Say
Titles = Mapping[str, str]
# A section's chart: drawn from its table when the report is shown, in the reader's words.
Chart = Callable[[Say, Titles, pd.DataFrame], str]
ALL = reasons.ALL
# Codes in a table's cells that people read by a title.
LABELS = {"measure": quality.MEASURE_TITLES, "source": quality.SOURCE_TITLES}
# Excel refuses these in a sheet's name, and names longer than 31 characters.
_NOT_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Section:
    """One part of a report: NAME for programs, TITLE (English, translated when shown), its
    TABLE, and the chart drawn from it, if a person would rather look than read."""

    name: str
    title: str
    table: pd.DataFrame
    chart: Chart | None = None
    note: str | None = None


@dataclass(frozen=True)
class Report:
    """The sections of PERIOD (of CAMPAIGN alone, when given); a month's report also carries
    the lift and funnels of its campaigns (MONTH)."""

    period: Period
    campaign: str | None
    sections: list[Section]
    month: MonthReport | None = None

    def title(self, say: Say, titles: Titles) -> str:
        scope = titles.get(self.campaign, self.campaign) if self.campaign else None
        names = {
            "day": "Daily report {label}",
            "week": "Weekly report {label} ({first} to {last})",
            "month": "Monthly report: campaigns of {label}, worked in {worked}",
        }
        text = say(names[self.period.kind], **self._labels())
        return f"{text} · {scope}" if scope else text

    def _labels(self) -> dict[str, str]:
        labels = {
            "label": self.period.label,
            "first": self.period.first.isoformat(),
            "last": self.period.last.isoformat(),
        }
        if self.month is not None:
            labels["label"] = self.month.month
            labels["worked"] = self.period.label
        return labels

    def tables(self) -> list[tuple[str, str, pd.DataFrame]]:
        """(name, title, table) of each section, in reading order, as output.emit_sections wants."""
        return [*_month_tables(self), *((s.name, s.title, s.table) for s in self.sections)]

    def document(self) -> dict[str, Any]:
        head: dict[str, Any] = (
            {"month": self.month.month, "judged_on": self.month.judged_on, "by": self.month.by}
            if self.month is not None
            else {self.period.kind if self.period.kind != "day" else "date": self.period.label}
        )
        return {**head, **{name: output.records(table) for name, _, table in self.tables()}}


def build(
    config: Config,
    engine: sa.Engine,
    campaigns: list[Campaign],
    period: Period,
    now: dt.datetime,
    campaign: str | None = None,
    by: str = "campaign",
) -> Report:
    """The report of PERIOD: a day's or a week's progress on the lists (a month's report has
    the month's lift and activity instead), then the quality of the service in it."""
    if period.kind == "month":
        month = monthly.build(config, engine, campaigns, period.label, by, campaign)
        worked = periods.month(verdict.following_month(period.label))
        chosen = [c for c in campaigns if campaign in (None, c.name)]
        sections = [
            *_quality(config, engine, worked, campaign),
            *_handling(config, engine, worked, campaign),
            _versus(versus.versus(config, engine, chosen, period.label)),
            *_reasons(config, engine, campaigns, worked, campaign),
        ]
        return Report(worked, campaign, sections, month)
    with engine.connect() as connection:
        by_campaign, by_agent = worklists.report(
            connection,
            {c.name: c for c in campaigns},
            config.dispositions,
            period.first,
            now,
            config.tz,
            only=campaign,
            last=period.last,
        )
    progress = [
        Section("campaigns", "Progress per campaign", by_campaign, _attainment("campaign")),
        Section("agents", "Progress per agent", by_agent, _attainment("agent")),
    ]
    sections = [
        *progress,
        *_quality(config, engine, period, campaign),
        *_handling(config, engine, period, campaign),
        *_reasons(config, engine, campaigns, period, campaign),
    ]
    return Report(period, campaign, sections)


def _quality(
    config: Config, engine: sa.Engine, period: Period, campaign: str | None
) -> list[Section]:
    """The sections every report has, whatever its span: the service in PERIOD against the
    targets, what the customers said and how often they had to be called again; a week and a
    month rank the agents, quality first."""
    with engine.connect() as connection:
        measured = quality.against_targets(config, quality.measure(connection, config, period))
        said = quality.satisfaction(connection, config, period, campaign)
        by_agent = quality.satisfaction(connection, config, period, campaign, by="agent")
        fcr = quality.first_contact_resolution(connection, config, period)
        repeats = quality.repeat_contacts(connection, config, period)
        ranking = quality.ranking(connection, config, period) if period.kind != "day" else None
        complaints = (
            quality.repeat_complaints(connection, config, period)
            if period.kind == "month"
            else None
        )
    if campaign is not None:
        fcr, repeats = (table[table["type"] == campaign] for table in (fcr, repeats))
    sections = [
        Section("targets", "Targets", measured, _against_targets, _TARGETS_NOTE),
        Section("satisfaction", "Satisfaction and NPS by source", said, None, _SOURCES_NOTE),
        Section("satisfaction_agents", "Satisfaction per agent", by_agent),
        Section("first_contact", "First-contact resolution", fcr, _fcr, _FCR_NOTE),
        Section("repeats", "Repeat contacts", repeats),
    ]
    if complaints is not None:
        sections.append(Section("repeat_complaints", "Repeat complaints", complaints))
    if ranking is not None:
        sections.append(Section("ranking", "Ranking of the agents", ranking, None, _RANKING_NOTE))
    return sections


def _handling(
    config: Config, engine: sa.Engine, period: Period, campaign: str | None
) -> list[Section]:
    """How long a call takes, from the dial link clicked (or the switch's start) to the outcome
    saved (or the switch's end): per agent, campaign and script."""
    start, end = period.bounds(config.tz)
    with engine.connect() as connection:
        timed = handling.times(connection, config, start, end, campaign)
    return [
        Section(
            f"handling_{by}",
            title,
            handling.summary(timed, by),
            _handling_bars(by, title),
            _HANDLING_NOTE if by == "agent_id" else None,
        )
        for by, title in (
            ("agent_id", "Handling time per agent"),
            ("campaign", "Handling time per campaign"),
            ("script_version", "Handling time per script"),
        )
    ]


def _handling_bars(by: str, title: str) -> Chart:
    def draw(say: Say, titles: Titles, table: pd.DataFrame) -> str:
        names = [titles.get(str(v), str(v)) for v in table[by]]
        return charts.medians(
            names,
            [float(v) for v in table["median_seconds"]],
            [float(v) for v in table["p90_seconds"]],
            say(title),
            say,
        )

    return draw


def _versus(table: pd.DataFrame) -> Section:
    return Section("versus", "Script against script", table, _versus_bars, _VERSUS_NOTE)


def _versus_bars(say: Say, titles: Titles, table: pd.DataFrame) -> str:
    """Each campaign's two success rates, titled with what the test says of them."""
    return "".join(
        charts.shares(
            [(row.a, row.a_rate * 100), (row.b, row.b_rate * 100)],
            f"{titles.get(row.campaign, row.campaign)}: "
            + say(versus.VERDICTS[row.verdict], a=row.a, b=row.b),
        )
        for row in table.itertuples()
    )


def _reasons(
    config: Config,
    engine: sa.Engine,
    campaigns: list[Campaign],
    period: Period,
    campaign: str | None,
) -> list[Section]:
    """Why, in the customers' words as agents coded them: each campaign's reasons by region and
    agent, and over a week or a month by plan and week too, a row a value with a column a
    reason, and the shares as bars."""
    with engine.connect() as connection:
        found = reasons.recorded(config, connection, period, campaign)
    labels = reasons.labels_of(config, campaigns)
    breakdowns = ("region", "agent") if period.kind == "day" else reasons.BREAKDOWNS
    sections = []
    for by in breakdowns:
        counted = reasons.counted(found, labels, by)
        parts = [
            reasons.wide(rows).rename(columns={"value": by}).assign(campaign=name)
            for name, rows in counted.groupby("campaign", sort=True)
        ]
        table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if not table.empty:
            table = table[["campaign", *table.columns[:-1]]]
        title = _REASON_TITLES[by]
        sections.append(Section(f"reasons_{by}", title, table, _reason_bars(counted, title)))
    return sections


_REASON_TITLES = {
    "region": "Reasons by region",
    "plan": "Reasons by plan",
    "agent": "Reasons by agent",
    "week": "Reasons by week",
}


def _reason_bars(counted: pd.DataFrame, title: str) -> Chart:
    def draw(say: Say, titles: Titles, table: pd.DataFrame) -> str:
        return "".join(
            charts.reasons(rows, f"{titles.get(name, name)}: {say(title)}", say)
            for name, rows in counted.groupby("campaign", sort=True)
        )

    return draw


_HANDLING_NOTE = (
    "Seconds from the dial link clicked to the outcome saved, or the call's start to its end "
    "when a softphone or switch posted them (these take precedence)."
)
_VERSUS_NOTE = (
    "Two scripts of one campaign judged against each other on the month after: the difference "
    "of their success rates with its 95% interval and p-value, and each one's median handling "
    "time."
)
_TARGETS_NOTE = (
    "Each measure of the whole center against its target in config.toml; a miss is marked."
)
_SOURCES_NOTE = (
    "calls: the last satisfied or unsatisfied outcome of each call; survey: SMS scores of 1 to "
    "5, 4 and 5 satisfied; nps: 0 to 10, promoters 9 and 10 less detractors 0 to 6."
)
_FCR_NOTE = (
    "A first contact is resolved when the customer was not reached again for the same type "
    "within the first repeat window."
)
_RANKING_NOTE = (
    "Quality first: satisfaction, then first-contact resolution, then conversion, then quota "
    "attainment."
)


def _against_targets(say: Say, titles: Titles, table: pd.DataFrame) -> str:
    shown = table[table["value"].notna() & (table["measure"] != "nps")]
    items = [
        (
            f"{say(quality.MEASURE_TITLES[measure])} · {say(quality.SOURCE_TITLES[source])}",
            float(value) * 100,
            None if pd.isna(target) else float(target) * 100,
        )
        for measure, source, value, target in zip(
            shown["measure"], shown["source"], shown["value"], shown["target"], strict=True
        )
    ]
    return charts.targets(items, say("the center against its targets"), say)


def _fcr(say: Say, titles: Titles, table: pd.DataFrame) -> str:
    shown = table.dropna(subset=["fcr_rate"])
    items = [
        (titles.get(kind, kind), float(share) * 100)
        for kind, share in zip(shown["type"], shown["fcr_rate"], strict=True)
    ]
    return charts.shares(items, say("first-contact resolution"))


def _attainment(by: str) -> Chart:
    """Quota attainment of each row BY, as bars on a 0–100% scale."""

    def draw(say: Say, titles: Titles, table: pd.DataFrame) -> str:
        shown = table.dropna(subset=["quota_attained"])
        items = [
            (titles.get(name, name) if by == "campaign" else name, float(rate) * 100)
            for name, rate in zip(shown[by], shown["quota_attained"], strict=True)
        ]
        return charts.shares(items, say("quota attained"))

    return draw


def page(report: Report, say: Say, language: str, titles: Titles) -> str:
    """REPORT as one HTML page in LANGUAGE (SAY its translator), campaigns by TITLES."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
    month = report.month
    return environment.get_template("report.html").render(
        _=say,
        language=language,
        titles=titles,
        title=report.title(say, titles),
        month=month,
        labels=LABELS,
        warnings=WARNINGS,
        want=MIN_HOLDOUT,
        by=month.by if month else None,
        rows=output.records(month.lift) if month else [],
        month_sections=(
            {name: output.records(table) for name, _, table in month.sections()[1:]}
            if month
            else {}
        ),
        **(monthly.figures(month, say, titles) if month else {}),
        sections=[
            {
                "name": s.name,
                "title": say(s.title),
                "note": say(s.note) if s.note else None,
                "columns": list(s.table.columns),
                "rows": output.records(s.table),
                "chart": (
                    Markup(s.chart(say, titles, s.table)) if s.chart and not s.table.empty else None
                ),
            }
            for s in report.sections
        ],
    )


def workbook(report: Report, path: Path, say: Say, titles: Titles) -> None:
    """REPORT as an XLSX file at PATH: a sheet a section, named and headed in the reader's
    language, the report's title on each sheet's first row."""
    used: set[str] = set()
    parts = [(_SHEET_TITLES[name],) * 2 + (table,) for name, _, table in _month_tables(report)]
    parts += [(s.title, s.title, s.table) for s in report.sections]
    with pd.ExcelWriter(path) as book:
        for sheet_title, title, table in parts:
            sheet = _sheet_name(say(sheet_title), used)
            shown = _readable(
                pd.DataFrame(output.records(table), columns=table.columns), say, titles
            )
            shown.columns = [say(str(column).replace("_", " ")) for column in shown.columns]
            shown.to_excel(book, sheet_name=sheet, index=False, startrow=1)
            book.sheets[sheet].cell(row=1, column=1, value=say(title))


def _readable(table: pd.DataFrame, say: Say, titles: Titles) -> pd.DataFrame:
    """TABLE's codes as a reader reads them: campaigns and types by title, measures and sources
    by name, the whole ("all") in words."""
    for column in table.columns:
        if column in ("campaign", "type"):
            table[column] = table[column].map(lambda c: titles.get(c, c))
        elif column in LABELS:
            table[column] = table[column].map(lambda c, n=LABELS[column]: say(n.get(c, c)))
        elif column == "met":
            table[column] = table[column].map({True: say("met"), False: say("missed")})
    return table.replace({ALL: say(ALL)})


def _month_tables(report: Report) -> list[tuple[str, str, pd.DataFrame]]:
    return report.month.sections() if report.month is not None else []


# The month's sections by short titles, fit for a sheet's name and the reader's language.
_SHEET_TITLES = {
    "lift": "Lift",
    "campaigns": "Campaigns",
    "agents": "Agents",
    "days": "Days",
    "waves": "Waves",
    "scores": "Scores",
    "agent_scores": "Scores per agent",
    "ticket_types": "Tickets received",
    "departments": "Departments",
    "recalls": "Re-callbacks",
    "loop": "Reopened, re-escalated and overdue",
}


def _sheet_name(text: str, used: set[str]) -> str:
    name = text.translate(_NOT_IN_SHEET_NAMES).strip()[:31] or "sheet"
    candidate, number = name, 2
    while candidate in used:
        suffix = f" {number}"
        candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate)
    return candidate
