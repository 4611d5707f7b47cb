"""Offline evaluation on the labelled development set (``seeds/eval/questions.yaml``).

Members are fictional, so their relevance follows the labeller's rule (themes, place, roles);
practices, communities and regions are graded by id. Metrics: nDCG@10 with gains 2^g - 1,
MRR of the first result graded 1 or 2, and recall@10 against at most 10 relevant results
(a question with 30 relevant members can still reach 1.0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from schakel.graph.geo import Gazetteer, Place, haversine_km

from .catalog import Catalog
from .engine import Matcher, MatchQuery
from .ranker import Weights

__all__ = ["load_questions", "packaged_set", "Grader", "evaluate", "evaluate_slices",
           "slices_of", "SLICES", "VARIANTS", "Scores"]

K = 10


def load_questions(path: str | None = None, name: str = "questions") -> list[dict[str, Any]]:
    """Labelled questions from a YAML file, or a packaged set: ``questions`` (development,
    tuned on) or ``heldout`` (written before tuning, never tuned on)."""
    if path:
        with open(path, encoding="utf-8") as f:
            return list(yaml.safe_load(f))
    text = resources.files("schakel.seeds").joinpath(f"eval/{name}.yaml").read_text("utf-8")
    return list(yaml.safe_load(text))


def packaged_set(name: str) -> bool:
    return resources.files("schakel.seeds").joinpath(f"eval/{name}.yaml").is_file()


def VARIANTS(weights: Weights) -> dict[str, Weights]:  # noqa: N802 - a table of named configs
    """The configurations the issue asks to compare."""
    base = weights.model_copy(update={"diversity": 0.0})
    return {
        "hybride": weights,
        "alleen BM25": base.only("lexical"),
        "alleen dense": base.only("dense"),
        "hybride zonder geo": weights.without("geo"),
        "hybride zonder graaf": weights.without("theme", "domain", "role", "availability"),
    }


class Grader:
    """Relevance grades (0, 1, 2) of every candidate for one labelled question.

    Members follow the labelling rule of issue 14: grade 2 = works on an asked theme (or a
    narrower one) at level >= 2, within ``within_km`` of the asked place (when one is asked)
    and holding an asked role (when one is asked); grade 1 = the theme at level 1, or between
    ``within_km`` and ``partial_km`` (default twice ``within_km``) away, or without the role,
    or a ``partial_themes`` theme near enough; otherwise 0.
    """

    def __init__(self, catalog: Catalog, gazetteer: Gazetteer) -> None:
        self.catalog = catalog
        self.gazetteer = gazetteer
        items = catalog.members
        tax = catalog.taxonomy
        self._themes = {
            items.ids[r]: {tax.theme_ids[c]: round(float(v) * 3)
                           for c, v in zip(items.themes[r].indices, items.themes[r].data,
                                           strict=True)}
            for r in range(len(items))
        }
        self._eligible = {items.ids[r] for r in range(len(items))
                          if items.allowed is not None and items.allowed[r]}
        self._place = {items.ids[r]: catalog.places[items.anchor[r]]
                       for r in range(len(items)) if items.anchor[r] >= 0}
        self._roles = {m: set(catalog.attrs[m].get("roles", [])) for m in items.ids}

    def _scope(self, themes: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for t in themes:
            out |= {t} | self.catalog.taxonomy.descendants(t)
        return out

    def _distance(self, member: str, place: Place, inside: set[str]) -> float:
        home = self._place.get(member)
        if home is None:
            return math.inf
        if home.id in inside:
            return 0.0
        return haversine_km(home.lat, home.lon, place.lat, place.lon)

    def grades(self, question: dict[str, Any]) -> dict[str, int]:
        rel = question.get("relevant") or {}
        grades: dict[str, int] = {str(k): int(v) for k, v in (rel.get("items") or {}).items()}
        kinds = question.get("kinds") or ["member"]
        if not ({"member", "expert", "ambassador"} & set(kinds)):
            return grades
        full, partial = self._scope(rel.get("themes") or []), self._scope(
            rel.get("partial_themes") or [])
        roles = set(rel.get("roles") or [])
        place = self.gazetteer.find(rel["place"]) if rel.get("place") else None
        inside = {g.id for g in self.gazetteer.gemeenten_of(place)} if place else set()
        within = float(rel.get("within_km") or 0)
        outer = float(rel.get("partial_km") or 2 * within)
        for member in self._eligible:
            themes = self._themes[member]
            km = self._distance(member, place, inside) if place is not None and within else 0.0
            if km > outer:
                continue
            near = km <= within
            role_ok = not roles or bool(roles & self._roles[member])
            level = max((lv for t, lv in themes.items() if t in full), default=0)
            if level:
                grades[member] = 2 if level >= 2 and near and role_ok else 1
            elif near and any(t in partial for t in themes):
                grades[member] = 1
        return grades


@dataclass
class Scores:
    ndcg: float
    mrr: float
    recall: float
    questions: int


def _ndcg(ranked: list[str], grades: dict[str, int]) -> float:
    dcg = sum((2 ** grades.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(ranked[:K]))
    ideal = sorted(grades.values(), reverse=True)[:K]
    idcg = sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def _mrr(ranked: list[str], grades: dict[str, int]) -> float:
    for n, i in enumerate(ranked):
        if grades.get(i, 0) > 0:
            return 1.0 / (n + 1)
    return 0.0


def _recall(ranked: list[str], grades: dict[str, int]) -> float:
    relevant = {i for i, g in grades.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:K])) / min(K, len(relevant))


SLICES = ("alle", "plaats", "geen plaats", "rol", "parafrase", "behoefte")


def slices_of(question: dict[str, Any]) -> set[str]:
    """The slices a question counts in: a place or role when its labels ask one, the rest as
    tagged by the question's author (``slices``)."""
    rel = question.get("relevant") or {}
    tags = set(question.get("slices") or [])
    out = {"alle"}
    out.add("plaats" if "place" in tags or question.get("near") or rel.get("place")
            else "geen plaats")
    if "role" in tags or rel.get("roles"):
        out.add("rol")
    if "paraphrase" in tags:
        out.add("parafrase")
    if "needs" in tags:
        out.add("behoefte")
    return out


