"""The matcher follows change sets: after every kind of write, ``apply`` gives exactly the read
model (catalog rows, arrays, vectors, lexical scores) and the answers a full build gives."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schakel.graph.changes import ChangeSet
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import (
    Community,
    Introduction,
    Member,
    Organisation,
    Practice,
    Relationship,
    Theme,
)
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache, text_key
from schakel.matching.engine import Matcher, MatchQuery

QUERIES = [
    MatchQuery(text="Wie weet iets van thuiszitters in de buurt van Zwolle?", limit=20),
    MatchQuery(text="Ik zoek iemand met ervaring met autisme en passend onderwijs",
               kinds=["member", "expert"], limit=30, viewer="staff"),
    MatchQuery(text="Hoe werken school en jeugdhulp samen?", near="Emmen", limit=15),
    MatchQuery(text="Welke regio werkt aan armoede en schoolkosten?", kinds=["region"],
               limit=20),
    MatchQuery(text="praktijkvoorbeeld over verzuim en leerplicht",
               kinds=["practice", "community"], limit=20, asker_domain="onderwijs"),
]
SCALARS = ("anchor", "domains", "roles", "allowed", "allowed_staff", "availability", "load",
           "group")


@pytest.fixture
def make_matcher(gazetteer: Gazetteer, use_encoder: Any,
                 embedding_file: Path) -> Callable[[], Matcher]:
    def make() -> Matcher:
        return Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)))

    return make


def changes_after(store: LocalGraphStore, seq: int) -> ChangeSet:
    """What the store's feed says was written after ``seq``, as one change set."""
    feed = store.changes_since(seq)
    assert feed is not None
    return ChangeSet.merge(feed)


def assert_same(a: Matcher, b: Matcher) -> None:
    """``a`` (followed changes) holds exactly what ``b`` (built afresh) holds."""
    ca, cb = a.catalog, b.catalog
    assert ca is not None and cb is not None
    assert ca.organisations == cb.organisations
    for kind in ("member", "practice", "community", "region"):
        x, y = ca.kinds[kind], cb.kinds[kind]
        assert x.ids == y.ids, kind
        assert x.names == y.names, kind
        assert x.texts == y.texts, kind
        assert x.themes.shape == y.themes.shape
        assert np.array_equal(x.themes.toarray(), y.themes.toarray()), kind
        for name in SCALARS:
            u, v = getattr(x, name), getattr(y, name)
            assert (u is None) == (v is None), (kind, name)
            if u is not None:
                assert u.dtype == v.dtype and np.array_equal(u, v), (kind, name)
        assert x.extra_anchors == y.extra_anchors, kind
        assert x.counts == y.counts, kind
        ia, ib = a._state.indexes[kind], b._state.indexes[kind]  # type: ignore[union-attr]
        assert ia.keys == ib.keys, kind
        assert np.array_equal(ia.vectors.array(), ib.vectors.array()), kind
        for terms in (["thuiszit"], ["autism", "school"], ["armoed", "regio", "zwoll"]):
            sa = ia.lexical.scores(terms)[ia.lex_pos]
            sb = ib.lexical.scores(terms)[ib.lex_pos]
            assert np.allclose(sa, sb, rtol=0, atol=1e-5), (kind, terms)
    for i in ca.members.ids + ca.organisations:
        assert ca.attrs[i] == cb.attrs[i]
    assert set(ca.attrs) == set(cb.attrs)
    for query in QUERIES:
        ra, rb = a.match(query), b.match(query)
        assert [s.id for s in ra.results] == [s.id for s in rb.results], query.text
        for s, t in zip(ra.results, rb.results, strict=True):
            assert s.score == pytest.approx(t.score, abs=1e-6)
            assert [(r.signal, r.text) for r in s.reasons] == \
                [(r.signal, r.text) for r in t.reasons]
            assert s.detail == t.detail


def _member(store: LocalGraphStore, mid: str, **update: Any) -> Member:
    node = store.require(mid)
    assert isinstance(node, Member)
    return node.model_copy(update=update)


def _free_gemeente(a: Matcher) -> str:
    """A gemeente that is no peer region yet (no tags, no practices)."""
    assert a.catalog is not None
    taken = set(a.catalog.regions.ids)
    return next(g.id for g in a.gazetteer.places("gemeente") if g.id not in taken and not g.tags)


# Each write changes the store in one way; the matcher follows it.
def profile_edit(store: LocalGraphStore, _a: Matcher) -> None:
    store.write([_member(store, "m-000007", profile="Ik begeleid thuiszitters met autisme "
                         "terug naar school, vooral in Twente en de Achterhoek.")])


