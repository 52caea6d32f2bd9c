"""The FastAPI app. Twilio's webhooks are checked against X-Twilio-Signature, computed over the
public URL Twilio called (config's public_url: behind a proxy the host we see is not it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

from outbound import receipts
from outbound.config import Config

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def create_app(
    config: Config,
    engine: sa.Engine,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> FastAPI:
    app = FastAPI(title="Outbound campaign engine", docs_url=None, redoc_url=None)
    public_url = (config.channels.public_url or "").rstrip("/")
    twilio = config.channels.twilio
    validator = (
        RequestValidator(config.secret(twilio.auth_token_env)) if twilio and public_url else None
    )

    async def signed_form(request: Request) -> dict[str, str]:
        """The form Twilio posted, or 403 when its signature does not match."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        query = f"?{request.url.query}" if request.url.query else ""
        url = f"{public_url}{request.url.path}{query}"
        signature = request.headers.get("X-Twilio-Signature", "")
        if validator is None or not signature or not validator.validate(url, form, signature):
            raise HTTPException(status_code=403, detail="bad or missing X-Twilio-Signature")
        return form

    @app.post("/twilio/status")
    async def status(request: Request) -> Response:
        form = await signed_form(request)
        message = request.query_params.get("o")
        with engine.begin() as connection:
            done = receipts.delivery_status(
                connection, int(message) if message and message.isdigit() else None, form, clock()
            )
        return Response(done, media_type="text/plain")

    @app.post("/twilio/inbound")
    async def inbound(request: Request) -> Response:
        form = await signed_form(request)
        with engine.begin() as connection:
            receipts.inbound(connection, form, clock())
        return Response(EMPTY_TWIML, media_type="text/xml")

    return app
