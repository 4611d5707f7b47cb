"""BM25 over analysed texts (bm25s), with cheap incremental add and remove.

bm25s builds a static index. Documents added later live in a small delta scored with the same
BM25 formula and the main index's statistics; removed ones are masked. When the delta grows past
a share of the index, everything is rebuilt.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import bm25s
import numpy as np

__all__ = ["LexicalIndex"]

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on its own logger


class LexicalIndex:
    """BM25 (Lucene variant) over documents given as term lists, addressed by id.

    Parameters
    ----------
    k1, b : the usual BM25 parameters.
    rebuild_share : rebuild when the delta holds more than this share of the documents.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, rebuild_share: float = 0.05) -> None:
        self.k1, self.b, self.rebuild_share = k1, b, rebuild_share
        self._docs: dict[str, list[str]] = {}
        self._main_ids: list[str] = []
        self._model: bm25s.BM25 | None = None
        self._df: Counter[str] = Counter()
        self._avgdl = 1.0
        self._removed: set[int] = set()
        self._delta: list[str] = []
        self.rebuilds = 0

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def build(self, docs: Mapping[str, Sequence[str]]) -> None:
        """Index these documents, replacing everything."""
        self._docs = {i: list(t) for i, t in docs.items()}
        self._rebuild()

    def _rebuild(self) -> None:
        self._main_ids = list(self._docs)
        corpus = [self._docs[i] or [""] for i in self._main_ids]
        self._df = Counter(t for doc in corpus for t in set(doc))
        self._avgdl = (sum(map(len, corpus)) / len(corpus)) if corpus else 1.0
        self._model = None
        if corpus:
            self._model = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
            self._model.index(corpus, show_progress=False)
        self._removed = set()
        self._delta = []
        self._pos = {i: n for n, i in enumerate(self._main_ids)}
        self.rebuilds += 1

    def upsert(self, doc_id: str, terms: Sequence[str]) -> None:
        """Add a document or replace its terms."""
        if self._docs.get(doc_id) == list(terms):
            return
        self.remove(doc_id)
        self._docs[doc_id] = list(terms)
        self._pos[doc_id] = len(self._main_ids) + len(self._delta)
        self._delta.append(doc_id)
        if len(self._delta) > max(50, self.rebuild_share * len(self._main_ids)):
            self._rebuild()

    def remove(self, doc_id: str) -> None:
        if doc_id not in self._docs:
            return
        del self._docs[doc_id]
        pos = self._pos.pop(doc_id)
        if pos < len(self._main_ids):
            self._removed.add(pos)
        else:
            self._delta.remove(doc_id)
            self._pos.update({d: len(self._main_ids) + n for n, d in enumerate(self._delta)})

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Where each id's score is in :meth:`scores` (-1 for unknown ids)."""
        return np.array([self._pos.get(i, -1) for i in ids], dtype=np.int64)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every position for a query; removed documents score 0.

        The array has one extra trailing 0 so position -1 (unknown id) reads as 0.
        """
        terms = list(dict.fromkeys(terms))
        main = len(self._main_ids)
        out = np.zeros(main + len(self._delta) + 1, dtype=np.float32)
        if self._model is not None:
            known = [t for t in terms if t in self._model.vocab_dict]
            if known:
                out[:main] = self._model.get_scores(known)
            if self._removed:
                out[list(self._removed)] = 0.0
        for n, doc_id in enumerate(self._delta):
            out[main + n] = self._score(terms, self._docs[doc_id])
        return out

    def _score(self, query: Sequence[str], doc: Sequence[str]) -> float:
        # bm25s' Lucene variant, with the main index's document frequencies.
        n = max(1, len(self._main_ids))
        tf = Counter(doc)
        norm = self.k1 * (1 - self.b + self.b * len(doc) / self._avgdl)
        total = 0.0
        for term in query:
            f = tf.get(term, 0)
            if f:
                df = self._df.get(term, 0)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                total += idf * f / (f + norm)
        return total
