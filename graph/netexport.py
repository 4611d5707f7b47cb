"""Network exports for Gephi and scripts: GEXF, GraphML and JSON (nodes and links).

Not to be confused with exchange.py, the full data exchange document. These exports carry
one filtered view of the expert pool graph (members the viewer may see, and the KNOWS edges
among them) with the metrics of the view as node attributes. With ``pseudonymise`` every
person gets a stable pseudonym instead of id and name, and their organisation is left out
(an organisation and a gemeente together can point at one person).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from collections.abc import Hashable
from typing import Any

import networkx as nx

from .analytics import Analysis

__all__ = ["FORMATS", "MEDIA_TYPES", "annotated", "pseudonym", "render"]

FORMATS = ("gexf", "graphml", "json")
MEDIA_TYPES = {"gexf": "application/gexf+xml", "graphml": "application/graphml+xml",
               "json": "application/json"}


def pseudonym(node_id: str, key: bytes) -> str:
    """A stable pseudonym: the same id and key always give the same one.

    A keyed hash (HMAC-SHA256), so someone without the key cannot go back from a pseudonym
    to an id by trying ids.

    >>> pseudonym("m-000001", b"k") == pseudonym("m-000001", b"k") != pseudonym("m-000002", b"k")
    True
    >>> pseudonym("m-000001", b"k")[:4]
    'lid-'
    """
    digest = hmac.new(key, node_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"lid-{digest[:10]}"


def annotated(g: nx.Graph, analysis: Analysis | None = None, *,
              pseudonymise_key: bytes | None = None) -> nx.Graph:
    """A copy of ``g`` ready to write: flat attributes, metrics added, maybe pseudonymised.

    Lists (roles) become ``;``-joined text, empty values are left out (GEXF and GraphML
    need one type per attribute), and every metric of ``analysis`` becomes a node attribute,
    with the Louvain community as ``community`` and brokerage roles as ``broker_<role>``.
    """
    out = nx.Graph()
    bridges = {frozenset(e) for e in analysis.bridges} if analysis is not None else set()
    rename: dict[Hashable, str] = {}
    for node, data in g.nodes(data=True):
        person = data.get("kind") == "lid"
        new_id = pseudonym(str(node), pseudonymise_key) if person and pseudonymise_key \
            else str(node)
        rename[node] = new_id
        attrs: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, list | tuple | set):
                value = ";".join(sorted(map(str, value)))
            if value in ("", None):
                continue
            attrs[key] = value
        if person and pseudonymise_key:
            attrs["name"] = new_id
            attrs.pop("organisation", None)
        attrs["label"] = attrs.get("name", new_id)  # Gephi shows "label"
        if analysis is not None:
            for metric, values in analysis.metrics.items():
                if node in values:
                    attrs[metric] = float(values[node])
            if node in analysis.communities:
                attrs["community"] = int(analysis.communities[node])
            attrs["articulation_point"] = node in analysis.articulation_points
            for role, count in analysis.roles.get(node, {}).items():
                if role != "total":
                    attrs[f"broker_{role}"] = int(count)
        out.add_node(new_id, **attrs)
    for u, v, data in g.edges(data=True):
        attrs = {k: val for k, val in data.items() if val not in ("", None)}
        if analysis is not None:
            attrs["bridge"] = frozenset((u, v)) in bridges
        out.add_edge(rename[u], rename[v], **attrs)
    if pseudonymise_key:
        # Organisation nodes would name where a pseudonymised person works.
        out.remove_nodes_from([n for n, d in out.nodes(data=True) if d.get("kind") != "lid"])
    return out


def render(g: nx.Graph, fmt: str) -> bytes:
    """``g`` (from :func:`annotated`) as a GEXF, GraphML or JSON document.

    Raises
    ------
    ValueError
        For a format not in ``FORMATS``.
    """
    if fmt == "json":
        data = nx.node_link_data(g, edges="links")
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    if fmt == "gexf":
        nx.write_gexf(g, buffer, encoding="utf-8", version="1.2draft")
    elif fmt == "graphml":
        nx.write_graphml(g, buffer, encoding="utf-8")
    else:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    return buffer.getvalue()
