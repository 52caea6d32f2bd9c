"""Commands of the daily work: run, calls, outcome, return, orders, report, why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from outbound.cli import DATE, FORMAT, FORMATS, OUTPUT, App, ChoiceOf, cli, fail_on
from outbound.cli.audit import FULL_PHONES, phones_shown

if TYPE_CHECKING:
    import pandas as pd

    from outbound.plan import daily
    from outbound.workspace.campaigns import Campaign

MOMENT = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"])


def _campaigns(app: App) -> dict[str, Campaign]:
    from outbound.workspace.campaigns import load_campaigns

    loaded, problems = load_campaigns(app.config)
    fail_on(problems)
    return {campaign.name: campaign for campaign in loaded}


def _operator() -> str:
    """Who records at the console without naming an agent: the system user, so marked."""
    import getpass

    return f"{getpass.getuser()} (console)"


@cli.command("run")
@DATE
@click.option(
    "--backfill",
    is_flag=True,
    help="Run a day before the latest one run: its new work only, later days' orders untouched.",
)
@click.pass_obj
def run_command(app: App, date: dt.datetime | None, backfill: bool) -> None:
    """The daily run: plan the campaigns, assign the calls, write the day's work orders.
    Running a day twice changes nothing."""
    from outbound import output
    from outbound.plan import daily
    from outbound.results import quality

    day = app.day(date)
    result = daily.run_day(
        app.config, app.engine, day, app.now(), backfill=backfill, measure=quality.agent_quality
    )
    if result.status == "already ran":
        click.echo(f"{day} already ran (extract {result.month}); nothing changed.")
        return
    click.echo(f"run of {day} on the {result.month} extract, {result.seconds:.1f} s")
    output.emit("table", _plans(result), {}, title="campaigns")
    existing = result.existing
    click.echo(
        f"earlier work: {existing.get('kept', 0)} kept by their agent, "
        f"{existing.get('moved', 0)} moved, {existing.get('callbacks', 0)} callbacks due, "
        f"{existing.get('unassigned', 0)} without an agent today, "
        f"{existing.get('of_ended_campaigns', 0)} of ended campaigns left open"
    )
    click.echo(f"deadlines: {result.warned} warned, {result.expired} expired")
    if len(result.unassigned):
        output.emit("table", result.unassigned, {}, title="not assigned today (kept open)")


def _plans(result: daily.DayResult) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(result.campaigns)


@cli.command("calls")
@click.option("--agent", required=True, help="The agent's id (工号).")
@DATE
@click.option("--limit", type=click.IntRange(min=0), help="Show only the first N calls.")
@FORMAT
@OUTPUT
@FULL_PHONES
@click.pass_obj
def calls_command(
    app: App,
    agent: str,
    date: dt.datetime | None,
    limit: int | None,
    fmt: str,
    output_path: Path | None,
    full_phones: bool,
) -> None:
    """AGENT's call list for the day, with each customer's script."""
    from outbound import output
    from outbound.orders import worklists

    day = app.day(date)
    with app.engine.connect() as connection:
        listed = output.in_zone(
            worklists.calls(connection, _campaigns(app), agent, day, app.now()), app.config.tz
        )
    count = len(listed)
    if limit is not None:
        listed = listed.head(limit)
    listed = phones_shown(app, listed, full_phones, "item")
    document = {"agent": agent, "date": str(day), "count": count, "calls": output.records(listed)}
    if fmt == "table" and output_path is None:
        click.echo(
            f"{agent}: {count} calls on {day}"
            + (f", the first {len(listed)}:" if len(listed) < count else "")
        )
        for row in listed.itertuples():
            click.echo(
                f"\n#{row.item}  {row.campaign}  {row.phone}  {row.region or ''}"
                + (f"  callback {row.callback_at:%H:%M}" if row.callback_at else "")
                + (f"  attempt {row.attempts + 1}" if row.attempts else "")
            )
            click.echo("  " + str(row.script).replace("\n", "\n  "))
        return
    output.emit(fmt, listed, document, output=output_path)


@cli.command("outcome")
@click.argument("item", type=int)
@click.option("--code", required=True, help="Disposition code from config.toml, e.g. no_answer.")
@click.option("--reason", help="Why (a reason code when the campaign asks for one).")
@click.option("--note", help="Free text for the record.")
@click.option("--callback-at", type=MOMENT, help="Callback time, 'YYYY-MM-DD HH:MM'.")
@click.option("--agent", help="Who records it (refused for another agent's item).")
@click.pass_obj
def outcome_command(
    app: App,
    item: int,
    code: str,
    reason: str | None,
    note: str | None,
    callback_at: dt.datetime | None,
    agent: str | None,
) -> None:
    """Record what happened with work order ITEM."""
    from outbound.orders import outcomes

    at = callback_at.replace(tzinfo=app.config.tz) if callback_at else None
    recorded = outcomes.record(
        app.config,
        app.engine,
        _campaigns(app),
        item,
        code,
        app.now(),
        agent=agent,
        by=None if agent else _operator(),
        reason=reason,
        note=note,
        callback_at=at,
    )
    message = f"work order {item}: {code} recorded; now {recorded.state}"
    if recorded.result:
        message += f" ({recorded.result})"
    if recorded.next_at:
        message += f", next attempt {recorded.next_at.astimezone(app.config.tz):%Y-%m-%d %H:%M}"
    if recorded.follow_up:
        message += f", follow-up order {recorded.follow_up} opened"
    click.echo(message)


@cli.command("return")
@click.argument("item", type=int)
@click.option("--agent", required=True, help="The agent giving the item back.")
@click.option("--reason", required=True, help="Why: wrong skill, cannot reach the owner ...")
@click.pass_obj
def return_command(app: App, item: int, agent: str, reason: str) -> None:
    """Give work order ITEM back; the next run assigns it to someone else."""
    from outbound.orders import outcomes

    outcomes.give_back(app.engine, item, agent, reason, app.now(), app.config.tz)
    click.echo(f"work order {item} returned; the next run reassigns it")


@cli.command("orders")
@click.option("--overdue", is_flag=True, help="Only open orders past their deadline.")
@click.option("--agent", help="Only this agent's orders.")
@click.option(
    "--state", type=ChoiceOf("outbound.store.orders:STATES"), help="Only orders in this state."
)
@click.option("--type", "kind", help="Only the orders of this ticket type (complaint) or campaign.")
@click.option("--history", "order_id", type=int, help="The event log of one order.")
@FULL_PHONES
@FORMAT
@OUTPUT
@click.pass_obj
def orders_command(
    app: App,
    overdue: bool,
    agent: str | None,
    state: str | None,
    kind: str | None,
    order_id: int | None,
    full_phones: bool,
    fmt: str,
    output_path: Path | None,
) -> None:
    """Work orders for supervisors: what is open, overdue, whose, and each one's history; with
    each order's reason, the agent's note, closing time, department, result and last code."""
    from outbound import output
    from outbound.errors import UserError
    from outbound.orders import steps, worklists
    from outbound.store import orders

    with app.engine.connect() as connection:
        if order_id is not None:
            events = output.in_zone(orders.history(connection, order_id), app.config.tz)
            if events.empty:
                raise UserError(f"no work order {order_id}")
            events.insert(2, "step", events["kind"].map(steps.step))
            events.insert(3, "name", events["kind"].map(steps.named))
            output.emit(
                fmt,
                events,
                {"order": order_id, "events": output.records(events)},
                output=output_path,
            )
            return
        if kind is not None:
            _known_kind(app, kind)
        listed = worklists.listing(
            connection, app.now(), overdue=overdue, agent=agent, state=state, kind=kind
        )
        listed = output.in_zone(listed, app.config.tz)
    listed = phones_shown(app, listed, full_phones, "id")
    output.emit(
        fmt, listed, {"count": len(listed), "orders": output.records(listed)}, output=output_path
    )


def _known_kind(app: App, kind: str) -> None:
    from outbound.errors import UserError

    known = [*app.config.settings.tickets, *_campaigns(app)]
    if kind not in known:
        raise UserError(
            f"no ticket type or campaign {kind!r}; ticket types: "
            f"{', '.join(app.config.settings.tickets) or 'none'}; campaigns: "
            f"{', '.join(_campaigns(app))}"
        )


@cli.command("reply")
@click.argument("order_id", type=int)
@click.option("--department", required=True, help="The department replying (装维部).")
@click.option(
    "--result",
    required=True,
    type=ChoiceOf("outbound.orders.replies:REPLIES"),
    help="fixed, cannot_fix (with --reason), needs_customer, or not_ours (back to the call "
    "center, or --forward-to another department).",
)
@click.option("--reason", help="Why (needed with cannot_fix).")
@click.option("--note", help="Free text for the record.")
@click.option("--forward-to", help="With not_ours: the department it belongs to.")
@click.option("--by", help="Who replies, for the log (default: the department).")
@click.pass_obj
def reply_command(
    app: App,
    order_id: int,
    department: str,
    result: str,
    reason: str | None,
    note: str | None,
    forward_to: str | None,
    by: str | None,
) -> None:
    """A department's reply (回单) to the follow-up ORDER_ID escalated to it."""
    from outbound.orders import replies

    replied = replies.reply(
        app.config,
        app.engine,
        order_id,
        department,
        result,
        app.now(),
        actor=by or department,
        reason=reason,
        note=note,
        forward_to=forward_to,
    )
    message = f"work order {order_id}: {result} recorded"
    if replied.recall:
        message += f"; re-callback {replied.recall} opened for the customer's first agent"
    if replied.forwarded:
        message += f"; follow-up {replied.forwarded} opened for {forward_to}"
    click.echo(message)


