"""Commands of the SMS and voice channel: send, outbox, preview-message."""

from __future__ import annotations

import datetime as dt

import click

from outbound.cli import DATE, FORMAT, OUTPUT, App, cli, progress
from outbound.cli.audit import FULL_PHONES, phones_shown


@cli.command("send")
@DATE
@click.option("--campaign", help="Only this campaign's messages.")
@click.option("--dry-run", is_flag=True, help="Write to var/outbox/dryrun.jsonl, send nothing.")
@click.pass_obj
def send_command(app: App, date: dt.datetime | None, campaign: str | None, dry_run: bool) -> None:
    """Send the outbox's due SMS and voice messages, each exactly once, at the configured rate."""
    from outbound.messages import outbox, sending

    channel = sending.channel_for(app.config, dry_run)
    with app.engine.connect() as connection:
        due = len(outbox.due(connection, app.now(), date and date.date(), campaign))
    with progress(f"sending through {channel.name}", due, unit="messages") as advance:
        wave = sending.send_wave(
            app.config,
            app.engine,
            channel,
            app.now(),
            day=date and date.date(),
            campaign=campaign,
            progress=advance,
        )
    counts = ", ".join(f"{count} {word}" for word, count in sorted(wave.counts.items()))
    click.echo(f"{channel.name}: {counts or 'nothing due'} in {wave.seconds:.1f} s")
    if wave.settled_after_crash:
        click.echo(f"  {wave.settled_after_crash} left in sending by an earlier wave settled")
    if wave.still_unknown:
        grace = app.config.channels.lookup_grace_minutes
        click.echo(
            f"  {wave.still_unknown} maybe sent and not found at the provider yet: looked for "
            f"again by later waves, sent again only after {grace:g} minutes and two lookups"
        )
    if wave.waiting_for_window:
        marketing, service = app.config.channels.sending_window, app.config.policy.calling_hours
        click.echo(
            f"  {wave.waiting_for_window} messages wait outside their hours (marketing "
            f"{marketing[0]:%H:%M}–{marketing[1]:%H:%M}, service {service[0]:%H:%M}–"
            f"{service[1]:%H:%M})"
        )
    if wave.held_paused:
        click.echo(f"  {wave.held_paused} messages held: their campaign is paused")
    if wave.stopped:
        raise click.ClickException(f"the wave stopped: {wave.stopped}")


@cli.command("outbox")
@DATE
@click.option("--campaign", help="Only this campaign's messages.")
@click.option("--state", help="pending, sending, sent, delivered, undelivered, failed, blocked.")
@FORMAT
@OUTPUT
@FULL_PHONES
@click.pass_obj
def outbox_command(
    app: App,
    date: dt.datetime | None,
    campaign: str | None,
    state: str | None,
    fmt: str,
    output_path: click.Path | None,
    full_phones: bool,
) -> None:
    """The outbox: each message with its state, provider id and error."""
    from outbound import output
    from outbound.messages import outbox

    with app.engine.connect() as connection:
        rows = outbox.listing(connection, date and date.date(), campaign, state)
    rows = phones_shown(app, rows, full_phones, "id")
    counts = rows["state"].value_counts().to_dict()
    output.emit(
        fmt,
        rows,
        {"count": len(rows), "states": counts, "messages": output.records(rows)},
        output=output_path,  # type: ignore[arg-type]
    )


@cli.command("preview-message")
@click.argument("campaign")
@DATE
@click.option("--limit", default=5, show_default=True, type=click.IntRange(min=0))
@FORMAT
@FULL_PHONES
@click.pass_obj
def preview_message_command(
    app: App, campaign: str, date: dt.datetime | None, limit: int, fmt: str, full_phones: bool
) -> None:
    """Sample messages of CAMPAIGN as they will go, with characters and SMS segments, and the
    wave's total."""
    from outbound import output
    from outbound.plan import daily

    chosen, messages = daily.preview_messages(
        app.config, app.engine, campaign, app.day(date), app.now()
    )
    total = int(messages["segments"].sum())
    sample = phones_shown(app, messages.head(limit), full_phones, "line_id")
    document = {
        "campaign": chosen.name,
        "channel": chosen.spec.channel,
        "messages": len(messages),
        "segments": total,
        "sample": output.records(sample),
    }
    if fmt == "table":
        click.echo(
            f"{chosen.name} ({chosen.spec.channel}): {len(messages):,} messages, "
            f"{total:,} SMS segments in all"
        )
    output.emit(fmt, sample, document)
