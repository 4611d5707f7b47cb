"""The matcher end to end, with the real encoder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from schakel.errors import InvalidQueryError, UnknownReferenceError
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Organisation, Relationship
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
from schakel.matching.engine import Matcher, MatchQuery
from schakel.seeds.load import seed_store

QUESTIONS = [
    "Wie heeft ervaring met jeugdhulp in de klas, liefst in de buurt van Emmen?",
    "Onze leerling zit al maanden thuis. Wie kan helpen?",
    "Hoe krijgen we de wethouder mee in een integrale aanpak?",
    "Waar werken kinderopvang en school samen aan de doorgaande lijn?",
    "Ik zoek ouders met ervaring met passend onderwijs",
]


def test_reasons_add_up_to_the_score(matcher: Matcher) -> None:
    for text in QUESTIONS:
        result = matcher.match(MatchQuery(text=text, limit=20))
        assert result.results, text
        for s in result.results:
            assert s.reasons
            assert s.score == pytest.approx(sum(r.contribution for r in s.reasons), abs=1e-6)
            assert all(r.text and r.signal for r in s.reasons)
        scores = [s.score for s in result.results]
        assert scores == sorted(scores, reverse=True)


def test_only_consenting_visible_members(matcher: Matcher, seeded_graph: Any) -> None:
    graph = seeded_graph
    seen = set()
    for text in QUESTIONS:
        for s in matcher.match(MatchQuery(text=text, kinds=["member"], limit=50)).results:
            attrs = graph.nodes[s.id]
            assert attrs["consent_matching"] and attrs["visibility"] == "members"
            seen.add(s.id)
    members = [n for n, a in graph.nodes(data=True) if a.get("label") == "Member"]
    hidden = [m for m in members if not graph.nodes[m]["consent_matching"]
              or graph.nodes[m]["visibility"] != "members"]
    assert hidden and len(seen) > 50  # the test had something to catch


def test_radius_filters_before_top_k(matcher: Matcher, gazetteer: Gazetteer) -> None:
    items = matcher.catalog.members
    inside = [items.ids[r] for r in range(len(items)) if items.allowed[r] and items.anchor[r] >= 0
              and gazetteer.distance_km(matcher.catalog.places[items.anchor[r]], "gm-zwolle") <= 25]
    assert 0 < len(inside) < 50
    result = matcher.match(MatchQuery(text="Wie weet iets van autisme?", near="Zwolle",
                                      radius_km=25, kinds=["member"], limit=50))
    # every allowed member within 25 km comes back, however weak the text match
    assert sorted(s.id for s in result.results) == sorted(inside)


def test_kinds_and_roles(matcher: Matcher, seeded_graph: Any) -> None:
    result = matcher.match(MatchQuery(text=QUESTIONS[1], kinds=["expert"], limit=15))
    assert result.results and all(s.kind == "expert" for s in result.results)
    assert all("expert" in seeded_graph.nodes[s.id]["roles"] for s in result.results)
    result = matcher.match(MatchQuery(text=QUESTIONS[3], kinds=["practice", "community"]))
    assert {s.kind for s in result.results} <= {"practice", "community"}
    assert all(s.id.startswith("pr-") for s in result.results if s.kind == "practice")


def test_peer_regions_from_their_practices(matcher: Matcher) -> None:
    result = matcher.match(MatchQuery(
        text="Welke regio heeft al onderwijs- en gezinscoaches in één team?", kinds=["region"]))
    assert "gm-emmen" in [s.id for s in result.results[:3]]


def test_bad_queries_are_typed_errors(matcher: Matcher) -> None:
    with pytest.raises(UnknownReferenceError):
        matcher.match(MatchQuery(text="autisme", near="Atlantis"))
    with pytest.raises(InvalidQueryError):
        matcher.match(MatchQuery(text="autisme", radius_km=10))
    with pytest.raises(InvalidQueryError):
        matcher.match(MatchQuery(text="  "))
    with pytest.raises(InvalidQueryError):
        matcher.match(MatchQuery(text="autisme", kinds=["robot"]))
    with pytest.raises(InvalidQueryError):
        matcher.match(MatchQuery(text="autisme", limit=0))


def test_domain_complementarity(matcher: Matcher) -> None:
    result = matcher.match(MatchQuery(
        text="Wie uit de zorg wil meedenken over een leerling met veel ziekteverzuim?",
        asker_domain="onderwijs", kinds=["member"], limit=20, viewer="staff"))
    domains = {d: i for i, d in enumerate(matcher.catalog.taxonomy.domain_ids)}
    items = matcher.catalog.members
    row = {m: r for r, m in enumerate(items.ids)}
    for s in result.results:
        member_domains = {d for d, i in domains.items() if items.domains[row[s.id], i]}
        reason = [r for r in s.reasons if r.signal == "domain"]
        if "zorg" in member_domains:
            assert reason and "gevraagde domein" in reason[0].text
        elif member_domains == {"onderwijs"}:
            assert not reason  # the asker's own domain gets nothing
    plain = matcher.match(MatchQuery(
        text="Wie wil meedenken over een leerling met veel ziekteverzuim?", kinds=["member"],
        limit=20, viewer="staff"))
    # Naming the domain lifts its members more than the asker's own: the score each member
    # gains over the same question without it (members in both lists).
    before = {s.id: s.score for s in plain.results}
    gain: dict[bool, list[float]] = {True: [], False: []}
    for s in result.results:
        member_domains = {d for d, i in domains.items() if items.domains[row[s.id], i]}
        if s.id in before and member_domains:
            other = bool(member_domains & {"zorg", "jeugdhulp"})
            if other or member_domains == {"onderwijs"}:
                gain[other].append(s.score - before[s.id])
    assert gain[True] and gain[False]
    assert sum(gain[True]) / len(gain[True]) > sum(gain[False]) / len(gain[False]) + 0.01


@pytest.fixture
def small_store(tmp_path: Path, gazetteer: Gazetteer) -> LocalGraphStore:
    """Reference data plus six hand-made members: five at one school, one elsewhere."""
    store = LocalGraphStore(tmp_path / "small.sqlite")
    seed_store(store, 0, gazetteer=gazetteer)
    nodes: list[Any] = [Organisation(id="org-a", name="School A", kind="school"),
                        Organisation(id="org-b", name="Wijkteam B", kind="wijkteam")]
    rels = []
    for i in range(6):
        org = "org-a" if i < 5 else "org-b"
        nodes.append(Member(id=f"x-{i}", name=f"Persoon {i}", function="intern begeleider",
                            profile=f"Ik help thuiszitters in Emmen terug naar school ({i}).",
                            roles=["member", "expert"], visibility="members",
                            consent_matching=True))
        rels += [Relationship.of("WORKS_AT", f"x-{i}", org),
                 Relationship.of("BASED_IN", f"x-{i}", "gm-emmen"),
                 Relationship.of("ACTIVE_IN", f"x-{i}", "onderwijs"),
                 Relationship.of("WORKS_ON", f"x-{i}", "thuiszitters", level=3)]
    store.write(nodes, rels)
    return store


def test_no_slate_of_one_organisation(small_store: LocalGraphStore, gazetteer: Gazetteer,
                                      use_encoder: Any, embedding_file: Path) -> None:
    m = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)))
    m.sync(small_store)
    result = m.match(MatchQuery(text="thuiszitters in Emmen", kinds=["member"], limit=3))
    ids = [s.id for s in result.results]
    assert "x-5" in ids[:2]  # the one from another organisation moves up
    repeated = [s for s in result.results if any(r.signal == "diversity" for r in s.reasons)]
    assert repeated and all(r.contribution < 0 for s in repeated for r in s.reasons
                            if r.signal == "diversity")


def test_only_changed_texts_are_encoded(small_store: LocalGraphStore, gazetteer: Gazetteer,
                                        use_encoder: Any, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "own.sqlite")
    m = Matcher(gazetteer, CachedEncoder(use_encoder, cache))
    first = m.sync(small_store)
    assert first["member"] == 6 and first["practice"] > 0
    assert sum(m.sync(small_store).values()) == 0
    small_store.upsert_nodes([Member(id="x-2", name="Persoon 2", profile="Nu over autisme.",
                                     function="intern begeleider", roles=["member", "expert"])])
    again = m.sync(small_store)
    assert again == {"member": 1, "practice": 0, "community": 0, "region": 0}
    after = m.match(MatchQuery(text="autisme", kinds=["member"], limit=1))
    assert after.results[0].id == "x-2"
    # a restart: a new matcher on the same cache encodes nothing
    fresh = Matcher(gazetteer, CachedEncoder(use_encoder, cache))
    assert sum(fresh.sync(small_store).values()) == 0
    small_store.delete(["x-3"])
    m.sync(small_store)
    assert "x-3" not in [s.id for s in m.match(MatchQuery(text="thuiszitters", limit=50)).results]


def test_peer_regions_for_a_local_question_are_near_or_on_the_same_vraagstuk(
        matcher: Matcher) -> None:
    result = matcher.match(MatchQuery(
        text="Welke regio heeft ervaring met thuiszitters?", near="Enschede", kinds=["region"],
        limit=20))
    far = 0
    for s in result.results:
        geo = next(r.text for r in s.reasons if r.signal == "geo")
        km = re.search(r"(\d+) km van Enschede", geo)
        if km and int(km.group(1)) > 60:
            far += 1
            assert geo.endswith("verder weg, maar hier wordt aan hetzelfde vraagstuk gewerkt")
            assert any(r.signal == "theme" and r.contribution > 0 for r in s.reasons), s
    assert far and "rg-regio-twente" in [s.id for s in result.results[:5]]
    # without a vraagstuk to share, only regions nearby are peers
    plain = matcher.match(MatchQuery(text="Welke regio kan ons helpen?", near="Enschede",
                                     kinds=["region"], limit=20))
    for s in plain.results:
        geo = next(r.text for r in s.reasons if r.signal == "geo")
        km = re.search(r"(\d+) km van Enschede", geo)
        assert not km or int(km.group(1)) <= 60, geo
