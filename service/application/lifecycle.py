"""Opening the context one process works with, and closing it again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from schakel.graph.geo import Gazetteer
from schakel.graph.store import GraphStore

from ..access import open_access
from ..config import Settings
from ..context import AppState
from ..state import open_store


@contextmanager
def opened(settings: Settings, store: GraphStore | None = None) -> Iterator[AppState]:
    """The context for ``settings``: the store, the gazetteer and the accounts.

    A store passed in stays open afterwards (its owner closes it); one opened here is closed.

    Raises
    ------
    StoreError : the store cannot be opened.
    """
    graph = store if store is not None else open_store(settings)
    access = open_access(settings, graph)  # shared by every worker on the store
    try:
        ctx = AppState(settings, graph, Gazetteer.load(), access)
        try:
            yield ctx
        finally:
            ctx.close()  # stops following the change feed
    finally:
        access.close()
        if store is None:
            graph.close()