@cli.command("reopen")
@click.argument("order_id", type=int)
@click.option("--reason", required=True, help="Why it is opened again.")
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    default=24,
    show_default=True,
    help="The new deadline, this many hours from now.",
)
@click.option("--by", default="supervisor", show_default=True, help="Who reopens, for the log.")
@click.pass_obj
def reopen_command(app: App, order_id: int, reason: str, hours: float, by: str) -> None:
    """Open a closed or expired work order ORDER_ID again (a supervisor's decision)."""
    from outbound.orders import supervision

    due = supervision.reopen(app.engine, order_id, by, app.now(), hours, reason)
    click.echo(
        f"work order {order_id} reopened, due {due.astimezone(app.config.tz):%Y-%m-%d %H:%M}"
    )


@cli.command("report")
@DATE
@click.option("--week", help="The ISO week YYYY-Www (周报), e.g. 2026-W45.")
@click.option(
    "--month",
    help="The campaigns of this extract month YYYY-MM (月报), judged on the month after it, "
    "and the service in the month they were worked.",
)
@click.option(
    "--campaign",
    help="Only this campaign (or ticket type); alone, its month's results.",
)
@click.option(
    "--by",
    type=ChoiceOf("outbound.results.verdict:BREAKDOWNS"),
    default="campaign",
    show_default=True,
    help="With --month: the lift of the whole campaign, or per region, script version, agent "
    "or attempt count.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "html"]),
    default="table",
    show_default=True,
    help="table for people, csv or json for programs (csv on stdout: the first section), html "
    "a page with charts. --output F.xlsx writes a workbook, a sheet a section.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["zh", "en"]),
    help="The language of the html page and the workbook (default: [web] language).",
)
@OUTPUT
@click.pass_obj
def report_command(
    app: App,
    date: dt.datetime | None,
    week: str | None,
    month: str | None,
    campaign: str | None,
    by: str,
    fmt: str,
    language: str | None,
    output_path: Path | None,
) -> None:
    """The day's report (日报, the default: today), the week's (周报, --week) or the month's
    (月报, --month): progress on the lists — assigned, attempted, reached, converted, quota
    attainment, overdue — and the service: satisfaction and NPS against the targets, reasons,
    handling time, first-contact resolution and the agents' ranking. The month's report also
    judges its campaigns by their success rules on the next month's extract against their
    holdouts (Wilson 95% intervals, p-values), with reach, waves and scores."""
    from outbound import output
    from outbound.errors import UserError
    from outbound.results import period as periods
    from outbound.results import periodic, verdict
    from outbound.web.i18n import translator

    if sum(given is not None for given in (date, week, month)) > 1:
        raise UserError("give one of --date, --week and --month: a report covers one span")
    if campaign is not None:
        _known_kind(app, campaign)
    if week is not None:
        span = periods.week(week)
    elif month is not None or (campaign is not None and date is None):
        span = periods.month(verdict.judged_month(app.engine, month))
    else:
        span = periods.day(app.day(date))
    campaigns = list(_campaigns(app).values())
    report = periodic.build(app.config, app.engine, campaigns, span, app.now(), campaign, by)
    language = language or app.config.web.language
    titles = {c.name: c.spec.title or c.name for c in campaigns} | {
        name: kind.title for name, kind in app.config.settings.tickets.items()
    }
    say = translator(language)
    suffix = output_path.suffix.lower() if output_path is not None else None
    if fmt == "html" or suffix == ".html":
        html = periodic.page(report, say, language, titles)
        if output_path is None:
            click.echo(html)
        else:
            output_path.write_text(html, encoding="utf-8")
            click.echo(f"wrote {output_path}")
        return
    if output_path is not None and suffix == ".xlsx":
        periodic.workbook(report, output_path, say, titles)
        click.echo(f"wrote {output_path}")
        return
    sections = report.tables()
    if output_path is not None or fmt != "table":
        output.emit_sections(fmt, sections, report.document(), output=output_path)
        return
    titled = {name for name, _, _ in report.month.sections()} if report.month else set()
    for name, title, table in sections:
        if name == "lift":
            table = verdict.for_people(table)
        elif name in SCORE_COLUMNS:
            table = table[SCORE_COLUMNS[name]]
        output.print_table(table, title if name in titled else f"{title}, {report.period.label}")


