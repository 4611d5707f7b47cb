"""Example questions for the brokering queue, so a demo does not start empty."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from schakel.graph.geo import Gazetteer
from schakel.graph.model import Node, Question, Relationship
from schakel.graph.store import GraphStore

from .reference import load_yaml

__all__ = ["seed_questions"]


def seed_questions(store: GraphStore, gazetteer: Gazetteer | None = None,
                   now: datetime | None = None) -> int:
    """Write the example questions of ``questions.yaml`` that are not there yet, in one
    batch; returns how many were written. A question whose asker is missing (fewer demo
    members) is left out."""
    gaz = gazetteer or Gazetteer.load()
    # 09:00 UTC today: two demos started the same day write the same questions
    now = now or datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    nodes: list[Node] = []
    rels: list[Relationship] = []
    for row in load_yaml("questions.yaml"):
        asker = row.get("asker") or f"m-{int(row['member']):06d}"
        if store.label_of(row["id"]) is not None or store.label_of(asker) is None:
            continue
        created = (now - timedelta(days=row["days_ago"])).isoformat(timespec="seconds")
        entry = json.dumps({"at": created, "who": "demo", "action": "vraag aangenomen"})
        nodes.append(Question(id=row["id"], text=row["text"], kind=row["kind"],
                              created=created, updated=created, history=[entry]))
        rels.append(Relationship.of("ASKED_BY", row["id"], asker))
        rels += [Relationship.of("ABOUT", row["id"], t) for t in row["themes"]]
        place = gaz.find(row["place"]) if row.get("place") else None
        place_id = place.id if place else None
        if place_id is None:
            place_id = (asker if store.label_of(asker) == "Region"
                        else next(iter(store.neighbour_ids(asker, "BASED_IN")), None))
        if place_id and store.label_of(place_id) == "Region":
            rels.append(Relationship.of("IN_REGION", row["id"], place_id))
    store.write(nodes, rels)
    return len(nodes)