def theme_change(store: LocalGraphStore, _a: Matcher) -> None:
    store.write(relationships=[Relationship.of("WORKS_ON", "m-000011", "autisme", level=3),
                               Relationship.of("WORKS_ON", "m-000011", "armoede", level=1)],
                replace=[("m-000011", "WORKS_ON")])


def new_member(store: LocalGraphStore, a: Matcher) -> None:
    store.write([Member(id="m-000150a", name="Nieuw Lid", function="jeugdarts",
                        profile="Jeugdarts met veel ervaring met schoolverzuim en thuiszitters.",
                        roles=["member", "expert"])],
                [Relationship.of("BASED_IN", "m-000150a", "gm-zwolle"),
                 Relationship.of("WORKS_ON", "m-000150a", "thuiszitters", level=3),
                 Relationship.of("ACTIVE_IN", "m-000150a", "zorg"),
                 Relationship.of("WORKS_AT", "m-000150a", a.catalog.organisations[5])])  # type: ignore[union-attr]


def erased_member(store: LocalGraphStore, _a: Matcher) -> None:
    store.delete(["m-000001"])  # the first row: every row after it moves


def introduction_state(store: LocalGraphStore, _a: Matcher) -> None:
    store.write([Introduction(id="in-1", state="approved"),
                 Introduction(id="in-2", state="candidate_accepted")],
                [Relationship.of("SUGGESTS", "in-1", "m-000003"),
                 Relationship.of("SUGGESTS", "in-2", "m-000004")])
    store.write([Introduction(id="in-1", state="closed")])  # m-000003's load drops again


def new_practice(store: LocalGraphStore, a: Matcher) -> None:
    where = _free_gemeente(a)
    store.write([Practice(id="pr-zz-nieuw", title="Samen tegen schoolverzuim",
                          summary="Leerplicht, school en wijkteam bellen thuiszitters samen.")],
                [Relationship.of("ABOUT", "pr-zz-nieuw", "thuiszitters"),
                 Relationship.of("IN_REGION", "pr-zz-nieuw", where),
                 Relationship.of("IN_REGION", "pr-zz-nieuw", "gm-emmen"),
                 Relationship.of("INVOLVES", "pr-zz-nieuw", a.catalog.organisations[0])])  # type: ignore[union-attr]


def member_moves(store: LocalGraphStore, a: Matcher) -> None:
    assert a.catalog is not None
    items = a.catalog.members
    r = next(r for r in range(len(items)) if items.allowed[r] and items.anchor[r] >= 0
             and a.catalog.places[items.anchor[r]].id != "gm-emmen")
    store.write(relationships=[Relationship.of("BASED_IN", items.ids[r], "gm-emmen")],
                replace=[(items.ids[r], "BASED_IN")])


def consent_change(store: LocalGraphStore, a: Matcher) -> None:
    assert a.catalog is not None
    items = a.catalog.members
    shown = [items.ids[r] for r in range(len(items)) if items.allowed[r]]
    store.write([_member(store, shown[0], consent_matching=False),
                 _member(store, shown[1], private_fields=["themes"]),
                 _member(store, shown[2], visibility="none")])


def organisation_change(store: LocalGraphStore, a: Matcher) -> None:
    assert a.catalog is not None
    orgs = a.catalog.organisations
    # a new organisation sorts first: every organisation index moves
    store.write([Organisation(id="aaa-org", name="Nieuwe Stichting", kind="overig")],
                [Relationship.of("WORKS_AT", "m-000010", "aaa-org"),
                 Relationship.of("IN_DOMAIN", "aaa-org", "zorg")],
                replace=[("m-000010", "WORKS_AT")])
    involved = [r.end for p in a.catalog.practices.ids
                for r in store.relationships(p, "INVOLVES")]
    store.write(relationships=[Relationship.of("IN_DOMAIN", involved[0], "jeugdhulp")],
                replace=[(involved[0], "IN_DOMAIN")])
    store.delete([o for o in orgs if o not in involved][:1])


def community_change(store: LocalGraphStore, _a: Matcher) -> None:
    store.write([Community(id="com-zz", name="Intervisie thuiszitters",
                           description="Wij bespreken casussen van thuiszitters.")],
                [Relationship.of("ABOUT", "com-zz", "thuiszitters")])


def taxonomy_change(store: LocalGraphStore, _a: Matcher) -> None:
    node = store.require("autisme")
    assert isinstance(node, Theme)
    store.write([node.model_copy(update={"name": "Autisme en ASS"})])


def unrelated(store: LocalGraphStore, _a: Matcher) -> None:
    store.write(relationships=[Relationship.of("KNOWS", "m-000001", "m-000002")])


WRITES = [profile_edit, theme_change, new_member, erased_member, introduction_state,
          new_practice, member_moves, consent_change, organisation_change, community_change,
          taxonomy_change, unrelated]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
