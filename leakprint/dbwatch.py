"""``serve`` riding out a database outage: one log line per component when the
database goes away, one when it is back (with how long), retries with backoff in
between — and no tracebacks, since an outage is not a bug."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from leakprint.runs import is_outage, outage_reason

T = TypeVar("T")

FIRST_RETRY = 2.0
MAX_RETRY = 60.0


@dataclass
class _Down:
    since: float
    delay: float
    next_try: float


class DatabaseWatch:
    """Tracks, per component (``incident sync``, ``alert delivery``, ``job store``…),
    whether the database was reachable the last time it tried."""

    def __init__(self, log: logging.Logger, *, first_retry: float = FIRST_RETRY,
                 max_retry: float = MAX_RETRY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.clock = clock
        self._down: dict[str, _Down] = {}
        self._lock = threading.Lock()

    def is_down(self, component: str) -> bool:
        with self._lock:
            return component in self._down

    def ready(self, component: str) -> bool:
        """Whether ``component`` should try the database now (backoff while it is away)."""
        with self._lock:
            down = self._down.get(component)
            return down is None or self.clock() >= down.next_try

    def failed(self, component: str, exc: BaseException) -> None:
        """The database was away for ``component``: the first time, one line."""
        now = self.clock()
        with self._lock:
            down = self._down.get(component)
            if down is None:
                self._down[component] = _Down(now, self.first_retry, now + self.first_retry)
            else:
                down.delay = min(self.max_retry, down.delay * 2)
                down.next_try = now + down.delay
                return
        self.log.warning("%s: database unreachable (%s); retrying with backoff",
                         component, outage_reason(exc))

    def ok(self, component: str) -> float | None:
        """``component`` reached the database: if it was away, one line; the outage's
        length in seconds (``None`` if there was none)."""
        with self._lock:
            down = self._down.pop(component, None)
        if down is None:
            return None
        seconds = self.clock() - down.since
        self.log.info("%s: database back after %.0f s", component, seconds)
        return seconds

    def call(self, component: str, fn: Callable[[], T]) -> T | None:
        """Run ``fn`` unless backing off; an outage is noted (``None`` returned), any
        other error goes on."""
        if not self.ready(component):
            return None
        try:
            result = fn()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.failed(component, exc)
            return None
        self.ok(component)
        return result
