"""Serve while encoding: a matcher over a network whose texts are not encoded yet answers at
once from words, themes, places and roles, says so in its reasons, fills in meaning as the
background encoder delivers, resumes from the embedding cache after a restart, and ranks
exactly as a fully encoded matcher once done.

The encoder here is deliberately slow in a controlled way: the background thread may encode
only as many chunks as the test allows (a semaphore), so nothing depends on timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gated import GatedEncoder, until

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
from schakel.matching.engine import WAITING_NL, Matcher, MatchQuery

QUERIES = [
    MatchQuery(text="Wie weet iets van thuiszitters in de buurt van Zwolle?", limit=20),
    MatchQuery(text="Ik zoek iemand met ervaring met autisme en passend onderwijs",
               kinds=["member", "expert"], limit=30, viewer="staff"),
    MatchQuery(text="Hoe werken school en jeugdhulp samen?", near="Emmen", limit=15),
    MatchQuery(text="praktijkvoorbeeld over verzuim en leerplicht",
               kinds=["practice", "community"], limit=20, asker_domain="onderwijs"),
]


def make(gazetteer: Gazetteer, cache: Path | None, background: bool,
         encoder: GatedEncoder | None = None) -> Matcher:
    m = Matcher(gazetteer, CachedEncoder(encoder or GatedEncoder(), EmbeddingCache(cache)),
                background_from=0 if background else None)
    m.backfill.window, m.backfill.chunk = 40, 20  # two model calls per published window
    return m


def ranking(m: Matcher, q: MatchQuery) -> list[tuple[str, float]]:
    return [(s.id, round(s.score, 5)) for s in m.match(q).results]


def test_answers_before_encoding_has_finished_then_equal_to_a_full_build(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer) -> None:
    encoder = GatedEncoder()
    m = make(gazetteer, None, background=True, encoder=encoder)
    try:
        m.sync(seeded_store)  # returns although the encoder let nothing through yet
        done, total = m.meaning()  # type: ignore[misc]
        assert done == 0 and total > 300
        first = m.match(QUERIES[0])
        assert first.results, "words, themes and places answer without any vector"
        for s in first.results:
            signals = {r.signal for r in s.reasons}
            assert "dense" not in signals and s.features["dense"] == 0.0
            assert [r.text for r in s.reasons if r.signal == "waiting"] == [WAITING_NL]

        encoder.allow(2)  # one window
        until(lambda: m.meaning()[0] >= 40, "one window published")  # type: ignore[index]
        while not m._indexes["member"].ready.any():  # regions and practices come first
            seen = m.meaning()[0]  # type: ignore[index]
            encoder.allow(2)
            until(lambda seen=seen: m.meaning()[0] > seen, "next window")  # type: ignore[index]
        assert m.meaning()[0] < total  # type: ignore[index]
        # Members whose vector arrived get meaning; the others still say they wait.
        member = m._indexes["member"]
        staff = MatchQuery(text="thuiszitters autisme onderwijs jeugdhulp", kinds=["member"],
                           limit=50, viewer="staff")
        for s in m.match(staff).results:
            waiting = any(r.signal == "waiting" for r in s.reasons)
            assert waiting != bool(member.ready[member.row(s.id)])
        assert not member.ready.all()

        encoder.allow(10_000)
        until(lambda: not m.backfill.running, "the backlog encoded")
        assert m.meaning() == (total, total)
        full = make(gazetteer, None, background=False)
        full.sync(seeded_store)
        for q in QUERIES:
            assert ranking(m, q) == ranking(full, q), q.text
            assert not any(r.signal == "waiting" for s in m.match(q).results
                           for r in s.reasons)
    finally:
        encoder.allow(10_000)
        m.close()


def test_a_restart_resumes_from_the_cache_instead_of_starting_over(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, tmp_path: Path) -> None:
    cache = tmp_path / "embeddings.sqlite"
    first_encoder = GatedEncoder()
    first = make(gazetteer, cache, background=True, encoder=first_encoder)
    first.sync(seeded_store)
    first_encoder.allow(6)  # three windows, then the service stops
    until(lambda: first.backfill.encoded >= 120, "three windows published")
    first.backfill.stop(timeout=0)  # the service stops: the chunk in hand still lands
    first_encoder.allow(1)
    first.close()
    stored = first.backfill.encoded
    done_before = first.meaning()[0]  # type: ignore[index]
    assert 120 <= stored and done_before >= stored

    second_encoder = GatedEncoder()
    second = make(gazetteer, cache, background=True, encoder=second_encoder)
    try:
        second.sync(seeded_store)
        # Every text encoded before the stop came from the cache: none is encoded again.
        assert second.encoder.hits >= stored
        assert second.meaning()[0] == done_before  # type: ignore[index]
        second_encoder.allow(10_000)
        until(lambda: not second.backfill.running, "the rest encoded")
        done, total = second.meaning()  # type: ignore[misc]
        assert done == total
        unique = {k for ix in second._indexes.values() for k in ix.keys}
        assert stored + second.backfill.encoded == len(unique)  # each text once
        noted = EmbeddingCache(cache).progress()
        assert noted is not None and noted[:2] == (total, total)  # what `schakel info` shows
    finally:
        second_encoder.allow(10_000)
        second.close()


def test_an_erased_text_is_never_cached_by_the_background_encoder(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, tmp_path: Path) -> None:
    encoder = GatedEncoder()
    m = make(gazetteer, tmp_path / "e.sqlite", background=True, encoder=encoder)
    try:
        m.sync(seeded_store)
        member = m._indexes["member"]
        gone = member.items.ids[-1]
        key = member.keys[-1]
        m.forget([gone])  # erasure starts before the encoder reached this member
        encoder.allow(10_000)
        until(lambda: not m.backfill.running, "the backlog encoded")
        assert m.encoder.cache.get_many(m.model_id, [key]) == {}
    finally:
        encoder.allow(10_000)
        m.close()


@pytest.mark.parametrize("viewer", ["member", "staff"])
def test_the_waiting_reason_is_shown_to_every_viewer(viewer: str) -> None:
    from schakel.matching.brokering.reasons import dumps, render

    candidate = {"visibility": "members"}
    shown = render([dumps("waiting", WAITING_NL)], candidate, viewer)  # type: ignore[arg-type]
    assert shown == [WAITING_NL]
