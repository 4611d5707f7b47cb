"""Brokerage: Burt's structural holes and Gould–Fernandez brokerage roles.

Burt's measures here are the closed forms for simple, unweighted, undirected graphs (the
expert pool graph); they equal networkx's ``constraint`` and ``effective_size`` on such
graphs but walk each neighbourhood once, which matters at 100,000 members.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import networkx as nx

__all__ = ["BROKER_ROLES", "constraint", "effective_size", "brokerage_roles"]

# Gould & Fernandez (1989), for a two-path a -> b -> c with no tie a -> c, broker b:
#   coordinator     a, b, c in one group
#   gatekeeper      a outside; b and c in one group (b lets an outsider in)
#   representative  a and b in one group; c outside (b speaks for the group)
#   consultant      a and c in one group; b outside (itinerant broker)
#   liaison         a, b and c in three different groups
BROKER_ROLES = ("coordinator", "gatekeeper", "representative", "consultant", "liaison")


def _simple_undirected(g: nx.Graph) -> None:
    if g.is_directed() or g.is_multigraph():
        raise nx.NetworkXNotImplemented("expects a simple undirected graph")


def constraint(g: nx.Graph) -> dict[Hashable, float]:
    """Burt's constraint of every node with at least one neighbour.

    With unit weights, ``p_ij = 1 / deg(i)`` and
    ``c_i = sum_j (p_ij + sum_q p_iq * p_qj) ** 2`` over neighbours ``j`` and common
    neighbours ``q`` of ``i`` and ``j``. Isolated nodes are left out (undefined).

    Examples
    --------
    A star's centre spans three holes; each leaf depends wholly on the centre.

    >>> c = constraint(nx.star_graph(3))
    >>> round(c[0], 4), c[1]
    (0.3333, 1.0)
    """
    _simple_undirected(g)
    adj = g.adj
    deg = {n: len(adj[n]) for n in g}
    out: dict[Hashable, float] = {}
    for i, nbrs in adj.items():
        if not nbrs:
            continue
        p = 1.0 / deg[i]
        total = 0.0
        for j in nbrs:
            indirect = sum(1.0 / deg[q] for q in nbrs if q != j and q in adj[j])
            total += (p + p * indirect) ** 2
        out[i] = total
    return out


def effective_size(g: nx.Graph) -> dict[Hashable, float]:
    """Burt's effective size: ``n - 2t / n`` for ``n`` neighbours with ``t`` ties among them.

    Isolated nodes are left out (undefined).

    >>> effective_size(nx.complete_graph(4))[0]
    1.0
    >>> effective_size(nx.star_graph(3))[0]
    3.0
    """
    _simple_undirected(g)
    adj = g.adj
    out: dict[Hashable, float] = {}
    for i, nbrs in adj.items():
        n = len(nbrs)
        if not n:
            continue
        ties = sum(1 for j in nbrs for q in adj[j] if q in nbrs) // 2
        out[i] = n - 2.0 * ties / n
    return out


def brokerage_roles(g: nx.Graph, attr: str = "domain") -> dict[Hashable, dict[str, int]]:
    """Gould–Fernandez brokerage: how often each node is each kind of broker.

    Groups are the values of node attribute ``attr`` (a node without it is its own group
    ``None``). A directed graph is read as it is; an undirected graph as every tie
    reciprocated (as statnet's ``brokerage`` does), so each open two-path counts once per
    direction and a node's gatekeeper and representative counts are equal.

    Returns
    -------
    dict
        node -> ``{role: count}`` for every role in ``BROKER_ROLES`` plus ``"total"``.

    Examples
    --------
    Ann (school) knows Bo (school), who knows Cas (jeugdhulp): Bo represents the school
    towards jeugdhulp in one direction and lets jeugdhulp in in the other.

    >>> g = nx.path_graph(["ann", "bo", "cas"])
    >>> nx.set_node_attributes(g, {"ann": "school", "bo": "school", "cas": "jeugd"}, "domain")
    >>> r = brokerage_roles(g)["bo"]
    >>> r["representative"], r["gatekeeper"], r["total"]
    (1, 1, 2)
    """
    if g.is_multigraph():
        raise nx.NetworkXNotImplemented("expects a graph without parallel edges")
    group: dict[Hashable, Any] = {n: d.get(attr) for n, d in g.nodes(data=True)}
    if g.is_directed():
        ins, outs, closed = g.pred, g.succ, g.succ
    else:
        ins = outs = closed = g.adj
    result: dict[Hashable, dict[str, int]] = {}
    for b in g:
        counts = dict.fromkeys(BROKER_ROLES, 0)
        gb = group[b]
        for a in ins[b]:
            if a == b:
                continue
            ga, reach = group[a], closed[a]
            for c in outs[b]:
                if c == a or c == b or c in reach:
                    continue
                gc = group[c]
                if ga == gb == gc:
                    counts["coordinator"] += 1
                elif ga == gc:
                    counts["consultant"] += 1
                elif gb == gc:
                    counts["gatekeeper"] += 1
                elif ga == gb:
                    counts["representative"] += 1
                else:
                    counts["liaison"] += 1
        counts["total"] = sum(counts.values())
        result[b] = counts
    return result
