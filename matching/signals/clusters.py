"""Groups of similar signals: sentence embeddings, themes and time, clustered with
scikit-learn's HDBSCAN (no hand-written clustering).

Each signal becomes one feature row: its text embedding (reduced with PCA, which keeps the
directions that tell signals apart), its themes (multi-hot) and its date (scaled by a time
window), each block weighted. HDBSCAN finds groups of any number and leaves signals that
fit nowhere on their own. Staff's hand decisions win: signals that share a ``pin`` (the
Signal's ``cluster`` field, set by a merge or a split) form one group whatever the
algorithm says, so a hand decision survives every re-clustering.

Each group gets a Dutch label from its top themes and terms, its spread over provincies and
domains, its counts per week, and an "opkomend" flag when it grows faster than the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..text import STOP_WORDS, words

__all__ = ["Item", "Cluster", "Settings", "cluster_labels", "clusters", "describe", "emerging"]


@dataclass(frozen=True)
class Item:
    """What clustering needs of one signal."""

    id: str
    text: str
    themes: frozenset[str]
    day: date
    pin: str = ""  # staff's hand decision (Signal.cluster)
    provincie: str = ""
    domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Settings:
    text_weight: float = 1.0
    theme_weight: float = 0.6
    time_weight: float = 0.25
    window_days: int = 90  # signals this far apart in time count as one step apart
    dims: int = 24  # PCA components kept of the embedding
    # The smallest group HDBSCAN counts grows with the number of signals (a quarter of the
    # square root, at least 4): with 10,000 signals a handful of near-identical reports is
    # not yet a theme of the network.
    min_cluster_size: int = 4
    size_per_sqrt: float = 0.25
    recent_days: int = 28  # "recent" for growth and the opkomend flag
    weeks: int = 8  # weeks of growth shown


@dataclass
class Cluster:
    id: str
    label: str
    signals: list[str]
    themes: list[tuple[str, int]]
    terms: list[str]
    regions: dict[str, int]
    domains: dict[str, int]
    weekly: list[int]  # counts per week, oldest first, the last ``weeks`` weeks
    recent: int
    emerging: bool = False
    by_hand: bool = False
    members: list[Item] = field(default_factory=list, repr=False)


def _features(items: Sequence[Item], vectors: np.ndarray, s: Settings) -> np.ndarray:
    emb = np.asarray(vectors, dtype=np.float64)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
    dims = min(s.dims, emb.shape[1], len(items) - 1)
    if dims >= 2:
        from sklearn.decomposition import PCA  # scikit-learn only when clustering, not at start

        emb = PCA(n_components=dims, random_state=0).fit_transform(emb)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
    vocab = sorted({t for it in items for t in it.themes})
    index = {t: i for i, t in enumerate(vocab)}
    themes = np.zeros((len(items), max(len(vocab), 1)))
    for row, it in enumerate(items):
        for t in it.themes:
            themes[row, index[t]] = 1.0
    themes /= np.linalg.norm(themes, axis=1, keepdims=True) + 1e-12
    first = min(it.day for it in items)
    days = np.array([[(it.day - first).days / s.window_days] for it in items])
    return np.hstack([s.text_weight * emb, s.theme_weight * themes, s.time_weight * days])


def cluster_labels(items: Sequence[Item], vectors: np.ndarray,
                   settings: Settings | None = None) -> list[int]:
    """One label per item (-1: fits no group), before hand decisions."""
    s = settings or Settings()
    size = max(s.min_cluster_size, round(s.size_per_sqrt * len(items) ** 0.5))
    if len(items) < size:
        return [-1] * len(items)
    from sklearn.cluster import HDBSCAN

    model = HDBSCAN(min_cluster_size=size, min_samples=2, copy=True)
    return [int(x) for x in model.fit_predict(_features(items, vectors, s))]


def clusters(items: Sequence[Item], vectors: np.ndarray, *, today: date,
             theme_names: Mapping[str, str] | None = None,
             settings: Settings | None = None) -> tuple[list[Cluster], list[str]]:
    """The groups (largest first) and the ids of signals in none.

    Hand decisions first: items with a ``pin`` group by it; the rest are clustered.
    """
    s = settings or Settings()
    names = theme_names or {}
    groups: dict[str, list[Item]] = {}
    hand: set[str] = set()
    free = [i for i, it in enumerate(items) if not it.pin]
    for it in items:
        if it.pin:
            groups.setdefault(it.pin, []).append(it)
            hand.add(it.pin)
    loose: list[str] = []
    if free:
        labels = cluster_labels([items[i] for i in free], vectors[free], s)
        found: dict[int, list[Item]] = {}
        for i, label in zip(free, labels, strict=True):
            if label < 0:
                loose.append(items[i].id)
            else:
                found.setdefault(label, []).append(items[i])
        for members in found.values():
            groups["c-" + min(m.id for m in members)] = members
    terms = _top_terms(groups, items)
    out = [describe(key, members, terms.get(key, []), names, today, s, key in hand)
           for key, members in groups.items()]
    emerging(out)
    return sorted(out, key=lambda c: (-len(c.signals), c.id)), sorted(loose)


def _top_terms(groups: Mapping[str, list[Item]], corpus: Sequence[Item], n: int = 3
               ) -> dict[str, list[str]]:
    """Per group, the words that stand out most against all signals (TF-IDF)."""
    if not groups or not corpus:
        return {}
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False,
                                 stop_words=sorted(STOP_WORDS), min_df=2)
    try:
        matrix = vectorizer.fit_transform([it.text for it in corpus])
    except ValueError:  # no word in two signals
        return {}
    vocab = np.array(vectorizer.get_feature_names_out())
    background = np.asarray(matrix.mean(axis=0)).ravel()
    row = {it.id: i for i, it in enumerate(corpus)}
    out = {}
    for key, members in groups.items():
        rows = [row[m.id] for m in members]
        score = np.asarray(matrix[rows].mean(axis=0)).ravel() - background
        best = [i for i in np.argsort(-score)[: n * 2] if score[i] > 0 and len(vocab[i]) > 3]
        out[key] = [str(vocab[i]) for i in best[:n]]
    return out


def describe(key: str, members: list[Item], terms: list[str], names: Mapping[str, str],
             today: date, s: Settings | None = None, by_hand: bool = False) -> Cluster:
    """One group with its label, spread and growth."""
    s = s or Settings()
    themes = Counter(t for m in members for t in m.themes).most_common(3)
    shown = [names.get(t, t) for t, _ in themes[:2]]
    label = " en ".join(shown) if shown else "Zonder thema"
    if terms:
        label += ": " + ", ".join(terms)
    start = today - timedelta(weeks=s.weeks)
    weekly = [0] * s.weeks
    for m in members:
        if start <= m.day <= today:
            weekly[min((m.day - start).days // 7, s.weeks - 1)] += 1
    recent = sum(1 for m in members if (today - m.day).days < s.recent_days)
    regions = Counter(m.provincie or "onbekend" for m in members)
    domains = Counter(d for m in members for d in m.domains)
    return Cluster(key, label, sorted(m.id for m in members), themes, terms,
                   dict(regions.most_common()), dict(domains.most_common()), weekly, recent,
                   by_hand=by_hand, members=members)


def emerging(found: list[Cluster], factor: float = 2.0, min_recent: int = 3) -> None:
    """Flag groups that grow faster than the rest: their share of recent signals is at
    least ``factor`` times that of all other signals (and they have ``min_recent``)."""
    total = sum(len(c.signals) for c in found)
    recent = sum(c.recent for c in found)
    for c in found:
        others, others_recent = total - len(c.signals), recent - c.recent
        rest = others_recent / others if others else 0.0
        share = c.recent / len(c.signals)
        c.emerging = c.recent >= min_recent and (share >= factor * rest if rest else
                                                 others > 0)
