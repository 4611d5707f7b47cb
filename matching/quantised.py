"""Unit vectors kept as int8 codes with one float32 scale per row: a quarter of the memory of
float32 (100k x 512: 51 MB instead of 205 MB), scanned by simsimd's SIMD int8 dot product.

A code is ``round(x / scale)`` with ``scale = max|x| / 127`` per row, so every row uses the
whole int8 range; the question is coded the same way. The cosine of a row comes out within a
few thousandths of the float32 one. The matcher rescores its top candidates with the float32
question against their decoded codes (:meth:`Int8Rows.take`; only the row side is rounded,
matching/engine.py): on `schakel eval`'s 161 questions over 3,000 members nDCG@10 stays
within 0.001 of float32, and no float32 vector is read from the embedding cache per request.
Never changed once built, like :class:`~schakel.matching.blocks.RowBlocks`.
"""

from __future__ import annotations

import itertools

import numpy as np
import simsimd

from .blocks import BLOCK, RowBlocks
from .cores import helper
from .splice import Splice

__all__ = ["Int8Rows", "Scan", "quantise"]

# From this many blocks (of BLOCK rows) a scan is shared with an idle core: at 100k members
# 25 blocks, 2.6 -> 1.6 ms on 2 cores. simsimd lets go of the interpreter while it computes.
PARALLEL_BLOCKS = 8


def quantise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes, float32 scale per row) of a float matrix; a zero row gets scale 0."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        codes, scales = quantise(matrix[None, :])
        return codes[0], scales
    peak = np.abs(matrix).max(axis=1) if matrix.size else np.zeros(len(matrix), np.float32)
    scales = (peak / 127.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    codes = np.clip(np.rint(matrix / safe), -127, 127).astype(np.int8)
    return codes, scales


class Int8Rows:
    """Rows ``0..n`` as int8 codes (in blocks) and their scales."""

    quantised = True

    def __init__(self, codes: RowBlocks, scales: np.ndarray) -> None:
        self.codes = codes
        self.scales = scales
        self.dim = codes.dim

    @classmethod
    def of(cls, matrix: np.ndarray, size: int = BLOCK) -> Int8Rows:
        codes, scales = quantise(matrix)
        if not len(codes):
            codes = np.zeros((0, np.asarray(matrix).shape[1]), dtype=np.int8)
        return cls(RowBlocks.of(codes, size), scales)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.dim

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.codes.blocks) + self.scales.nbytes

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Every row's dot product with ``vector`` (float32, approximate). An idle core
        takes blocks as well (see :func:`~schakel.matching.cores.helper`)."""
        return self.start(vector).result()

    def start(self, vector: np.ndarray) -> Scan:
        """:meth:`dot` begun on an idle core: the caller does other work meanwhile and
        takes the blocks still left when it asks for the :meth:`Scan.result`."""
        return Scan(self, vector)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """These rows decoded to float32."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.codes.take(rows).astype(np.float32) * self.scales[rows, None]

    def array(self) -> np.ndarray:
        """Every row decoded to float32 (a copy)."""
        return self.codes.array().astype(np.float32) * self.scales[:, None]

    def splice(self, splice: Splice, fresh: np.ndarray) -> Int8Rows:
        codes, scales = quantise(fresh) if len(fresh) else (
            np.zeros((0, self.dim), np.int8), np.zeros(0, np.float32))
        return Int8Rows(self.codes.splice(splice, codes), splice.array(self.scales, scales))

    def fill(self, rows: np.ndarray, values: np.ndarray) -> Int8Rows:
        codes, scales = quantise(values)
        out = self.scales.copy()
        out[np.asarray(rows, dtype=np.int64)] = scales
        return Int8Rows(self.codes.fill(rows, codes), out)


class Scan:
    """One scan of :class:`Int8Rows` under way. Blocks are taken from one counter by the
    helper (from the start) and by the caller (once it asks for the result), so each is
    scanned once and neither waits for the other longer than one block."""

    def __init__(self, rows: Int8Rows, vector: np.ndarray) -> None:
        code, self._scale = quantise(vector)
        self._rows = rows
        self._query = code[None, :]
        self._out = np.empty(len(rows), dtype=np.float32)
        self._blocks = list(zip(rows.codes.blocks, rows.codes.offsets, strict=False))
        self._taken = itertools.count()  # next() is atomic: each block is scanned once
        self._stopped = self._done = False
        pool = helper() if len(self._blocks) >= PARALLEL_BLOCKS else None
        self._other = pool.submit(self._scan) if pool is not None else None

    def _scan(self) -> None:
        out, query, blocks = self._out, self._query, self._blocks
        while not self._stopped and (i := next(self._taken)) < len(blocks):
            b, lo = blocks[i]
            # Not cdist(..., out=...): simsimd 6.5.16 then returns None without a
            # reference of its own, one less per call, and on Python 3.11 the interpreter
            # aborts ("deallocating None") once None's count reaches zero
            # (tests/matching/test_quantised.py). The block's result is copied instead.
            out[lo : lo + len(b)] = np.asarray(
                simsimd.cdist(query, b, metric="dot", out_dtype="float32"))[0]

    def _join(self) -> None:
        if self._other is not None and not self._other.cancel():  # not started: no wait
            self._other.result()  # at most the block it is on

    def result(self) -> np.ndarray:
        """The dot products (the caller scans what is left, then waits for the helper)."""
        if not self._done:
            self._scan()
            self._join()
            self._out *= self._rows.scales
            self._out *= self._scale[0]
            self._done = True
        return self._out

    def cancel(self) -> None:
        """Stop: the answer is not needed (the helper finishes at most its block)."""
        self._stopped = True
        self._join()
