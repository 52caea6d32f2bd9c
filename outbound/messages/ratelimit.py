"""A rate that is never exceeded in any one-second window and is nearly reached by
concurrent senders: callers are released one at a time, each when its turn comes."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Requests released a second apart can arrive a little closer: a small margin absorbs that.
MARGIN_SECONDS = 0.03


class RateLimit:
    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spacing = 1.0 / per_second
        self.per_window = max(1, int(per_second))
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._released: deque[float] = deque(maxlen=self.per_window)

    def wait(self) -> None:
        """Block until this caller may send. The lock is held while waiting, so that the
        recorded times are the real release times, in order."""
        with self._lock:
            slot = self.clock()
            if self._released:
                slot = max(slot, self._released[-1] + self.spacing)
            if len(self._released) == self.per_window:
                slot = max(slot, self._released[0] + 1.0 + MARGIN_SECONDS)
            delay = slot - self.clock()
            if delay > 0:
                self.sleep(delay)
            self._released.append(self.clock())
