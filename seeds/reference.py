"""The network's reference data (domains, regions, themes, organisations, practices,
communities, tables) read from the YAML/CSV files in this folder and turned into graph nodes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from schakel.graph.geo import Gazetteer
from schakel.graph.model import (
    Community,
    Domain,
    Node,
    Organisation,
    Practice,
    Region,
    Relationship,
    Table,
    Theme,
)
from schakel.graph.store import GraphStore

__all__ = ["VOCABULARY", "Reference", "ensure_vocabulary", "load_yaml", "reference_data",
           "region_nodes", "vocabulary"]


@cache
def load_yaml(name: str) -> Any:
    """One YAML file from the seeds package (cached; treat the result as read-only)."""
    text = resources.files("schakel.seeds").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass
class Reference:
    """Reference nodes and relationships, ready for one store write."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)

    def add(self, node: Node) -> None:
        self.nodes.append(node)

    def link(self, rel_type: str, start: str, end: str, **props: Any) -> None:
        self.relationships.append(Relationship(type=rel_type, start=start, end=end, props=props))


def region_nodes(gazetteer: Gazetteer) -> Reference:
    """Every gemeente, named region, provincie and the land, with PART_OF edges."""
    ref = Reference()
    for place in gazetteer.places():
        ref.add(Region(id=place.id, name=place.name, kind=place.kind, lat=place.lat,
                       lon=place.lon, provincie=place.provincie, aliases=list(place.aliases),
                       tags=list(place.tags)))
    for child, parent in gazetteer.part_of():
        ref.link("PART_OF", child, parent)
    return ref


VOCABULARY = ("Region", "Domain", "Theme")  # the labels of vocabulary()


def vocabulary(gazetteer: Gazetteer | None = None) -> Reference:
    """What every row of an import refers to: places, domains and themes (with PART_OF and
    BROADER). Every store holds these from its first open (:func:`ensure_vocabulary`)."""
    gaz = gazetteer or Gazetteer.load()
    ref = region_nodes(gaz)
    for row in load_yaml("domains.yaml"):
        ref.add(Domain(id=row["id"], name=row["name"], description=row.get("description", ""),
                       synonyms=row.get("synonyms") or []))
    # A theme's examples: how practice describes a case of it and how a request for it
    # comes in, never in its own words (read by meaning: matching/theme_meaning.py).
    examples = dict(load_yaml("theme_situations.yaml"))
    for theme_id, lines in load_yaml("theme_questions.yaml").items():
        examples[theme_id] = [*(examples.get(theme_id) or []), *lines]
    for row in load_yaml("themes.yaml"):
        ref.add(Theme(id=row["id"], name=row["name"], gloss_en=row.get("gloss_en") or "",
                      description=row.get("description") or "",
                      synonyms=row.get("synonyms") or [],
                      examples=examples.get(row["id"]) or [],
                      assignable=row.get("assignable", True)))
        for broader in row.get("broader") or []:
            ref.link("BROADER", row["id"], broader)
    return ref


def ensure_vocabulary(store: GraphStore, gazetteer: Gazetteer | None = None) -> bool:
    """Write places, domains and themes into ``store`` when it lacks any of them (a new
    store, or one from before a theme was added); True when it wrote."""
    ref = vocabulary(gazetteer)
    wanted = Counter(n.label for n in ref.nodes)
    if all(store.count(label) >= n for label, n in wanted.items()):
        # a store from before the seeds' example texts changed gets the new ones, and
        # nothing else changes
        stored = {t.id: t for t in store.iter_nodes("Theme")}
        fresh = [n for n in ref.nodes if isinstance(n, Theme) and n.examples
                 and n.id in stored and getattr(stored[n.id], "examples", None) != n.examples]
        if not fresh:
            return False
        store.write([stored[n.id].model_copy(update={"examples": n.examples}) for n in fresh])
        return True
    store.write(ref.nodes, ref.relationships)
    return True


def reference_data(gazetteer: Gazetteer | None = None) -> Reference:
    """All reference data of the network as nodes and relationships."""
    gaz = gazetteer or Gazetteer.load()
    ref = vocabulary(gaz)
    for row in load_yaml("organisations.yaml"):
        ref.add(Organisation(id=row["id"], name=row["name"],
                             abbreviation=row.get("abbreviation"), kind=row.get("kind", "overig"),
                             relation=row.get("relation", "overig")))
        for domain in row.get("domains") or []:
            ref.link("IN_DOMAIN", row["id"], domain)
        if row.get("gemeente"):
            ref.link("BASED_IN", row["id"], gaz.resolve(row["gemeente"]).id)
    for row in load_yaml("practices.yaml"):
        ref.add(Practice(id=row["id"], title=row["title"], summary=row.get("summary", ""),
                         source=row.get("source", "")))
        for theme in row.get("themes") or []:
            ref.link("ABOUT", row["id"], theme)
        for place in row.get("places") or []:
            ref.link("IN_REGION", row["id"], gaz.resolve(place).id)
        for org in row.get("organisations") or []:
            ref.link("INVOLVES", row["id"], org)
    for row in load_yaml("communities.yaml"):
        ref.add(Community(id=row["id"], name=row["name"], kind=row.get("kind", "cop"),
                          description=row.get("description", "")))
        for theme in row.get("themes") or []:
            ref.link("ABOUT", row["id"], theme)
    for row in load_yaml("tables.yaml"):
        ref.add(Table(id=row["id"], name=row["name"], kind=row.get("kind", ""),
                      scope=row.get("scope", "")))
    return ref
