"""Graph features of a candidate for a question, each a 0..1 array over the candidate rows."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from schakel.graph.geo import Gazetteer, Place, haversine_km

from .catalog import Items, Taxonomy
from .fused import fitted_total
from .question import Question
from .ranker import Weights

__all__ = ["Places", "theme_vector", "theme_scores", "theme_closeness", "domain_scores",
           "role_scores", "availability_scores", "fitted_scores", "PREFERENCES", "NEAR", "NEAR_KM",
           "PARTIAL_KM", "tier"]

# An asked place is a preference in tiers: inside the area or within NEAR_KM counts fully,
# up to PARTIAL_KM half, beyond that a little, fading with distance (only to order far rows).
NEAR_KM, PARTIAL_KM = 30.0, 60.0
NEAR = {"same": 1.0, "inside": 1.0, "covers": 1.0, "partial": 0.5, "provincie-covers": 0.5,
        "land": 0.1}
FAR, DECAY_KM = 0.2, 40.0


def tier(relation: str, km: float) -> float:
    """How much a row at ``km`` (0 inside the area) in this relation meets an asked place."""
    if relation in NEAR:
        return NEAR[relation]
    if km <= NEAR_KM:
        return 1.0
    if km <= PARTIAL_KM:
        return NEAR["partial"]
    return FAR * math.exp(-(km - PARTIAL_KM) / DECAY_KM)


# A role the question only hints at, against one it names; the share of the best subject
# score from which a row counts as fitting the subject.
# FIT_FLOOR keeps a little of the preference for rows that hardly fit (the reason still shows).
SOFT_ROLE, FIT_SHARE, FIT_FLOOR = 0.15, 0.5, 0.1
SUBJECT = ("dense", "lexical", "theme")
PREFERENCES = ("geo", "role")
_SUBJECT_WEIGHTS = Weights()

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
        self._padded = lru_cache(maxsize=512)(self._padded_relation)

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
            if p.kind == "land":
                rel = "land"
            value = tier("provincie-covers" if rel == "covers" and p.kind == "provincie"
                         else rel, d)
            near[n], dist[n] = value, d
            names.append(rel)
        return near, dist, names

    def _padded_relation(self, target_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Nearness and distance as float32 with a 0 after the last place, for rows
        without one (one gather per row instead of a where: 0.57 -> 0.17 ms at 100k)."""
        near, dist, _ = self.relation(target_id)
        return (np.append(near, 0.0).astype(np.float32),
                np.append(dist, 0.0).astype(np.float32))

    def scores(self, items: Items, place: Place) -> tuple[np.ndarray, np.ndarray]:
        """Nearness and distance of every row; rows without a place get 0 and 0 km."""
        near, dist = self._padded(place.id)
        # -1 (no place) reads the 0 at the end; take() gathers faster than [] (0.2 -> 0.08 ms)
        out_near, out_dist = near.take(items.anchor), dist.take(items.anchor)
        rows, places = items.extra_pairs  # a row's other places: the nearest counts
        if len(rows):
            np.maximum.at(out_near, rows, near[places])
            np.minimum.at(out_dist, rows, dist[places])
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
    by_column = items.themes_by_column
    cols = np.flatnonzero(vec)
    if len(cols) * 4 <= len(vec):
        # A question names a few themes: only their columns count (100k: 0.5 -> 0.1 ms).
        raw = np.zeros(len(items), dtype=np.float32)
        for c in cols:
            lo, hi = by_column.indptr[c], by_column.indptr[c + 1]
            raw[by_column.indices[lo:hi]] += np.float32(vec[c]) * by_column.data[lo:hi]
    else:
        raw = by_column @ vec.astype(np.float32, copy=False)
    return np.minimum(1.0, raw / max(1, min(2, n_themes))).astype(np.float32)


def theme_closeness(items: Items, similarity: np.ndarray) -> np.ndarray:
    """How close in meaning each row's themes are to a question: the mean of its themes'
    ``similarity`` (per theme, ThemeMeaning.similarity), weighted by level; NaN for a row
    without themes (nothing to say, not far)."""
    # float32 like the matrix: a float64 vector would make scipy copy the matrix per question
    out = np.asarray(items.theme_mix_by_column @ similarity.astype(np.float32, copy=False))
    out[items.themeless] = np.nan
    return out


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
    return _best_of(items.domains, weights, items.domain_bits)


def role_scores(items: Items, question: Question, roles: tuple[str, ...]) -> np.ndarray:
    """1 for a member holding a role the question names outright; a role only hinted at by
    its words ("beleid" for an ambassador) counts ``SOFT_ROLE`` of its fit."""
    if items.roles is None or not (question.role_fit or question.asked_roles):
        return np.zeros(len(items), dtype=np.float32)
    weights = np.array([1.0 if r in question.asked_roles else
                        SOFT_ROLE * question.role_fit.get(r, 0.0) for r in roles],
                       dtype=np.float32)
    return _best_of(items.roles, weights, items.role_bits)


def fitted_scores(weights: Weights, signals: dict[str, np.ndarray],
                  mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(total, fit) per row. The fit, 0..1: how well the row fits the subject of the
    question (meaning, words, themes), relative to the best allowed row; ``FIT_SHARE`` of
    the best counts fully, ``FIT_FLOOR`` is the least (0 everywhere when no row fits at
    all). The total: the weighted sum of the signals (ranker.combine), with the
    ``PREFERENCES`` times the fit: an asked place or role only lifts rows that fit the
    subject, so someone next door who works on something else stays below.

    The default weights, not the caller's, make the fit: the same rows get the same values
    whatever weights rank them (learning reads features). One compiled pass
    (matching/fused.py)."""
    names = [s for s in signals if getattr(weights, s)]
    subject = [s for s in SUBJECT if s in signals]
    return fitted_total([signals[s] for s in subject],
                        [getattr(_SUBJECT_WEIGHTS, s) for s in subject],
                        [signals[s] for s in names], [getattr(weights, s) for s in names],
                        [s in PREFERENCES for s in names], mask, FIT_SHARE, FIT_FLOOR)


def _best_of(has: np.ndarray, weights: np.ndarray,
             codes: np.ndarray | None = None) -> np.ndarray:
    """Per row, the highest weight among the columns it has. With ``codes`` (the columns as
    bits, :func:`~schakel.matching.catalog.bits`): the best weight of every bit pattern,
    looked up per row; else one matrix-vector product per distinct weight."""
    if codes is not None:
        patterns = np.arange(1 << len(weights))
        held = (patterns[:, None] >> np.arange(len(weights))) & 1
        table = np.max(held * weights, axis=1, initial=0.0).astype(np.float32)
        return table.take(codes)  # faster than table[codes] with uint16 codes (0.2 -> 0.07 ms)
    out = np.zeros(len(has), dtype=np.float32)
    for level in sorted({float(w) for w in weights if w > 0}):
        hit = has @ (weights == level).astype(has.dtype) > 0
        out[hit] = level
    return out


def availability_scores(items: Items) -> np.ndarray:
    if items.availability is None or items.load is None:
        return np.zeros(len(items), dtype=np.float32)
    return items.availability_signal
