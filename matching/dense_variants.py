"""Other ways to give a member a meaning vector, compared in ``schakel eval --dicht``.

The matcher encodes one text per member: function, what they offer, their theme names and the
descriptions of the themes they work on at level 2 or 3 (sentences saying what they want to
learn are left out, see offers.py). The variants here encode the same member differently;
each replaces the member vectors for one evaluation run and is never used to serve:

- ``zonder themabeschrijvingen``: the text without the descriptions (before issue 14);
- ``zinnen (max)``: every sentence of that text on its own; a member is as close as their
  closest sentence (an offer is not averaged away by the rest of the profile);
- ``beide (max)``: the closer of the text with and without the descriptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .blocks import RowBlocks
from .catalog import Items, Taxonomy, without_descriptions
from .evaluate import Scores, evaluate_slices
from .offers import sentences

__all__ = ["DenseVariant", "MaxOfRows", "member_variants", "compare"]

SAMPLE = 64  # members whose texts are timed without the cache


@dataclass(frozen=True)
class DenseVariant:
    name: str
    vectors: Any  # RowBlocks, or MaxOfRows
    texts: int  # texts encoded for it
    ms_per_member: float  # the encoder alone (no cache) on a sample of members


class MaxOfRows:
    """Several unit vectors per row; a row's cosine is that of its closest vector. Offers the
    part of the RowBlocks interface that :func:`~schakel.matching.vectors.cosine` uses."""

    quantised = False

    def __init__(self, vectors: np.ndarray, owner: np.ndarray, rows: int) -> None:
        self.vectors, self.owner, self.rows = vectors, owner, rows
        self.shape = (rows, vectors.shape[1])

    def __len__(self) -> int:
        return self.rows

    def dot(self, query: np.ndarray) -> np.ndarray:
        out = np.full(self.rows, -1.0, dtype=np.float32)
        np.maximum.at(out, self.owner, self.vectors @ query)
        return out

    def take(self, rows: np.ndarray) -> _Taken:
        return _Taken(self, np.asarray(rows))


class _Taken:
    def __init__(self, source: MaxOfRows, rows: np.ndarray) -> None:
        self.source, self.rows = source, rows

    def __matmul__(self, query: np.ndarray) -> np.ndarray:
        return self.source.dot(query)[self.rows]


def member_variants(items: Items, taxonomy: Taxonomy,
                    encode: Callable[[Sequence[str]], np.ndarray],
                    raw: Callable[[Sequence[str]], np.ndarray] | None = None,
                    sample: int = SAMPLE) -> list[DenseVariant]:
    """The variants for these member rows, encoded with ``encode``; the cost of each is the
    time ``raw`` (the encoder without its cache; default ``encode``) takes for the texts of
    the first ``sample`` members, per member."""
    raw = raw or encode
    n = len(items)
    current = list(items.texts)
    bare = without_descriptions(items, taxonomy)
    parts = [sentences(text) or [text] for text in bare]
    owner = np.repeat(np.arange(n), [len(p) for p in parts])
    k = min(sample, n)

    def cost(texts: list[str]) -> float:
        raw(texts[:1])  # warm
        t = time.perf_counter()
        raw(texts)
        return (time.perf_counter() - t) * 1000 / max(k, 1)

    ms = {"current": cost(current[:k]), "bare": cost(bare[:k]),
          "sentences": cost([x for p in parts[:k] for x in p])}
    cur, plain = encode(current), encode(bare)
    both = MaxOfRows(np.vstack([cur, plain]), np.concatenate([np.arange(n)] * 2), n)
    return [
        DenseVariant("met themabeschrijvingen (nu)", RowBlocks.of(cur), n, ms["current"]),
        DenseVariant("zonder themabeschrijvingen", RowBlocks.of(plain), n, ms["bare"]),
        DenseVariant("zinnen (max)", MaxOfRows(encode([x for p in parts for x in p]), owner, n),
                     len(owner), ms["sentences"]),
        DenseVariant("beide (max)", both, 2 * n, ms["current"] + ms["bare"]),
    ]


def compare(matcher: Any, question_sets: dict[str, list[dict[str, Any]]],
            progress: Callable[[int], None] | None = None
            ) -> list[tuple[DenseVariant, dict[str, dict[str, Scores]]]]:
    """Each variant's hybrid scores per question set and slice. The matcher's member vectors
    are swapped for one run each and put back after (a measuring command, not a server)."""
    state = matcher._ready()  # noqa: SLF001 - same package; the swap is undone below
    variants = member_variants(state.catalog.members, state.catalog.taxonomy,
                               matcher.encoder.encode, matcher.encoder.encoder.encode)
    out = []
    try:
        for v in variants:
            index = state.indexes["member"]
            member = replace(index, vectors=v.vectors,
                             ready=np.ones(len(index.items), dtype=bool))
            matcher._state = replace(state, indexes={**state.indexes, "member": member})
            out.append((v, {name: evaluate_slices(matcher, qs, {"h": matcher.weights},
                                                  progress)["h"]
                            for name, qs in question_sets.items()}))
    finally:
        matcher._state = state
    return out
