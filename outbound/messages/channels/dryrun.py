"""The dry-run channel: messages appended to a JSON-lines file under var/outbox/, nothing sent."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from outbound.messages.channels import Outgoing


class DryRun:
    name = "dryrun"
    reports_status = False

    def __init__(self, folder: Path) -> None:
        self.path = folder / "dryrun.jsonl"
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        provider_id = f"dry-{message.id}"
        line = {
            "id": provider_id,
            "outbox": message.id,
            "channel": message.channel,
            "to": message.phone,
            "body": message.body,
            "at": message.sending_since.isoformat(),
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(line, ensure_ascii=False) + "\n")
        return provider_id

    def find(self, message: Outgoing) -> str | None:
        wanted = f"dry-{message.id}"
        if not self.path.is_file():
            return None
        with self.path.open(encoding="utf-8") as file:
            return wanted if any(json.loads(line)["id"] == wanted for line in file) else None
