"""Commands on people and numbers: the agent roster, absences, the suppression list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import click

from outbound.cli import DATE, FORMAT, App, ChoiceOf, cli
from outbound.cli.audit import FULL_PHONES, phones_shown


@cli.group("agents")
def agents_group() -> None:
    """The agent roster: import it, list it, mark absences."""


@agents_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def agents_import(app: App, file: Path) -> None:
    """Load the roster from FILE.csv (agent_id/工号, name/姓名, team/班组, skills/技能,
    seniority/级别, capacity/日容量, supervisor/班长); agents not in it become inactive."""
    from outbound.staff import agents

    roster = agents.read_roster(file)
    active, dropped = agents.save_roster(app.engine, roster)
    click.echo(
        f"roster: {active} active agents" + (f", {dropped} made inactive" if dropped else "")
    )


@agents_group.command("list")
@DATE
@FORMAT
@click.pass_obj
def agents_list(app: App, date: dt.datetime | None, fmt: str) -> None:
    """The active agents, with who is absent on the day."""
    from outbound import output
    from outbound.staff import agents

    with app.engine.connect() as connection:
        roster = agents.roster_on(connection, app.day(date))
    roster["skills"] = roster["skills"].map("、".join)
    output.emit(fmt, roster, {"day": str(app.day(date)), "agents": output.records(roster)})


@agents_group.command("absent")
@click.argument("agent_id")
@DATE
@click.option("--reason", help="Leave, sick, training ...")
@click.pass_obj
def agents_absent(app: App, agent_id: str, date: dt.datetime | None, reason: str | None) -> None:
    """Mark AGENT_ID absent on the day: the run moves their work to colleagues."""
    from outbound.staff import agents

    day = app.day(date)
    agents.mark_absent(app.engine, agent_id, day, reason)
    click.echo(f"{agent_id} absent on {day}")


@cli.group("suppress")
def suppress_group() -> None:
    """The suppression list: numbers that may not be contacted, each on a channel and for a
    purpose (* for every one)."""


def _scope(command: Callable[..., None]) -> Callable[..., None]:
    """--reason, --channel and --purpose, the scope of what is added."""
    for option in reversed(
        [
            click.option(
                "--reason",
                type=ChoiceOf("outbound.contact.suppression:REASONS"),
                default="do_not_call",
                show_default=True,
            ),
            click.option(
                "--channel",
                type=ChoiceOf("outbound.contact.suppression:CHANNELS"),
                default="*",
                show_default=True,
                help="Bar only SMS, voice messages or calls.",
            ),
            click.option(
                "--purpose",
                type=ChoiceOf("outbound.contact.suppression:PURPOSES"),
                default="*",
                show_default=True,
                help="Bar only marketing, or only service (care callbacks, notices).",
            ),
        ]
    ):
        command = option(command)
    return command


@suppress_group.command("add")
@click.argument("phones", nargs=-1, required=True)
@_scope
@click.pass_obj
def suppress_add(
    app: App, phones: tuple[str, ...], reason: str, channel: str, purpose: str
) -> None:
    """Put PHONES on the suppression list."""
    from outbound.contact import suppression

    added, known = suppression.add_numbers(
        app.config, app.engine, list(phones), reason, "cli", channel=channel, purpose=purpose
    )
    click.echo(f"{added} added" + (f", {known} already there" if known else ""))


@suppress_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_scope
@click.pass_obj
def suppress_import(app: App, file: Path, reason: str, channel: str, purpose: str) -> None:
    """Put every number of FILE (the first column of a CSV, or one a line) on the list."""
    from outbound.contact import suppression

    numbers = suppression.read_numbers(file)
    added, known = suppression.add_numbers(
        app.config, app.engine, numbers, reason, file.name, channel=channel, purpose=purpose
    )
    click.echo(f"{file}: {added} added" + (f", {known} already there" if known else ""))


@suppress_group.command("list")
@FORMAT
@FULL_PHONES
@click.pass_obj
def suppress_list(app: App, fmt: str, full_phones: bool) -> None:
    """Every suppression, oldest first, with its scope and evidence (source and note)."""
    from outbound import output
    from outbound.contact import suppression

    frame = phones_shown(app, suppression.listing(app.engine), full_phones, "line_id")
    output.emit(fmt, frame, {"suppressions": output.records(frame)})
