"""Twilio's webhooks, checked against X-Twilio-Signature computed over the public URL Twilio
called (config's public_url: behind a proxy the host we see is not it)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator

from outbound.messages import receipts
from outbound.web.site import web_of

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
router = APIRouter(include_in_schema=False)


async def signed_form(request: Request) -> dict[str, str]:
    """The form Twilio posted, or 403 when its signature does not match."""
    config = web_of(request).config
    public_url = (config.channels.public_url or "").rstrip("/")
    twilio = config.channels.twilio
    form = {key: str(value) for key, value in (await request.form()).items()}
    query = f"?{request.url.query}" if request.url.query else ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if twilio is None or not public_url or not signature:
        raise HTTPException(status_code=403, detail="bad or missing X-Twilio-Signature")
    validator = RequestValidator(config.secret(twilio.auth_token_env))
    if not validator.validate(f"{public_url}{request.url.path}{query}", form, signature):
        raise HTTPException(status_code=403, detail="bad or missing X-Twilio-Signature")
    return form


@router.post("/twilio/status")
async def status(request: Request) -> Response:
    form = await signed_form(request)
    web = web_of(request)
    message = request.query_params.get("o")
    with web.engine.begin() as connection:
        done = receipts.delivery_status(
            connection, int(message) if message and message.isdigit() else None, form, web.clock()
        )
    return Response(done, media_type="text/plain")


@router.post("/twilio/inbound")
async def inbound(request: Request) -> Response:
    form = await signed_form(request)
    web = web_of(request)
    with web.engine.begin() as connection:
        receipts.inbound(connection, form, web.clock())
    return Response(EMPTY_TWIML, media_type="text/xml")