# The scores on a terminal: the counts of the buckets are in json and the files.
_SCORES = ["asked", "replies", "reply_pct", "unparsed", "mean_score", "nps", "satisfaction_pct"]
SCORE_COLUMNS = {
    "scores": ["campaign", "scale", *_SCORES],
    "agent_scores": ["agent_id", "scale", *_SCORES],
}


@cli.command("why")
@click.argument("line_id")
@DATE
@FORMAT
@click.pass_obj
def why_command(app: App, line_id: str, date: dt.datetime | None, fmt: str) -> None:
    """Which rule kept LINE_ID out of which campaign on the day (or which order it has)."""
    from outbound import output
    from outbound.plan import daily, explain

    day = app.day(date)
    campaigns, chosen = daily.active(app.config, day)
    month, verdicts = explain.why(app.config, app.engine, campaigns, chosen, line_id, app.now())
    document = {
        "line_id": line_id,
        "date": str(day),
        "month": month,
        "campaigns": output.records(verdicts),
    }
    output.emit(fmt, verdicts, document, title=f"{line_id} on {day} ({month} extract)")


@cli.command("reassign")
@click.argument("order_id", type=int)
@click.option("--to", "to_agent", required=True, help="The agent who takes the order (工号).")
@click.option("--by", default="supervisor", show_default=True, help="Who moves it, for the log.")
@click.pass_obj
def reassign_command(app: App, order_id: int, to_agent: str, by: str) -> None:
    """Move work order ORDER_ID to another agent, onto their list today."""
    from outbound.orders import supervision

    moved = supervision.reassign(
        app.config, app.engine, _campaigns(app), order_id, to_agent, by, app.now()
    )
    click.echo(
        f"work order {order_id} moved from {moved.from_agent or 'nobody'} to {to_agent}; "
        f"now {moved.state}"
    )


@cli.command("urge")
@click.argument("order_id", type=int)
@click.option("--by", default="supervisor", show_default=True, help="Who urges, for the log.")
@click.pass_obj
def urge_command(app: App, order_id: int, by: str) -> None:
    """Urge whoever has work order ORDER_ID (logged in its history)."""
    from outbound.orders import supervision

    detail = supervision.urge(app.engine, order_id, by, app.now())
    click.echo(f"work order {order_id}: urged {detail}")
