"""Exact cosine top-k with filters applied first."""

from __future__ import annotations

import numpy as np
import pytest

from schakel.matching.vectors import cosine, top_k, unit_rows


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
