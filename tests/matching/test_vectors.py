"""Exact cosine top-k with filters applied first."""

from __future__ import annotations

import numpy as np
import pytest

from schakel.matching.vectors import SAMPLE, SAMPLE_MIN, cosine, masked_max, top_k, unit_rows


@pytest.fixture
def matrix() -> np.ndarray:
    return unit_rows(np.random.default_rng(3).standard_normal((1000, 16)))


def test_cosine_equals_numpy_and_respects_the_filter(matrix: np.ndarray) -> None:
    q = matrix[7]
    for share in (1.0, 0.5, 0.05):  # the wide and the narrow path
        allowed = np.random.default_rng(1).random(1000) < share
        got = cosine(matrix, q, allowed)
        assert got[allowed] == pytest.approx(matrix[allowed] @ q, abs=1e-5)
        assert not got[~allowed].any()


def test_top_k_only_from_allowed_rows(matrix: np.ndarray) -> None:
    q = matrix[7]
    allowed = np.ones(1000, dtype=bool)
    allowed[7] = False  # the best row itself is filtered out
    scores = matrix @ q
    best = top_k(scores, 5, allowed)
    expected = [i for i in np.argsort(-scores) if allowed[i]][:5]
    assert list(best) == expected
    few = np.zeros(1000, dtype=bool)
    few[[3, 9]] = True
    assert sorted(top_k(scores, 5, few)) == [3, 9]  # fewer allowed than k: all of them
    assert len(top_k(scores, 5, np.zeros(1000, dtype=bool))) == 0


def test_unit_rows_are_contiguous_float32() -> None:
    m = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert m.dtype == np.float32 and m.flags["C_CONTIGUOUS"]
    assert m[0] == pytest.approx([0.6, 0.8]) and not m[1].any()


@pytest.mark.parametrize("k", [1, 10, 30, 150, 2000])
def test_top_k_on_many_rows_equals_a_full_sort(k: int) -> None:
    """From 20,000 rows a sampled bar narrows the rows first: the answer must stay exact,
    with wide and narrow filters, sorted scores (the sample sees only one end) and ties."""
    rng = np.random.default_rng(k)
    n = 100_000
    cases = {
        "random": rng.standard_normal(n).astype(np.float32),
        "ascending": np.linspace(-1, 1, n, dtype=np.float32),
        "descending": np.linspace(1, -1, n, dtype=np.float32),
        "ties": rng.integers(0, 5, n).astype(np.float32),
        "spike": np.where(np.arange(n) % 997 == 1, 1.0, 0.0).astype(np.float32),
        # the best few rows are exactly the sampled ones: too few clear the bar
        "sampled": np.where(np.arange(n) % (n // max(SAMPLE * k, SAMPLE_MIN)) == 0,
                            np.arange(n, 0, -1), 0).astype(np.float32),
    }
    for name, scores in cases.items():
        for share in (1.0, 0.3, 0.01, 0.0001):
            allowed = rng.random(n) < share
            rows = np.flatnonzero(allowed)
            # best first, ties in row order
            expected = rows[np.argsort(-scores[rows], kind="stable")][:k]
            got = top_k(scores, k, allowed)
            assert list(got) == list(expected), (name, share)


def test_masked_max_is_the_largest_allowed_value() -> None:
    values = np.array([0.9, 0.2, 0.5, 0.0], dtype=np.float32)
    assert masked_max(values, np.array([False, True, True, False])) == pytest.approx(0.5)
    assert masked_max(values, np.zeros(4, dtype=bool)) == 0.0
    assert masked_max(values.astype(np.float64), np.ones(4, dtype=bool)) == pytest.approx(0.9)
