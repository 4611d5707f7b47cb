"""A member's meaning is their profile plus how close their themes are to the question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
from schakel.matching.engine import Matcher, MatchQuery
from schakel.seeds.load import seed_store

PROFILE = "Ik werk graag met kinderen en hun ouders en denk mee waar dat nodig is."
# thuiszitters, in words that are neither its name nor its synonyms
QUESTION = "Wie helpt leerlingen die al maanden niet meer naar school gaan weer op weg?"


def test_theme_mix_is_each_rows_themes_by_level(matcher: Matcher) -> None:
    items = matcher._state.indexes["member"].items  # type: ignore[attr-defined]
    mix = items.theme_mix
    sums = np.asarray(mix.sum(axis=1)).ravel()
    has = np.asarray(items.themes.sum(axis=1)).ravel() > 0
    assert has.any()
    assert sums[has] == pytest.approx(np.ones(int(has.sum())), abs=1e-5)
    assert not sums[~has].any()
    r = int(np.flatnonzero(has)[0])
    row = items.themes[r].toarray().ravel()
    assert mix[r].toarray().ravel() == pytest.approx(row / row.sum(), abs=1e-6)
    # the column layouts used for products hold the same matrices
    assert (items.themes_by_column != items.themes).nnz == 0
    assert (items.theme_mix_by_column != mix).nnz == 0


@pytest.fixture
def same_words_store(tmp_path: Path, gazetteer: Gazetteer) -> LocalGraphStore:
    """Three members with one bland profile: one on thuiszitters, one on financiering,
    one without themes."""
    store = LocalGraphStore(tmp_path / "same.sqlite")
    seed_store(store, 0, gazetteer=gazetteer)
    nodes: list[Any] = []
    rels = []
    for i, theme in enumerate(["thuiszitters", "financiering", None]):
        nodes.append(Member(id=f"m-{i}", name=f"Persoon {i}", function="adviseur",
                            profile=PROFILE, roles=["member"], visibility="members",
                            consent_matching=True))
        rels.append(Relationship.of("BASED_IN", f"m-{i}", "gm-emmen"))
        if theme:
            rels.append(Relationship.of("WORKS_ON", f"m-{i}", theme, level=2))
    store.write(nodes, rels)
    return store


def test_the_themes_meaning_counts_where_the_profile_is_silent(
        same_words_store: LocalGraphStore, gazetteer: Gazetteer, use_encoder: Any,
        embedding_file: Path) -> None:
    m = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)))
    m.sync(same_words_store)
    result = m.match(MatchQuery(text=QUESTION, kinds=["member"], limit=3))
    by_id = {s.id: s for s in result.results}
    assert set(by_id) == {"m-0", "m-1", "m-2"}

    def dense(member: str) -> Any:
        found = [r for r in by_id[member].reasons if r.signal == "dense"]
        assert len(found) == 1, member
        return found[0]

    # same profile, so the same cosine: the theme closest in meaning counts most
    assert dense("m-0").contribution > dense("m-1").contribution
    assert dense("m-0").text.startswith("Profiel en thema's lijken")
    assert dense("m-2").text.startswith("De tekst lijkt")  # no themes: the profile alone
    assert result.results[0].id == "m-0"



def test_a_member_without_themes_has_their_profile_alone(
        same_words_store: LocalGraphStore, gazetteer: Gazetteer, use_encoder: Any,
        embedding_file: Path) -> None:
    """Themes weigh in where a member has them; where they have none the profile is all
    there is to go on, not a profile next to themes counted as 0."""
    same_words_store.upsert_nodes([Member(
        id="m-2", name="Persoon 2", function="adviseur", roles=["member"],
        visibility="members", consent_matching=True, profile=QUESTION)])
    m = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)))
    m.sync(same_words_store)
    result = m.match(MatchQuery(text=QUESTION, kinds=["member"], limit=3))
    assert result.results[0].id == "m-2"  # their text is the question itself
    top = next(r for r in result.results[0].reasons if r.signal == "dense")
    assert top.text.startswith("De tekst lijkt") and top.contribution == pytest.approx(0.3)
