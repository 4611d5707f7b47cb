"""Themes read by meaning: a theme's own text and its example situations, mean of the closest."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Theme
from schakel.matching.theme_meaning import NEAREST, ThemeMeaning
from schakel.seeds.reference import ensure_vocabulary, load_yaml


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_several_agreeing_texts_beat_one_stray_text() -> None:
    q = _unit(1, 0, 0)
    stray = [_unit(1, 0.1, 0), _unit(0, 1, 0), _unit(0, 0, 1)]  # one close, two far
    agree = [_unit(1, 1, 0), _unit(1, 0, 1), _unit(1, 1, 1)]  # all fairly close
    lone = [_unit(1, 0.5, 0.5)]  # a theme with only its own text
    meaning = ThemeMeaning(np.vstack(stray + agree + lone),
                           np.array([[0, 1, 2], [3, 4, 5], [6, -1, -1]]))
    sims = meaning.similarity(q)
    assert NEAREST == 3
    assert sims[0] == pytest.approx(float(np.mean([v @ q for v in stray])), abs=1e-6)
    assert sims[2] == pytest.approx(float(lone[0] @ q), abs=1e-6)  # mean over what it has
    assert sims[1] > sims[0]  # the agreeing theme wins, though theme 0 has the closest text
    assert max(float(v @ q) for v in stray) > max(float(v @ q) for v in agree)


def test_the_same_vector_asked_again_gets_the_same_answer_a_new_one_its_own() -> None:
    texts = np.vstack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    meaning = ThemeMeaning(texts, np.array([[0, -1], [1, 2]]))
    a, b = _unit(1, 0, 0), _unit(0, 1, 1)
    first = meaning.similarity(a)
    assert meaning.similarity(a) is first  # kept for the second ask of one question
    assert not first.flags.writeable  # shared: nobody may change it
    other = meaning.similarity(b)
    assert other == pytest.approx([0.0, float(np.mean([texts[1] @ b, texts[2] @ b]))], abs=1e-6)
    again = meaning.similarity(a.copy())  # an equal vector, another array: computed anew
    assert again is not first and again == pytest.approx(first, abs=0)


def test_build_gives_every_theme_its_text_and_examples(matcher: object) -> None:
    tax = matcher._state.catalog.taxonomy  # type: ignore[attr-defined]
    seen: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.eye(len(texts), 4, dtype=np.float32)

    meaning = ThemeMeaning.build(tax, encode)
    assert meaning.slots.shape[0] == len(tax.theme_ids)
    i = tax.theme_index["thuiszitters"]
    rows = [seen[r] for r in meaning.slots[i] if r >= 0]
    assert rows[0] == tax.theme_texts["thuiszitters"]
    assert rows[1:] == tax.theme_examples["thuiszitters"] and len(rows) > NEAREST


@pytest.mark.parametrize(("name", "least", "most"), [("theme_situations.yaml", 6, 8),
                                                      ("theme_questions.yaml", 6, 6)])
def test_seed_examples_cover_every_assignable_theme_without_naming_it(
        name: str, least: int, most: int) -> None:
    examples = load_yaml(name)
    themes = {row["id"]: row for row in load_yaml("themes.yaml")}
    assignable = {t for t, row in themes.items() if row.get("assignable", True)}
    assert set(examples) == assignable
    for theme, sentences in examples.items():
        assert least <= len(sentences) <= most, theme
        names = [themes[theme]["name"], *(themes[theme].get("synonyms") or [])]
        for s in sentences:
            for name in names:
                pattern = rf"\b{re.escape(name)}\b" if len(name) <= 4 else re.escape(name)
                assert not re.search(pattern, s, re.IGNORECASE), (theme, name, s)


def test_a_store_from_before_the_examples_gets_them(tmp_path: Path) -> None:
    with LocalGraphStore(tmp_path / "old.sqlite") as store:
        assert ensure_vocabulary(store)
        bare = [t.model_copy(update={"examples": []}) for t in store.iter_nodes("Theme")]
        store.write(bare)
        assert not any(t.examples for t in store.iter_nodes("Theme"))
        assert ensure_vocabulary(store)  # only the examples are written
        themes = {t.id: t for t in store.iter_nodes("Theme")}
        assert themes["thuiszitters"].examples == [
            *load_yaml("theme_situations.yaml")["thuiszitters"],
            *load_yaml("theme_questions.yaml")["thuiszitters"]]
        assert isinstance(themes["thuiszitters"], Theme)
        assert not ensure_vocabulary(store)  # nothing left to do
        # a store from before the request sentences were added gets them too
        older = [t.model_copy(update={"examples": t.examples[:3]})
                 for t in store.iter_nodes("Theme") if t.examples]
        store.write(older)
        assert ensure_vocabulary(store)
        assert {t.id: t.examples for t in store.iter_nodes("Theme")} == {
            t: themes[t].examples for t in themes}


def test_words_read_the_theme_whose_situations_share_them(matcher: object) -> None:
    """The BM25 reader: a theme's texts are one document; a question with their everyday
    words scores that theme highest, a question with none of them scores nothing."""
    st = matcher._state  # type: ignore[attr-defined]
    tax, analyzer = st.catalog.taxonomy, st.analyzer
    meaning = ThemeMeaning.build(tax, lambda texts: np.eye(len(texts), 4, dtype=np.float32),
                                 analyzer)
    for theme in ("thuiszitters", "autisme", "armoede"):
        example = tax.theme_examples[theme][0]
        scores = meaning.word_scores(analyzer.terms(example))
        assert tax.theme_ids[int(np.argmax(scores))] == theme, example
    assert not meaning.word_scores(analyzer.terms("xyzzy plugh")).any()
    bare = ThemeMeaning.build(tax, lambda texts: np.eye(len(texts), 4, dtype=np.float32))
    assert not bare.word_scores(analyzer.terms(tax.theme_examples["autisme"][0])).any()


def test_a_question_in_a_themes_own_situation_words_is_read_as_that_theme(
        matcher: object) -> None:
    """Readers that agree decide: a situation from the seed, asked as a question, names no
    theme and is read as its theme at the weight of agreeing readers."""
    from schakel.matching.engine import THEME_FROM_MEANING, MatchQuery

    tax = matcher._state.catalog.taxonomy  # type: ignore[attr-defined]
    read = 0
    for theme in ("thuiszitters", "armoede", "nieuwkomers"):
        text = tax.theme_examples[theme][1]
        result = matcher.match(MatchQuery(text=text, kinds=["member"]))  # type: ignore[attr-defined]
        themes = {t["id"]: t["weight"] for t in result.understood["themes"]}
        read += themes.get(theme) == THEME_FROM_MEANING
    assert read >= 2


@pytest.mark.parametrize(("named", "votes", "read"), [
    ({}, ["autisme", "autisme", "armoede"], {"autisme": 0.8}),
    ({}, ["autisme", "armoede"], {"autisme": 0.6, "armoede": 0.6}),
    ({}, ["armoede"], {"armoede": 0.8}),
    ({"autisme": 1.0}, [], {"autisme": 1.0}),  # no reader is sure: the named theme stands
    ({"autisme": 1.0}, ["autisme", "armoede"], {"autisme": 1.0}),
    # A word named a theme no reader names; two readers agree on another.
    ({"autisme": 1.0}, ["armoede", "armoede"], {"autisme": 0.6, "armoede": 0.8}),
    ({"autisme": 1.0}, ["armoede", "thuiszitters"], {"autisme": 0.6}),
])
def test_named_themes_are_checked_against_the_meaning_readers(
        matcher: object, monkeypatch: pytest.MonkeyPatch, named: dict[str, float],
        votes: list[str], read: dict[str, float]) -> None:
    from collections import Counter

    monkeypatch.setattr(matcher, "_meaning_votes", lambda *a: Counter(votes))
    st = matcher._state  # type: ignore[attr-defined]
    got = matcher._themes_from_meaning(st, "x", np.zeros(4), named)  # type: ignore[attr-defined]
    assert got == read
    assert named == dict(named)  # the caller's dict is not changed


def test_a_word_that_names_another_theme_does_not_decide_alone(matcher: object) -> None:
    """"lezen hoe anderen ouders als gelijkwaardige partner behandelen" names the theme of
    agenderen by a word, while both readers (the theme texts and their words) take it to
    be about parents as partners: that theme leads the reading and the list."""
    from schakel.matching.engine import THEME_FROM_MEANING, THEME_SPLIT, MatchQuery

    text = ("Ik wil graag lezen hoe anderen ouders als gelijkwaardige partner behandelen. "
            "Zijn er mooie voorbeelden?")
    st = matcher._state  # type: ignore[attr-defined]
    assert set(st.reader.read(text).themes) == {"agenderen_knelpunten"}
    result = matcher.match(MatchQuery(text=text, kinds=["member"]))  # type: ignore[attr-defined]
    themes = {t["id"]: t["weight"] for t in result.understood["themes"]}
    assert themes == {"inclusief_ouders": THEME_FROM_MEANING,
                      "agenderen_knelpunten": THEME_SPLIT}
    first = result.results[0]
    assert any(r.signal == "theme" and "ouders" in r.text for r in first.reasons)
