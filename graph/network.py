"""The expert pool graph: members who know each other, as an undirected networkx graph.

Social network analysis treats KNOWS as mutual, so the directed store edges become one
undirected edge per pair. Callers pass only the members a viewer may see (see privacy.py):
everything built here, and every metric computed on it, starts from that set.

This module works on a snapshot (the CLI's one-off analyses). The running service builds the
same graphs from :class:`~schakel.graph.projection.Projection`, which follows writes without
copying the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from schakel.errors import ScopeError

from .privacy import shows

__all__ = ["MAX_DEPTH", "member_network", "ego_network", "primary_domain"]

MAX_DEPTH = 3
NO_DOMAIN = "onbekend"


def _targets(snap: nx.MultiDiGraph, node: str, rel_type: str) -> list[str]:
    # The plain adjacency dict: networkx's read-only views cost a wrapper per step, which
    # adds up over 100,000 members (the store's own reads do the same, see local.py).
    return sorted(o for o, keys in snap._succ[node].items() if rel_type in keys)  # noqa: SLF001


def primary_domain(snap: nx.MultiDiGraph, member: str,
                   _org_domains: dict[str, list[str]] | None = None) -> str:
    """The one domain brokerage and colours use for a member.

    The domain of the organisation the member works at (the group they represent), preferring
    one the member is also active in when the organisation spans several; without an
    organisation domain, the member's own first ACTIVE_IN domain; else ``"onbekend"``.
    """
    own = _targets(snap, member, "ACTIVE_IN")
    cache = {} if _org_domains is None else _org_domains
    for org in _targets(snap, member, "WORKS_AT"):
        org_domains = cache.get(org)
        if org_domains is None:
            org_domains = cache[org] = _targets(snap, org, "IN_DOMAIN")
        shared = [d for d in org_domains if d in own]
        if shared or org_domains:
            return (shared or org_domains)[0]
    return own[0] if own else NO_DOMAIN


def member_network(snap: nx.MultiDiGraph, members: Iterable[str], *,
                   organisations: bool = False) -> nx.Graph:
    """The undirected graph of ``members`` and the KNOWS edges among them.

    Parameters
    ----------
    snap : the store's snapshot (``GraphStore.snapshot()``).
    members : member ids to include; ids that are not members are ignored.
    organisations : also add the organisations these members work at, linked by WORKS_AT
        edges (``context="werkt bij"``), so teams show as stars.

    Returns
    -------
    networkx.Graph
        Nodes carry ``kind`` ("lid" or "organisatie"), ``name``, ``domain``, ``gemeente``
        (a gemeente id or ""), ``gemeente_name``, ``organisation`` (id or "") and ``roles``
        (a list); edges carry ``context`` (collega, regio, brug, community, anders).
    """
    nodes = snap._node  # noqa: SLF001 - plain dicts, as in _targets
    succ = snap._succ  # noqa: SLF001
    keep = sorted({m for m in members if m in nodes and nodes[m].get("label") == "Member"})
    org_domains: dict[str, list[str]] = {}
    g = nx.Graph()
    for m in keep:
        attrs = nodes[m]
        gemeente = org = ""
        for other, keys in succ[m].items():
            if "BASED_IN" in keys:
                gemeente = other
            if "WORKS_AT" in keys and shows(attrs, "organisation"):
                org = other
        g.add_node(m, kind="lid", name=attrs.get("name", m),
                   domain=primary_domain(snap, m, org_domains), gemeente=gemeente,
                   gemeente_name=nodes[gemeente].get("name", gemeente) if gemeente else "",
                   organisation=org, roles=list(attrs.get("roles", [])))
    kept = set(keep)
    g.add_edges_from(
        (m, other, {"context": keys["KNOWS"].get("context", "anders")})
        for m in keep for other, keys in succ[m].items()
        if "KNOWS" in keys and other in kept and other != m)
    if organisations:
        for m in keep:
            org = g.nodes[m]["organisation"]
            if not org:
                continue
            if org not in g:
                domains = _targets(snap, org, "IN_DOMAIN")
                gemeente = next(iter(_targets(snap, org, "BASED_IN")), "")
                g.add_node(org, kind="organisatie", name=nodes[org].get("name", org),
                           domain=domains[0] if domains else NO_DOMAIN, gemeente=gemeente,
                           gemeente_name=nodes[gemeente].get("name", "") if gemeente else "",
                           organisation="", roles=[])
            g.add_edge(m, org, context="werkt bij")
    return g


def ego_network(g: nx.Graph, ego: str, depth: int = 1) -> nx.Graph:
    """The part of ``g`` within ``depth`` steps of ``ego`` (ego included).

    Raises
    ------
    ScopeError
        When ``ego`` is not in ``g`` (unknown, hidden, or outside the filters) or ``depth``
        is not 1..MAX_DEPTH.
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise ScopeError("diepte", f"de diepte moet 1 tot en met {MAX_DEPTH} zijn, niet {depth}")
    if ego not in g:
        raise ScopeError("ego", f"onbekend lid in deze weergave: {ego!r}")
    return g.subgraph(nx.single_source_shortest_path_length(g, ego, cutoff=depth)).copy()

