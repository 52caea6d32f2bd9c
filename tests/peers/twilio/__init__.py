"""A local server that speaks the part of Twilio's REST API the engine uses, and checks every
request against Twilio's own OpenAPI description (twilio_api_v2010.json beside this file):
unknown or missing parameters, wrong types, formats and patterns are recorded as violations.
Scripted answers drive the failure cases: 429 bursts, 5xx after creating, slow answers, error
codes."""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

SPEC = Path(__file__).with_name("twilio_api_v2010.json")
ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "local-test-auth-token"


@dataclass
class Answer:
    """What the server does with the next create request."""

    status: int = 201
    code: int | None = None
    create: bool = True  # the message exists afterwards, whatever the answer says
    sleep: float = 0.0
    # How the answer is cut: "before" closes the connection without a word once the request
    # was read; "midway" sends the headers and half the body, then closes.
    cut: str | None = None
    # Called with the created message before the answer goes: a status callback racing it.
    meanwhile: Callable[[Created], object] | None = None


@dataclass
class Created:
    sid: str
    kind: str  # Messages or Calls
    to: str
    body: str
    params: dict[str, list[str]]
    at: float  # time.monotonic() on arrival
    created: datetime

    @property
    def outbox_id(self) -> int | None:
        callback = self.params.get("StatusCallback", [""])[0]
        found = parse_qs(urlsplit(callback).query).get("o")
        return int(found[0]) if found else None


@dataclass
class TwilioPeer:
    spec: dict[str, Any]
    created: list[Created] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    script: deque[Answer] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    # How the lists lag: a record shows list_lag seconds after it was created, and the next
    # empty_lists list requests find nothing at all.
    list_lag: float = 0.0
    empty_lists: int = 0

    def operation(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
            match = re.match(pattern, path)
            if match and method.lower() in item:
                return item[method.lower()], match.groupdict()
        return None


def _schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _violations(name: str, values: list[str], schema: dict[str, Any]) -> list[str]:
    problems = []
    if schema.get("type") != "array" and len(values) > 1:
        problems.append(f"{name} given {len(values)} times")
    items = schema.get("items", {}) if schema.get("type") == "array" else schema
    for value in values:
        kind, fmt = items.get("type", "string"), items.get("format")
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            problems.append(f"{name}={value!r} is not an integer")
        if kind == "boolean" and value not in ("true", "false"):
            problems.append(f"{name}={value!r} is not a boolean")
        if "enum" in items and value not in items["enum"]:
            problems.append(f"{name}={value!r} not in {items['enum']}")
        if "pattern" in items and not re.search(items["pattern"], value):
            problems.append(f"{name}={value!r} does not match {items['pattern']}")
        if fmt == "uri":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or "_" in parts.hostname:
                problems.append(f"{name}={value!r} is not a URL Twilio accepts")
        if fmt == "phone-number" and not re.fullmatch(r"\+\d{6,15}", value):
            problems.append(f"{name}={value!r} is not an E.164 number")
        if fmt == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"{name}={value!r} is not a date-time")
    return problems


def _check(
    peer: TwilioPeer,
    operation: dict[str, Any],
    path_values: dict[str, str],
    params: dict[str, list[str]],
    form: bool,
) -> list[str]:
    problems = []
    declared = {
        p["name"]: _schema(peer.spec, p.get("schema", {})) for p in operation.get("parameters", [])
    }
    for name, value in path_values.items():
        problems += _violations(name, [value], declared.get(name, {}))
    if form:
        body = _schema(
            peer.spec,
            operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"],
        )
        known, required = body.get("properties", {}), body.get("required", [])
    else:
        known = {k: v for k, v in declared.items() if k not in path_values}
        required = [
            p["name"]
            for p in operation.get("parameters", [])
            if p.get("required") and p["in"] == "query"
        ]
    for name in required:
        if name not in params:
            problems.append(f"required parameter {name} is missing")
    for name, values in params.items():
        if name not in known:
            problems.append(f"unknown parameter {name}")
        else:
            problems += _violations(name, values, _schema(peer.spec, known[name]))
    return problems


def _resource(record: Created, account: str) -> dict[str, Any]:
    stamp = email.utils.format_datetime(record.created)
    common = {
        "sid": record.sid,
        "account_sid": account,
        "to": record.to,
        "from": record.params.get("From", [None])[0],
        "status": "queued",
        "date_created": stamp,
        "date_updated": stamp,
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{account}/{record.kind}/{record.sid}.json",
    }
    if record.kind == "Messages":
        return common | {
            "body": record.body,
            "messaging_service_sid": record.params.get("MessagingServiceSid", [None])[0],
            "num_segments": "1",
            "direction": "outbound-api",
            "date_sent": None,
            "error_code": None,
            "error_message": None,
        }
    return common | {"direction": "outbound-api", "start_time": None}


