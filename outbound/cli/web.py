"""`engine serve` (the web app and the scheduler), `engine scheduler`, `engine jobs`."""

from __future__ import annotations

import logging
import os
import signal
import threading

import click

from outbound.cli import FORMAT, App, cli


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Serve the web app only.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Web app processes (one per core); the scheduler runs once, in this process.",
)
@click.pass_obj
def serve_command(app: App, host: str, port: int, no_scheduler: bool, workers: int) -> None:
    """Serve the web app, and run the scheduler beside it. Behind a proxy, set [web] public_url
    and trusted_proxies (the app reads X-Forwarded-For itself, from those only), and [channels]
    public_url to the address Twilio calls: signatures are checked against it."""
    import uvicorn

    from outbound.schedule import scheduler
    from outbound.web.app import create_app
    from outbound.web.main import settled

    stop = threading.Event()
    if not no_scheduler:
        threading.Thread(
            target=scheduler.run, args=(app.config, app.engine, stop), daemon=True
        ).start()
    try:
        if workers == 1:
            served = settled(create_app(app.config, app.engine))
            uvicorn.run(served, host=host, port=port, proxy_headers=False)
        else:
            os.environ["ENGINE_WORKSPACE"] = str(app.workspace_dir)
            uvicorn.run(
                "outbound.web.main:from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                proxy_headers=False,
            )
    finally:
        stop.set()


@cli.command("scheduler")
@click.pass_obj
def scheduler_command(app: App) -> None:
    """Run the scheduler alone, in the foreground, until Ctrl-C (or SIGTERM). Several may run:
    one is elected, the others stand by."""
    from outbound.schedule import scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.run(app.config, app.engine, stop)


@cli.command("jobs")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@FORMAT
@click.pass_obj
def jobs_command(app: App, limit: int, fmt: str) -> None:
    """The scheduled jobs' latest runs: started, finished, failed with the error."""
    import sqlalchemy as sa

    from outbound import output
    from outbound.schedule import jobs
    from outbound.store import orders

    table = jobs.JOB_RUNS
    with app.engine.connect() as connection:
        runs = orders.frame(
            connection, sa.select(table).order_by(table.c.started_at.desc()).limit(limit)
        )
    stale = app.config.settings.schedule.stale_minutes
    runs["status"] = [
        "stuck" if jobs.stuck(run, stale) else run["status"] for run in runs.to_dict("records")
    ]
    runs = output.in_zone(runs, app.config.tz)
    output.emit(fmt, runs, {"runs": output.records(runs)})
