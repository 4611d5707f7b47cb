"""Network analytics on the expert pool graph: centrality, communities, cut points, brokers.

One entry point, :func:`analyse`, computes everything for one (filtered) view and times
each step, so callers can cache the result per store version. Randomised steps take a seed:
the same graph and seed give the same answer.

Sizes: betweenness is exact up to ``EXACT_LIMIT`` nodes; above it Brandes' algorithm runs
from ``SAMPLES`` sources chosen with the seed (networkx's ``k``) and is rescaled, which
estimates every node's betweenness with error shrinking like ``1/sqrt(k)``. Closeness is
exact up to ``EXACT_LIMIT`` nodes; above it each node's mean distance is estimated from
breadth-first searches from ``SAMPLES`` pivots (Eppstein & Wang 2004).

Backends: networkx is the reference and runs small graphs; from ``COMPILED_FROM`` nodes the
same metrics come from igraph and numpy (``compiled.py``), with the same sources, pivots and
formulas, so every number but the communities is equal up to float rounding. Communities come
from another Louvain implementation: a slightly different partition of the same quality.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx
import numpy as np

from .brokerage import BROKER_ROLES, brokerage_roles, constraint, effective_size

__all__ = ["EXACT_LIMIT", "SAMPLES", "METRICS", "COMPILED_FROM", "BACKENDS", "Analysis",
           "analyse", "analyse_arrays", "sampled_closeness"]

logger = logging.getLogger(__name__)

EXACT_LIMIT = 1000
SAMPLES = 100
# igraph is faster at every size measured (30 nodes: 0.7 against 15 ms; 1,000: 0.06 against
# 1 s); below this networkx, the reference, answers in well under 0.1 s, so small views and
# the hand-worked examples keep running on it.
COMPILED_FROM = 100
BACKENDS = ("auto", "networkx", "igraph")
# Per-node numbers, in the order pages offer them for sizing nodes.
METRICS = ("degree", "betweenness", "closeness", "constraint", "effective_size", "brokerage")
T = TypeVar("T")
# Calls a compiled step, here or in another process: run(compute, arrays, seed=..., k=...).
Runner = Callable[..., Any]


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` found for one graph. Treat it as read-only (it is cached)."""

    nodes: int
    edges: int
    metrics: Mapping[str, Mapping[Hashable, float]]
    communities: Mapping[Hashable, int]
    bridges: list[tuple[Hashable, Hashable]]
    articulation_points: frozenset[Hashable]
    roles: Mapping[Hashable, dict[str, int]]
    method: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    def row(self, node: Hashable) -> dict[str, Any]:
        """Every number for one node, as a plain dict (metrics absent where undefined)."""
        out: dict[str, Any] = {m: values[node] for m, values in self.metrics.items()
                               if node in values}
        out["community"] = self.communities.get(node)
        out["articulation_point"] = node in self.articulation_points
        out["roles"] = dict(self.roles.get(node, {}))
        return out


class Column(Mapping[Hashable, Any]):
    """One value per node, read-only: an array and an index shared by every column. At
    100,000 nodes a dict per metric (and one per node for the roles) costs tens of megabytes
    and seconds to build; this costs the array. ``nan`` marks a node without a value."""

    __slots__ = ("_index", "_values", "_defined")

    def __init__(self, index: Mapping[Hashable, int], values: np.ndarray) -> None:
        self._index = index
        self._values = values
        self._defined = ~np.isnan(values) if values.dtype.kind == "f" else None

    def __getitem__(self, node: Hashable) -> Any:
        i = self._index[node]
        if self._defined is not None and not self._defined[i]:
            raise KeyError(node)
        return self._values[i].item()

    def __contains__(self, node: object) -> bool:
        i = self._index.get(node)  # type: ignore[call-overload]
        return i is not None and (self._defined is None or bool(self._defined[i]))

    def __iter__(self) -> Iterator[Hashable]:
        if self._defined is None:
            return iter(self._index)
        return (v for v, ok in zip(self._index, self._defined.tolist(), strict=True) if ok)

    def __len__(self) -> int:
        return len(self._index) if self._defined is None else int(self._defined.sum())


