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
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import simsimd

from .blocks import BLOCK, RowBlocks
from .cores import helper
from .splice import Splice

__all__ = ["Head", "Int8Rows", "Scan", "quantise", "HEAD_FROM"]

# From this many blocks (of BLOCK rows) a scan is shared with an idle core: at 100k members
# 25 blocks, 2.6 -> 1.6 ms on 2 cores. simsimd lets go of the interpreter while it computes.
PARALLEL_BLOCKS = 8

# From this many rows a scan reads the rows' leading principal components (Head) rather
# than all 512 numbers: the fewest multiple of HEAD_STEP components that hold HEAD_ENERGY
# of the rows' energy, if that is at most half of them (else a head gains too little).
HEAD_FROM, HEAD_ENERGY, HEAD_STEP = 20_000, 0.985, 64


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


@dataclass(frozen=True)
class Head:
    """The rows' coordinates on their leading principal components, as int8 codes: what a
    scan reads. At 100k generated members 256 of 512 components hold 98.8% of the energy
    and a cosine from them is 0.0025 off (standard deviation); half the bytes to stream,
    and in the pause between two requests (the other core streaming the codes) a match
    took 1.3-2 ms less (in-process, 10 ms apart). The top rows are rescored exactly."""

    basis: np.ndarray  # dim x components, orthonormal columns
    codes: RowBlocks
    scales: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def fit(cls, rows: Int8Rows, min_rows: int = HEAD_FROM) -> Head | None:
        """The head of ``rows`` (None below ``min_rows`` rows, or when the energy is spread
        too evenly for half the components to hold HEAD_ENERGY of it)."""
        if len(rows) < max(min_rows, 1):
            return None
        gram = np.zeros((rows.dim, rows.dim), dtype=np.float64)
        for x in rows.decoded_blocks():  # block by block: no float32 copy of every row
            gram += x.T @ x
        energy, vectors = np.linalg.eigh(gram)
        energy, vectors = energy[::-1], vectors[:, ::-1]
        share = np.cumsum(energy) / max(float(energy.sum()), 1e-12)
        size = next((d for d in range(HEAD_STEP, rows.dim // 2 + 1, HEAD_STEP)
                     if share[d - 1] >= HEAD_ENERGY), None)
        if size is None:
            return None
        basis = np.ascontiguousarray(vectors[:, :size], dtype=np.float32)
        coded = [quantise(x @ basis) for x in rows.decoded_blocks()]
        return cls(basis, RowBlocks([c for c, _ in coded], size, np.int8),
                   np.concatenate([s for _, s in coded]))

    def splice(self, splice: Splice, fresh: np.ndarray) -> Head:
        codes, scales = quantise(fresh @ self.basis) if len(fresh) else (
            np.zeros((0, self.codes.dim), np.int8), np.zeros(0, np.float32))
        return Head(self.basis, self.codes.splice(splice, codes),
                    splice.array(self.scales, scales))

    def fill(self, rows: np.ndarray, values: np.ndarray) -> Head:
        codes, scales = quantise(values @ self.basis)
        out = self.scales.copy()
        out[np.asarray(rows, dtype=np.int64)] = scales
        return Head(self.basis, self.codes.fill(rows, codes), out)


class Int8Rows:
    """Rows ``0..n`` as int8 codes (in blocks) and their scales; from HEAD_FROM rows on
    (once every vector is there: :meth:`with_head`) also a :class:`Head` that scans read."""

    quantised = True

    def __init__(self, codes: RowBlocks, scales: np.ndarray, head: Head | None = None) -> None:
        self.codes = codes
        self.scales = scales
        self.dim = codes.dim
        self.head = head

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
        head = self.head
        return sum(b.nbytes for b in self.codes.blocks) + self.scales.nbytes + (
            sum(b.nbytes for b in head.codes.blocks) + head.scales.nbytes + head.basis.nbytes
            if head is not None else 0)

    def with_head(self, min_rows: int = HEAD_FROM) -> Int8Rows:
        """These rows with a :class:`Head` fitted on them now (if one is worth it)."""
        return Int8Rows(self.codes, self.scales, Head.fit(self, min_rows))

    def decoded_blocks(self) -> Iterator[np.ndarray]:
        for b, lo in zip(self.codes.blocks, self.codes.offsets, strict=False):
            yield b.astype(np.float32) * self.scales[lo : lo + len(b), None]

    def dot(self, vector: np.ndarray) -> np.ndarray:
        """Every row's dot product with ``vector`` (float32, approximate). An idle core
        takes blocks as well (see :func:`~schakel.matching.cores.helper`)."""
        return self.start(vector).result()

    def start(self, vector: np.ndarray) -> Scan:
        """:meth:`dot` begun on an idle core: the caller does other work meanwhile and
        takes the blocks still left when it asks for the :meth:`Scan.result`. With a head,
        the scan reads the head's codes (a closer approximation is :meth:`take`)."""
        if self.head is not None:
            return Scan(self.head, np.asarray(vector, dtype=np.float32) @ self.head.basis)
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
        head = self.head.splice(splice, fresh) if self.head is not None else None
        return Int8Rows(self.codes.splice(splice, codes), splice.array(self.scales, scales),
                        head)

    def fill(self, rows: np.ndarray, values: np.ndarray) -> Int8Rows:
        codes, scales = quantise(values)
        out = self.scales.copy()
        out[np.asarray(rows, dtype=np.int64)] = scales
        head = self.head.fill(rows, values) if self.head is not None else None
        return Int8Rows(self.codes.fill(rows, codes), out, head)


class Scan:
    """One scan of :class:`Int8Rows` under way. Blocks are taken from one counter by the
    helper (from the start) and by the caller (once it asks for the result), so each is
    scanned once and neither waits for the other longer than one block."""

    def __init__(self, rows: Int8Rows | Head, vector: np.ndarray) -> None:
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
