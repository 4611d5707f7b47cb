"""Other ways to give a member a meaning vector, compared in ``schakel eval --dicht``.

A member's profile text is function, what they offer and their theme names (sentences saying
what they want to learn are left out, see offers.py); the matcher encodes it as it is (with
``describe_members`` also the descriptions of the member's level 2-3 themes, index.py). The
variants each replace the member vectors for one evaluation run and are never used to serve
questions:

- ``profiel (nu)``: the profile text alone;
- ``zinnen (max)``: every sentence of that text on its own; a member is as close as their
  closest sentence (an offer is not averaged away by the rest of the profile);
- ``+ themabeschrijvingen``: the text plus the descriptions of the themes the member
  works on at level 2 or 3 (what the structured facts say, in words);
- ``beide (max)``: the closer of the profile alone and the text with descriptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .blocks import RowBlocks
from .catalog import Items, Taxonomy
from .evaluate import Scores, evaluate_slices
from .index import meaning_text
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


def _themed(items: Items, taxonomy: Taxonomy) -> list[str]:
    described = tuple(taxonomy.theme_texts[t] for t in taxonomy.theme_ids)
    return [meaning_text(items, r, described) for r in range(len(items))]


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
    themed = _themed(items, taxonomy)
    parts = [sentences(text) or [text] for text in current]
    owner = np.repeat(np.arange(n), [len(p) for p in parts])
    k = min(sample, n)

    def cost(texts: list[str]) -> float:
        raw(texts[:1])  # warm
        t = time.perf_counter()
        raw(texts)
        return (time.perf_counter() - t) * 1000 / max(k, 1)

    ms = {"current": cost(current[:k]), "themed": cost(themed[:k]),
          "sentences": cost([x for p in parts[:k] for x in p])}
    cur, with_themes = encode(current), encode(themed)
    both = MaxOfRows(np.vstack([cur, with_themes]), np.concatenate([np.arange(n)] * 2), n)
    return [
        DenseVariant("profiel (nu)", RowBlocks.of(cur), n, ms["current"]),
        DenseVariant("zinnen (max)", MaxOfRows(encode([x for p in parts for x in p]), owner, n),
                     len(owner), ms["sentences"]),
        DenseVariant("+ themabeschrijvingen", RowBlocks.of(with_themes), n, ms["themed"]),
        DenseVariant("beide (max)", both, 2 * n, ms["current"] + ms["themed"]),
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
