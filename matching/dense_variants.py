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


@dataclass(frozen=True)
class DenseVariant:
    name: str
    vectors: Any  # RowBlocks, or MaxOfRows
    texts: int  # texts encoded for it
    seconds: float  # encoding time, texts not yet in the embedding cache included


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
                    encode: Callable[[Sequence[str]], np.ndarray]) -> list[DenseVariant]:
    """The variants for these member rows, encoded with ``encode`` (timed)."""

    def timed(texts: list[str]) -> tuple[np.ndarray, float]:
        t = time.perf_counter()
        return encode(texts), time.perf_counter() - t

    n = len(items)
    current, current_s = timed(list(items.texts))
    bare_texts = without_descriptions(items, taxonomy)
    bare, bare_s = timed(bare_texts)
    parts = [sentences(text) or [text] for text in bare_texts]
    owner = np.repeat(np.arange(n), [len(p) for p in parts])
    sent, sent_s = timed([s for p in parts for s in p])
    both = MaxOfRows(np.vstack([current, bare]), np.concatenate([np.arange(n)] * 2), n)
    return [
        DenseVariant("met themabeschrijvingen (nu)", RowBlocks.of(current), n, current_s),
        DenseVariant("zonder themabeschrijvingen", RowBlocks.of(bare), n, bare_s),
        DenseVariant("zinnen (max)", MaxOfRows(sent, owner, n), len(owner), sent_s),
        DenseVariant("beide (max)", both, 2 * n, current_s + bare_s),
    ]


def compare(matcher: Any, question_sets: dict[str, list[dict[str, Any]]],
            progress: Callable[[int], None] | None = None
            ) -> list[tuple[DenseVariant, dict[str, dict[str, Scores]]]]:
    """Each variant's hybrid scores per question set and slice. The matcher's member vectors
    are swapped for one run each and put back after (a measuring command, not a server)."""
    state = matcher._ready()  # noqa: SLF001 - same package; the swap is undone below
    variants = member_variants(state.catalog.members, state.catalog.taxonomy,
                               matcher.encoder.encode)
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
