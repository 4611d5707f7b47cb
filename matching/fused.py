"""The hybrid score's passes over all rows, written to make few temporaries.

Each step works in place on one or two scratch arrays, in the same float32 operations in
the same order as the plain numpy reference (tests/matching/test_fused.py), so scores are bit
for bit the same.

Tried and left out: the same steps as compiled loops (numba, one pass per step). In-process
at 100k members they saved no measurable time (the matcher's passes are a small part of a
match next to the scan), and importing numba and loading its compiled loops took 113 MB of
the server's memory, over the 1.0 GB goal at 100k members.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .vectors import masked_max

__all__ = ["meaning_signal", "weighted_sum", "fitted_total"]

_F32 = np.float32


def meaning_signal(cos: np.ndarray, mask: np.ndarray, closeness: np.ndarray | None,
                   share: float, floor: float) -> np.ndarray:
    """See ``engine._dense``: max(cos, 0), mixed with ``share`` x max(closeness, 0) where
    the closeness is not NaN, over the best allowed row's value (at least ``floor``)."""
    meaning = np.maximum(cos, 0).astype(_F32, copy=False)
    if closeness is not None:
        s = _F32(share)
        mixed = np.maximum(closeness, 0)  # NaN stays NaN: those rows keep their cosine
        mixed *= s
        mixed += meaning
        mixed /= 1 + s
        np.copyto(meaning, mixed, where=~np.isnan(closeness))
    best = masked_max(meaning, mask)
    meaning /= max(best, floor)
    return meaning


def weighted_sum(values: Sequence[np.ndarray], weights: Sequence[float], n: int) -> np.ndarray:
    """sum of weight x value per row, in the given order (ranker.combine)."""
    total = np.zeros(n, dtype=_F32)
    part = np.empty(n, dtype=_F32)  # one scratch row, not a new one per signal
    for v, w in zip(values, weights, strict=True):
        np.multiply(v, _F32(w), out=part)
        total += part
    return total


def fitted_total(subject: Sequence[np.ndarray], subject_weights: Sequence[float],
                 values: Sequence[np.ndarray], weights: Sequence[float],
                 fitted: Sequence[bool], mask: np.ndarray, share: float,
                 low: float) -> tuple[np.ndarray, np.ndarray]:
    """(total, fit): the fit is each row's weighted ``subject`` over ``share`` of the best
    allowed row's, clipped to low..1 (0 everywhere when no row has any); the total is the
    weighted sum of ``values``, those marked ``fitted`` times the fit first."""
    n = len(mask)
    fit = weighted_sum(subject, subject_weights, n)
    best = masked_max(fit, mask)
    if best <= 0:
        fit[:] = 0
    else:
        fit /= share * best
        np.clip(fit, low, 1.0, out=fit)
    total = np.zeros(n, dtype=_F32)
    part = np.empty(n, dtype=_F32)
    for v, w, scaled in zip(values, weights, fitted, strict=True):
        if scaled:
            np.multiply(v, fit, out=part)
            part *= _F32(w)
        else:
            np.multiply(v, _F32(w), out=part)
        total += part
    return total, fit
