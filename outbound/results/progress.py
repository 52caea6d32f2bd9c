"""How far each campaign has got: its work orders by state and its messages by delivery,
counted in the store with one grouped query each."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from outbound.messages.outbox import OUTBOX
from outbound.store.orders import OPEN_STATES, ORDERS

SENT_STATES = ("sent", "delivered", "undelivered")


@dataclass(frozen=True)
class Progress:
    created: int = 0
    open: int = 0
    done: int = 0
    converted: int = 0
    messages: int = 0
    sent: int = 0
    delivered: int = 0

    @property
    def closed_share(self) -> float:
        """Done work orders as a share of those created, 0 to 1."""
        return (self.done / self.created) if self.created else 0.0


def by_campaign(connection: sa.Connection) -> dict[str, Progress]:
    """Each campaign's progress; follow-up orders for other departments are not counted."""
    orders = connection.execute(
        sa.select(
            ORDERS.c.campaign,
            sa.func.count(),
            _count_where(ORDERS.c.state.in_(OPEN_STATES)),
            _count_where(ORDERS.c.state == "done"),
            _count_where(ORDERS.c.result == "converted"),
        )
        .where(ORDERS.c.channel != "followup")
        .group_by(ORDERS.c.campaign)
    ).all()
    messages = connection.execute(
        sa.select(
            OUTBOX.c.campaign,
            sa.func.count(),
            _count_where(OUTBOX.c.state.in_(SENT_STATES)),
            _count_where(OUTBOX.c.state == "delivered"),
        ).group_by(OUTBOX.c.campaign)
    ).all()
    sent = {name: (int(total), int(out), int(arrived)) for name, total, out, arrived in messages}
    found = {
        name: Progress(int(created), int(waiting), int(done), int(converted), *sent.pop(name, ()))
        for name, created, waiting, done, converted in orders
    }
    return found | {name: Progress(0, 0, 0, 0, *numbers) for name, numbers in sent.items()}


def _count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
