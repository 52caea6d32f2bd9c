"""Customers' numbers on the pages and in the API: masked for whoever asks; in full for an
agent on their own items (the dial link, not logged) and for the roles of [privacy]
full_phone_roles, whose every page or answer that shows one is written to the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from outbound import privacy
from outbound.extract import phones
from outbound.web.site import Viewer, web_of

# How an agent dials a number depends on the number and the country only, and parsing it takes
# phonenumbers a fifth of a millisecond: a list page shows a few dozen, asked again and again.
dialable = lru_cache(maxsize=64 * 1024)(phones.dialable)


class Sight:
    """What one request's viewer sees of numbers, and the full ones it was shown (by item)."""

    def __init__(self, viewer: Viewer, seen: privacy.Sight, country: str) -> None:
        self.viewer, self.seen, self.country = viewer, seen, country
        self.shown: dict[object, str] = {}

    @property
    def full(self) -> bool:
        """Whether numbers show in full, with a dial link on the pages."""
        return self.seen != "masked"

    def phone(self, item: object, phone: str) -> str:
        """PHONE of ITEM (an order id) as the viewer may see it."""
        if not self.full:
            return privacy.mask(phone)
        if self.seen == "granted":
            self.shown[item] = phone
        return phone

    def dialable(self, item: object, phone: str) -> str:
        """PHONE of ITEM as an agent dials it (0934-3955739), or masked."""
        shown = self.phone(item, phone)
        return dialable(shown, self.country) if self.full else shown


def sight(request: Request, viewer: Viewer, *, own: bool = False) -> Sight:
    """The request's Sight (one a request: the audit row counts all it showed): OWN items in
    full, else as the viewer's role is granted."""
    found: Sight | None = getattr(request.state, "sight", None)
    if found is None:
        web = web_of(request)
        seen = privacy.sight(viewer.role, web.config.privacy.full_phone_roles, own=own)
        found = Sight(viewer, seen, web.config.extract.country)
        request.state.sight = found
    return found


async def _audited(request: Request) -> AsyncIterator[None]:
    """After the page or answer is made (before it is sent): one audit row if it showed full
    numbers to a granted role. On the event loop (no thread to hop to and back) but for the
    write itself."""
    yield
    found: Sight | None = getattr(request.state, "sight", None)
    if found is None or not found.shown:
        return
    web = web_of(request)
    view = privacy.View(
        who=found.viewer.person.name,
        role=found.viewer.role,
        where=request.url.path,
        ids=tuple(found.shown),
        numbers=len(set(found.shown.values())),
    )
    await run_in_threadpool(privacy.record, web.engine, web.clock(), view)


# For the routers whose pages or answers show numbers: APIRouter(dependencies=[AUDITED]).
AUDITED = Depends(_audited, scope="function")