def evaluate(matcher: Matcher, questions: list[dict[str, Any]],
             variants: dict[str, Weights] | None = None,
             progress: Callable[[int], None] | None = None) -> dict[str, Scores]:
    """Metrics per variant, averaged over questions that have at least one relevant result."""
    return {name: per_slice["alle"] for name, per_slice in
            evaluate_slices(matcher, questions, variants, progress).items()}


def evaluate_slices(matcher: Matcher, questions: list[dict[str, Any]],
                    variants: dict[str, Weights] | None = None,
                    progress: Callable[[int], None] | None = None
                    ) -> dict[str, dict[str, Scores]]:
    """Metrics per variant and slice (:data:`SLICES`; a slice without questions is left
    out), averaged over questions that have at least one relevant result."""
    assert matcher.catalog is not None
    grader = Grader(matcher.catalog, matcher.gazetteer)
    variants = variants or VARIANTS(matcher.weights)
    sums: dict[tuple[str, str], list[float]] = {}
    counted: dict[str, int] = {}
    for q in questions:
        grades = grader.grades(q)
        if progress:
            progress(1)
        if not any(g > 0 for g in grades.values()):
            continue
        parts = slices_of(q)
        for s in parts:
            counted[s] = counted.get(s, 0) + 1
        query = MatchQuery(text=q["text"], near=q.get("near"), kinds=q.get("kinds"), limit=K)
        for name, weights in variants.items():
            ranked = [s.id for s in matcher.match(query, weights).results]
            values = (_ndcg(ranked, grades), _mrr(ranked, grades), _recall(ranked, grades))
            for s in parts:
                acc = sums.setdefault((name, s), [0.0, 0.0, 0.0])
                for i, v in enumerate(values):
                    acc[i] += v
    return {name: {s: Scores(*(v / counted[s] for v in sums[(name, s)]), questions=counted[s])
                   for s in SLICES if s in counted}
            for name in variants}