class _Handler(BaseHTTPRequestHandler):
    peer: TwilioPeer
    sids = itertools.count(1)

    def log_message(self, *args: Any) -> None:  # quiet
        return

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _cut(self, how: str, payload: dict[str, Any]) -> None:
        self.close_connection = True
        if how == "midway":
            data = json.dumps(payload).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)

    def _authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        return self.headers.get("Authorization") == expected

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        found = self.peer.operation("get", parts.path)
        if found is None or not self._authorised():
            self._reply(
                404 if found is None else 401,
                {"code": 20404, "message": "not found", "status": 404},
            )
            return
        params = parse_qs(parts.query, keep_blank_values=True)
        with self.peer.lock:
            self.peer.violations += [
                f"GET {parts.path}: {p}"
                for p in _check(self.peer, found[0], found[1], params, form=False)
            ]
        kind = "Messages" if parts.path.endswith("Messages.json") else "Calls"
        to = params.get("To", [None])[0]
        shown_before = time.monotonic() - self.peer.list_lag
        with self.peer.lock:
            records = [
                r
                for r in self.peer.created
                if r.kind == kind and (to is None or r.to == to) and r.at <= shown_before
            ]
            if self.peer.empty_lists:
                self.peer.empty_lists -= 1
                records = []
        if "StartTime>" in params:  # a call still queued has no start time yet
            records = [r for r in records if r.kind != "Calls"]
        key = kind.lower()
        page = [_resource(r, ACCOUNT) for r in reversed(records)]
        self._reply(
            200,
            {
                key: page,
                "end": len(page) - 1,
                "first_page_uri": parts.path,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": self.path,
            },
        )

    def do_POST(self) -> None:
        arrived = time.monotonic()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) < length:  # the client died mid-request: a server takes nothing of it
            self.close_connection = True
            return
        params = parse_qs(body.decode(), keep_blank_values=True)
        found = self.peer.operation("post", parts.path)
        if found is None or not self._authorised():
            self._reply(
                404 if found is None else 401,
                {"code": 20404, "message": "not found", "status": 404},
            )
            return
        with self.peer.lock:
            self.peer.violations += [
                f"POST {parts.path}: {p}"
                for p in _check(self.peer, found[0], found[1], params, form=True)
            ]
            self.peer.arrivals.append(arrived)
            answer = self.peer.script.popleft() if self.peer.script else Answer()
        kind = "Messages" if parts.path.endswith("Messages.json") else "Calls"
        record = None
        if answer.create:
            prefix = "SM" if kind == "Messages" else "CA"
            record = Created(
                f"{prefix}{next(self.sids):032x}",
                kind,
                params["To"][0],
                params.get("Body", params.get("Twiml", [""]))[0],
                params,
                arrived,
                datetime.now(UTC).replace(microsecond=0),
            )
            with self.peer.lock:
                self.peer.created.append(record)
        if answer.meanwhile is not None and record is not None:
            answer.meanwhile(record)
        if answer.sleep:
            time.sleep(answer.sleep)
        if answer.cut is not None:
            self._cut(answer.cut, _resource(record, ACCOUNT) if record else {})
            return
        if answer.status >= 300 or record is None:
            code = answer.code or answer.status
            self._reply(
                answer.status,
                {
                    "code": code,
                    "message": f"scripted error {code}",
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": answer.status,
                },
            )
            return
        self._reply(201, _resource(record, ACCOUNT))


def serve() -> tuple[TwilioPeer, ThreadingHTTPServer]:
    """A running peer on a free local port; stop it with server.shutdown()."""
    peer = TwilioPeer(json.loads(SPEC.read_text(encoding="utf-8")))
    handler = type("Handler", (_Handler,), {"peer": peer})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    peer.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return peer, server


def marketing_sms(count: int) -> pd.DataFrame:
    """COUNT marketing SMS to distinct mobiles, as outbox.add takes them: the waves the soak
    test and the sending bench send through the peer."""
    return pd.DataFrame(
        {
            "order_id": range(1, count + 1),
            "campaign": "high_spender_upsell",
            "channel": "sms",
            "line_id": [f"QY{i:010d}" for i in range(count)],
            "phone": [f"+86139{i:08d}" for i in range(count)],
            "text": "【中国电信】尊敬的客户，您本月话费188.13元，办理家家e可省更多。回复TD退订",
        }
    )
