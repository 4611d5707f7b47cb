"""Fill a store with the network's reference data and generated demo members."""

from __future__ import annotations

from collections.abc import Callable

from schakel.graph.bulk import no_cyclic_gc
from schakel.graph.geo import Gazetteer
from schakel.graph.model import Node, Organisation, Relationship
from schakel.graph.store import GraphStore

from .members import generate_members
from .reference import reference_data

__all__ = ["seed_store"]

BATCH = 5000


def seed_store(
    store: GraphStore,
    members: int = 600,
    seed: int = 7,
    *,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Write reference data, then ``members`` generated members, in batches.

    Each batch is one transaction and holds whole members: their nodes with every
    relationship whose ends are written by then, so an interrupted run leaves complete
    members behind and running it again finishes the job. The same numbers give the same
    ids and values, so a second run restores the generated data as it was.
    ``progress(done, total)`` is called after every batch, counting nodes and
    relationships together.

    Returns
    -------
    The store's counts per label and relationship type afterwards.
    """
    with no_cyclic_gc():
        gaz = gazetteer or Gazetteer.load()
        ref = reference_data(gaz)
        orgs = [n for n in ref.nodes if isinstance(n, Organisation)]
        based_in = {r.start: r.end for r in ref.relationships
                    if r.type == "BASED_IN" and r.start.startswith("org-")}
        gen = generate_members(members, seed, gazetteer=gaz, organisations=orgs,
                               based_in=based_in)
        batches = [(ref.nodes, ref.relationships), *_batches(gen.nodes, gen.relationships)]
        total = sum(len(n) + len(r) for n, r in batches)
        done = 0
        for nodes, rels in batches:
            store.write(nodes, rels)
            done += len(nodes) + len(rels)
            if progress:
                progress(done, total)
    return store.counts()


def _batches(nodes: list[Node], rels: list[Relationship]
             ) -> list[tuple[list[Node], list[Relationship]]]:
    """Nodes in order, BATCH at a time, each relationship in the batch that writes the later
    of its two ends (ends from the reference data are there already)."""
    batch_of = {node.id: i // BATCH for i, node in enumerate(nodes)}
    out: list[tuple[list[Node], list[Relationship]]] = [
        (nodes[i : i + BATCH], []) for i in range(0, len(nodes), BATCH)
    ]
    for rel in rels:
        out[max(batch_of.get(rel.start, 0), batch_of.get(rel.end, 0))][1].append(rel)
    return out