def test_apply_equals_a_fresh_build(write: Callable[..., None], seeded_store: LocalGraphStore,
        make_matcher: Callable[[], Matcher]) -> None:
    a = make_matcher()
    a.sync(seeded_store)
    before_state = a._state
    seq = seeded_store.version
    write(seeded_store, a)
    changes = changes_after(seeded_store, seq)
    assert changes.seq > seq
    a.apply(seeded_store, changes)
    b = make_matcher()
    b.sync(seeded_store)
    assert_same(a, b)
    if write is unrelated:
        assert a.last_encoded == {}
        assert a.catalog is not None and before_state is not None
        assert a.catalog.members is before_state.catalog.members  # nothing copied


def test_apply_touches_only_what_changed(seeded_store: LocalGraphStore,
        make_matcher: Callable[[], Matcher]) -> None:
    a = make_matcher()
    a.sync(seeded_store)
    old = a._state
    assert old is not None
    seq = seeded_store.version
    text = f"Ik begeleid thuiszitters in de Achterhoek ({uuid.uuid4().hex})."  # never cached
    seeded_store.write([_member(seeded_store, "m-000007", profile=text)])
    before = a.encoder.encoded
    encoded = a.apply(seeded_store, changes_after(seeded_store, seq))
    assert encoded == {"member": 1} and a.encoder.encoded - before == 1
    new = a._state
    assert new is not None and new is not old
    # kinds the edit did not touch are shared, the old version is untouched
    for kind in ("practice", "community", "region"):
        assert new.indexes[kind] is old.indexes[kind]
    r = old.indexes["member"].row("m-000007")
    assert r is not None
    assert "Achterhoek" not in old.catalog.members.texts[r]
    assert "Achterhoek" in new.catalog.members.texts[r]
    # an introduction's state touches only loads: no text, no vector copied
    seq = seeded_store.version
    introduction_state(seeded_store, a)
    assert not any(a.apply(seeded_store, changes_after(seeded_store, seq)).values())
    after = a._state
    assert after is not None
    assert after.indexes["member"].vectors is new.indexes["member"].vectors
    load = after.catalog.members.load
    assert load is not None
    assert load[after.indexes["member"].row("m-000004")] == 1  # type: ignore[index]
    assert load[after.indexes["member"].row("m-000003")] == 0  # type: ignore[index]


def test_a_level_change_is_encoded_again(seeded_store: LocalGraphStore,
        make_matcher: Callable[[], Matcher]) -> None:
    """A member's vector speaks of the themes they work on at level 2 or 3: raising a level
    changes the text it is encoded from (the profile and its lexical terms stay), when
    members are described by their themes."""
    a = make_matcher()
    a.describe_members = True
    a.sync(seeded_store)
    old = a._state
    assert old is not None
    tax = old.catalog.taxonomy
    r = old.indexes["member"].row("m-000011")
    assert r is not None
    seq = seeded_store.version
    theme_change(seeded_store, a)
    encoded = a.apply(seeded_store, changes_after(seeded_store, seq))
    new = a._state
    assert new is not None and set(encoded) == {"member"}  # encoded, or found in the cache
    r2 = new.indexes["member"].row("m-000011")
    assert r2 is not None
    meaning = new.indexes["member"].meaning(r2)
    assert tax.theme_texts["autisme"] in meaning  # level 3
    assert tax.theme_texts["armoede"] not in meaning  # level 1
    assert tax.theme_texts["autisme"] not in new.catalog.members.texts[r2]
    assert new.indexes["member"].keys[r2] == text_key(meaning)
    assert new.indexes["member"].keys[r2] != old.indexes["member"].keys[r]
    # other kinds are encoded from their own text, and so are members by default
    assert make_matcher()._state is None
    plain = make_matcher()
    plain.sync(seeded_store)
    assert plain._state is not None
    assert plain._state.indexes["member"].meaning(r2) == new.catalog.members.texts[r2]
    practices = new.indexes["practice"]
    assert practices.meaning(0) == practices.items.texts[0]


def test_several_writes_merged(seeded_store: LocalGraphStore,
        make_matcher: Callable[[], Matcher]) -> None:
    """Another process catches up on everything it missed with one merged change set."""
    a = make_matcher()
    a.sync(seeded_store)
    seq = seeded_store.version
    for write in (new_member, member_moves, erased_member, new_practice, theme_change):
        write(seeded_store, a)
    a.apply(seeded_store, changes_after(seeded_store, seq))
    b = make_matcher()
    b.sync(seeded_store)
    assert_same(a, b)


