"""Writing nodes and their labels to Neo4j inside a managed transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, TypeVar

from neo4j import ManagedTransaction

from . import neo4j_queries as Q
from .model import Node

__all__ = ["CHUNK", "Labelling", "chunks", "relabel", "write_nodes"]

T = TypeVar("T")
CHUNK = 1000  # rows per UNWIND
Labelling = dict[Any, list[Any]]  # labels -> ids (or rows)


def chunks(rows: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def write_nodes(tx: ManagedTransaction, nodes: list[Node]) -> Labelling:
    """Update the nodes that exist, create the rest with all their labels, and bring the
    role labels of existing ones in line. Returns role labels still to add: a node that
    loses one role and gains another gets the new label in a second transaction."""
    rows = [{"id": n.id, "props": {**n.props(), "id": n.id}} for n in nodes]
    roles: dict[str, set[str]] = {}  # existing id -> its role labels now
    for part in chunks(rows):
        for r in tx.run(Q.NODES_UPDATE, rows=part):
            roles[r["id"]] = {lbl for lbl in r["labels"] if lbl in Q.ROLE_LABELS}
    fresh: Labelling = defaultdict(list)
    for node, row in zip(nodes, rows, strict=True):
        if node.id not in roles:
            fresh[(node.label, *node.extra_labels())].append(row)
    for labels, group in fresh.items():
        query = Q.cypher(Q.NODES_CREATE, labels=labels)
        for part in chunks(group):
            tx.run(query, rows=part).consume()
    add: Labelling = defaultdict(list)
    remove: Labelling = defaultdict(list)
    later: Labelling = defaultdict(list)
    for node in nodes:
        if node.id in roles:
            want, have = set(node.extra_labels()), roles[node.id]
            gone, new = tuple(sorted(have - want)), tuple(sorted(want - have))
            if gone:
                remove[gone].append(node.id)
            if new:
                (later if gone else add)[new].append(node.id)
    for template, groups in ((Q.LABELS_REMOVE, remove), (Q.LABELS_ADD, add)):
        relabel(tx, template, groups)
    return later


def relabel(tx: ManagedTransaction, template: str, groups: Labelling) -> None:
    for labels, ids in groups.items():
        query = Q.cypher(template, labels=labels)
        for part in chunks(ids):
            tx.run(query, ids=part).consume()