class Roles(Mapping[Hashable, dict[str, int]]):
    """Brokerage role counts per node (``BROKER_ROLES`` plus ``"total"``), from one table."""

    __slots__ = ("_index", "_table")

    def __init__(self, index: Mapping[Hashable, int], table: np.ndarray) -> None:
        self._index = index
        self._table = table

    def __getitem__(self, node: Hashable) -> dict[str, int]:
        return dict(zip((*BROKER_ROLES, "total"), self._table[self._index[node]].tolist(),
                        strict=True))

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def sampled_closeness(g: nx.Graph, k: int, seed: int | None = None) -> dict[Hashable, float]:
    """Closeness estimated from breadth-first searches from ``k`` random pivots.

    For node ``v`` in a component of ``r`` nodes, the mean distance from the pivots in that
    component estimates ``v``'s mean distance to the component; the result is scaled as
    networkx's ``closeness_centrality`` (Wasserman–Faust): ``(r-1)/(n-1) / mean``. Nodes in
    a component without a pivot get a pivot of their own component (every component gets
    at least one, so isolated and small groups are never left out).
    """
    n = len(g)
    if n < 2:
        return dict.fromkeys(g, 0.0)
    rng = random.Random(seed)
    components = [sorted(c, key=str) for c in nx.connected_components(g)]
    chosen = set(rng.sample(sorted(g, key=str), min(k, n)))
    totals: dict[Hashable, float] = dict.fromkeys(g, 0.0)
    counts: dict[Hashable, int] = dict.fromkeys(g, 0)
    out: dict[Hashable, float] = {}
    for comp in components:
        r = len(comp)
        if r == 1:
            out[comp[0]] = 0.0
            continue
        pivots = [p for p in comp if p in chosen] or [rng.choice(comp)]
        for p in pivots:
            for v, d in nx.single_source_shortest_path_length(g, p).items():
                totals[v] += d
                counts[v] += 1
        for v in comp:
            # A pivot's distance to itself (0) is not a sample of v's distance to others.
            samples = counts[v] - (1 if v in pivots else 0)
            mean = totals[v] / samples if samples else 0.0
            out[v] = (r - 1) / (n - 1) / mean if mean > 0 else 0.0
    return out


def analyse(g: nx.Graph, *, seed: int = 7, exact_limit: int = EXACT_LIMIT,
            samples: int = SAMPLES, domain_attr: str = "domain",
            backend: str = "auto", run: Runner | None = None) -> Analysis:
    """Every metric of the network map for one undirected graph.

    Parameters
    ----------
    g : simple undirected graph (see ``network.member_network``).
    seed : seeds sampling and Louvain, so a view looks the same each time.
    exact_limit : largest node count for exact betweenness and closeness.
    samples : sources (betweenness) and pivots (closeness) above ``exact_limit``.
    domain_attr : node attribute holding the group for brokerage roles.
    backend : "networkx", "igraph", or "auto" (igraph from ``COMPILED_FROM`` nodes).
    run : calls the compiled computation, ``run(compute, arrays, seed=..., k=...)``; the
        service passes one that runs it in another process. Default: here.

    Returns
    -------
    Analysis
        ``metrics`` holds degree (count of neighbours), betweenness and closeness
        (normalised as networkx), Burt's constraint and effective size, and brokerage (total
        Gould–Fernandez count); ``communities`` maps nodes to Louvain community numbers,
        largest community first; ``timings`` holds seconds per step; ``method`` says how
        each estimate was made and which backend ran.

    Raises
    ------
    networkx.NetworkXNotImplemented
        For directed graphs or multigraphs.

    Examples
    --------
    Two triangles joined by one edge: the joining edge is the bridge, its ends the cut
    points, and Louvain finds the two triangles.

    >>> g = nx.Graph([(1, 2), (2, 3), (1, 3), (3, 4), (4, 5), (5, 6), (4, 6)])
    >>> a = analyse(g)
    >>> a.bridges, sorted(a.articulation_points)
    ([(3, 4)], [3, 4])
    >>> a.communities[1] == a.communities[2] != a.communities[5]
    True
    """
    if g.is_directed() or g.is_multigraph():
        raise nx.NetworkXNotImplemented("analyse expects a simple undirected graph")
    timings: dict[str, float] = {}
    begun = time.perf_counter()

    def timed(name: str, compute: Callable[[], T]) -> T:
        started = time.perf_counter()
        value = compute()
        timings[name] = round(time.perf_counter() - started, 4)
        return value

    n = len(g)
    exact = n <= exact_limit
    k = min(samples, n)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    compiled = backend == "igraph" or (backend == "auto" and n >= COMPILED_FROM)
    if compiled:
        from .compiled import Arrays  # igraph loads only when a large graph needs it

        nodes, arrays = timed("arrays", lambda: Arrays.of(g, domain_attr))
        return analyse_arrays(nodes, arrays, seed=seed, exact_limit=exact_limit,
                              samples=samples, run=run, timings=timings)
    parts = _reference(g, seed, None if exact else k, domain_attr, timed)
    logger.debug("analysed %s nodes in %.2f s", n, time.perf_counter() - begun)
    return _analysis(n, g.number_of_edges(), parts, exact, k, seed, "networkx", timings)


def analyse_arrays(nodes: list[Hashable], arrays: Any, *, seed: int = 7,
                   exact_limit: int = EXACT_LIMIT, samples: int = SAMPLES,
                   run: Runner | None = None,
                   timings: dict[str, float] | None = None) -> Analysis:
    """:func:`analyse` on the compiled backend for a graph given as ``compiled.Arrays``
    (vertex ``i`` is ``nodes[i]``): the service builds these straight from its projection,
    without a networkx graph of 100,000 members."""
    timings = {} if timings is None else timings
    n = len(nodes)
    exact = n <= exact_limit
    k = min(samples, n)
    parts = _compiled(nodes, arrays, seed, None if exact else k, run, timings)
    return _analysis(n, len(arrays.edges), parts, exact, k, seed, "igraph", timings)


