"""`engine scores`: the customers' scores after reached calls, and the replies a person must
read."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from outbound.cli import FORMAT, OUTPUT, App, ChoiceOf, cli
from outbound.cli.audit import FULL_PHONES, phones_shown


@cli.command("scores")
@click.option(
    "--month",
    help="Only the surveys after calls of this extract month's orders, YYYY-MM (default: all).",
)
@click.option(
    "--by",
    type=ChoiceOf("outbound.messages.scores:BY"),
    default="campaign",
    show_default=True,
    help="One row per campaign, or per agent who made the call.",
)
@click.option("--unparsed", is_flag=True, help="List the replies that could not be read instead.")
@FORMAT
@OUTPUT
@FULL_PHONES
@click.pass_obj
def scores_command(
    app: App,
    month: str | None,
    by: Literal["campaign", "agent"],
    unparsed: bool,
    fmt: str,
    output_path: Path | None,
    full_phones: bool,
) -> None:
    """NPS and satisfaction from the survey SMS sent after reached calls: asked, replies,
    scores, promoters (9-10, or 4-5 on satisfaction), passives and detractors (0-6, or 1-2).
    With --unparsed: the replies of unanswered surveys that a person must read."""
    from outbound import output
    from outbound.extract import snapshots
    from outbound.messages import scores

    month = month and snapshots.parse_month(month)
    shown = f" of {month}" if month else ""
    if unparsed:
        replies = output.in_zone(scores.unparsed(app.engine, month), app.config.tz)
        replies = phones_shown(app, replies, full_phones, "order_id")
        document = {"month": month, "count": len(replies), "replies": output.records(replies)}
        title = f"survey replies{shown} to read"
        output.emit(fmt, replies, document, title=title, output=output_path)
        return
    table = scores.table(app.engine, month, by)
    document = {"month": month, "by": by, "scores": output.records(table)}
    title = f"scores{shown} per {by}"
    output.emit(fmt, table, document, title=title, output=output_path)
