"""Graph features of a candidate for a question, each a 0..1 array over the candidate rows."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from schakel.graph.geo import Gazetteer, Place, haversine_km

from .catalog import Items, Taxonomy
from .question import Question

__all__ = ["Places", "theme_vector", "theme_scores", "domain_scores", "role_scores",
           "availability_scores", "NEAR"]

# Nearness by relation between two places; beyond the provincie it decays with distance.
NEAR = {"same": 1.0, "inside": 1.0, "region": 0.8, "covers": 0.6, "provincie": 0.6}
DECAY_KM = 40.0

# How much a theme next to the asked one counts.
NARROWER, BROADER, SIBLING = 0.8, 0.5, 0.25


class Places:
    """Nearness and distance from one place to every place of the gazetteer, cached."""

    def __init__(self, gazetteer: Gazetteer, places: list[Place]) -> None:
        self.gazetteer = gazetteer
        self.places = places
        self._gem = [frozenset(g.id for g in gazetteer.gemeenten_of(p)) for p in places]
        self._regions = [frozenset(q.id for q in gazetteer.containing(p)
                                   if q.kind in ("regio", "jeugdregio"))
                         if p.kind == "gemeente" else frozenset() for p in places]
        self.lat = np.array([p.lat for p in places])
        self.lon = np.array([p.lon for p in places])
        self.relation = lru_cache(maxsize=512)(self._relation)

    def _relation(self, target_id: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(nearness, distance in km, relation name) for every place, seen from the target."""
        target = self.gazetteer.resolve(target_id)
        inner = frozenset(g.id for g in self.gazetteer.gemeenten_of(target))
        t_regions = frozenset(q.id for g in inner for q in self.gazetteer.containing(g)
                              if q.kind in ("regio", "jeugdregio"))
        coords = [(g.lat, g.lon) for g in self.gazetteer.gemeenten_of(target)]
        near = np.zeros(len(self.places), dtype=np.float32)
        dist = np.zeros(len(self.places), dtype=np.float32)
        names: list[str] = []
        for n, p in enumerate(self.places):
            gem = self._gem[n]
            d = min(haversine_km(p.lat, p.lon, la, lo) for la, lo in coords)
            if p.id == target.id:
                rel, d = "same", 0.0
            elif gem and gem <= inner:
                rel, d = "inside", 0.0
            elif inner <= gem:
                rel, d = "covers", 0.0
            elif self._regions[n] & t_regions or (p.id in t_regions):
                rel = "region"
            elif p.provincie and p.provincie == target.provincie:
                rel = "provincie"
            else:
                rel = "far"
            value = NEAR.get(rel, 0.5 * math.exp(-d / DECAY_KM))
            if p.kind == "land":
                value, rel = 0.2, "covers"
            near[n], dist[n] = value, d
            names.append(rel)
        return near, dist, names

    def scores(self, items: Items, place: Place) -> tuple[np.ndarray, np.ndarray]:
        """Nearness and distance of every row; rows without a place get 0 and 0 km."""
        near, dist, _ = self.relation(place.id)
        out_near = np.where(items.anchor >= 0, near[items.anchor], 0.0).astype(np.float32)
        out_dist = np.where(items.anchor >= 0, dist[items.anchor], 0.0).astype(np.float32)
        for row, extra in items.extra_anchors.items():
            for p in extra:
                out_near[row] = max(out_near[row], near[p])
                out_dist[row] = min(out_dist[row], dist[p])
        return out_near, out_dist


def theme_vector(question: Question, taxonomy: Taxonomy) -> np.ndarray:
    """The question's themes spread over the taxonomy: narrower themes count almost fully,
    the broader theme and siblings partly ("thuiszitters" partly matches "verzuim")."""
    index = taxonomy.theme_index
    vec = np.zeros(len(index), dtype=np.float32)

    def put(theme: str, weight: float) -> None:
        if theme in index:
            vec[index[theme]] = max(vec[index[theme]], weight)

    for theme, w in question.themes.items():
        put(theme, w)
        for child in taxonomy.descendants(theme):
            put(child, NARROWER * w)
        for parent in taxonomy.broader.get(theme, ()):
            if parent in taxonomy.assignable:
                put(parent, BROADER * w)
                for sibling in taxonomy.narrower.get(parent, ()):
                    put(sibling, SIBLING * w)
    return vec


def theme_scores(items: Items, vec: np.ndarray, n_themes: int) -> np.ndarray:
    if not vec.any():
        return np.zeros(len(items), dtype=np.float32)
    raw = items.themes @ vec
    return np.minimum(1.0, raw / max(1, min(2, n_themes))).astype(np.float32)


def domain_scores(items: Items, question: Question, domain_ids: list[str]) -> np.ndarray:
    """1 for the asked domain; when the asker's own domain is known, 0.5 for any other domain
    (the network exists to cross domains) and 0 for the asker's own."""
    weights = np.zeros(len(domain_ids), dtype=np.float32)
    if question.asker_domain:
        weights[:] = 0.5
        if question.asker_domain in domain_ids:
            weights[domain_ids.index(question.asker_domain)] = 0.0
    for d in question.wanted_domains:
        if d in domain_ids:
            weights[domain_ids.index(d)] = 1.0
    return _best_of(items.domains, weights)


def role_scores(items: Items, question: Question, roles: tuple[str, ...]) -> np.ndarray:
    if items.roles is None or not question.role_fit:
        return np.zeros(len(items), dtype=np.float32)
    weights = np.array([question.role_fit.get(r, 0.0) for r in roles], dtype=np.float32)
    return _best_of(items.roles, weights)


def _best_of(has: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row, the highest weight among the columns it has: one matrix-vector product per
    distinct weight, cheaper than a row-wise max over a dense product at 100k rows."""
    out = np.zeros(len(has), dtype=np.float32)
    for level in sorted({float(w) for w in weights if w > 0}):
        hit = has @ (weights == level).astype(has.dtype) > 0
        out[hit] = level
    return out


def availability_scores(items: Items) -> np.ndarray:
    if items.availability is None or items.load is None:
        return np.zeros(len(items), dtype=np.float32)
    return (items.availability / (1.0 + items.load)).astype(np.float32)
