"""The Twilio channel: SMS by messages.create, voice by calls.create with TwiML that says the
text. Twilio takes no idempotency key, so a send whose answer is lost is reported as unknown
and looked up (find) before anything is sent again."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from outbound.config import TwilioSettings
from outbound.messages.channels import Outgoing, TransportError

# What Twilio's error codes mean for us (see its error dictionary).
WRONG_NUMBER = {"21211", "21614", "30005", "30006"}
OPTED_OUT = {"21610"}
# About the account, the sender or the region: nothing more can go. Codes about one recipient
# or one message (21612 unreachable by SMS, 21617 body too long) fail that message alone.
STOP_WAVE = {"20003", "20404", "21408", "21606", "21611", "21659", "21660"}
TWIML_LIMIT = 4000
# XML 1.0 takes tab, line feed and carriage return of the C0 controls; Twilio rejects the rest.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class Twilio:
    name = "twilio"
    reports_status = True

    def __init__(
        self, settings: TwilioSettings, account_sid: str, auth_token: str, public_url: str
    ) -> None:
        self.settings = settings
        # Without a timeout a request may hang for ever; with one, a timeout means "unknown".
        http = TwilioHttpClient(timeout=settings.timeout_seconds)
        self.client = Client(account_sid, auth_token, http_client=http)
        self.client.api.base_url = settings.api_base.rstrip("/")
        self.callback_base = public_url.rstrip("/") + "/twilio/status"

    def send(self, message: Outgoing) -> str:
        # The outbox id in the callback URL: a signed callback finds its row even when the
        # process died before it saved the sid.
        callback = f"{self.callback_base}?o={message.id}"
        try:
            if message.channel == "voice":
                return self._call(message, callback)
            return self._sms(message, callback)
        except TwilioRestException as exc:
            raise _mapped(exc.status, str(exc.code or exc.status), exc.msg) from None
        except TwilioException as exc:
            code = str(getattr(exc, "code", "") or "")
            raise TransportError(f"Twilio: {exc}", "failed", code or None) from None
        except requests.ConnectionError as exc:
            if _never_left(exc):  # nothing was sent; Twilio is down or out of reach for now
                raise TransportError(f"cannot reach Twilio: {exc}", "stop_wave") from None
            raise TransportError(
                f"the connection to Twilio broke after the request: {exc}", "unknown"
            ) from None
        except (requests.RequestException, ValueError) as exc:
            # A timeout, an answer cut off or unreadable: the message may exist all the same.
            raise TransportError(f"Twilio's answer was lost: {exc}", "unknown") from None

    def _sms(self, message: Outgoing, callback: str) -> str:
        sender = (
            {"messaging_service_sid": self.settings.messaging_service_sid}
            if self.settings.messaging_service_sid
            else {"from_": self.settings.from_number}
        )
        sent = self.client.messages.create(
            to=message.phone, body=message.body, status_callback=callback, **sender
        )
        return _sid(sent.sid)

    def _call(self, message: Outgoing, callback: str) -> str:
        if not self.settings.voice_from:
            raise TransportError("voice needs [channels.twilio] voice_from", "stop_wave")
        twiml = voice_twiml(message.body, self.settings.voice_language)
        if len(twiml) > TWIML_LIMIT:
            raise TransportError(
                f"the voice text is over Twilio's {TWIML_LIMIT} characters", "failed"
            )
        call = self.client.calls.create(
            to=message.phone,
            from_=self.settings.voice_from,
            twiml=twiml,
            status_callback=callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
        return _sid(call.sid)

    def find(self, message: Outgoing) -> str | None:
        since = message.sending_since - dt.timedelta(minutes=1)
        try:
            if message.channel == "voice":
                # By creation time: a call still queued has no start time to list it by.
                for call in self.client.calls.list(to=message.phone, limit=50):
                    if call.date_created is None or call.date_created >= since:
                        return str(call.sid)
                return None
            for sent in self.client.messages.list(to=message.phone, limit=50):
                created = sent.date_created
                if sent.body == message.body and (created is None or created >= since):
                    return str(sent.sid)
        except TwilioException as exc:
            raise TransportError(
                f"cannot ask Twilio about message {message.id}: {exc}", "unknown"
            ) from None
        except requests.RequestException as exc:
            raise TransportError(f"cannot reach Twilio: {exc}", "unknown") from None
        return None


def voice_twiml(text: str, language: str) -> str:
    """TwiML that plays TEXT when it is the URL of a recording (.mp3, .wav, a query string
    allowed), else says it; characters XML cannot carry are left out."""
    text = _NOT_IN_XML.sub("", text)
    url = urlsplit(text.strip())
    if (
        url.scheme in ("http", "https")
        and url.netloc
        and re.search(r"\.(mp3|wav)$", url.path, re.IGNORECASE)
    ):
        return f"<Response><Play>{escape(text.strip())}</Play></Response>"
    return f'<Response><Say language="{escape(language)}">{escape(text)}</Say></Response>'


def _never_left(error: requests.ConnectionError) -> bool:
    """Whether the connection failed before the request was sent (refused, no route, name not
    found, connect timeout): only then is sending again safe without asking."""
    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", cause), ConnectTimeoutError)


def _sid(sid: object) -> str:
    if not isinstance(sid, str) or not sid:
        raise TransportError("Twilio's answer carried no sid", "unknown")
    return sid


def _mapped(status: int, code: str, text: str) -> TransportError:
    if status == 429 or code == "20429":
        return TransportError(f"Twilio: too many requests ({code})", "retry", code)
    if status >= 500:
        # A 5xx may still have created the message: ask before sending again.
        return TransportError(f"Twilio answered {status}", "unknown", code)
    if code in WRONG_NUMBER:
        return TransportError(f"Twilio {code}: {text}", "wrong_number", code)
    if code in OPTED_OUT:
        return TransportError(f"Twilio {code}: the customer has opted out (STOP)", "opt_out", code)
    if code in STOP_WAVE:
        return TransportError(f"Twilio {code}: {text}", "stop_wave", code)
    return TransportError(f"Twilio {code}: {text}", "failed", code)
