"""Issue 14: the member meaning-vector variants that `schakel eval --dicht` compares."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from schakel.matching.dense_variants import MaxOfRows, _themed, compare
from schakel.matching.engine import MatchQuery
from schakel.matching.evaluate import load_questions
from schakel.matching.vectors import cosine


def test_a_row_is_as_close_as_its_closest_vector() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(7, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owner = np.array([0, 0, 1, 2, 2, 2, 3])
    rows = MaxOfRows(vectors, owner, 4)
    q = vectors[4]
    expected = [max(vectors[i] @ q for i in np.flatnonzero(owner == r)) for r in range(4)]
    assert np.allclose(rows.dot(q), expected)
    assert rows.dot(q)[2] == np.float32(vectors[4] @ q)  # its own vector: the closest
    narrow = np.zeros(4, dtype=bool)
    narrow[1] = True  # a narrow filter takes rows: the same values, others 0
    assert np.allclose(cosine(rows, q, narrow), [0, expected[1], 0, 0])


def test_themed_texts_add_only_themes_worked_on_at_level_two_or_more(matcher: Any) -> None:
    items, tax = matcher.catalog.members, matcher.catalog.taxonomy
    texts = _themed(items, tax)
    seen_low = seen_high = 0
    for r in range(len(items)):
        row = items.themes[r]
        assert texts[r].startswith(items.texts[r])
        for c, level in zip(row.indices, row.data, strict=True):
            description = tax.theme_texts[tax.theme_ids[c]]
            if level >= 2 / 3 - 1e-6:
                assert description in texts[r]
                seen_high += 1
            elif description not in items.texts[r]:
                assert description not in texts[r]
                seen_low += 1
    assert seen_low and seen_high


@pytest.mark.slow
def test_compare_scores_every_variant_and_puts_the_vectors_back(matcher: Any) -> None:
    questions = [q for q in load_questions() if q.get("kinds") == ["member"]][:6]
    query = MatchQuery(text=questions[0]["text"], kinds=["member"], limit=10)
    before = [(s.id, s.score) for s in matcher.match(query).results]
    rows = compare(matcher, {"dev": questions})
    assert [v.name for v, _ in rows] == ["profiel (nu)", "zinnen (max)",
                                         "+ themabeschrijvingen", "beide (max)"]
    texts = {v.name: v.texts for v, _ in rows}
    n = len(matcher.catalog.members)
    assert texts["profiel (nu)"] == n and texts["beide (max)"] == 2 * n
    assert texts["zinnen (max)"] > n  # profiles have more than one sentence
    for v, per_set in rows:
        assert 0.0 <= per_set["dev"]["alle"].ndcg <= 1.0 and v.ms_per_member > 0
    # the current text scores as the matcher itself does
    plain = rows[0][1]["dev"]["alle"].ndcg
    from schakel.matching.evaluate import evaluate
    assert plain == evaluate(matcher, questions, {"h": matcher.weights})["h"].ndcg
    assert [(s.id, s.score) for s in matcher.match(query).results] == before