def test_an_explanation_names_the_member_it_scored(seeded_store: LocalGraphStore,
        make_matcher: Callable[[], Matcher]) -> None:
    """A Relevance taken before an update explains its own rows after it (the race where
    explain read the new index with an old row number)."""
    a = make_matcher()
    a.sync(seeded_store)
    assert a.catalog is not None
    ids = a.catalog.members.ids
    names = dict(zip(ids, a.catalog.members.names, strict=True))
    rel = a.relevance("thuiszitters en schoolverzuim", ids)
    seq = seeded_store.version
    seeded_store.delete(ids[:3])  # every later row moves up by three
    seeded_store.delete([ids[-1]])  # the last row is gone
    a.apply(seeded_store, changes_after(seeded_store, seq))
    for member in [ids[5], ids[100], ids[-1], ids[-2]]:
        s = rel.explain(member)
        assert s is not None and s.id == member and s.name == names[member]


def test_splices_give_the_rows_of_a_rebuild() -> None:
    """Splicing sorted rows (lists, arrays, CSR, vector blocks) equals building them anew."""
    import random

    from scipy import sparse

    from schakel.matching.blocks import RowBlocks
    from schakel.matching.splice import Splice

    rng = random.Random(13)
    universe = [f"i{k:03d}" for k in range(120)]
    value = {i: float(k) for k, i in enumerate(universe)}
    for _ in range(300):
        ids = sorted(rng.sample(universe, rng.randint(0, 60)))
        touched = set(rng.sample(universe, rng.randint(0, 25)))
        present = (set(ids) - touched) | set(rng.sample(sorted(touched),
                                                        rng.randint(0, len(touched))))
        want = sorted(present)
        s = Splice(ids, touched, present)
        assert s.ids == want
        old = np.array([[value[i], 1.0] for i in ids], dtype=np.float32).reshape(-1, 2)
        fresh = np.array([[value[i], 1.0] for i in s.fresh], dtype=np.float32).reshape(-1, 2)
        new = np.array([[value[i], 1.0] for i in want], dtype=np.float32).reshape(-1, 2)
        assert np.array_equal(s.array(old, fresh), new)
        assert s.list([value[i] for i in ids], [value[i] for i in s.fresh]) == \
            [value[i] for i in want]
        assert np.array_equal(s.csr(sparse.csr_matrix(old), sparse.csr_matrix(fresh)).toarray(),
                              new)
        size = rng.choice([1, 3, 8, 100])
        blocks = RowBlocks.of(old, size).splice(s, fresh, size)
        assert np.array_equal(blocks.array(), new)
        assert np.array_equal(blocks.dot(np.array([1.0, 0.0], dtype=np.float32)), new[:, 0])
        kept = np.array([r for r, i in enumerate(ids) if i not in touched], dtype=np.int64)
        assert [want[r] for r in s.moved(kept)] == [ids[r] for r in kept]


def test_lexical_updates_score_like_a_fresh_index() -> None:
    """BM25 after upserts and removals (through copies) equals BM25 built afresh, and a copy
    never changes the index it came from."""
    import random

    from schakel.matching.lexical import LexicalIndex

    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(30)]

    def doc() -> list[str]:
        return [rng.choice(vocab) for _ in range(rng.randint(0, 9))]

    docs = {f"d{i:03d}": doc() for i in range(200)}
    index = LexicalIndex(rebuild_share=0.2)
    index.build(docs)
    first, first_scores = index, index.scores(["w1", "w2"]).copy()
    for step in range(120):
        index = index.copy()
        key = f"d{rng.randint(0, 260):03d}"
        if rng.random() < 0.3:
            index.remove(key)
            docs.pop(key, None)
        else:
            docs[key] = doc()
            index.upsert(key, docs[key])
        if step % 20 == 0 or step == 119:
            fresh = LexicalIndex()
            fresh.build(docs)
            ids = sorted(docs)
            assert len(index) == len(docs)
            for query in (["w1"], ["w2", "w3", "w3"], ["w7", "w11", "zz"]):
                a = index.scores(query)[index.positions(ids)]
                b = fresh.scores(query)[fresh.positions(ids)]
                assert np.allclose(a, b, rtol=1e-6, atol=1e-6), (step, query)
    assert index.rebuilds > first.rebuilds  # the delta was folded in at least once
    assert np.array_equal(first.scores(["w1", "w2"]), first_scores)


def test_catch_up_follows_the_feed(seeded_store: LocalGraphStore,
                                   make_matcher: Callable[[], Matcher]) -> None:
    """What a second worker does: apply every change it missed, read from the feed."""
    a = make_matcher()
    a.catch_up(seeded_store)  # first use: a full build
    assert a.catalog is not None and a.version == seeded_store.version
    assert a.catch_up(seeded_store) == {}
    new_member(seeded_store, a)
    consent_change(seeded_store, a)
    a.catch_up(seeded_store)
    assert a.version == seeded_store.version
    b = make_matcher()
    b.sync(seeded_store)
    assert_same(a, b)
