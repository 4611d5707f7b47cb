"""The network metrics of :mod:`analytics`, computed by igraph (C) and numpy for large graphs.

Every function here gives what the networkx reference in ``analytics.py`` and ``brokerage.py``
gives on the same simple undirected graph, so a page never depends on which one ran:

- betweenness: exact, or Brandes from the same ``k`` sources networkx samples with the same
  seed (igraph's betweenness restricted to those sources), rescaled as networkx does; equal
  up to float rounding;
- closeness: exact, or the same pivot estimate as ``sampled_closeness``; equal;
- bridges, articulation points, constraint, effective size, brokerage roles: equal;
- communities: igraph's Louvain (multilevel), seeded; another implementation of the same
  method, so the partition differs a little and its modularity is as good (tests hold it to
  within 0.02 of networkx's).

Brokerage and effective size come from one enumeration of the triangles (closed two-paths)
and per-node group counts, in numpy, instead of a Python loop over every pair of neighbours.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np

from .brokerage import BROKER_ROLES

__all__ = ["Arrays", "Compiled", "compute"]

# igraph's Louvain draws from one process-wide generator: seed it per call, one call at a time.
_RNG = threading.Lock()
_CHUNK = 256  # sources per distance matrix in exact closeness (memory: _CHUNK x n)


@dataclass(frozen=True)
class Arrays:
    """A graph as numbers only (cheap to send to another process): vertex ``i`` is the
    ``i``-th node of the networkx graph; ``rank[i]`` is its place in the nodes sorted by
    ``str`` (the order the reference samples pivots from); ``group[i]`` codes its domain."""

    n: int
    edges: np.ndarray  # (m, 2) vertex numbers, each tie once
    group: np.ndarray
    rank: np.ndarray

    @classmethod
    def of(cls, g: nx.Graph, attr: str = "domain") -> tuple[list[Hashable], Arrays]:
        """The node list and the arrays of ``g`` (a simple undirected graph)."""
        if g.is_directed() or g.is_multigraph():
            raise nx.NetworkXNotImplemented("expects a simple undirected graph")
        nodes = list(g)
        index = {v: i for i, v in enumerate(nodes)}
        edges = np.fromiter((i for u, v in g.edges() for i in (index[u], index[v])),
                            dtype=np.int64, count=2 * g.number_of_edges()).reshape(-1, 2)
        codes: dict[Any, int] = {}
        group = np.fromiter((codes.setdefault(d.get(attr), len(codes))
                             for _, d in g.nodes(data=True)), dtype=np.int64, count=len(nodes))
        rank = np.empty(len(nodes), dtype=np.int64)
        rank[sorted(range(len(nodes)), key=lambda i: str(nodes[i]))] = np.arange(len(nodes))
        return nodes, cls(len(nodes), edges, group, rank)


class Compiled:
    """The metrics of one graph given as :class:`Arrays`; each method returns one value per
    vertex (``nan`` where the metric is undefined) or vertex numbers."""

    def __init__(self, a: Arrays) -> None:
        self.a = a
        self.n = a.n
        self.edges = a.edges
        self.h = ig.Graph(n=a.n, edges=a.edges.tolist())
        self.degree = np.bincount(a.edges.ravel(), minlength=a.n)
        self._triangles: np.ndarray | None = None

    @property
    def triangles(self) -> np.ndarray:
        """Every triangle once, as rows of three vertex numbers."""
        if self._triangles is None:
            self._triangles = np.array(self.h.list_triangles(), dtype=np.int64).reshape(-1, 3)
        return self._triangles

    # -- centrality --------------------------------------------------------------------------
    def betweenness(self, k: int | None = None, seed: int | None = None) -> np.ndarray:
        """networkx's ``betweenness_centrality(g, k, seed=seed)`` (normalised, no endpoints)."""
        n = self.n
        if k == n:
            k = None  # networkx does the same: every node is a source
        if n < 3:
            return np.zeros(n)
        if k is None:
            # igraph counts each unordered pair once; networkx's sum runs over ordered pairs
            raw = 2 * np.asarray(self.h.betweenness(directed=False), dtype=float)
            return raw / ((n - 1) * (n - 2))
        # networkx samples k of its nodes: the same positions, as sample() only uses n
        ids = random.Random(seed).sample(range(n), k)
        raw = 2 * np.asarray(self.h.betweenness(directed=False, sources=ids), dtype=float)
        # networkx 3.5+: a sampled source cannot lie on its own paths, so it has k-1 samples
        scale = np.full(n, 1.0 / (k * (n - 2)))
        scale[ids] = 1.0 / ((k - 1) * (n - 2)) if k > 1 else np.nan
        return raw * scale

    def closeness(self) -> np.ndarray:
        """networkx's ``closeness_centrality`` (Wasserman–Faust for disconnected graphs)."""
        n = self.n
        if n < 2:
            return np.zeros(n)
        total = np.zeros(n)
        reached = np.zeros(n)
        for start in range(0, n, _CHUNK):
            rows = list(range(start, min(n, start + _CHUNK)))
            d = np.asarray(self.h.distances(source=rows), dtype=float)
            finite = np.isfinite(d)
            total[rows] = np.where(finite, d, 0).sum(axis=1)
            reached[rows] = finite.sum(axis=1)
        out = np.zeros(n)
        ok = total > 0
        out[ok] = (reached[ok] - 1.0) / total[ok] * ((reached[ok] - 1.0) / (n - 1))
        return out

    def sampled_closeness(self, k: int, seed: int | None = None) -> np.ndarray:
        """``analytics.sampled_closeness``: the same pivots, the same numbers."""
        n = self.n
        if n < 2:
            return np.zeros(n)
        rng = random.Random(seed)
        by_key = np.argsort(self.a.rank)  # vertices in the reference's str order
        membership = np.asarray(self.h.connected_components().membership)
        sizes = np.bincount(membership)
        # networkx yields components in the order of their first node; so do we
        _, first = np.unique(membership, return_index=True)
        members = np.argsort(membership[by_key], kind="stable")
        ends = np.cumsum(sizes)
        chosen = set(by_key[rng.sample(range(n), min(k, n))].tolist())
        out = np.zeros(n)
        for c in np.argsort(first):
            r = int(sizes[c])
            if r == 1:
                continue
            comp = by_key[members[ends[c] - r: ends[c]]].tolist()  # in str order
            pivots = [p for p in comp if p in chosen] or [rng.choice(comp)]
            d = np.asarray(self.h.distances(source=pivots, target=comp), dtype=float)
            samples = np.full(r, float(len(pivots)))
            position = {v: i for i, v in enumerate(comp)}
            samples[[position[p] for p in pivots]] -= 1  # a pivot's 0 to itself is no sample
            mean = np.divide(d.sum(axis=0), samples, out=np.zeros(r), where=samples > 0)
            scale = (r - 1) / (n - 1)
            out[comp] = np.divide(scale, mean, out=np.zeros(r), where=mean > 0)
        return out

    # -- communities and cut points ----------------------------------------------------------
    def louvain(self, seed: int) -> np.ndarray:
        """A Louvain community number per vertex (igraph's multilevel), the same for the same
        graph and seed."""
        if not self.n:
            return np.zeros(0, dtype=np.int64)
        with _RNG:
            ig.set_random_number_generator(random.Random(seed))
            try:
                membership = self.h.community_multilevel().membership
            finally:
                ig.set_random_number_generator(random)
        return np.asarray(membership, dtype=np.int64)

    def bridges(self) -> np.ndarray:
        """The bridges, as rows of two vertex numbers."""
        return self.edges[self.h.bridges()].reshape(-1, 2)

    def articulation_points(self) -> np.ndarray:
        return np.asarray(self.h.articulation_points(), dtype=np.int64)

    # -- structural holes and brokerage ------------------------------------------------------
    def constraint(self) -> np.ndarray:
        """Burt's constraint (igraph's); ``nan`` for isolated vertices."""
        out = np.asarray(self.h.constraint(), dtype=float)
        out[self.degree == 0] = np.nan
        return out

    def effective_size(self) -> np.ndarray:
        """Burt's effective size ``n - 2t/n`` (``t`` ties among the ``n`` neighbours);
        ``nan`` for isolated vertices."""
        d = self.degree.astype(float)
        ties = np.bincount(self.triangles.ravel(), minlength=self.n)
        out = d - np.divide(2.0 * ties, d, out=np.zeros(self.n), where=d > 0)
        out[d == 0] = np.nan
        return out

    def brokerage_roles(self) -> np.ndarray:
        """``brokerage.brokerage_roles`` on an undirected graph, counted in bulk: one row per
        vertex, one column per role in ``BROKER_ROLES``.

        Over all ordered pairs (a, c) of b's neighbours the roles follow from how many
        neighbours share b's group and how the others spread over groups; the pairs that are
        tied (a triangle a-b-c) are then taken off, triangle by triangle."""
        n, group = self.n, self.a.group
        groups = int(group.max()) + 1 if n else 1
        d = self.degree.astype(np.int64)
        e = self.edges
        src = np.concatenate([e[:, 0], e[:, 1]])
        dst = np.concatenate([e[:, 1], e[:, 0]])
        same = group[dst] == group[src]
        s = np.bincount(src[same], minlength=n)  # neighbours in b's own group
        keys, counts = np.unique(src[~same] * groups + group[dst[~same]], return_counts=True)
        owner = keys // groups
        squares = np.bincount(owner, weights=counts.astype(float) ** 2, minlength=n)
        pairs = np.bincount(owner, weights=(counts * (counts - 1)).astype(float), minlength=n)
        other = d - s
        roles = {"coordinator": s * (s - 1), "consultant": pairs,
                 "gatekeeper": s * other, "representative": s * other,
                 "liaison": other * other - squares}
        t = self.triangles
        for b, a, c in ((0, 1, 2), (1, 0, 2), (2, 0, 1)):
            gb, ga, gc = group[t[:, b]], group[t[:, a]], group[t[:, c]]
            all_same = (ga == gb) & (gb == gc)
            outside_pair = (ga == gc) & ~all_same
            one_in = (ga == gb) != (gc == gb)
            liaison = ~all_same & ~outside_pair & ~one_in
            for role, mask, ordered in (("coordinator", all_same, 2),
                                        ("consultant", outside_pair, 2),
                                        ("gatekeeper", one_in, 1),
                                        ("representative", one_in, 1),
                                        ("liaison", liaison, 2)):
                roles[role] = roles[role] - ordered * np.bincount(t[mask, b], minlength=n)
        return np.stack([np.rint(roles[r]).astype(np.int64) for r in BROKER_ROLES], axis=1)


def compute(a: Arrays, *, seed: int, k: int | None) -> tuple[dict[str, Any], dict[str, float]]:
    """Every step of ``analytics.analyse`` on ``a`` (``k``: sources and pivots, None for
    exact), with seconds per step. Plain arrays in and out: it may run in another process,
    so a long computation never holds the service's interpreter lock."""
    timings: dict[str, float] = {}

    def timed(name: str, step: Any) -> Any:
        started = time.perf_counter()
        value = step()
        timings[name] = round(time.perf_counter() - started, 4)
        return value

    c = timed("convert", lambda: Compiled(a))
    out = {
        "betweenness": timed("betweenness", lambda: c.betweenness(k, seed)),
        "closeness": timed("closeness", lambda: c.closeness() if k is None
                           else c.sampled_closeness(k, seed)),
        "constraint": timed("constraint", c.constraint),
        "effective_size": timed("effective_size", c.effective_size),
        "brokerage": timed("brokerage", c.brokerage_roles),
        "louvain": timed("louvain", lambda: c.louvain(seed)),
        "bridges": timed("bridges", c.bridges),
        "articulation_points": timed("articulation_points", c.articulation_points),
    }
    return out, timings
