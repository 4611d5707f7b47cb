"""The hybrid score's passes over all rows, each fused into one compiled loop (numba).

Written with numpy, scoring one kind took about 60 passes over its rows: every weighted
signal twice (before and after the float32 rescoring), the meaning mixed with the themes'
closeness, the masks, the subject fit. At 100k members each pass reads and writes 400 kB
arrays, and the temporaries push the question's other data out of the caches. Here each
step is one loop that reads every input once, in the same float32 operations in the same
order as the numpy reference (no fused multiply-add: ``fastmath`` stays off), so scores are
bit for bit the same (tests/matching/test_fused.py).

The loops let go of the interpreter. They are compiled on first use and cached on disk
(numba's ``cache=True``); :func:`warm` compiles them while the matcher is built, not
during a question.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numba
import numpy as np

__all__ = ["meaning_signal", "weighted_sum", "fitted_total", "warm"]

_F32 = np.float32


@numba.njit(cache=True, nogil=True)
def _meaning(cos, mask, closeness, share, floor, out):  # type: ignore[no-untyped-def]
    """out = each row's meaning (its cosine, mixed with its themes' closeness where that
    is not NaN) divided by the best allowed one, but at least ``floor``."""
    n = cos.shape[0]
    mixed = closeness.shape[0] == n
    one = np.float32(1.0) + share
    zero = np.float32(0.0)
    best = zero
    for i in range(n):
        m = cos[i] if cos[i] > zero else zero
        if mixed:
            c = closeness[i]
            if not np.isnan(c):
                m = (m + share * (c if c > zero else zero)) / one
        out[i] = m
        if mask[i] and m > best:
            best = m
    scale = np.float32(max(np.float64(best), floor))
    for i in range(n):
        out[i] = out[i] / scale


@numba.njit(cache=True, nogil=True)
def _weighted(values, weights, out):  # type: ignore[no-untyped-def]
    for i in range(out.shape[0]):
        t = np.float32(0.0)
        for j in range(len(values)):
            t += weights[j] * values[j][i]
        out[i] = t


@numba.njit(cache=True, nogil=True)
def _fitted(subject, subject_weights, values, weights, fitted, mask, share, low,
            total, fit):  # type: ignore[no-untyped-def]
    """fit = each row's subject score over ``share`` of the best allowed one, clipped to
    low..1 (0 everywhere when no row has any); total = the weighted sum of ``values``,
    those marked ``fitted`` multiplied by the row's fit first."""
    n = total.shape[0]
    zero = np.float32(0.0)
    best = zero
    for i in range(n):
        s = zero
        for j in range(len(subject)):
            s += subject_weights[j] * subject[j][i]
        fit[i] = s
        if mask[i] and s > best:
            best = s
    scale = np.float32(share * np.float64(best))
    one = np.float32(1.0)
    for i in range(n):
        f = zero
        if best > zero:
            f = fit[i] / scale
            f = low if f < low else (one if f > one else f)
        fit[i] = f
        t = zero
        for j in range(len(values)):
            v = values[j][i]
            if fitted[j]:
                v = v * f
            t += weights[j] * v
        total[i] = t


def _f32(values: np.ndarray, dtype: type = _F32) -> np.ndarray:
    """An input as a read-only view: numba types read-only and writeable arrays apart, so
    a tuple mixing them would not compile, and each mix would compile anew."""
    out = np.ascontiguousarray(values, dtype=dtype)
    if out.flags.writeable:
        out = out.view()
        out.flags.writeable = False
    return out


def meaning_signal(cos: np.ndarray, mask: np.ndarray, closeness: np.ndarray | None,
                   share: float, floor: float) -> np.ndarray:
    """See ``engine._dense``: max(cos, 0), mixed with ``share`` x max(closeness, 0) where
    the closeness is not NaN, over the best allowed row's value (at least ``floor``)."""
    out = np.empty(len(cos), dtype=_F32)
    mixed = _f32(closeness) if closeness is not None else np.empty(0, dtype=_F32)
    _meaning(_f32(cos), _f32(mask, np.bool_), _f32(mixed), _F32(share), float(floor), out)
    return out


def weighted_sum(values: Sequence[np.ndarray], weights: Sequence[float], n: int) -> np.ndarray:
    """sum of weight x value per row, in the given order (ranker.combine)."""
    out = np.zeros(n, dtype=_F32)
    if values:
        _weighted(tuple(_f32(v) for v in values), np.array(weights, dtype=_F32), out)
    return out


def fitted_total(subject: Sequence[np.ndarray], subject_weights: Sequence[float],
                 values: Sequence[np.ndarray], weights: Sequence[float],
                 fitted: Sequence[bool], mask: np.ndarray, share: float,
                 low: float) -> tuple[np.ndarray, np.ndarray]:
    """(total, fit): features.subject_fit on ``subject``, then the weighted sum of
    ``values`` with the ``fitted`` ones times the fit (ranker.combine)."""
    n = len(mask)
    total, fit = np.empty(n, dtype=_F32), np.empty(n, dtype=_F32)
    if not subject:  # no subject signal: the fit is 0, as features.subject_fit gives
        subject, subject_weights = (np.zeros(n, dtype=_F32),), (0.0,)
    if not values:
        values, weights, fitted = (np.zeros(n, dtype=_F32),), (0.0,), (False,)
    _fitted(tuple(_f32(v) for v in subject), np.array(subject_weights, dtype=_F32),
            tuple(_f32(v) for v in values), np.array(weights, dtype=_F32),
            np.array(fitted, dtype=np.bool_), _f32(mask, np.bool_), float(share), _F32(low),
            total, fit)
    return total, fit


@cache
def warm() -> None:
    """Compile (or load from numba's cache) the loops for the shapes the matcher uses,
    once per process."""
    rows, mask = np.zeros(2, dtype=_F32), np.ones(2, dtype=bool)
    meaning_signal(rows, mask, None, 1.0, 0.5)
    meaning_signal(rows, mask, rows, 1.0, 0.5)
    for count in range(1, 8):
        weighted_sum([rows] * count, [1.0] * count, 2)
        fitted_total([rows] * 3, [1.0] * 3, [rows] * count, [1.0] * count,
                     [False] * count, mask, 0.5, 0.1)