def _analysis(n: int, m: int, parts: _Parts, exact: bool, k: int, seed: int, backend: str,
              timings: dict[str, float]) -> Analysis:
    metrics, roles, found, bridges, cut = parts
    if isinstance(found, Mapping):  # numbered already (compiled)
        communities = found
    else:
        ordered = sorted(found, key=lambda c: (-len(c), min(str(v) for v in c)))
        communities = {v: i for i, c in enumerate(ordered) for v in c}
    method = {
        "betweenness": "exact" if exact else f"sampled k={k}",
        "closeness": "exact" if exact else f"sampled pivots k={k}",
        "louvain": f"seed={seed}",
        "backend": backend,
    }
    return Analysis(nodes=n, edges=m, metrics=metrics, communities=communities,
                    bridges=bridges, articulation_points=cut,  # type: ignore[arg-type]
                    roles=roles, method=method, timings=timings)

_Parts = tuple[dict[str, dict[Hashable, float]], dict[Hashable, dict[str, int]],
               list[set[Hashable]], list[tuple[Hashable, Hashable]], frozenset[Hashable]]


def _reference(g: nx.Graph, seed: int, k: int | None, attr: str, timed: Any) -> _Parts:
    """The networkx steps: the reference the compiled ones are tested against."""
    metrics: dict[str, dict[Hashable, float]] = {}
    metrics["degree"] = timed("degree", lambda: {v: float(d) for v, d in g.degree()})
    metrics["betweenness"] = timed("betweenness", lambda: nx.betweenness_centrality(
        g, k=k, seed=None if k is None else seed))
    metrics["closeness"] = timed("closeness", lambda: nx.closeness_centrality(g) if k is None
                                 else sampled_closeness(g, k, seed))
    metrics["constraint"] = timed("constraint", lambda: constraint(g))
    metrics["effective_size"] = timed("effective_size", lambda: effective_size(g))
    roles = timed("brokerage", lambda: brokerage_roles(g, attr))
    metrics["brokerage"] = {v: float(r["total"]) for v, r in roles.items()}
    parts = timed("louvain", lambda: nx.community.louvain_communities(g, seed=seed))
    bridges = timed("bridges", lambda: sorted(
        (tuple(sorted(e, key=str)) for e in nx.bridges(g)), key=str))
    cut = timed("articulation_points", lambda: frozenset(nx.articulation_points(g)))
    return metrics, roles, parts, bridges, cut


def _compiled(nodes: list[Hashable], arrays: Any, seed: int, k: int | None,
              run: Runner | None, timings: dict[str, float]) -> _Parts:
    """The same steps in igraph and numpy (``compiled.compute``), as read-only columns."""
    from .compiled import compute

    started = time.perf_counter()
    out, steps = (run or _here)(compute, arrays, seed=seed, k=k)
    timings.update(steps)
    timings["compiled"] = round(time.perf_counter() - started, 4)
    started = time.perf_counter()

    index = {v: i for i, v in enumerate(nodes)}
    degree = np.bincount(arrays.edges.ravel(), minlength=len(nodes)).astype(float)
    table = out["brokerage"]
    table = np.concatenate([table, table.sum(axis=1, keepdims=True)], axis=1)
    metrics = {"degree": Column(index, degree),
               "betweenness": Column(index, out["betweenness"]),
               "closeness": Column(index, out["closeness"]),
               "constraint": Column(index, out["constraint"]),
               "effective_size": Column(index, out["effective_size"]),
               "brokerage": Column(index, table[:, -1].astype(float))}
    roles = Roles(index, table)
    communities = Column(index, _numbered(out["louvain"], arrays.rank))
    bridges = sorted((tuple(sorted((nodes[a], nodes[b]), key=str))
                      for a, b in out["bridges"].tolist()), key=str)
    cut = frozenset(nodes[i] for i in out["articulation_points"].tolist())
    timings["named"] = round(time.perf_counter() - started, 4)
    return metrics, roles, communities, bridges, cut  # type: ignore[return-value]


def _numbered(membership: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Community numbers as the reference gives them: largest first, ties by the community's
    first node in ``str`` order (``rank``)."""
    if not len(membership):
        return membership
    sizes = np.bincount(membership)
    first = np.full(len(sizes), len(rank), dtype=np.int64)
    np.minimum.at(first, membership, rank)
    order = np.lexsort((first, -sizes))  # old numbers, in the new order
    new = np.empty(len(sizes), dtype=np.int64)
    new[order] = np.arange(len(sizes))
    return new[membership]


def _here(step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return step(*args, **kwargs)
