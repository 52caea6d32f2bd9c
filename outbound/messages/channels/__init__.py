"""Where messages leave: one module a channel, one error type that says what to do next.
A channel knows config.toml and the message in hand, nothing of the outbox or the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

Effect = Literal["retry", "unknown", "wrong_number", "opt_out", "stop_wave", "failed"]


class TransportError(Exception):
    """A send that did not go as asked. EFFECT says what follows: retry (not sent; try again
    later), unknown (maybe sent: ask the provider before trying again), wrong_number and
    opt_out (not sent; suppress the number), stop_wave (nothing more can go: say why), failed
    (this message cannot go)."""

    def __init__(self, message: str, effect: Effect, code: str | None = None) -> None:
        super().__init__(message)
        self.effect: Effect = effect
        self.code = code


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str  # sms or voice
    phone: str
    body: str
    sending_since: dt.datetime


class Channel(Protocol):
    name: str
    # Whether the provider calls back with delivery statuses, which close the messages' orders;
    # without them an order is closed when its message is sent.
    reports_status: bool

    def send(self, message: Outgoing) -> str:
        """Hand MESSAGE over; the provider's id for it. Raises TransportError."""
        ...

    def find(self, message: Outgoing) -> str | None:
        """The provider's id of MESSAGE if the provider has it (a send whose answer was lost)."""
        ...
