"""One kind's search index: the catalog rows with their vectors and lexical index.

Never changed once built: :func:`build_index` makes one for a full sync (re-using the vectors
of texts that did not change), :func:`follow_index` the next one after a catalog splice,
encoding and re-analysing only the texts that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .blocks import RowBlocks
from .catalog import Items
from .embeddings import CachedEncoder, text_key
from .lexical import LexicalIndex
from .splice import Splice, row_of
from .text import Analyzer

__all__ = ["KindIndex", "build_index", "follow_index"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class KindIndex:
    items: Items
    keys: list[bytes]  # text key per row
    vectors: RowBlocks  # unit vectors, rows as in items
    lexical: LexicalIndex
    lex_pos: np.ndarray  # row -> position in lexical.scores()

    def row(self, node_id: str) -> int | None:
        return row_of(self.items.ids, node_id)

    @cached_property
    def rows(self) -> dict[str, int]:
        """id -> row, built when first asked (the hot paths use :meth:`row`)."""
        return {i: r for r, i in enumerate(self.items.ids)}


def _encode(encoder: CachedEncoder, kind: str, texts: list[str],
            progress: Progress | None) -> np.ndarray:
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(kind, done, len(texts))

    return encoder.encode(texts, progress=step)


def build_index(items: Items, old: KindIndex | None, analyzer: Analyzer,
                encoder: CachedEncoder, progress: Progress | None = None) -> KindIndex:
    """The index of ``items``; texts whose key is unchanged since ``old`` keep their vector
    and terms (pass None when the analyser changed)."""
    keys = [text_key(t) for t in items.texts]
    vectors = np.empty((len(items), encoder.dim), dtype=np.float32)
    if old is None:
        changed = list(range(len(items)))
        lexical = LexicalIndex()
        lexical.build({i: analyzer.terms(t) for i, t in zip(items.ids, items.texts,
                                                             strict=True)})
    else:
        previous = {i: (k, r) for r, (i, k) in enumerate(zip(old.items.ids, old.keys,
                                                             strict=True))}
        changed = [r for r, (i, k) in enumerate(zip(items.ids, keys, strict=True))
                   if previous.get(i, (b"",))[0] != k]
        lexical = old.lexical.copy()
        for gone in set(previous) - set(items.ids):
            lexical.remove(gone)
        for r in changed:
            lexical.upsert(items.ids[r], analyzer.terms(items.texts[r]))
        todo = set(changed)
        keep = [r for r in range(len(items)) if r not in todo]
        if keep:
            vectors[keep] = old.vectors.take(np.array([previous[items.ids[r]][1]
                                                       for r in keep], dtype=np.int64))
    if changed:
        vectors[changed] = _encode(encoder, items.kind, [items.texts[r] for r in changed],
                                   progress)
    return KindIndex(items, keys, RowBlocks.of(vectors), lexical, lexical.positions(items.ids))


def follow_index(index: KindIndex, items: Items, splice: Splice, analyzer: Analyzer,
                 encoder: CachedEncoder) -> KindIndex:
    """The index after ``splice`` turned ``index.items`` into ``items``. Rows whose text
    did not change keep their vector (no copy at all when no text and no id changed)."""
    put = splice.put.tolist()
    fresh_keys = [text_key(items.texts[r]) for r in put]
    before = {index.items.ids[r]: index.keys[r] for r in splice.drop.tolist()}
    changed = [k for k, i in enumerate(splice.fresh) if before.get(i) != fresh_keys[k]]
    same_rows = splice.ids == index.items.ids
    if same_rows and not changed:  # e.g. a member's load or consent: texts are as they were
        return replace(index, items=items)
    fresh = np.empty((len(put), encoder.dim), dtype=np.float32)
    for k, i in enumerate(splice.fresh):
        if i in before and before[i] == fresh_keys[k]:
            fresh[k] = index.vectors.take(np.array([row_of(index.items.ids, i)]))[0]
    if changed:
        fresh[changed] = encoder.encode([items.texts[put[k]] for k in changed])
    lexical = index.lexical.copy()
    for i in set(before) - set(splice.fresh):
        lexical.remove(i)
    for k in changed:
        lexical.upsert(splice.fresh[k], analyzer.terms(items.texts[put[k]]))
    if lexical.rebuilds != index.lexical.rebuilds:  # positions all moved
        lex_pos = lexical.positions(items.ids)
    else:
        lex_pos = splice.array(index.lex_pos, lexical.positions(splice.fresh))
    return KindIndex(items, splice.list(index.keys, fresh_keys),
                     index.vectors.splice(splice, fresh), lexical, lex_pos)
