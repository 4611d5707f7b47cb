"""A tall matrix kept as blocks of rows, so an update copies only the blocks it touches.

The member vectors are the largest array of the read model (100k x 512 float32 = 200 MB).
Copying them for every one-member edit would cost more than a match; as blocks of a few
thousand rows, an edit copies one block and shares the rest with the previous version.
"""

from __future__ import annotations

import numpy as np

from .splice import Splice

__all__ = ["RowBlocks", "BLOCK"]

BLOCK = 4096  # rows per block: one block is a few MB, a matrix product per block is cheap


class RowBlocks:
    """Rows ``0..n`` of a matrix in consecutive blocks; never changed once built."""

    def __init__(self, blocks: list[np.ndarray], dim: int, dtype: type = np.float32) -> None:
        self.blocks = [b for b in blocks if len(b)]
        self.dim = dim
        self.dtype = dtype  # float32 vectors, or int8 codes (matching/quantised.py)
        self.offsets = np.cumsum([0, *(len(b) for b in self.blocks)]).astype(np.int64)

    @classmethod
    def of(cls, matrix: np.ndarray, size: int = BLOCK) -> RowBlocks:
        dtype = np.int8 if np.asarray(matrix).dtype == np.int8 else np.float32
        matrix = np.asarray(matrix, dtype=dtype)
        return cls([np.ascontiguousarray(matrix[i : i + size])
                    for i in range(0, len(matrix), size)], matrix.shape[1], dtype)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.dim

    def array(self) -> np.ndarray:
        """One contiguous matrix (a copy)."""
        if not self.blocks:
            return np.zeros((0, self.dim), dtype=self.dtype)
        return np.concatenate(self.blocks)

    def dot(self, vector: np.ndarray) -> np.ndarray:
        out = np.empty(len(self), dtype=np.float32)
        for b, lo in zip(self.blocks, self.offsets, strict=False):
            out[lo : lo + len(b)] = b @ vector
        return out

    def take(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.dim), dtype=self.dtype)
        which = np.searchsorted(self.offsets, rows, "right") - 1
        for k in np.unique(which):
            sel = which == k
            out[sel] = self.blocks[k][rows[sel] - self.offsets[k]]
        return out

    def splice(self, splice: Splice, fresh: np.ndarray, size: int = BLOCK) -> RowBlocks:
        """The rows after ``splice``, ``fresh`` for its put rows: blocks without a dropped
        or put row are shared, the others rebuilt (and split when grown too large)."""
        starts = self.offsets[:-1]
        # Each old block keeps its first kept row's place; puts before it belong to it.
        drop_block = np.searchsorted(self.offsets, splice.drop, "right") - 1
        firsts: list[int] = []
        keep_blocks: list[int] = []
        for k, lo in enumerate(starts.tolist()):
            hi = lo + len(self.blocks[k])
            dropped = splice.drop[drop_block == k]
            if len(dropped) == hi - lo:
                continue  # every row went
            first, gone = lo, set(dropped.tolist())
            while first in gone:
                first += 1
            keep_blocks.append(k)
            firsts.append(int(splice.moved(np.array([first]))[0]))
        if not keep_blocks:
            return RowBlocks.of(fresh.astype(self.dtype), size) if len(fresh) else \
                RowBlocks([], self.dim, self.dtype)
        firsts[0] = 0
        bounds = [*firsts, splice.n_new]
        blocks: list[np.ndarray] = []
        for n, k in enumerate(keep_blocks):
            a, b = bounds[n], bounds[n + 1]
            puts = np.flatnonzero((splice.put >= a) & (splice.put < b))
            if not len(puts) and not (drop_block == k).any() and b - a == len(self.blocks[k]):
                blocks.append(self.blocks[k])  # untouched: shared
                continue
            out = np.empty((b - a, self.dim), dtype=self.dtype)
            for o, s, length in splice.runs:
                lo, hi = max(s, a), min(s + length, b)
                if lo < hi:
                    out[lo - a : hi - a] = self._rows(o + lo - s, o + hi - s)
            out[splice.put[puts] - a] = fresh[puts]
            blocks += [out[i : i + size] for i in range(0, len(out), size)] \
                if len(out) > 2 * size else [out]
        return RowBlocks(blocks, self.dim, self.dtype)

    def fill(self, rows: np.ndarray, values: np.ndarray) -> RowBlocks:
        """These rows set to ``values``: the blocks they fall in are copied, the rest
        shared (vectors arriving from the background encoder)."""
        rows = np.asarray(rows, dtype=np.int64)
        blocks = list(self.blocks)
        which = np.searchsorted(self.offsets, rows, "right") - 1
        for k in np.unique(which).tolist():
            sel = which == k
            block = blocks[k].copy()
            block[rows[sel] - self.offsets[k]] = values[sel]
            blocks[k] = block
        return RowBlocks(blocks, self.dim, self.dtype)

    def _rows(self, lo: int, hi: int) -> np.ndarray:
        """Old rows lo..hi (they may span blocks)."""
        first = int(np.searchsorted(self.offsets, lo, "right") - 1)
        last = int(np.searchsorted(self.offsets, hi - 1, "right") - 1)
        if first == last:
            base = self.offsets[first]
            return self.blocks[first][lo - base : hi - base]
        return self.take(np.arange(lo, hi))
