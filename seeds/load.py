"""Fill a store with the network's reference data and generated demo members."""

from __future__ import annotations

import gc
from collections.abc import Callable

from schakel.graph.geo import Gazetteer
from schakel.graph.model import Organisation
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

    Each batch is one transaction. Running it again with the same numbers changes nothing
    (same ids, same values). ``progress(done, total)`` is called after every batch, counting
    nodes and relationships together.

    Returns
    -------
    The store's counts per label and relationship type afterwards.
    """
    # Up to a million small objects and no reference cycles: the cyclic GC only costs time.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _seed(store, members, seed, gazetteer, progress)
    finally:
        if gc_was_on:
            gc.enable()


def _seed(store: GraphStore, members: int, seed: int, gazetteer: Gazetteer | None,
          progress: Callable[[int, int], None] | None) -> dict[str, dict[str, int]]:
    gaz = gazetteer or Gazetteer.load()
    ref = reference_data(gaz)
    orgs = [n for n in ref.nodes if isinstance(n, Organisation)]
    based_in = {r.start: r.end for r in ref.relationships
                if r.type == "BASED_IN" and r.start.startswith("org-")}
    gen = generate_members(members, seed, gazetteer=gaz, organisations=orgs, based_in=based_in)
    nodes = ref.nodes + gen.nodes
    rels = ref.relationships + gen.relationships
    total = len(nodes) + len(rels)
    done = 0
    for items, key in ((nodes, "nodes"), (rels, "relationships")):
        for i in range(0, len(items), BATCH):
            chunk = items[i : i + BATCH]
            store.write(**{key: chunk})
            done += len(chunk)
            if progress:
                progress(done, total)
    return store.counts()
