"""What a write changed: the unit read models follow.

Every committed write produces one :class:`ChangeSet`: the ids it wrote or removed (by label)
and the relationship keys it wrote or removed (cascades included). Both stores keep them in a
durable, ordered change feed (same transaction as the write), so a read model in any process
catches up by applying the change sets it missed instead of reloading everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChangeSet", "RelKey"]

RelKey = tuple[str, str, str]  # (start, type, end)


def _freeze(by_label: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    return {label: frozenset(ids) for label, ids in by_label.items() if ids}


@dataclass(frozen=True)
class ChangeSet:
    """One committed write (or several merged).

    ``seq`` is the feed position of the (last) write, 0 when unknown. ``nodes``: label -> ids
    created or updated; ``removed``: label -> ids deleted. ``rels`` and ``removed_rels`` are
    ``(start, type, end)`` keys; relationships removed with a node are listed too.
    """

    seq: int = 0
    nodes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    removed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    rels: frozenset[RelKey] = frozenset()
    removed_rels: frozenset[RelKey] = frozenset()

    @classmethod
    def of(cls, seq: int = 0, nodes: Mapping[str, Iterable[str]] | None = None,
           removed: Mapping[str, Iterable[str]] | None = None,
           rels: Iterable[RelKey] = (), removed_rels: Iterable[RelKey] = ()) -> ChangeSet:
        return cls(seq, _freeze(nodes or {}), _freeze(removed or {}),
                   frozenset(tuple(k) for k in rels),  # type: ignore[misc]
                   frozenset(tuple(k) for k in removed_rels))  # type: ignore[misc]

    # -- questions read models ask -----------------------------------------------------------
    def __bool__(self) -> bool:
        return bool(self.nodes or self.removed or self.rels or self.removed_rels)

    @property
    def labels(self) -> set[str]:
        """Labels of every node written or removed."""
        return set(self.nodes) | set(self.removed)

    @property
    def rel_types(self) -> set[str]:
        """Types of every relationship written or removed."""
        return {t for _, t, _ in self.rels} | {t for _, t, _ in self.removed_rels}

    def ids(self, label: str) -> frozenset[str]:
        """Ids of ``label`` written or removed."""
        return self.nodes.get(label, frozenset()) | self.removed.get(label, frozenset())

    def all_ids(self) -> set[str]:
        return {i for ids in (*self.nodes.values(), *self.removed.values()) for i in ids}

    def rel_keys(self, *types: str) -> set[RelKey]:
        """Keys written or removed, of the given types (all when none given)."""
        keys = self.rels | self.removed_rels
        return {k for k in keys if not types or k[1] in types}

    def starts(self, *types: str) -> set[str]:
        """Start ids of relationships written or removed, of the given types."""
        return {s for s, _, _ in self.rel_keys(*types)}

    def ends(self, *types: str) -> set[str]:
        return {e for _, _, e in self.rel_keys(*types)}

    # -- combining and storing ---------------------------------------------------------------
    @staticmethod
    def merge(changes: Iterable[ChangeSet]) -> ChangeSet:
        """One change set covering all of ``changes`` (in feed order): a read model that
        re-reads what was touched needs only the union."""
        nodes: dict[str, set[str]] = {}
        removed: dict[str, set[str]] = {}
        rels: set[RelKey] = set()
        gone: set[RelKey] = set()
        seq = 0
        for c in changes:
            seq = max(seq, c.seq)
            for label, ids in c.nodes.items():
                nodes.setdefault(label, set()).update(ids)
            for label, ids in c.removed.items():
                removed.setdefault(label, set()).update(ids)
            rels |= c.rels
            gone |= c.removed_rels
        return ChangeSet.of(seq, nodes, removed, rels, gone)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "nodes": {k: sorted(v) for k, v in sorted(self.nodes.items())},
            "removed": {k: sorted(v) for k, v in sorted(self.removed.items())},
            "rels": sorted(self.rels),
            "removed_rels": sorted(self.removed_rels),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, seq: int, text: str) -> ChangeSet:
        data = json.loads(text)
        return cls.of(seq, data.get("nodes"), data.get("removed"),
                      data.get("rels", ()), data.get("removed_rels", ()))
