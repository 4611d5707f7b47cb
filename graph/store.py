"""The store port: one small interface that both the embedded store and Neo4j implement.

Public methods are concrete and do the validation; adapters implement only the ``_hooks``
(the template-method shape of neo4j-graphrag's retrievers). A batch that fails validation
raises :class:`GraphValidationError` before the adapter is called, so nothing is written.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import networkx as nx
from pydantic import ValidationError

from schakel.errors import GraphValidationError, NodeNotFoundError

from .changes import ChangeSet, RelKey
from .model import NODE_MODELS, REL_SCHEMA, Node, Relationship, problems_from

__all__ = ["GraphStore", "WriteResult", "Batch", "Direction", "RawNode", "ChangeSet"]

Direction = Literal["out", "in", "both"]
RawNode = tuple[str, str, dict[str, Any]]  # (id, label, props)
T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteResult:
    """How much a write stored, and what it changed (for the read models that follow)."""

    nodes: int
    relationships: int
    removed: int = 0
    changes: ChangeSet = ChangeSet()


@dataclass(frozen=True)
class Batch:
    """What :meth:`GraphStore.update` writes: the arguments of :meth:`GraphStore.write`."""

    nodes: tuple[Node, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    replace: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, nodes: Iterable[Node] = (), relationships: Iterable[Relationship] = (),
           replace: Iterable[tuple[str, str]] = ()) -> Batch:
        return cls(tuple(nodes), tuple(relationships), tuple(replace))


class GraphStore(ABC):
    """Graph storage for Schakel: batched upserts, lookups, neighbours and a snapshot."""

    # -- writing ---------------------------------------------------------------------------
    def write(
        self,
        nodes: Iterable[Node] = (),
        relationships: Iterable[Relationship] = (),
        *,
        replace: Iterable[tuple[str, str]] = (),
    ) -> WriteResult:
        """Upsert nodes and relationships in one transaction.

        Parameters
        ----------
        nodes : typed nodes; an existing id is updated (its properties replaced).
        relationships : at most one per (start, type, end); an existing one gets new props.
        replace : ``(start id, type)`` pairs whose outgoing relationships are removed first,
            so an update can drop, say, themes a member no longer works on.

        Returns
        -------
        WriteResult
            Counts, and ``changes``: what the write changed, as recorded in the change feed.

        Raises
        ------
        GraphValidationError
            When any node or relationship does not fit the model; nothing is written.
        """
        node_list = list(nodes)
        rel_list = list(relationships)
        replace_list = list(dict.fromkeys(replace))
        if not node_list and not rel_list and not replace_list:
            return WriteResult(0, 0)
        # Validation reads the store, so it runs inside the adapter's write transaction:
        # no other writer can change an id's label between the check and the write.
        return self._told(self._atomically(
            lambda: self._write_batch(node_list, rel_list, replace_list)))

    def update(self, work: Callable[[], Batch | None]) -> WriteResult:
        """Read, check and write in one transaction (compare-and-set across processes).

        ``work`` runs inside the store's write transaction: every read it makes through this
        store sees the latest committed state, and no other writer (thread or process)
        commits until this one is done. It returns the :class:`Batch` to write (or None for
        nothing), or raises to abort with nothing written. It may run more than once (the
        database may ask for a retry), so it must not have side effects.
        """
        def unit() -> WriteResult:
            batch = work()
            if batch is None or not (batch.nodes or batch.relationships or batch.replace):
                return WriteResult(0, 0)
            return self._write_batch(list(batch.nodes), list(batch.relationships),
                                     list(dict.fromkeys(batch.replace)))

        return self._told(self._atomically(unit))

    def _write_batch(self, nodes: list[Node], rels: list[Relationship],
                     replace: list[tuple[str, str]]) -> WriteResult:
        rows = self._validated(nodes, rels, replace)
        gone = self._write(nodes, rows, replace)
        written = {(s, t, e) for s, t, e, _ in rows}
        by_label: dict[str, set[str]] = {}
        for node in nodes:
            by_label.setdefault(node.label, set()).add(node.id)
        changes = ChangeSet.of(0, by_label, None, written, set(gone) - written)
        seq = self._record(changes)
        return WriteResult(len(nodes), len(rows), len(gone), replace_seq(changes, seq))

    def upsert_nodes(self, nodes: Iterable[Node]) -> WriteResult:
        return self.write(nodes=nodes)

    def upsert_relationships(self, relationships: Iterable[Relationship]) -> WriteResult:
        return self.write(relationships=relationships)

    def delete(self, ids: Iterable[str]) -> int:
        """Delete nodes and every relationship touching them; returns how many nodes went."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0

        def unit() -> WriteResult:
            removed, rels = self._delete(wanted)
            if not removed:
                return WriteResult(0, 0)
            changes = ChangeSet.of(0, None, removed, (), rels)
            return WriteResult(0, 0, sum(len(v) for v in removed.values()),
                               replace_seq(changes, self._record(changes)))

        return self._told(self._atomically(unit)).removed

    def delete_relationships(self, keys: Iterable[tuple[str, str, str]]) -> int:
        """Delete relationships given as ``(start, type, end)``; returns how many went."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return 0

        def unit() -> WriteResult:
            gone = self._delete_relationships(wanted)
            if not gone:
                return WriteResult(0, 0)
            changes = ChangeSet.of(0, None, None, (), gone)
            return WriteResult(0, 0, len(gone), replace_seq(changes, self._record(changes)))

        return self._told(self._atomically(unit)).removed

    # -- telling this process's read models ------------------------------------------------
    def subscribe(self, listener: Callable[[ChangeSet], None]) -> Callable[[], None]:
        """Call ``listener`` with every change set this store object commits, right after
        the commit, in the writing thread (read models of this process follow their own
        writes at once; other processes' writes reach them through :meth:`changes_since`).
        Returns a function that unsubscribes."""
        listeners: list[Callable[[ChangeSet], None]] = self.__dict__.setdefault(
            "_listeners", [])
        listeners.append(listener)
        return lambda: listeners.remove(listener) if listener in listeners else None

    def _told(self, result: WriteResult) -> WriteResult:
        if result.changes:
            for listener in list(self.__dict__.get("_listeners", ())):
                try:
                    listener(result.changes)
                except Exception:  # noqa: BLE001 - the write is committed; a read model
                    # that failed to follow catches up from the feed on its next read
                    logger.exception("a read model failed to follow a write")
        return result

    # -- the change feed -------------------------------------------------------------------
    def changes_since(self, seq: int) -> list[ChangeSet] | None:
        """The change sets committed after feed position ``seq``, oldest first (by any
        process). None when the feed no longer reaches back that far (it keeps the last
        ``FEED_KEEP`` writes) or ``seq`` is from another database: then rebuild."""
        return self._changes_since(seq)

    # -- reading ---------------------------------------------------------------------------
    @property
    @abstractmethod
    def version(self) -> int:
        """The feed position of the newest committed write (by any process) this store has
        seen; read models record it and ask :meth:`changes_since` for what follows."""

    @property
    def identity(self) -> str:
        """A name for this database, made once when the database was made: a read model kept
        on disk belongs to the store with the same identity (and :attr:`version` says how far
        it got). "" when the adapter has none; then nothing is kept."""
        return self._identity()

    def _identity(self) -> str:
        return ""

    def get(self, node_id: str) -> Node | None:
        raw = self._get(node_id)
        return None if raw is None else _to_node(raw)

    def require(self, node_id: str) -> Node:
        node = self.get(node_id)
        if node is None:
            raise NodeNotFoundError(node_id)
        return node

    def label_of(self, node_id: str) -> str | None:
        return self._labels_of([node_id]).get(node_id)

    def labels_of(self, ids: Iterable[str]) -> dict[str, str]:
        """Labels of the given ids that exist."""
        return self._labels_of(list(ids))

    def props_of(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Raw properties (plus ``label``) of the given ids that exist: a cheap bulk read
        for filtering before building typed nodes."""
        return {i: {**p, "label": lbl} for i, lbl, p in self._get_many(list(ids))}

    def get_many(self, ids: Iterable[str]) -> list[Node]:
        """Typed nodes for the ids that exist, in the order given."""
        return [_to_node(raw) for raw in self._get_many(list(ids))]

    def find(self, label: str, **props: Any) -> list[Node]:
        """Nodes of ``label`` whose properties equal ``props``, sorted by id."""
        return [_to_node(raw) for raw in self._find(label, props)]

    def ids(self, label: str) -> list[str]:
        """All ids of one label, sorted."""
        return self._ids(label)

    def neighbours(
        self, node_id: str, type: str | None = None, direction: Direction = "out"
    ) -> list[Node]:
        """Nodes one hop away, optionally through one relationship type, sorted by id."""
        ids = self.neighbour_ids(node_id, type, direction)
        return [_to_node(raw) for raw in self._get_many(ids)]

    def neighbour_ids(
        self, node_id: str, type: str | None = None, direction: Direction = "out"
    ) -> list[str]:
        if direction not in ("out", "in", "both"):
            raise ValueError(f"direction must be out, in or both, not {direction!r}")
        return sorted(set(self._neighbour_ids(node_id, type, direction)))

    def relationships(
        self, node_id: str | None = None, type: str | None = None, direction: Direction = "out"
    ) -> list[Relationship]:
        """Relationships of one node (or all, when ``node_id`` is None), sorted."""
        rels = [
            Relationship(type=t, start=s, end=e, props=p)
            for s, t, e, p in self._relationships(node_id, type, direction)
        ]
        return sorted(rels, key=lambda r: r.key)

    def edges(self, types: Iterable[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """All relationships of the given types as raw ``(start, end, props)`` tuples, per
        type: a bulk read for building read models, without a copy of the whole graph."""
        wanted = list(dict.fromkeys(types))
        unknown = [t for t in wanted if t not in REL_SCHEMA]
        if unknown:
            raise ValueError(f"unknown relationship types: {unknown}")
        return self._edges(wanted)

    def _edges(self, types: list[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        # Adapters may read all types in one pass; this default asks per type.
        return {t: [(s, e, p) for s, _, e, p in self._relationships(None, t, "out")]
                for t in types}

    def count(self, label: str | None = None) -> int:
        return self._count(label)

    def count_relationships(self, type: str | None = None) -> int:
        return self._count_relationships(type)

    def counts(self) -> dict[str, dict[str, int]]:
        """Nodes per label and relationships per type (zero counts left out)."""
        nodes = {lbl: n for lbl in NODE_MODELS if (n := self.count(lbl))}
        rels = {t: n for t in REL_SCHEMA if (n := self.count_relationships(t))}
        return {"nodes": nodes, "relationships": rels}

    def snapshot(self) -> nx.MultiDiGraph:
        """The whole graph as a frozen networkx MultiDiGraph.

        Node attributes are ``label`` plus the properties; edges are keyed by type.
        """
        return self._snapshot()

    def iter_nodes(self, label: str, batch_size: int = 5000) -> Iterator[Node]:
        ids = self.ids(label)
        for i in range(0, len(ids), batch_size):
            for raw in self._get_many(ids[i : i + batch_size]):
                yield _to_node(raw)

    def scrub(self) -> None:  # noqa: B027 - adapters that keep no old copies need nothing
        """Make deleted data unreadable from the store's own files (after an erasure)."""

    def close(self) -> None:  # noqa: B027 - adapters without resources need nothing here
        """Release connections."""

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- validation ------------------------------------------------------------------------
    def _validated(
        self,
        nodes: list[Node],
        rels: list[Relationship],
        replace: list[tuple[str, str]],
    ) -> list[tuple[str, str, str, dict[str, Any]]]:
        problems: list[dict[str, Any]] = []
        batch_labels: dict[str, str] = {}
        for i, node in enumerate(nodes):
            if not isinstance(node, Node) or type(node).label not in NODE_MODELS:
                problems.append({"item": i, "field": "label", "message": "geen bekend knooptype"})
                continue
            seen = batch_labels.setdefault(node.id, node.label)
            if seen != node.label:
                message = f"id staat twee keer in de batch ({seen}, {node.label})"
                problems.append({"item": node.id, "field": "id", "message": message})
        wanted = set(batch_labels)
        wanted.update(r.start for r in rels)
        wanted.update(r.end for r in rels)
        stored = self._labels_of(list(wanted))
        for node_id, label in batch_labels.items():
            old = stored.get(node_id)
            if old is not None and old != label:
                problems.append({"item": node_id, "field": "id",
                                 "message": f"id hoort al bij een {old}, niet bij een {label}"})
        labels = {**stored, **batch_labels}
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for i, rel in enumerate(rels):
            starts, ends, _ = REL_SCHEMA[rel.type]
            where = f"relatie {i} ({rel.type} {rel.start} -> {rel.end})"
            for field, node_id, allowed in (("from", rel.start, starts), ("to", rel.end, ends)):
                label = labels.get(node_id)
                if label is None:
                    problems.append({"item": where, "field": field,
                                     "message": f"onbekend id {node_id!r}"})
                elif label not in allowed:
                    side = "van" if field == "from" else "naar"
                    problems.append({"item": where, "field": field,
                                     "message": f"{rel.type} kan niet {side} een {label}"})
            try:
                rows[rel.key] = rel.checked_props()
            except ValidationError as e:
                for p in problems_from(e, where):
                    problems.append({**p, "field": f"props.{p['field']}"})
        for start, rel_type in replace:
            if rel_type not in REL_SCHEMA:
                problems.append({"item": start, "field": "replace",
                                 "message": f"onbekend relatietype {rel_type!r}"})
        if problems:
            raise GraphValidationError(problems)
        return [(s, t, e, p) for (s, t, e), p in rows.items()]

    # -- hooks for adapters ----------------------------------------------------------------
    @abstractmethod
    def _writing(self) -> AbstractContextManager[None]:
        """One write transaction (with the adapter's lock): commit on success, else roll back.
        Validation and ``_write`` run inside it."""

    def _atomically(self, work: Callable[[], T]) -> T:
        """Run ``work`` (validation and ``_write``) in one write transaction. Adapters whose
        database may ask for a retry override this to run all of ``work`` again."""
        with self._writing():
            return work()

    @abstractmethod
    def _write(self, nodes: list[Node], rels: list[tuple[str, str, str, dict[str, Any]]],
               replace: list[tuple[str, str]]) -> list[RelKey]:
        """Write inside the current transaction; returns the keys ``replace`` removed."""

    @abstractmethod
    def _delete(self, ids: list[str]) -> tuple[dict[str, list[str]], list[RelKey]]:
        """Delete inside the current transaction; returns the removed ids by label and the
        relationships that went with them."""

    @abstractmethod
    def _delete_relationships(self, keys: list[RelKey]) -> list[RelKey]:
        """Delete inside the current transaction; returns the keys that existed."""

    @abstractmethod
    def _record(self, changes: ChangeSet) -> int:
        """Append ``changes`` to the feed inside the current write transaction; returns its
        feed position."""

    @abstractmethod
    def _changes_since(self, seq: int) -> list[ChangeSet] | None: ...

    @abstractmethod
    def _get(self, node_id: str) -> RawNode | None: ...

    @abstractmethod
    def _get_many(self, ids: list[str]) -> list[RawNode]: ...

    @abstractmethod
    def _labels_of(self, ids: list[str]) -> dict[str, str]: ...

    @abstractmethod
    def _find(self, label: str, props: dict[str, Any]) -> list[RawNode]: ...

    @abstractmethod
    def _ids(self, label: str) -> list[str]: ...

    @abstractmethod
    def _neighbour_ids(self, node_id: str, type: str | None, direction: str) -> Iterable[str]: ...

    @abstractmethod
    def _relationships(self, node_id: str | None, type: str | None,
                       direction: str) -> Iterable[tuple[str, str, str, dict[str, Any]]]: ...

    @abstractmethod
    def _count(self, label: str | None) -> int: ...

    @abstractmethod
    def _count_relationships(self, type: str | None) -> int: ...

    @abstractmethod
    def _snapshot(self) -> nx.MultiDiGraph: ...


FEED_KEEP = 20_000  # writes the change feed keeps; a reader further behind rebuilds


def replace_seq(changes: ChangeSet, seq: int) -> ChangeSet:
    return ChangeSet(seq, changes.nodes, changes.removed, changes.rels, changes.removed_rels)


def _to_node(raw: RawNode) -> Node:
    node_id, label, props = raw
    return NODE_MODELS[label].model_validate({"id": node_id, **props})
