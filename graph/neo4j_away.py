"""Once the Neo4j server is found away, calls fail at once for a moment instead of each
waiting out the driver's retries (seconds): a crowd of requests then gets its 503 at once
instead of queueing behind each other. After the pause one call tries the server again (the
others still fail at once); when it answers, everything goes through again."""

from __future__ import annotations

import threading
import time

__all__ = ["Away", "PAUSE_S", "away"]

PAUSE_S = 2.0  # how long calls fail at once after the server was found away


class Away:
    """What one process knows about one server address (shared by the stores on it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0  # fail at once until then; 0: the server answered last time
        self._probing = False

    def enter(self) -> bool:
        """May this call go to the server? False: fail at once, it is away."""
        with self._lock:
            if not self._until:
                return True
            if self._probing or time.monotonic() < self._until:
                return False
            self._probing = True  # this call finds out whether it is back
            return True

    def answered(self) -> None:
        if not (self._until or self._probing):  # the usual case: nothing to lock for
            return
        with self._lock:
            self._until, self._probing = 0.0, False

    def gone(self) -> None:
        with self._lock:
            self._until, self._probing = time.monotonic() + PAUSE_S, False


_servers: dict[str, Away] = {}
_lock = threading.Lock()


def away(uri: str) -> Away:
    with _lock:
        return _servers.setdefault(uri, Away())
