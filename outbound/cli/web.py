"""`engine serve`: the web app (Twilio's webhooks for now)."""

from __future__ import annotations

import click

from outbound.cli import App, cli


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_obj
def serve_command(app: App, host: str, port: int) -> None:
    """Serve the web app. Behind a proxy, set [channels] public_url to the address Twilio calls:
    signatures are checked against it."""
    import uvicorn

    from outbound.web.app import create_app

    uvicorn.run(create_app(app.config, app.engine), host=host, port=port, log_level="info")
