"""Customers' numbers at the command line: every listing shows them masked, --full-phones in
full with the run written to the audit log; `engine audit` lists that log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from outbound.cli import FORMAT, OUTPUT, App, cli

if TYPE_CHECKING:
    import pandas as pd

FULL_PHONES = click.option(
    "--full-phones",
    is_flag=True,
    help="Show customers' numbers in full (written to the audit log: engine audit); "
    "masked (139****5678) without it.",
)


def phones_shown(app: App, frame: pd.DataFrame, full: bool, ids: str) -> pd.DataFrame:
    """FRAME as the running command may print it: masked, or in FULL with the run written to
    the audit log as the OS user's, naming the items of column IDS."""
    import getpass

    from outbound import privacy

    if not full:
        return privacy.masked(frame)
    view = privacy.View(
        who=getpass.getuser(),
        role=privacy.COMMAND,
        where=click.get_current_context().command_path,
        ids=tuple(frame[ids]),
        numbers=privacy.numbers_in(frame),
    )
    privacy.record(app.engine, app.now(), view)
    return frame


@cli.command("audit")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Only views from this day on, YYYY-MM-DD.",
)
@click.option("--who", help="Only the views of this user (or OS account, for a command).")
@FORMAT
@OUTPUT
@click.pass_obj
def audit_command(
    app: App, since: dt.datetime | None, who: str | None, fmt: str, output_path: Path | None
) -> None:
    """Every view of customers' full numbers outside an agent's own dial link, newest first:
    when, who, in what role, where (page, API or command), which items and how many numbers."""
    from outbound import output, privacy

    start = since.replace(tzinfo=app.config.tz) if since else None
    with app.engine.connect() as connection:
        views = output.in_zone(privacy.log(connection, start, who), app.config.tz)
    output.emit(
        fmt,
        views,
        {"count": len(views), "views": output.records(views)},
        title="views of full numbers",
        output=output_path,
    )
