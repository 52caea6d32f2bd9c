"""Tickets from other systems: a file now (engine tickets import), or the broker's stream."""

from __future__ import annotations

import json
from pathlib import Path

import click

from outbound.cli import App, cli


@cli.group("tickets")
def tickets_group() -> None:
    """Tickets (complaints, fault repairs, new installs) from other systems."""


@tickets_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def tickets_import(app: App, file: Path, fmt: str) -> None:
    """Take in the tickets of FILE (CSV or XLSX; columns external_id, source, type, line_id,
    phone, received_at, text, department). A ticket taken before is not taken again; a
    refused row is named with why, and the others are taken (exit status 1 when any was)."""
    from outbound.orders import intake

    summary = intake.take_file(app.config, app.engine, file, app.now())
    if fmt == "json":
        document = {
            "file": str(file),
            "read": summary.read,
            "taken": len(summary.taken),
            "repeated": summary.repeated,
            "dispatched": summary.dispatched,
            "refused": [
                {"row": p.row, "field": p.field, "message": p.message} for p in summary.problems
            ],
            "orders": sorted(summary.taken.values()),
            "warnings": summary.warnings,
        }
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{file.name}: {summary.said()}")
    for problem in summary.problems:
        click.echo(problem.said(str(file)), err=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    if summary.problems:
        click.get_current_context().exit(1)


@tickets_group.command("dispatch")
@click.pass_obj
def tickets_dispatch(app: App) -> None:
    """Dispatch the tickets waiting for an agent, if calling hours are open (the scheduler
    does it every few minutes)."""
    from outbound.orders import intake

    dispatched = intake.dispatch_waiting(app.config, app.engine, app.now())
    click.echo(f"{dispatched.count} tickets dispatched")
    for warning in dispatched.warnings:
        click.echo(f"warning: {warning}", err=True)


@tickets_group.command("report")
@click.option("--month", help="The month the tickets were received, YYYY-MM (default: this one).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_obj
def tickets_report(app: App, month: str | None, fmt: str) -> None:
    """How the month's tickets were served: per type and source, the first call after receipt
    (median, p90) and the share closed within the type's limit (the 72-hour rate); department
    reply times and on-time rates; re-callbacks; reopened, re-escalated and overdue orders."""
    from outbound import output
    from outbound.extract.snapshots import parse_month
    from outbound.results import tickets

    month = parse_month(month) if month else f"{app.now().astimezone(app.config.tz):%Y-%m}"
    with app.engine.connect() as connection:
        report = tickets.measure(app.config, connection, month)
    if fmt != "table":
        output.emit_sections(fmt, report.sections(), report.document())
        return
    for line in report.headline() or [f"no tickets received in {month}"]:
        click.echo(f"{month} {line}")
    for _, title, table in report.sections():
        output.print_table(table, title)


@cli.command("care")
@click.pass_obj
def care_command(app: App) -> None:
    """Open a care order for each unhappy customer not yet cared for: a call ended unsatisfied,
    or a survey score at or below config.toml [care]'s (the scheduler does it every few
    minutes)."""
    from outbound.orders import care

    if app.config.settings.care is None:
        click.echo("no [care] in config.toml: unhappy customers open no care orders")
        return
    taken = care.sweep(app.config, app.engine, app.now())
    click.echo(
        f"{len(taken.orders)} care orders opened ({taken.dispatched} dispatched), "
        f"{taken.repeated} already open"
    )
