"""Themes from meaning, learned from the network itself.

The graph is labelled data: members' profiles with the themes they work on, practices with the
themes they are about, themes with their names, synonyms and descriptions. A one-vs-rest
logistic regression over the sentence embedding and character n-grams of those texts reads
themes in a question that names none of their words ("leerlingen die al maanden niet naar
school gaan" is thuiszitters). Fitted when the matcher builds its read model, on whatever
network is loaded; a network too small to learn from gets no model (rules and the theme
vectors still read questions).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from .blocks import RowBlocks
    from .catalog import Catalog
    from .quantised import Int8Rows

__all__ = ["ThemeModel", "fit_theme_model", "MAX_ROWS", "MIN_ROWS", "THEME_TEXT_REPEAT",
           "training_rows"]

# Enough rows to learn from, and a cap that keeps fitting within seconds at 100k members.
MIN_ROWS, MAX_ROWS = 40, 1500
# The themes' own texts are few and exact: each is given this many times.
THEME_TEXT_REPEAT = 2
# How strongly the embedding counts against the n-grams (both are unit-length per row).
DENSE_SCALE = 2.0
# Character n-grams kept (3-5 letters within words): stems, compounds and misspellings that
# the sentence vector blurs (development questions: right theme first 50 -> 59 of 96).
NGRAMS = 20000


@dataclass(frozen=True)
class ThemeModel:
    """p(theme | text) over the themes it was fitted on: which theme a text is about."""

    themes: list[str]
    ngrams: TfidfVectorizer | None
    classifier: LogisticRegression

    def _features(self, texts: Sequence[str],
                  vectors: np.ndarray) -> np.ndarray | sparse.csr_matrix:
        if self.ngrams is None:
            return vectors * DENSE_SCALE
        grams = self.ngrams.transform(texts)
        return sparse.hstack([sparse.csr_matrix(vectors * DENSE_SCALE), grams]).tocsr()

    def predict(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Probabilities, texts x themes (in :attr:`themes` order; each row sums to 1)."""
        return self.classifier.predict_proba(self._features(texts, vectors))


def fit_theme_model(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[Sequence[str]],
                    seed: int = 0, max_ngrams: int = NGRAMS, c: float = 1.0) -> ThemeModel | None:
    """Fit on labelled texts (their sentence vectors beside them). A text with several themes
    is a row per theme, so the model learns a distribution over themes (one multinomial
    logistic regression: one fit, not one per theme). Themes with fewer than two rows are
    not learned. None when too little is left."""
    # scikit-learn (with pandas and scipy.stats) is imported here, not at start-up: the
    # model is fitted in the background once every vector is there; 2 s of a server start.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for ls in labels:
        for t in set(ls):
            counts[t] = counts.get(t, 0) + 1
    learnable = sorted(t for t, n in counts.items() if n >= 2)
    rows = [(i, t) for i, ls in enumerate(labels) for t in dict.fromkeys(ls) if t in learnable]
    if len({i for i, _ in rows}) < MIN_ROWS or len(learnable) < 2:
        return None
    ngrams = None
    if max_ngrams:
        ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2,
                                 max_features=max_ngrams, sublinear_tf=True, dtype=np.float32)
        ngrams.fit(list(dict.fromkeys(texts)))
    model = ThemeModel(learnable, ngrams, LogisticRegression(C=c, max_iter=100,
                                                             random_state=seed))
    index = [i for i, _ in rows]
    x = model._features([texts[i] for i in index], vectors[index])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.classifier.fit(x, [t for _, t in rows])
    assert list(model.classifier.classes_) == learnable
    return model


def training_rows(catalog: Catalog, member_vectors: RowBlocks | Int8Rows,
                  practice_vectors: RowBlocks | Int8Rows,
                  encode: Callable[[list[str]], np.ndarray], seed: int = 0
                  ) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """The network's labelled texts: members who may be matched (a sample of at most
    ``MAX_ROWS``; their profile text encoded again, see below) with the themes they work on,
    practices with their themes, and each theme's
    own text and synonyms (``THEME_TEXT_REPEAT`` times)."""
    tax = catalog.taxonomy
    texts: list[str] = []
    labels: list[list[str]] = []
    parts: list[np.ndarray] = []
    members = catalog.members
    allowed = np.flatnonzero(members.allowed) if members.allowed is not None else \
        np.arange(len(members))
    if len(allowed) > MAX_ROWS:
        allowed = np.sort(np.random.default_rng(seed).choice(allowed, MAX_ROWS, replace=False))
    # A member's published vector may also speak of the themes they work on (index.py,
    # meaning_text): learning from it would learn the labels. Their profile alone, then (read
    # from the embedding cache when the vectors are the profile's own).
    practices = catalog.practices
    for items, rows, vectors in ((members, allowed, None),
                                 (practices, np.arange(len(practices)), practice_vectors)):
        if len(rows) == 0:
            continue
        parts.append(encode([items.texts[int(r)] for r in rows]) if vectors is None
                     else vectors.take(rows))
        for r in rows:
            texts.append(items.texts[r])
            labels.append([tax.theme_ids[c] for c in items.themes[int(r)].indices])
    own: list[str] = []
    own_labels: list[list[str]] = []
    for t in tax.theme_ids:
        if t not in tax.assignable:
            continue
        for text in dict.fromkeys([tax.theme_texts[t], *tax.theme_phrases.get(t, []),
                                   *tax.theme_examples.get(t, [])]):
            own.append(text)
            own_labels.append([t])
    if own:
        vectors_own = encode(own)
        for _ in range(THEME_TEXT_REPEAT):
            texts += own
            labels += own_labels
            parts.append(vectors_own)
    dim = member_vectors.shape[1]
    return texts, (np.vstack(parts) if parts else np.zeros((0, dim), np.float32)), labels


@dataclass(frozen=True)
class HeldOutScore:
    """The theme model on members it never saw: profile text -> themes."""

    members: int  # held-out members scored
    micro_f1: float
    precision: float
    recall: float


def held_out_f1(catalog: Catalog, member_vectors: RowBlocks, practice_vectors: RowBlocks,
                encode: Callable[[list[str]], np.ndarray], threshold: float,
                share: float = 0.2, seed: int = 0) -> HeldOutScore | None:
    """Fit on the network without a random ``share`` of the members, then read those members'
    themes from their profile text: the themes with probability >= ``threshold`` (at least
    the most likely one) against the themes they work on."""
    texts, vectors, labels = training_rows(catalog, member_vectors, practice_vectors, encode,
                                           seed=seed)
    allowed = catalog.members.allowed
    members = min(MAX_ROWS, len(catalog.members) if allowed is None else int(allowed.sum()))
    rng = np.random.default_rng(seed)
    out = set(rng.choice(members, int(members * share), replace=False).tolist())
    held = [i for i in sorted(out) if labels[i]]
    keep = [i for i in range(len(texts)) if i not in out]
    model = fit_theme_model([texts[i] for i in keep], vectors[keep], [labels[i] for i in keep],
                            seed=seed)
    if model is None or not held:
        return None
    p = model.predict([texts[i] for i in held], vectors[held])
    tp = fp = fn = 0
    for row, i in zip(p, held, strict=True):
        guess = {model.themes[j] for j in np.flatnonzero(row >= threshold)}
        guess.add(model.themes[int(np.argmax(row))])
        truth = set(labels[i])
        tp += len(guess & truth)
        fp += len(guess - truth)
        fn += len(truth - guess)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return HeldOutScore(len(held), 2 * tp / max(2 * tp + fp + fn, 1), precision, recall)
