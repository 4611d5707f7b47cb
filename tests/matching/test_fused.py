"""The score's passes (matching/fused.py) give, bit for bit, what the plain numpy code they
replaced gave: written out here as the reference."""

from __future__ import annotations

import numpy as np
import pytest

from schakel.matching.engine import (
    TEXT_HIT_COSINE,
    THEME_MEANING_SHARE,
    THEME_SIMILARITY,
    _dense,
)
from schakel.matching.features import FIT_FLOOR, FIT_SHARE, SUBJECT, fitted_scores
from schakel.matching.ranker import Weights, combine
from schakel.matching.vectors import masked_max


def reference_dense(cos: np.ndarray, mask: np.ndarray,
                    closeness: np.ndarray | None) -> np.ndarray:
    meaning = np.maximum(cos, 0)
    floor = TEXT_HIT_COSINE
    if closeness is not None:
        share = np.float32(THEME_MEANING_SHARE)
        mixed = (meaning + share * np.maximum(closeness, 0)) / (1 + share)
        meaning = np.where(np.isnan(closeness), meaning, mixed)
        floor = (TEXT_HIT_COSINE + THEME_MEANING_SHARE * THEME_SIMILARITY) / (
            1 + THEME_MEANING_SHARE)
    best = masked_max(meaning, mask)
    return meaning / max(best, floor)


def reference_combine(weights: Weights, signals: dict[str, np.ndarray], n: int) -> np.ndarray:
    total = np.zeros(n, dtype=np.float32)
    for name, values in signals.items():
        w = getattr(weights, name)
        if w:
            total += np.multiply(values, np.float32(w))
    return total


def reference_fit(signals: dict[str, np.ndarray], mask: np.ndarray) -> np.ndarray:
    weights = Weights()
    subject = sum((np.float32(getattr(weights, s)) * signals[s] for s in SUBJECT
                   if s in signals), np.zeros(len(mask), dtype=np.float32))
    best = masked_max(subject, mask)
    if best <= 0:
        return np.zeros(len(mask), dtype=np.float32)
    return np.clip(subject / (FIT_SHARE * best), FIT_FLOOR, 1.0).astype(np.float32)


def signals_of(rng: np.random.Generator, n: int, place: bool) -> dict[str, np.ndarray]:
    def sparse(share: float) -> np.ndarray:
        return np.where(rng.random(n) < share, rng.random(n), 0).astype(np.float32)

    cos = rng.normal(0.2, 0.2, n).astype(np.float32)
    out = {"dense": reference_dense(cos, np.ones(n, dtype=bool), None),
           "lexical": sparse(0.1), "theme": sparse(0.2)}
    if place:
        out["geo"] = sparse(0.5)
    out |= {"domain": rng.choice([0.0, 0.5, 1.0], n).astype(np.float32),
            "role": sparse(0.05), "availability": rng.random(n).astype(np.float32)}
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("themes", [False, True])
def test_dense_signal_is_the_numpy_one(seed: int, themes: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 5000
    cos = rng.normal(0.1, 0.25, n).astype(np.float32)
    mask = rng.random(n) < 0.7
    closeness = None
    if themes:
        closeness = rng.normal(0.3, 0.3, n).astype(np.float32)
        closeness[rng.random(n) < 0.3] = np.nan  # rows without themes
    np.testing.assert_array_equal(_dense(cos, mask, closeness),
                                  reference_dense(cos, mask, closeness))


def test_dense_signal_keeps_its_floor_when_nobody_is_close() -> None:
    cos = np.array([0.05, 0.1, -0.2], dtype=np.float32)
    out = _dense(cos, np.ones(3, dtype=bool))
    np.testing.assert_allclose(out, [0.05 / TEXT_HIT_COSINE, 0.1 / TEXT_HIT_COSINE, 0])
    only_first = _dense(cos, np.array([True, False, False]))  # best among the allowed
    assert only_first[1] == pytest.approx(0.1 / TEXT_HIT_COSINE)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("place", [False, True])
def test_combine_and_fitted_scores_are_the_numpy_ones(seed: int, place: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 4000
    signals = signals_of(rng, n, place)
    mask = rng.random(n) < 0.8
    weights = Weights(dense=rng.random(), lexical=0.0, geo=1.0 if place else 0.0)
    np.testing.assert_array_equal(combine(weights, signals, n),
                                  reference_combine(weights, signals, n))

    total, fit = fitted_scores(weights, signals, mask)
    want_fit = reference_fit(signals, mask)
    np.testing.assert_array_equal(fit, want_fit)
    fitted = dict(signals)
    for preference in ("geo", "role"):
        if preference in fitted:
            fitted[preference] = fitted[preference] * want_fit
    np.testing.assert_array_equal(total, reference_combine(weights, fitted, n))
    # an asked place lifts only rows that fit: a row far off the subject gains at most a
    # tenth (FIT_FLOOR) of its nearness
    if place:
        low = (fit == np.float32(FIT_FLOOR)) & (signals["geo"] > 0)
        assert low.any()
        lifted = total - reference_combine(weights.without("geo"), signals, n)
        assert np.all(lifted[low] <= FIT_FLOOR * signals["geo"][low] + 1e-6)


def test_no_row_fits_the_subject_then_the_fit_is_zero() -> None:
    n = 10
    zero = np.zeros(n, dtype=np.float32)
    signals = {"dense": zero, "lexical": zero, "theme": zero,
               "geo": np.ones(n, dtype=np.float32)}
    total, fit = fitted_scores(Weights(), signals, np.ones(n, dtype=bool))
    assert not fit.any() and not total.any()


def test_without_signals_the_sum_is_zero() -> None:
    assert not combine(Weights(), {}, 3).any()
    assert not combine(Weights().without("dense"),
                       {"dense": np.ones(3, dtype=np.float32)}, 3).any()
