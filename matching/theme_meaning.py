"""Reading a question's themes by meaning: each theme is its own text (name and description)
plus the example situations people describe without naming it. A question is as close to a
theme as to the mean of the theme's ``NEAREST`` closest texts: one stray example close to the
question weighs less than several that agree (on the development questions the mean of three
put the right theme first 35 % of the time, the single closest text 24 %).

The same texts, all of a theme's together, are also one document of a BM25 index: a question
that shares everyday words with a theme's situations ("jeugdhulp in de klas") is read by its
words where the sentence vectors blur it (development questions that name no theme: the
right theme first for 25 of 39 by words, 17 by vectors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .catalog import Taxonomy
from .lexical import LexicalIndex
from .text import Analyzer

NEAREST = 3


@dataclass(frozen=True)
class ThemeMeaning:
    vectors: np.ndarray  # one unit row per text
    slots: np.ndarray  # themes x most texts of a theme: row in vectors, -1 where none
    words: LexicalIndex | None = None  # one document per theme (all its texts)
    word_rows: np.ndarray | None = None  # theme -> position in words.scores()
    # The last vector asked about and its answer: a question asks twice with the same
    # vector (its themes, then its members' closeness), 0.1 ms each at 100k.
    _last: list[tuple[np.ndarray, np.ndarray] | None] = field(
        default_factory=lambda: [None], init=False, repr=False, compare=False)

    @classmethod
    def build(cls, taxonomy: Taxonomy, encode: Callable[[Sequence[str]], np.ndarray],
              analyzer: Analyzer | None = None) -> ThemeMeaning:
        texts: list[str] = []
        rows: list[list[int]] = []
        documents: dict[str, list[str]] = {}
        for t in taxonomy.theme_ids:
            own = list(dict.fromkeys([taxonomy.theme_texts[t],
                                      *taxonomy.theme_examples.get(t, [])]))
            rows.append(list(range(len(texts), len(texts) + len(own))))
            texts += own
            if analyzer is not None:
                documents[t] = analyzer.terms(" ".join(
                    [*own, *taxonomy.theme_phrases.get(t, [])]))
        slots = np.full((len(rows), max(map(len, rows), default=1)), -1, dtype=np.int64)
        for i, r in enumerate(rows):
            slots[i, :len(r)] = r
        if analyzer is None:
            return cls(encode(texts), slots)
        words = LexicalIndex()
        words.build(documents)
        return cls(encode(texts), slots, words, words.positions(taxonomy.theme_ids))

    def word_scores(self, terms: Sequence[str]) -> np.ndarray:
        """Per theme: BM25 of the question's terms against the theme's texts (0 without an
        analyzer at build)."""
        if self.words is None or self.word_rows is None:
            return np.zeros(len(self.slots), dtype=np.float32)
        return np.asarray(self.words.scores(terms), dtype=np.float32)[self.word_rows]

    def similarity(self, qv: np.ndarray) -> np.ndarray:
        """Per theme: the mean cosine of the question with the theme's closest texts
        (read-only; the same array when ``qv`` is the vector asked about last)."""
        last = self._last[0]
        if last is not None and last[0] is qv:
            return last[1]
        sims = self._similarity(qv)
        sims.setflags(write=False)
        self._last[0] = (qv, sims)
        return sims

    def _similarity(self, qv: np.ndarray) -> np.ndarray:
        if not self.slots.size:
            return np.zeros(0, dtype=np.float32)
        cos = self.vectors @ qv
        have = self.slots >= 0
        grid = np.where(have, cos[np.maximum(self.slots, 0)], -np.inf)
        top = -np.sort(-grid, axis=1)[:, :NEAREST]
        counted = np.minimum(have.sum(axis=1), NEAREST)
        return np.where(np.isfinite(top), top, 0).sum(axis=1) / np.maximum(counted, 1)
