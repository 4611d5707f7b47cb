"""BM25 (Lucene variant) over analysed texts, exact after incremental add and remove.

The main index is a sparse term-frequency matrix (one column per term) built at once; documents
added later live in a small delta and removed ones are masked. Scores always use the statistics
of the documents indexed *now* (count, document frequencies, mean length), so an index that was
updated scores exactly like one built afresh from the same documents. When the delta grows past
a share of the index, the main matrix is rebuilt (only a speed matter).

An index is changed in place; :meth:`copy` gives an independent one that shares what was built at
once (the main matrix and documents) and copies only the changes since, so a published index
never changes under a reader and a copy costs little.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

__all__ = ["LexicalIndex"]


class LexicalIndex:
    """BM25 (Lucene variant) over documents given as term lists, addressed by id.

    Parameters
    ----------
    k1, b : the usual BM25 parameters.
    rebuild_share : rebuild when the delta holds more than this share of the documents.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, rebuild_share: float = 0.05) -> None:
        self.k1, self.b, self.rebuild_share = k1, b, rebuild_share
        # Built at once and then only read (shared by copies): the main documents.
        self._main_ids: list[str] = []
        self._main_docs: dict[str, list[str]] = {}
        self._main_pos: dict[str, int] = {}
        self._main_df: Counter[str] = Counter()
        self._tf = sparse.csc_matrix((0, 0), dtype=np.float32)
        self._dl = np.zeros(0)
        self._vocab: dict[str, int] = {}
        # Changed since (small, copied by copy()): None marks a main document removed.
        self._docs: dict[str, list[str] | None] = {}
        self._pos: dict[str, int | None] = {}
        self._df: Counter[str] = Counter()  # difference to the main frequencies
        self._removed: set[int] = set()
        self._delta: list[str | None] = []  # None: removed again (positions never shift)
        self._n = 0
        self._total = 0  # terms in all indexed documents
        self.rebuilds = 0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, doc_id: object) -> bool:
        return self._terms(doc_id) is not None  # type: ignore[arg-type]

    def _terms(self, doc_id: str) -> list[str] | None:
        if doc_id in self._docs:
            return self._docs[doc_id]
        return self._main_docs.get(doc_id)

    def _freq(self, term: str) -> int:
        return self._main_df.get(term, 0) + self._df.get(term, 0)

    def copy(self) -> LexicalIndex:
        """An independent index with the same documents; what was built at once is shared,
        only the changes since are copied."""
        out = LexicalIndex.__new__(LexicalIndex)
        out.__dict__.update(self.__dict__)
        out._docs = dict(self._docs)
        out._pos = dict(self._pos)
        out._df = Counter(self._df)
        out._removed = set(self._removed)
        out._delta = list(self._delta)
        return out

    def build(self, docs: Mapping[str, Sequence[str]]) -> None:
        """Index these documents, replacing everything."""
        self._rebuild({i: list(t) for i, t in docs.items()})

    def _all_docs(self) -> dict[str, list[str]]:
        out = {i: t for i, t in self._main_docs.items() if i not in self._docs}
        out.update({i: t for i, t in self._docs.items() if t is not None})
        return out

    def _rebuild(self, docs: dict[str, list[str]]) -> None:
        self._main_ids = list(docs)
        self._main_docs = docs
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        for r, doc_id in enumerate(self._main_ids):
            for term, n in Counter(docs[doc_id]).items():
                rows.append(r)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(n)
        self._tf = sparse.csc_matrix(
            (np.array(counts, dtype=np.float32), (np.array(rows, dtype=np.int64),
                                                  np.array(cols, dtype=np.int64))),
            shape=(len(self._main_ids), len(vocab)))
        self._dl = np.array([len(docs[i]) for i in self._main_ids], dtype=np.float64)
        self._vocab = vocab
        self._main_df = Counter(t for doc in docs.values() for t in set(doc))
        self._main_pos = {i: n for n, i in enumerate(self._main_ids)}
        self._docs, self._pos, self._df = {}, {}, Counter()
        self._removed = set()
        self._delta = []
        self._n = len(docs)
        self._total = int(self._dl.sum())
        self.rebuilds += 1

    def upsert(self, doc_id: str, terms: Sequence[str]) -> None:
        """Add a document or replace its terms."""
        if self._terms(doc_id) == list(terms):
            return
        self.remove(doc_id)
        self._docs[doc_id] = list(terms)
        self._df.update(set(terms))
        self._n += 1
        self._total += len(terms)
        self._pos[doc_id] = len(self._main_ids) + len(self._delta)
        self._delta.append(doc_id)
        if len(self._delta) > max(50, self.rebuild_share * len(self._main_ids)):
            self._rebuild(self._all_docs())

    def remove(self, doc_id: str) -> None:
        terms = self._terms(doc_id)
        if terms is None:
            return
        self._df.subtract(set(terms))
        self._n -= 1
        self._total -= len(terms)
        pos = self.position(doc_id)
        self._docs[doc_id] = None
        self._pos[doc_id] = None
        self._removed.add(pos)
        if pos >= len(self._main_ids):
            self._delta[pos - len(self._main_ids)] = None

    def positions(self, ids: Sequence[str]) -> np.ndarray:
        """Where each id's score is in :meth:`scores` (-1 for unknown ids)."""
        return np.array([self.position(i) for i in ids], dtype=np.int64)

    def position(self, doc_id: str) -> int:
        if doc_id in self._pos:
            pos = self._pos[doc_id]
            return -1 if pos is None else pos
        return self._main_pos.get(doc_id, -1)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every position for a query; removed documents score 0.

        The array has one extra trailing 0 so position -1 (unknown id) reads as 0.
        """
        main = len(self._main_ids)
        out = np.zeros(main + len(self._delta) + 1, dtype=np.float32)
        n = self._n
        if n == 0:
            return out
        avgdl = (self._total / n) or 1.0
        idf = {t: self._idf(t, n) for t in dict.fromkeys(terms) if self._freq(t) > 0}
        tf, norms = self._tf, self._norms(avgdl)
        for term, weight in idf.items():
            col = self._vocab.get(term)
            if col is None:
                continue
            lo, hi = tf.indptr[col], tf.indptr[col + 1]
            rows, f = tf.indices[lo:hi], tf.data[lo:hi]
            part = f / (f + norms.take(rows))
            part *= np.float32(weight)
            out[rows] += part
        if self._removed:
            out[list(self._removed)] = 0.0
        for k, doc_id in enumerate(self._delta):
            if doc_id is not None:
                out[main + k] = self._score(idf, self._docs[doc_id] or [], avgdl)
        return out

    def _norms(self, avgdl: float) -> np.ndarray:
        """BM25's length norm of every main document (float32), kept for the average
        length it was made with: it changes only when documents come or go, and a question
        then reads one value per posting instead of working it out (100k: 1.0 -> 0.5 ms)."""
        kept = self.__dict__.get("_kept_norms")
        if kept is None or kept[0] != avgdl or kept[1] is not self._dl:
            norms = (self.k1 * (1 - self.b + self.b * self._dl / avgdl)).astype(np.float32)
            kept = (avgdl, self._dl, norms)
            self.__dict__["_kept_norms"] = kept  # one assignment: readers see old or new
        return kept[2]

    def _idf(self, term: str, n: int) -> float:
        df = self._freq(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _score(self, idf: Mapping[str, float], doc: Sequence[str], avgdl: float) -> float:
        tf = Counter(doc)
        norm = self.k1 * (1 - self.b + self.b * len(doc) / avgdl)
        return sum(w * tf[t] / (tf[t] + norm) for t, w in idf.items() if tf.get(t))
