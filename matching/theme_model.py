"""Themes from meaning, learned from the network itself.

The graph is labelled data: members' profiles with the themes they work on, practices with the
themes they are about, themes with their names, synonyms and descriptions. A one-vs-rest
logistic regression over the sentence embedding and character n-grams of those texts reads
themes in a question that names none of their words ("leerlingen die al maanden niet naar
school gaan" is thuiszitters). Fitted when the matcher builds its read model, on whatever
network is loaded; a network too small to learn from gets no model (rules and the theme
vectors still read questions).

Fitting uses scikit-learn; the fitted model is plain arrays and reads a question with numpy
alone, so a service that fits in another process (service/offload.py) never imports it.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from .blocks import RowBlocks
    from .catalog import Catalog
    from .quantised import Int8Rows

__all__ = ["ThemeModel", "char_wb_ngrams", "fit_theme_model", "MAX_ROWS", "MIN_ROWS",
           "THEME_TEXT_REPEAT", "training_rows"]

# Enough rows to learn from, and a cap that keeps fitting within seconds at 100k members.
MIN_ROWS, MAX_ROWS = 40, 1500
# The themes' own texts are few and exact: each is given this many times.
THEME_TEXT_REPEAT = 2
# How strongly the embedding counts against the n-grams (both are unit-length per row).
DENSE_SCALE = 2.0
# Character n-grams kept (3-5 letters within words): stems, compounds and misspellings that
# the sentence vector blurs (development questions: right theme first 50 -> 59 of 96).
NGRAMS = 20000
NGRAM_RANGE = (3, 5)

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's _VectorizerMixin


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """The n-grams scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` reads in a text
    (lowercased; each word padded with a space; a word shorter than n once, as itself)."""
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:  # the whole word, once, and no longer n-grams of it
                grams.append(padded)
                break
            grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return grams


@dataclass(frozen=True, eq=False)
class ThemeModel:
    """p(theme | text) over the themes it was fitted on: which theme a text is about.

    Plain arrays (what the fitted scikit-learn parts hold): features are the sentence vector
    times ``dense_scale`` followed by the text's tf-idf n-grams; ``coef`` has a row per theme,
    or one row when there are two (the second theme's log-odds)."""

    themes: list[str]
    coef: np.ndarray  # float64, (themes or 1) x (vector dims + n-grams)
    intercept: np.ndarray  # float64, one per row of coef
    vocabulary: dict[str, int]  # n-gram -> its column among the n-grams
    idf: np.ndarray  # float32, per n-gram column
    ngram_range: tuple[int, int] = NGRAM_RANGE
    dense_scale: float = DENSE_SCALE

    def _ngram_weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's known n-grams (columns) and their sublinear tf-idf, unit length."""
        counts = Counter(char_wb_ngrams(text, self.ngram_range)) if self.vocabulary else {}
        known = [(self.vocabulary[g], n) for g, n in counts.items() if g in self.vocabulary]
        columns = np.array([c for c, _ in known], dtype=np.intp)
        weights = (1.0 + np.log(np.array([n for _, n in known], dtype=np.float64))) \
            * self.idf[columns]
        length = np.sqrt(weights @ weights)
        return columns, weights / length if length > 0 else weights

    def text_part(self, text: str) -> np.ndarray:
        """The part of the decision that needs only the text (its n-grams, the intercept):
        read while the text's vector is still being made."""
        dims = self.coef.shape[1] - len(self.idf)
        columns, weights = self._ngram_weights(text)
        return self.coef[:, dims + columns] @ weights + self.intercept  # type: ignore[no-any-return]

    def predict_one(self, text: str, vector: np.ndarray,
                    text_part: np.ndarray | None = None) -> np.ndarray:
        """Probabilities over :attr:`themes` for one text with its sentence vector (sum 1);
        ``text_part`` is :meth:`text_part` of the same text, when read already."""
        dims = self.coef.shape[1] - len(self.idf)
        if text_part is None:
            text_part = self.text_part(text)
        decision = self.coef[:, :dims] @ (np.asarray(vector, np.float64) * self.dense_scale) \
            + text_part
        if len(decision) == 1:  # two themes: the second's log-odds
            second = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - second, second])
        p = np.exp(decision - decision.max())
        return p / p.sum()

    def predict(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Probabilities, texts x themes (in :attr:`themes` order; each row sums to 1)."""
        if not len(texts):
            return np.zeros((0, len(self.themes)))
        return np.vstack([self.predict_one(t, v) for t, v in zip(texts, vectors, strict=True)])


def fit_theme_model(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[Sequence[str]],
                    seed: int = 0, max_ngrams: int = NGRAMS, c: float = 1.0) -> ThemeModel | None:
    """Fit on labelled texts (their sentence vectors beside them). A text with several themes
    is a row per theme, so the model learns a distribution over themes (one multinomial
    logistic regression: one fit, not one per theme). Themes with fewer than two rows are
    not learned. None when too little is left."""
    fitted = _fit_parts(texts, vectors, labels, seed, max_ngrams, c)
    return _as_arrays(*fitted) if fitted is not None else None


def _fit_parts(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[Sequence[str]],
               seed: int, max_ngrams: int, c: float
               ) -> tuple[list[str], TfidfVectorizer | None, LogisticRegression] | None:
    """The themes learned, the fitted n-gram vectorizer (None without n-grams) and the
    fitted classifier."""
    # scikit-learn (with pandas and scipy.stats) is imported here, not at start-up: the
    # service fits in a process of its own and reads with the arrays alone.
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
        ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=2,
                                 max_features=max_ngrams, sublinear_tf=True, dtype=np.float32)
        ngrams.fit(list(dict.fromkeys(texts)))
    classifier = LogisticRegression(C=c, max_iter=100, random_state=seed)
    index = [i for i, _ in rows]
    x = _sklearn_features(ngrams, [texts[i] for i in index], vectors[index])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(x, [t for _, t in rows])
    assert list(classifier.classes_) == learnable
    return learnable, ngrams, classifier


def _sklearn_features(ngrams: TfidfVectorizer | None, texts: Sequence[str],
                      vectors: np.ndarray) -> Any:
    """What the classifier is fitted on: the scaled sentence vectors, then the n-grams."""
    if ngrams is None:
        return vectors * DENSE_SCALE
    from scipy import sparse

    grams = ngrams.transform(texts)
    return sparse.hstack([sparse.csr_matrix(vectors * DENSE_SCALE), grams]).tocsr()


def _as_arrays(themes: list[str], ngrams: TfidfVectorizer | None,
               classifier: LogisticRegression) -> ThemeModel:
    """The fitted parts as plain arrays. The vectorizer's ``stop_words_`` (every n-gram it
    dropped, many times the kept ones) is left behind."""
    vocabulary = {g: int(j) for g, j in ngrams.vocabulary_.items()} if ngrams is not None \
        else {}
    idf = ngrams.idf_.astype(np.float32) if ngrams is not None else np.zeros(0, np.float32)
    return ThemeModel(themes, np.asarray(classifier.coef_, np.float64),
                      np.asarray(classifier.intercept_, np.float64), vocabulary, idf,
                      NGRAM_RANGE, DENSE_SCALE)


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
