"""The embedded store's in-memory mirror, kept compact.

A networkx MultiDiGraph spends about 600 bytes per relationship (a key dict per node pair,
entries in two adjacency dicts); at 100,000 members and 1.1 M relationships that was the
largest thing in the server's memory. Here:

- a node is one tuple ``(id, label, shape, values)``: the property names live once per set
  of names (``shape``), the values in a tuple; lists are kept as tuples (read back as lists),
  short strings are interned;
- relationships are kept per type as adjacency lists of node ids (the id strings are the
  node's own, shared): ``out[type][start] = [end, ...]`` and ``into[type][end] = [start,
  ...]``; properties only as a list beside ``out[type][start]``, and only for starts that
  have a relationship of that type with properties. Equal property dicts are shared; they
  are never changed in place, every read copies.

The mirror knows nothing about SQLite or locks: the store holds its lock around every call.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx

__all__ = ["Mirror"]

Props = dict[str, Any]
_EMPTY: Props = {}  # shared by every relationship without properties; never changed
_SHORT = 40  # strings up to this length repeat (places, roles, levels): intern them


class _Shape:
    """The property names of a node, shared by every node with the same names."""

    __slots__ = ("keys", "index")

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}


def _freeze(value: Any) -> Any:
    if type(value) is str:
        return sys.intern(value) if len(value) <= _SHORT else value
    if type(value) is list:
        return tuple(_freeze(v) for v in value) if value else ()
    return value


def _thaw(value: Any) -> Any:
    # Only lists become tuples (JSON has no tuples), so every tuple was a list; items that
    # are dicts are shared with the mirror, as a shallow copy of a dict would share them.
    if type(value) is tuple:
        return [_thaw(v) for v in value]
    return value


class Mirror:
    """Nodes and relationships of the store, for reads. Relationship types are keys."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[str, str, _Shape, tuple[Any, ...]]] = {}
        self.by_label: dict[str, set[str]] = {}
        self.rel_counts: Counter[str] = Counter()
        self.out: dict[str, dict[str, list[str]]] = {}
        self.out_props: dict[str, dict[str, list[Props]]] = {}
        self.into: dict[str, dict[str, list[str]]] = {}
        self._shapes: dict[tuple[str, ...], _Shape] = {}

    # -- nodes ---------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def put_node(self, node_id: str, label: str, props: Props) -> None:
        old = self.nodes.get(node_id)
        if old is not None:
            node_id = old[0]  # keep the id object the adjacency lists already share
            if old[1] != label:
                self.by_label[old[1]].discard(node_id)
        keys = tuple(props)
        shape = self._shapes.get(keys)
        if shape is None:
            shape = self._shapes[keys] = _Shape(tuple(sys.intern(k) for k in keys))
        label = sys.intern(label)
        self.nodes[node_id] = (node_id, label, shape, tuple(_freeze(v) for v in props.values()))
        self.by_label.setdefault(label, set()).add(node_id)

    def label(self, node_id: str) -> str:
        return self.nodes[node_id][1]

    def raw(self, node_id: str) -> tuple[str, str, Props]:
        node_id, label, shape, values = self.nodes[node_id]
        return node_id, label, {k: _thaw(v) if type(v) is tuple else v
                                for k, v in zip(shape.keys, values, strict=True)}

    def matches(self, node_id: str, props: Props) -> bool:
        _, _, shape, values = self.nodes[node_id]
        index = shape.index
        for k, v in props.items():
            i = index.get(k)
            if (None if i is None else _thaw(values[i])) != v:
                return False
        return True

    def drop_node(self, node_id: str) -> None:
        """Remove a node and every relationship touching it."""
        for rel_type in list(self.out):
            for end in list(self.out[rel_type].get(node_id, ())):
                self.drop_edge(node_id, rel_type, end)
        for rel_type in list(self.into):
            for start in list(self.into[rel_type].get(node_id, ())):
                self.drop_edge(start, rel_type, node_id)
        label = self.nodes.pop(node_id)[1]
        self.by_label[label].discard(node_id)

    # -- relationships -------------------------------------------------------------------
    def has_edge(self, start: str, rel_type: str, end: str) -> bool:
        return end in self.out.get(rel_type, {}).get(start, ())

    def put_edge(self, start: str, rel_type: str, end: str, props: Props) -> None:
        """Add a relationship or replace its properties. Both nodes must be there (the
        store's validation sees to that); otherwise nothing happens."""
        a, b = self.nodes.get(start), self.nodes.get(end)
        if a is None or b is None:
            return
        start, end = a[0], b[0]
        rel_type = sys.intern(rel_type)
        ends = self.out.setdefault(rel_type, {}).setdefault(start, [])
        try:
            i = ends.index(end)
        except ValueError:
            i = -1
        shared = props if props is _EMPTY else (dict(props) if props else _EMPTY)
        if i < 0:
            ends.append(end)
            self.into.setdefault(rel_type, {}).setdefault(end, []).append(start)
            self.rel_counts[rel_type] += 1
            i = len(ends) - 1
        kept = self.out_props.get(rel_type, {}).get(start)
        if kept is None:
            if shared is _EMPTY:
                return
            kept = self.out_props.setdefault(rel_type, {})[start] = [_EMPTY] * len(ends)
        elif len(kept) < len(ends):
            kept.append(_EMPTY)
        kept[i] = shared

    def drop_edge(self, start: str, rel_type: str, end: str) -> bool:
        ends = self.out.get(rel_type, {}).get(start)
        if ends is None or end not in ends:
            return False
        i = ends.index(end)
        del ends[i]
        kept = self.out_props.get(rel_type, {}).get(start)
        if kept is not None:
            del kept[i]
        if not ends:
            del self.out[rel_type][start]
            self.out_props.get(rel_type, {}).pop(start, None)
        starts = self.into[rel_type][end]
        starts.remove(start)
        if not starts:
            del self.into[rel_type][end]
        self.rel_counts[rel_type] -= 1
        return True

    def drop_out(self, start: str, rel_type: str) -> int:
        """Remove every relationship of one type leaving ``start``; returns how many."""
        ends = list(self.out.get(rel_type, {}).get(start, ()))
        for end in ends:
            self.drop_edge(start, rel_type, end)
        return len(ends)

    def _props_of(self, start: str, rel_type: str, i: int) -> Props:
        kept = self.out_props.get(rel_type, {}).get(start)
        return _EMPTY if kept is None else kept[i]

    def _types(self, adjacency: dict[str, dict[str, list[str]]],
               rel_type: str | None) -> list[tuple[str, dict[str, list[str]]]]:
        if rel_type is None:
            return list(adjacency.items())
        found = adjacency.get(rel_type)
        return [] if found is None else [(rel_type, found)]

    def neighbour_ids(self, node_id: str, rel_type: str | None, direction: str) -> list[str]:
        found: list[str] = []
        if direction in ("out", "both"):
            for _, by_start in self._types(self.out, rel_type):
                found += by_start.get(node_id, ())
        if direction in ("in", "both"):
            for _, by_end in self._types(self.into, rel_type):
                found += by_end.get(node_id, ())
        return found

    def out_of(self, node_id: str, rel_type: str | None) -> list[tuple[str, str, str, Props]]:
        found = []
        for t, by_start in self._types(self.out, rel_type):
            ends = by_start.get(node_id)
            if ends:
                kept = self.out_props.get(t, {}).get(node_id)
                props = kept if kept is not None else [_EMPTY] * len(ends)
                found += [(node_id, t, e, dict(p)) for e, p in zip(ends, props, strict=True)]
        return found

    def into_of(self, node_id: str, rel_type: str | None) -> list[tuple[str, str, str, Props]]:
        found = []
        for t, by_end in self._types(self.into, rel_type):
            for start in by_end.get(node_id, ()):
                i = self.out[t][start].index(node_id)
                found.append((start, t, node_id, dict(self._props_of(start, t, i))))
        return found

    def edges(self, rel_type: str) -> list[tuple[str, str, Props]]:
        """Every relationship of one type as ``(start, end, props)``."""
        found: list[tuple[str, str, Props]] = []
        kept = self.out_props.get(rel_type, {})
        for start, ends in self.out.get(rel_type, {}).items():
            props = kept.get(start)
            if props is None:
                found += [(start, e, {}) for e in ends]
            else:
                found += [(start, e, dict(p)) for e, p in zip(ends, props, strict=True)]
        return found

    def types(self) -> list[str]:
        return [t for t, n in self.rel_counts.items() if n]

    # -- loading -------------------------------------------------------------------------
    def load_grouped(self, outgoing: Iterable[tuple[str, str, list[str], list[Props] | None]],
                     incoming: Iterable[tuple[str, str, list[str]]]) -> None:
        """Bulk load into an empty mirror whose nodes are in, one group per (type, start) and
        per (type, end): the rows SQLite groups, so there is no Python work per
        relationship beyond finding each id's shared string. ``props`` of a group is None
        when all its relationships have none."""
        nodes, out, into, out_props = self.nodes, self.out, self.into, self.out_props
        counts = self.rel_counts
        for rel_type, start, ends, props in outgoing:
            by_start = out.get(rel_type)
            if by_start is None:
                rel_type = sys.intern(rel_type)
                by_start = out[rel_type] = {}
                into[rel_type] = {}
                out_props[rel_type] = {}
            first = nodes.get(start)
            if first is None:
                continue
            try:
                shared = [nodes[e][0] for e in ends]
            except KeyError:  # a relationship to a missing node: the rows say it cannot be
                keep = [e in nodes for e in ends]
                shared = [nodes[e][0] for e, k in zip(ends, keep, strict=True) if k]
                props = None if props is None else [
                    p for p, k in zip(props, keep, strict=True) if k]
            if not shared:
                continue
            by_start[first[0]] = shared
            if props is not None:
                out_props[rel_type][first[0]] = [p or _EMPTY for p in props]
            counts[rel_type] += len(shared)
        for rel_type, end, starts in incoming:
            last = nodes.get(end)
            if last is None:
                continue
            shared = [nodes[s][0] for s in starts if s in nodes]
            if shared:
                into[sys.intern(rel_type)][last[0]] = shared

    # -- networkx, on demand -------------------------------------------------------------
    def to_networkx(self) -> nx.MultiDiGraph:
        """A MultiDiGraph as networkx would hold it: node attributes ``label`` plus the
        properties, edges keyed by type; succ[u][v] and pred[v][u] share one key dict."""
        g = nx.MultiDiGraph()
        node = g._node  # noqa: SLF001 - filled directly: add_node per node costs seconds
        succ, pred = g._succ, g._pred  # noqa: SLF001
        for node_id in self.nodes:
            _, label, props = self.raw(node_id)
            node[node_id] = {"label": label, **props}
            succ[node_id] = {}
            pred[node_id] = {}
        for rel_type in sorted(self.out):
            for start, end, props in self.edges(rel_type):
                keys = succ[start].get(end)
                if keys is None:
                    keys = succ[start][end] = pred[end][start] = {}
                keys[rel_type] = props
        nx._clear_cache(g)
        return g
