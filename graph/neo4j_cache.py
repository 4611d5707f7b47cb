"""Read caches of the Neo4j store for one state of the database.

A write by this process replaces the cache with a copy that forgets what the write touched;
a write by anyone else (the counter moved further) starts an empty one. Readers hold on to
the object they started with, so an answer fetched before a write never lands in the cache
that follows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .changes import ChangeSet
from .store import RawNode

__all__ = ["ReadCache", "Rel"]

Rel = tuple[str, str, dict[str, Any]]  # (type, other end, props)


@dataclass
class ReadCache:
    nodes: dict[str, RawNode | None] = field(default_factory=dict)
    labels: dict[str, str | None] = field(default_factory=dict)
    out: dict[str, list[Rel]] = field(default_factory=dict)
    into: dict[tuple[str, str | None], list[Rel]] = field(default_factory=dict)
    # ("nodes" | "ids", label) -> per-label lists; ("count..", ...) -> counts
    misc: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def without(self, ids: set[str], written: dict[str, set[str]]) -> ReadCache:
        """A copy that forgets the nodes ``ids``, their relationships, every count and the
        node lists of the labels written; the id lists of those labels gain the new ids
        (``written``: label -> ids written; a write never removes a node)."""
        misc: dict[tuple[Any, ...], Any] = {}
        for key, value in self.misc.items():
            if key[0] == "ids":
                added = written.get(key[1], set())
                misc[key] = sorted(set(value) | added) if added else value
            elif key[0] == "nodes" and key[1] not in written:
                misc[key] = value
        return self._copy(ids, misc)

    def after(self, changes: ChangeSet) -> ReadCache:
        """A copy that forgets what ``changes`` (another process's writes) touched: the
        nodes, the ends of the relationships, every count, and the lists of the labels
        written or removed."""
        ids = changes.all_ids() | changes.starts() | changes.ends()
        labels = changes.labels
        misc = {k: v for k, v in self.misc.items()
                if k[0] in ("ids", "nodes") and k[1] not in labels}
        return self._copy(ids, misc)

    def _copy(self, ids: set[str], misc: dict[tuple[Any, ...], Any]) -> ReadCache:
        return ReadCache(
            nodes={k: v for k, v in self.nodes.items() if k not in ids},
            labels={k: v for k, v in self.labels.items() if k not in ids},
            out={k: v for k, v in self.out.items() if k not in ids},
            into={k: v for k, v in self.into.items() if k[0] not in ids},
            misc=misc,
        )
