"""Exact cosine scores over a contiguous float32 matrix of unit vectors, filters first."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["unit_rows", "cosine", "top_k", "masked_max"]

# Below this share of allowed rows, scoring only those rows beats scoring all of them.
NARROW = 0.25
# top_k: from this many rows, a strided sample of SAMPLE rows per wanted row (at least
# SAMPLE_MIN) sets a bar that only a few hundred rows clear.
SAMPLE_FROM, SAMPLE, SAMPLE_MIN = 20_000, 16, 1000


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, as one contiguous float32 block (done once, at ingest)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms)


def cosine(matrix: Any, query: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Cosine of every allowed row with the (unit) query; rows not allowed get 0.

    ``matrix`` is an array or :class:`~schakel.matching.blocks.RowBlocks`. The filter is
    applied before any ranking: a narrow filter scores only its own rows.
    """
    blocks = not isinstance(matrix, np.ndarray)
    # int8 codes scan faster than a narrow filter can gather and decode its rows.
    if allowed.mean() < NARROW and not getattr(matrix, "quantised", False):
        out = np.zeros(len(matrix), dtype=np.float32)
        rows = np.flatnonzero(allowed)
        out[rows] = (matrix.take(rows) if blocks else matrix[rows]) @ query
        return out
    out = matrix.dot(query) if blocks else matrix @ query
    out *= allowed  # 0 where not allowed (8x quicker than out[~allowed] = 0 at 100k)
    return out


def masked_max(values: np.ndarray, mask: np.ndarray) -> float:
    """The largest of ``values`` (all >= 0) on the ``mask`` rows; 0 when none. Multiplying
    by the mask is one quick pass; ``values[mask]`` gathers a copy first (9x slower)."""
    return float(np.multiply(values, mask, dtype=values.dtype).max(initial=0.0))


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray) -> np.ndarray:
    """Indices of the ``k`` best allowed rows, best first (fewer when fewer are allowed).

    On many rows a bar from a strided sample first keeps the few hundred rows that can be
    among the best; when fewer than ``k`` allowed rows clear it, every row is ranked. Exact
    either way (three calls per question at 100k: 2.4 ms -> well under 1 ms)."""
    n = len(scores)
    sampled = max(SAMPLE * k, SAMPLE_MIN)
    if n >= SAMPLE_FROM and 0 < k and 2 * sampled <= n:
        step = n // sampled
        sample = scores[::step][allowed[::step]]
        # The bar's rank in the sample: about twice k rows of all clear it, and a few more.
        rank = min(len(sample), int(np.ceil(2 * k * len(sample) / n)) + 3)
        if rank > 0:
            bar = np.partition(sample, len(sample) - rank)[len(sample) - rank]
            rows = np.flatnonzero((scores >= bar) & allowed)
            if len(rows) >= k:
                order = np.argsort(-scores[rows], kind="stable")[:k]  # ties in row order
                return rows[order]
    candidates = np.flatnonzero(allowed)
    k = min(k, len(candidates))
    if k == 0:
        return candidates
    sub = scores[candidates]
    kth = -np.partition(-sub, k - 1)[k - 1]
    above = np.flatnonzero(sub > kth)  # then the rows tied with the k-th, in row order
    best = np.concatenate([above, np.flatnonzero(sub == kth)[:k - len(above)]])
    best.sort()
    return candidates[best[np.argsort(-sub[best], kind="stable")]]
