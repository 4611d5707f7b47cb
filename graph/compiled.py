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
from collections.abc import Hashable
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np

from .brokerage import BROKER_ROLES

__all__ = ["Compiled"]

# igraph's Louvain draws from one process-wide generator: seed it per call, one call at a time.
_RNG = threading.Lock()
_CHUNK = 256  # sources per distance matrix in exact closeness (memory: _CHUNK x n)


class Compiled:
    """One undirected networkx graph as an igraph graph; vertex ``i`` is ``nodes[i]``, in
    the graph's own node order (as networkx iterates it, so seeded choices agree)."""

    def __init__(self, g: nx.Graph) -> None:
        if g.is_directed() or g.is_multigraph():
            raise nx.NetworkXNotImplemented("expects a simple undirected graph")
        self.g = g
        self.nodes: list[Hashable] = list(g)
        index = {v: i for i, v in enumerate(self.nodes)}
        edges = np.array([(index[u], index[v]) for u, v in g.edges()], dtype=np.int64)
        self.edges = edges.reshape(-1, 2)
        self.h = ig.Graph(n=len(self.nodes), edges=self.edges.tolist())
        self.degree = np.bincount(self.edges.ravel(), minlength=len(self.nodes))
        self._triangles: np.ndarray | None = None

    def _dict(self, values: Any, where: np.ndarray | None = None) -> dict[Hashable, float]:
        out = np.asarray(values, dtype=float).tolist()
        if where is None:
            return dict(zip(self.nodes, out, strict=True))
        return {self.nodes[i]: out[i] for i in np.flatnonzero(where)}

    @property
    def triangles(self) -> np.ndarray:
        """Every triangle once, as rows of three vertex numbers."""
        if self._triangles is None:
            self._triangles = np.array(self.h.list_triangles(), dtype=np.int64).reshape(-1, 3)
        return self._triangles

    # -- centrality --------------------------------------------------------------------------
    def betweenness(self, k: int | None = None, seed: int | None = None) -> dict[Hashable, float]:
        """networkx's ``betweenness_centrality(g, k, seed=seed)`` (normalised, no endpoints)."""
        n = len(self.nodes)
        if k == n:
            k = None  # networkx does the same: every node is a source
        if n < 3:
            return self._dict(np.zeros(n))
        if k is None:
            # igraph counts each unordered pair once; networkx's sum runs over ordered pairs
            raw = 2 * np.asarray(self.h.betweenness(directed=False), dtype=float)
            return self._dict(raw / ((n - 1) * (n - 2)))
        sources = random.Random(seed).sample(self.nodes, k)
        index = {v: i for i, v in enumerate(self.nodes)}
        ids = [index[s] for s in sources]
        raw = 2 * np.asarray(self.h.betweenness(directed=False, sources=ids), dtype=float)
        # networkx 3.5+: a sampled source cannot lie on its own paths, so it has k-1 samples
        scale = np.full(n, 1.0 / (k * (n - 2)))
        scale[ids] = 1.0 / ((k - 1) * (n - 2)) if k > 1 else np.nan
        return self._dict(raw * scale)

    def closeness(self) -> dict[Hashable, float]:
        """networkx's ``closeness_centrality`` (Wasserman–Faust for disconnected graphs)."""
        n = len(self.nodes)
        if n < 2:
            return self._dict(np.zeros(n))
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
        return self._dict(out)

    def sampled_closeness(self, k: int, seed: int | None = None) -> dict[Hashable, float]:
        """``analytics.sampled_closeness``: the same pivots, the same numbers."""
        nodes, n = self.nodes, len(self.nodes)
        if n < 2:
            return self._dict(np.zeros(n))
        rng = random.Random(seed)
        keys = [str(v) for v in nodes]
        membership = np.asarray(self.h.connected_components().membership)
        # networkx yields components in the order of their first node; ours do the same
        _, first = np.unique(membership, return_index=True)
        members = np.argsort(membership, kind="stable")
        bounds = np.cumsum(np.bincount(membership))
        comps = [members[b - c: b] for b, c in zip(bounds, np.bincount(membership),
                                                     strict=True)]
        order = np.argsort(first)
        by_key = sorted(range(n), key=keys.__getitem__)
        chosen = {by_key[i] for i in rng.sample(range(n), min(k, n))}
        out = np.zeros(n)
        for c in order:
            comp = sorted(comps[c].tolist(), key=keys.__getitem__)
            r = len(comp)
            if r == 1:
                continue
            pivots = [p for p in comp if p in chosen] or [rng.choice(comp)]
            d = np.asarray(self.h.distances(source=pivots, target=comp), dtype=float)
            samples = np.full(r, float(len(pivots)))
            position = {v: i for i, v in enumerate(comp)}
            samples[[position[p] for p in pivots]] -= 1  # a pivot's 0 to itself is no sample
            mean = np.divide(d.sum(axis=0), samples, out=np.zeros(r), where=samples > 0)
            scale = (r - 1) / (n - 1)
            out[comp] = np.divide(scale, mean, out=np.zeros(r), where=mean > 0)
        return self._dict(out)

    # -- communities and cut points ----------------------------------------------------------
    def louvain(self, seed: int) -> list[set[Hashable]]:
        """Louvain communities (igraph's multilevel), the same for the same graph and seed."""
        if not len(self.nodes):
            return []
        with _RNG:
            ig.set_random_number_generator(random.Random(seed))
            try:
                membership = self.h.community_multilevel().membership
            finally:
                ig.set_random_number_generator(random)
        parts: dict[int, set[Hashable]] = {}
        for v, c in zip(self.nodes, membership, strict=True):
            parts.setdefault(c, set()).add(v)
        return list(parts.values())

    def bridges(self) -> list[tuple[Hashable, Hashable]]:
        """Bridges as sorted pairs, sorted (as ``analyse`` lists networkx's)."""
        found = [tuple(sorted((self.nodes[a], self.nodes[b]), key=str))
                 for a, b in self.edges[self.h.bridges()].tolist()]
        return sorted(found, key=str)  # type: ignore[arg-type]

    def articulation_points(self) -> frozenset[Hashable]:
        return frozenset(self.nodes[i] for i in self.h.articulation_points())

    # -- structural holes and brokerage ------------------------------------------------------
    def constraint(self) -> dict[Hashable, float]:
        """Burt's constraint (igraph's; isolated nodes left out, as ``brokerage.constraint``)."""
        return self._dict(self.h.constraint(), where=self.degree > 0)

    def _ties_among_neighbours(self) -> np.ndarray:
        t = self.triangles
        return np.bincount(t.ravel(), minlength=len(self.nodes))

    def effective_size(self) -> dict[Hashable, float]:
        """Burt's effective size ``n - 2t/n`` (isolated nodes left out)."""
        d = self.degree.astype(float)
        ties = self._ties_among_neighbours()
        out = d - np.divide(2.0 * ties, d, out=np.zeros(len(d)), where=d > 0)
        return self._dict(out, where=self.degree > 0)

    def brokerage_roles(self, attr: str = "domain") -> dict[Hashable, dict[str, int]]:
        """``brokerage.brokerage_roles`` on an undirected graph, counted in bulk.

        Over all ordered pairs (a, c) of b's neighbours the roles follow from how many
        neighbours share b's group and how the others spread over groups; the pairs that are
        tied (a triangle a-b-c) are then taken off, triangle by triangle."""
        n = len(self.nodes)
        codes: dict[Any, int] = {}
        group = np.array([codes.setdefault(self.g.nodes[v].get(attr), len(codes))
                          for v in self.nodes], dtype=np.int64)
        d = self.degree.astype(np.int64)
        e = self.edges
        src = np.concatenate([e[:, 0], e[:, 1]])
        dst = np.concatenate([e[:, 1], e[:, 0]])
        same = group[dst] == group[src]
        s = np.bincount(src[same], minlength=n)  # neighbours in b's own group
        keys, counts = np.unique(src[~same] * len(codes) + group[dst[~same]],
                                 return_counts=True)
        owner = keys // max(len(codes), 1)
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
        table = np.stack([np.rint(roles[r]).astype(np.int64) for r in BROKER_ROLES], axis=1)
        rows = np.concatenate([table, table.sum(axis=1, keepdims=True)], axis=1).tolist()
        names = (*BROKER_ROLES, "total")
        return {v: dict(zip(names, row, strict=True)) for v, row in zip(self.nodes, rows,
                                                                          strict=True)}
