"""The held-out evaluation questions (seeds/eval/heldout.yaml) are what issue 14 asks for: valid
labels, the four failure classes covered, and paraphrases that really avoid their theme's words.

The development set (seeds/eval/questions.yaml) carries the same slice tags."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache
from typing import Any

import pytest
import snowballstemmer

from schakel.graph.geo import Gazetteer, haversine_km
from schakel.graph.model import Member
from schakel.seeds.members import generate_members
from schakel.seeds.reference import load_yaml

SLICES = {"place", "role", "paraphrase", "needs"}
ROLES = {"expert", "ambassador", "verbinder", "ervaringsdeskundige"}
KINDS = {"member", "expert", "ambassador", "practice", "community", "region"}
# Words that carry no theme; everything else of a theme's name, synonyms and description counts.
STOPWORDS = set("""
aan al als alle andere bij binnen dan dat de deze die dit door een eigen elk elke en er geen
hebben heeft hem hen het hij hoe hun ik in is je jij kan kunnen maar meer met mijn moet na naar
niet nog of om onze ons ook op over te tot u uit van veel voor waar wat we wel welke wie wij
worden wordt ze zich zij zijn zo zoals zodat zonder
""".split())

_stem = snowballstemmer.stemmer("dutch").stemWord


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", _fold(text)) if len(w) > 2 and w not in STOPWORDS]


def _stems(texts: list[str]) -> tuple[set[str], set[str]]:
    """Stems of the words in ``texts``, and those of five letters or more."""
    stems = {_stem(w) for text in texts for w in _words(text)}
    return stems, {s for s in stems if len(s) >= 5}


def shared_words(question: str, theme: dict[str, Any], *, description: bool = True) -> set[str]:
    """Words of ``question`` that give ``theme`` away (empty for a true paraphrase): a word
    whose stem is a stem of the theme's name, synonyms or (if ``description``) description,
    or that hides a long stem of the name or synonyms inside a compound ("verzuimcoördinator")."""
    labels = [theme["name"], *(theme.get("synonyms") or [])]
    label_stems, long = _stems(labels)
    stems = label_stems | (_stems([theme["description"]])[0] if description else set())
    return {w for w in _words(question) if _stem(w) in stems or any(s in w for s in long)}


@cache
def _load(name: str) -> list[dict[str, Any]]:
    return load_yaml(f"eval/{name}")


@pytest.fixture(scope="module")
def themes() -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in load_yaml("themes.yaml")}


def _place_named(text: str, place: str, gaz: Gazetteer) -> bool:
    p = gaz.resolve(place)
    folded = _fold(text)
    return any(_fold(name) in folded for name in (p.name, *p.aliases))


def test_heldout_ids_and_fields() -> None:
    rows = _load("heldout.yaml")
    assert len(rows) >= 60
    assert [r["id"] for r in rows] == [f"h{i:03d}" for i in range(1, len(rows) + 1)]
    dev_texts = {r["text"] for r in _load("questions.yaml")}
    for r in rows:
        assert set(r) <= {"id", "text", "near", "kinds", "slices", "twente_style", "relevant"}, r
        assert r["text"].strip() and r["text"] not in dev_texts, r["id"]
        assert set(r["kinds"]) <= KINDS, r["id"]
        assert set(r["relevant"]) <= {"themes", "partial_themes", "place", "within_km",
                                      "partial_km", "roles"}, r["id"]


@pytest.mark.parametrize("name", ["heldout.yaml", "questions.yaml"])
def test_labels_resolve(name: str, themes: dict[str, dict[str, Any]],
                        gazetteer: Gazetteer) -> None:
    for r in _load(name):
        rel = r["relevant"]
        assert rel["themes"], r["id"]
        for t in [*rel["themes"], *rel.get("partial_themes", [])]:
            assert t in themes, (r["id"], t)
        assert set(rel.get("roles", [])) <= ROLES, r["id"]
        slices = r["slices"]
        assert isinstance(slices, list) and set(slices) <= SLICES, r["id"]
        assert len(set(slices)) == len(slices), r["id"]
        # A slice says what the labels ask: a place, a role.
        assert ("place" in slices) == ("place" in rel), r["id"]
        assert ("role" in slices) == bool(rel.get("roles")), r["id"]
        for where in (r.get("near"), rel.get("place")):
            assert where is None or gazetteer.find(where) is not None, (r["id"], where)


def test_heldout_places(gazetteer: Gazetteer) -> None:
    for r in _load("heldout.yaml"):
        rel = r["relevant"]
        if "place" not in rel:
            assert "near" not in r, r["id"]
            continue
        place = gazetteer.resolve(rel["place"])
        assert place.kind in ("gemeente", "regio", "jeugdregio"), r["id"]
        assert (rel["within_km"], rel["partial_km"]) == (30, 60), r["id"]
        assert _place_named(r["text"], rel["place"], gazetteer), r["id"]
        if "near" in r:
            assert gazetteer.resolve(r["near"]).id == place.id, r["id"]
    with_near = [r for r in _load("heldout.yaml") if "near" in r]
    only_text = [r for r in _load("heldout.yaml") if "place" in r["relevant"] and "near" not in r]
    assert len(with_near) >= 8 and len(only_text) >= 8


def test_heldout_covers_the_four_failure_classes() -> None:
    rows = _load("heldout.yaml")
    count = Counter(s for r in rows for s in r["slices"])
    assert count["place"] >= 25 and count["role"] >= 12
    assert count["paraphrase"] >= 15 and count["needs"] >= 8
    twente = [r for r in rows if r.get("twente_style")]
    assert len(twente) >= 6
    assert all(r["text"].startswith("Wij zoeken iemand die ervaring heeft met") for r in twente)
    assert len({r["relevant"]["place"] for r in twente}) == len(twente), "different regions"
    assert len({r["relevant"]["themes"][0] for r in twente}) == len(twente), "different themes"
    roles = Counter(role for r in rows for role in r["relevant"].get("roles", []))
    assert set(roles) == ROLES, "every role is asked for"


def test_needs_questions_ask_for_themes_many_only_seek() -> None:
    sought = set(load_yaml("people.yaml")["needs"]["sought"])
    for name in ("heldout.yaml", "questions.yaml"):
        for r in _load(name):
            if "needs" in r["slices"]:
                assert set(r["relevant"]["themes"]) <= sought, r["id"]


def test_heldout_paraphrases_avoid_their_themes_words(themes: dict[str, dict[str, Any]]) -> None:
    for r in _load("heldout.yaml"):
        if "paraphrase" in r["slices"]:
            for t in r["relevant"]["themes"]:
                assert shared_words(r["text"], themes[t]) == set(), (r["id"], t)


def test_development_paraphrase_tags_follow_the_labels(themes: dict[str, dict[str, Any]]) -> None:
    # The development set was written before this rule; its tag is the looser test: no word of
    # the themes' names or synonyms (the description may share words).
    for r in _load("questions.yaml"):
        free = all(not shared_words(r["text"], themes[t], description=False)
                   for t in r["relevant"]["themes"])
        assert ("paraphrase" in r["slices"]) == free, r["id"]


def test_the_paraphrase_check_catches_theme_words(themes: dict[str, dict[str, Any]]) -> None:
    assert shared_words("Wie helpt bij thuiszitten?", themes["thuiszitters"]) == {"thuiszitten"}
    assert shared_words("Onze verzuimcoördinator zoekt hulp", themes["verzuim"]) == {
        "verzuimcoordinator"}
    assert shared_words("Kinderen die thuis zitten", themes["thuiszitters"]) == {
        "kinderen", "thuis", "zitten"}
    text = "leerlingen die al maanden niet meer naar school gaan"
    assert shared_words(text, themes["thuiszitters"]) == set()


def _grade(member_themes: dict[str, int], dist: float | None, roles: set[str],
           rel: dict[str, Any], closure: dict[str, set[str]]) -> int:
    """The issue's rule, as the question's header states it (an independent reading)."""
    wanted = set().union(*(closure[t] for t in rel["themes"]))
    partial = set().union(*(closure[t] for t in rel.get("partial_themes", [])))
    place_ok = dist is None or dist <= rel["within_km"]
    near_ok = dist is None or dist <= rel.get("partial_km", rel["within_km"])
    role_ok = not rel.get("roles") or bool(roles & set(rel["roles"]))
    levels = [lvl for t, lvl in member_themes.items() if t in wanted]
    if levels and near_ok:
        return 2 if max(levels) >= 2 and place_ok and role_ok else 1
    return 1 if partial & set(member_themes) and place_ok and role_ok else 0


@pytest.mark.parametrize(("count", "grade"), [(600, 1), (3000, 2)])
def test_every_heldout_question_has_relevant_members(count: int, grade: int, gazetteer: Gazetteer,
                                                     themes: dict[str, dict[str, Any]]) -> None:
    """In the demo network `schakel eval` uses by default (600 members, seed 7) every question
    has someone relevant, and in the issue's network of 3,000 someone with grade 2, so no
    question measures nothing."""
    narrower: dict[str, set[str]] = {t: {t} for t in themes}
    for _ in range(4):  # the tree is shallow
        for t, row in themes.items():
            for b in row.get("broader") or []:
                narrower[b] |= narrower[t]
    gen = generate_members(count, seed=7, gazetteer=gazetteer)
    works: dict[str, dict[str, int]] = {}
    based: dict[str, str] = {}
    for rel in gen.relationships:
        if rel.type == "WORKS_ON":
            works.setdefault(rel.start, {})[rel.end] = rel.props["level"]
        elif rel.type == "BASED_IN" and rel.start.startswith("m-"):
            based[rel.start] = rel.end
    # only members the matcher may suggest (visible, consent to matching)
    members: list[Member] = [m for m in gen.members
                             if m.consent_matching and m.visibility != "none"]
    for r in _load("heldout.yaml"):
        rel = r["relevant"]
        where = gazetteer.resolve(rel["place"]) if "place" in rel else None
        grades = Counter()
        for m in members:
            dist = None
            if where is not None:
                home = gazetteer.resolve(based[m.id])
                dist = 0.0 if home.id in (where.parts or (where.id,)) else haversine_km(
                    home.lat, home.lon, where.lat, where.lon)
            grades[_grade(works[m.id], dist, set(m.roles), rel, narrower)] += 1
        assert sum(n for g, n in grades.items() if g >= grade) >= 1, (r["id"], dict(grades))
