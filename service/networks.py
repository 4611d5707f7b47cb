"""Network views for the map, brokers, gaps and exports: scope in, cached graph and metrics out.

Everything starts from ``AppState.visible_members()``, so members hidden from members never
reach a graph, a metric, a page or an export. Results are cached per store version (through
``AppState.cached``, which starts a fresh cache after every write) and per scope, a few at a
time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx

from schakel.graph.analytics import Analysis, analyse
from schakel.graph.network import ego_network, member_network

from .access import AccessStore, open_access
from .config import Settings
from .deps import AppState

T = TypeVar("T")
MAP_CAP = 2000  # nodes a browser draws smoothly; larger views ask for a filter
_KEEP = 16  # views per store version kept in memory


@dataclass(frozen=True)
class Scope:
    """Which part of the network a view shows. Values are ids or names, as in the filters."""

    theme: str | None = None
    region: str | None = None
    domain: str | None = None
    role: str | None = None
    ego: str | None = None
    depth: int = 1
    organisations: bool = False

    def key(self) -> tuple[Any, ...]:
        return tuple(asdict(self).values())


def _lru(state: AppState, name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    store: OrderedDict[tuple[Any, ...], Any] = state.cached(name, OrderedDict)
    if key in store:
        store.move_to_end(key)
        return store[key]  # type: ignore[no-any-return]
    value = compute()
    store[key] = value
    while len(store) > _KEEP:
        store.popitem(last=False)
    return value


def _base(state: AppState, organisations: bool) -> nx.Graph:
    """All visible members (and maybe their organisations); filtered views are subgraphs."""
    def build() -> nx.Graph:
        return member_network(state.store.snapshot(), state.visible_members(),
                              organisations=organisations)

    return state.cached(f"member_network:{organisations}", build)


def view_graph(state: AppState, scope: Scope) -> nx.Graph:
    """The graph of one scope (read-only: it is shared through the cache).

    Raises
    ------
    UnknownReferenceError
        A filter names no theme, region or domain.
    ScopeError
        The ego is not in the filtered view, or the depth is out of range.
    """
    def build() -> nx.Graph:
        ids = state.visible_member_ids(scope.theme, scope.region, scope.domain, scope.role)
        base = _base(state, scope.organisations)
        keep = set(ids)
        if scope.organisations:
            keep |= {base.nodes[m]["organisation"] for m in ids if base.nodes[m]["organisation"]}
        g = base.subgraph(keep)
        if scope.ego is not None:
            g = ego_network(g, scope.ego, scope.depth)
        return nx.freeze(g.copy())

    return _lru(state, "network_views", scope.key(), build)


def view_analysis(state: AppState, scope: Scope) -> Analysis:
    """Metrics of one scope, computed once per store version."""
    seed = state.settings.seed
    return _lru(state, "network_analyses", scope.key(),
                lambda: analyse(nx.Graph(view_graph(state, scope)), seed=seed))


def pseudonym_key(settings: Settings, access: AccessStore | None = None) -> bytes:
    """The installation's key for pseudonyms, so the same person gets the same pseudonym in
    every export of this installation. It lives in the access store (``access``, or one
    opened for the call), made once and atomically: workers starting together agree on it.
    A key file from before (``pseudoniem.key`` in the data dir) is adopted, not replaced."""
    legacy = Path(settings.data_dir) / "pseudoniem.key"
    proposal = legacy.read_bytes() if legacy.is_file() else None
    if access is not None:
        return access.secret("pseudoniem", proposal)
    opened = open_access(settings)
    try:
        return opened.secret("pseudoniem", proposal)
    finally:
        opened.close()
