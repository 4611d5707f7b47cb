"""Dutch analysis and the BM25 index with incremental changes."""

from __future__ import annotations

import numpy as np
import pytest

from schakel.matching.lexical import LexicalIndex
from schakel.matching.text import Analyzer, words


def test_words_fold_case_and_accents() -> None:
    assert words("Súdwest-Fryslân, ÉÉN keer!") == ["sudwest", "fryslan", "een", "keer"]


def test_terms_drop_stop_words_and_stem() -> None:
    a = Analyzer()
    assert a.terms("Wie heeft ervaring met de thuiszitters?") == [a.stem("thuiszitters")]
    # plural and singular share a stem
    assert a.stem("scholen") == a.stem("school") or a.stem("leerlingen") == a.stem("leerling")


def test_compounds_add_their_known_parts() -> None:
    a = Analyzer(["jeugdhulp", "school", "ondersteuning"])
    assert a.split("jeugdhulpverlener") == ("jeugdhulp", "verlener")
    assert a.split("leerlingondersteuning") == ()  # "leerling" is not a known part
    assert a.split("schoolondersteuning") == ("school", "ondersteuning")
    terms = a.terms("jeugdhulpverlener")
    assert terms[0] == a.stem("jeugdhulpverlener")
    assert a.stem("jeugdhulp") in terms
    assert a.split("jeugdhulp") == ()  # a known word itself is not split


def test_bm25_ranks_the_document_with_the_query_words() -> None:
    index = LexicalIndex()
    index.build({"a": ["thuiszit", "school"], "b": ["autism", "klas"], "c": ["verzuim"]})
    scores = index.scores(["autism"])[index.positions(["a", "b", "c"])]
    assert scores[1] > 0 and scores[0] == 0 and scores[2] == 0
    # unknown words and unknown ids score zero instead of failing
    assert not index.scores(["onbekend"]).any()
    assert index.scores(["autism"])[index.positions(["zz"])][0] == 0


def _corpus(n: int) -> dict[str, list[str]]:
    vocab = [f"w{i}" for i in range(40)]
    return {f"d{i}": [vocab[(i * 7 + j * 3) % 40] for j in range(5 + i % 4)] for i in range(n)}


def test_incremental_add_scores_like_a_full_rebuild() -> None:
    docs = _corpus(400)
    incremental = LexicalIndex(rebuild_share=0.5)
    incremental.build(docs)
    new = {"n1": ["w1", "w2", "w2", "w9"], "n2": ["w3"]}
    for k, v in new.items():
        incremental.upsert(k, v)
    assert incremental.rebuilds == 1  # still the first build: the new ones are in the delta
    full = LexicalIndex()
    full.build({**docs, **new})
    ids = list(docs)[:50] + list(new)
    for query in (["w1", "w9"], ["w3"], ["w2", "w5", "w30"]):
        a = incremental.scores(query)[incremental.positions(ids)]
        b = full.scores(query)[full.positions(ids)]
        assert a == pytest.approx(b, rel=0.02, abs=1e-3)


def test_length_norms_follow_the_average_length() -> None:
    """The per-document length norms are kept between questions; a change of the average
    length (a long document added) must not leave the old ones in use."""
    docs = _corpus(300)
    index = LexicalIndex(rebuild_share=0.5)
    index.build(docs)
    ids = list(docs)
    before = index.scores(["w1"])[index.positions(ids)]
    index.upsert("lang", ["w2"] * 400)
    full = LexicalIndex()
    full.build({**docs, "lang": ["w2"] * 400})
    after = index.scores(["w1"])[index.positions(ids)]
    assert after == pytest.approx(full.scores(["w1"])[full.positions(ids)], rel=1e-5)
    assert not np.allclose(after, before)  # the longer average changed every norm


def test_remove_and_replace() -> None:
    index = LexicalIndex(rebuild_share=0.5)
    index.build(_corpus(100))
    index.remove("d1")
    assert "d1" not in index and len(index) == 99
    assert index.scores(["w7"])[index.positions(["d1"])][0] == 0
    index.upsert("d2", ["uniek"])
    assert index.scores(["uniek"])[index.positions(["d2"])][0] > 0
    index.upsert("d2", ["anders"])  # replaced: the old text no longer matches
    assert index.scores(["uniek"])[index.positions(["d2"])][0] == 0


def test_large_delta_triggers_a_rebuild() -> None:
    index = LexicalIndex(rebuild_share=0.05)
    index.build(_corpus(1000))
    for i in range(60):
        index.upsert(f"x{i}", ["w1"])
    assert index.rebuilds == 2
    assert len(index) == 1060
    assert (index.scores(["w1"])[index.positions([f"x{i}" for i in range(60)])] > 0).all()


def test_threads_stem_alike() -> None:
    """Requests are answered in threads: each must stem as if alone (a shared snowball
    stemmer garbled words or raised IndexError under `schakel bench`'s writer thread)."""
    import threading

    analyzer = Analyzer()
    words_ = ["samenwerkingsverbanden", "thuiszitters", "leerplichtambtenaren",
              "ervaringsdeskundigen", "jeugdhulpaanbieders", "kinderopvangorganisaties"]
    expected = {w: analyzer.stem(w) for w in words_}
    wrong: list[tuple[str, str]] = []

    def work(offset: int) -> None:
        for i in range(20_000):
            w = words_[(i + offset) % len(words_)]
            got = analyzer.stem(w)
            if got != expected[w]:
                wrong.append((w, got))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong, wrong[:5]
