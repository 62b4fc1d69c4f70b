"""The online query, independent of any web framework: ``GET /api/lookup?no=NO&dt=DATE``.

A front end calls :func:`lookup_answer` with the query's parameters and the
client's address, and sends back the status code and JSON body it returns.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import RegistryError, UsageError
from ..i18n import gettext as _
from ..i18n import using

if TYPE_CHECKING:
    from .store import Registry

__all__ = ["RateLimiter", "lookup_answer", "too_many"]


class RateLimiter:
    """At most ``per_minute`` lookups per client in any sliding 60 seconds.

    60 by default: a clerk checking certificates one by one, or a relying
    party with a pile of them, stays far below it (the issue asks for at
    least 30); a script walking through numbers meets it at once. Memory is
    bounded: past ``max_clients`` the least recently seen client is forgotten.
    """

    def __init__(
        self,
        per_minute: int = 60,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 1:
            raise UsageError(_("a rate limit allows at least one lookup a minute"))
        self.per_minute = per_minute
        self.max_clients = max_clients
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # a threaded server asks from many threads

    def allow(self, client: str) -> bool:
        """Count one lookup from ``client``; False when it is one too many."""
        now = self.clock()
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and times[0] <= now - 60:
                times.popleft()
            allowed = len(times) < self.per_minute
            if allowed:
                times.append(now)
            self._seen[client] = times  # most recently seen last
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            return allowed

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may look up again (0 when it may now): for Retry-After."""
        now = self.clock()
        with self._lock:
            times = self._seen.get(client)
            live = [t for t in times or () if t > now - 60]
            if len(live) < self.per_minute:
                return 0
            # The oldest lookup in the window leaves it 60 s after it was made.
            return max(1, math.ceil(live[-self.per_minute] + 60 - now))


def too_many(limiter: RateLimiter, client: str) -> tuple[int, dict[str, Any]]:
    """The 429 answer for a client past its limit."""
    wait = limiter.retry_after(client) or 1
    return 429, {"error": "too many lookups from this address: wait a minute", "retry_after": wait}


def _one(params: Mapping[str, Any], name: str) -> str | None:
    """One query parameter: a framework may give a list per name; two values are refused."""
    value = params.get(name)
    if isinstance(value, list | tuple):
        return value[0] if len(value) == 1 and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None


def lookup_answer(
    registry: Registry, params: Mapping[str, Any], client: str, limiter: RateLimiter | None
) -> tuple[int, dict[str, Any]]:
    """The answer to ``GET /api/lookup?no=NO&dt=DATE`` as (HTTP status, JSON body).

    200 with ``{"found": true, "status": ..., "record": {...}}`` or
    ``{"found": false}``; 400 for a missing or malformed parameter; 429 past
    the client's rate limit (``retry_after``: seconds to wait); 503 when the
    registry cannot be read. Errors name no number, date or database.

    ``limiter`` None: the caller has counted this lookup already (a server
    that refuses a flood on its event loop, before any thread or database).
    """
    if limiter is not None and not limiter.allow(client):
        return too_many(limiter, client)
    no, dt = _one(params, "no"), _one(params, "dt")
    if no is None or dt is None:
        return 400, {"error": "give the certificate number (no) and the date of the act (dt, YYYY-MM-DD)"}
    try:
        # The answer is JSON: its words stay English whatever the server's language.
        with using("en"):
            return 200, registry.lookup(no, dt)
    except UsageError as exc:
        return 400, {"error": exc.diagnostics()}
    except RegistryError:
        # The database's own words may name hosts or files: not for the public.
        return 503, {"error": "the registry cannot be reached now; try again later"}
