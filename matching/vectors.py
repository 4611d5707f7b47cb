"""Exact cosine scores over a contiguous float32 matrix of unit vectors, filters first."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["unit_rows", "cosine", "top_k"]

# Below this share of allowed rows, scoring only those rows beats scoring all of them.
NARROW = 0.25


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
    out[~allowed] = 0.0
    return out


def top_k(scores: np.ndarray, k: int, allowed: np.ndarray) -> np.ndarray:
    """Indices of the ``k`` best allowed rows, best first (fewer when fewer are allowed)."""
    candidates = np.flatnonzero(allowed)
    k = min(k, len(candidates))
    if k == 0:
        return candidates
    sub = scores[candidates]
    best = np.argpartition(-sub, k - 1)[:k]
    return candidates[best[np.argsort(-sub[best], kind="stable")]]
