"""Splicing sorted rows: the next version of an array beside the old one, in O(rows) copies.

Read models keep their rows sorted by id. An update drops the rows of the ids it touched and
puts fresh rows for those that still exist at their sorted place, so the result equals a fresh
build. The unchanged runs between are copied as slices (numpy), never row by row in Python.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Sequence
from typing import TypeVar

import numpy as np
from scipy import sparse

__all__ = ["Splice", "row_of"]

T = TypeVar("T")


def row_of(ids: Sequence[str], node_id: str) -> int | None:
    """The row of ``node_id`` in sorted ``ids``, or None."""
    r = bisect_left(ids, node_id)
    return r if r < len(ids) and ids[r] == node_id else None


class Splice:
    """Old sorted ``ids`` with the rows of ``touched`` ids dropped and fresh rows put for the
    touched ids in ``present`` (those that exist now).

    ``drop``: old rows that go; ``put``: rows of the result that take fresh values, in the
    order of ``fresh`` (the touched present ids, sorted); ``ids``: the result's ids.
    """

    def __init__(self, ids: Sequence[str], touched: Collection[str],
                 present: Collection[str]) -> None:
        self.n_old = len(ids)
        drop = sorted(r for i in touched if (r := row_of(ids, i)) is not None)
        self.fresh = sorted(set(present) & set(touched))
        new = list(ids)
        for r in reversed(drop):
            del new[r]
        for i in self.fresh:
            insort(new, i)
        self.ids = new
        self.drop = np.array(drop, dtype=np.int64)
        self.put = np.array([bisect_left(new, i) for i in self.fresh], dtype=np.int64)
        self.n_new = len(new)
        kept = self.n_old - len(drop)
        self._b_drop = self.drop - np.arange(len(drop))
        self._b_put = self.put - np.arange(len(self.put))
        cuts = np.unique(np.concatenate([[0, kept], self._b_drop, self._b_put]))
        self.runs: list[tuple[int, int, int]] = []  # (old start, new start, length)
        for k0, k1 in zip(cuts[:-1], cuts[1:], strict=True):
            if k1 > k0:
                self.runs.append((int(k0 + np.searchsorted(self._b_drop, k0, "right")),
                                  int(k0 + np.searchsorted(self._b_put, k0, "right")),
                                  int(k1 - k0)))

    def __bool__(self) -> bool:
        return bool(len(self.drop) or len(self.put))

    def array(self, old: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        out = np.empty((self.n_new, *old.shape[1:]), dtype=old.dtype)
        for o, n, length in self.runs:
            out[n : n + length] = old[o : o + length]
        if len(self.put):
            out[self.put] = fresh
        return out

    def csr(self, old: sparse.csr_matrix, fresh: sparse.csr_matrix) -> sparse.csr_matrix:
        order = np.empty(self.n_new, dtype=np.int64)
        for o, n, length in self.runs:
            order[n : n + length] = np.arange(o, o + length)
        order[self.put] = self.n_old + np.arange(len(self.put))
        both = sparse.vstack([old, fresh], format="csr")
        return sparse.csr_matrix(both[order])

    def list(self, old: Sequence[T], fresh: Sequence[T]) -> list[T]:
        out = list(old)
        for r in reversed(self.drop.tolist()):
            del out[r]
        for r, value in zip(self.put.tolist(), fresh, strict=True):
            out.insert(r, value)
        return out

    def moved(self, old_rows: np.ndarray) -> np.ndarray:
        """New rows of kept old rows (the rows of dropped ones are meaningless)."""
        kept = old_rows - np.searchsorted(self.drop, old_rows)
        return kept + np.searchsorted(self._b_put, kept, "right")

    def kept(self, old_row: int) -> bool:
        i = int(np.searchsorted(self.drop, old_row))
        return not (i < len(self.drop) and self.drop[i] == old_row)
