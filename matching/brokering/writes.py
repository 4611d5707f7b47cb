"""Read-check-write in one store transaction, so a check holds across processes.

TEMPORARY: ``GraphStore.update(work)`` is coming to the store port (graph/store.py); until it
is on main, :func:`update` stands in for it. Delete this module and call ``store.update``
directly once it lands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from schakel.graph.local import LocalGraphStore
from schakel.graph.store import Batch, GraphStore, WriteResult

__all__ = ["update"]

# Stores without a write transaction to borrow (Neo4j here): safe in one process only.
_FALLBACK_LOCK = threading.RLock()


def update(store: GraphStore, work: Callable[[], Batch | None]) -> WriteResult:
    """Run ``work`` inside the store's write transaction and write the batch it returns
    (None: nothing). An error raised by ``work`` aborts with nothing written. ``work`` may run
    more than once, so it must have no side effects."""
    port = getattr(store, "update", None)
    if port is not None:
        return port(work)  # type: ignore[no-any-return]
    # The embedded store's BEGIN IMMEDIATE (after catching up with other processes) holds
    # across processes; store.write inside it joins that transaction.
    guard: AbstractContextManager[Any] = (
        store._writing() if isinstance(store, LocalGraphStore)  # noqa: SLF001
        else _FALLBACK_LOCK)
    with guard:
        batch = work()
        if batch is None:
            return WriteResult(0, 0)
        return store.write(batch.nodes, batch.relationships, replace=batch.replace)
