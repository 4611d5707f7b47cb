"""One kind's search index: the catalog rows with their vectors and lexical index.

Never changed once built: :func:`build_index` makes one for a full sync (re-using the vectors
of texts that did not change), :func:`follow_index` the next one after a catalog splice,
encoding and re-analysing only the texts that changed, :func:`with_vectors` the next one when
the background encoder delivers vectors for rows that had none yet (``ready`` False).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .blocks import BLOCK, RowBlocks
from .catalog import Items
from .embeddings import CachedEncoder, text_key
from .lexical import LexicalIndex
from .quantised import HEAD_FROM, Int8Rows, quantise
from .splice import Splice, row_of
from .text import Analyzer

__all__ = ["KindIndex", "build_index", "follow_index", "with_vectors"]

# A theme counts as what a member brings from this level on (levels are stored as level / 3).
LEVEL_FROM = 2 / 3 - 1e-6


def meaning_text(items: Items, r: int, described: tuple[str, ...]) -> str:
    """What row ``r``'s meaning vector is encoded from: its text and, when ``described``
    (one text per theme column) is given, the descriptions of the themes it works on at level
    2 or 3. The structured facts then speak in the vector too: a member who works on
    thuiszitters at level 3 is close to a question that describes thuiszitters in other
    words, even when their profile does not (held-out questions, 3000 members: nDCG@10
    0.696 -> 0.725; `schakel eval --dicht`), but a rare word of their own counts less in it
    (Matcher(describe_members=...) says whether it is used). The lexical index keeps the
    profile alone."""
    text = items.texts[r]
    if not described:
        return text
    th = items.themes
    lo, hi = th.indptr[r], th.indptr[r + 1]
    strong = sorted(int(c) for c, level in zip(th.indices[lo:hi], th.data[lo:hi], strict=True)
                    if level >= LEVEL_FROM)
    return " ".join([text, *(described[c] for c in strong)])


@dataclass(frozen=True)
class KindIndex:
    items: Items
    keys: list[bytes]  # key per row of its meaning text (meaning_text)
    vectors: Int8Rows | RowBlocks  # unit vectors (int8 codes, or exact), rows as in items
    lexical: LexicalIndex
    lex_pos: np.ndarray  # row -> position in lexical.scores()
    ready: np.ndarray  # row -> has its vector (False: still queued for the encoder)
    described: tuple[str, ...] = ()  # per theme column, for meaning_text (members)

    def meaning(self, r: int) -> str:
        """The text row ``r``'s vector is encoded from."""
        return meaning_text(self.items, r, self.described)

    @property
    def waiting(self) -> int:
        """Rows whose vector has not arrived yet."""
        return len(self.ready) - int(np.count_nonzero(self.ready))

    def row(self, node_id: str) -> int | None:
        return row_of(self.items.ids, node_id)

    @cached_property
    def rows(self) -> dict[str, int]:
        """id -> row, built when first asked (the hot paths use :meth:`row`)."""
        return {i: r for r, i in enumerate(self.items.ids)}


# Kinds with fewer rows keep float32 vectors: int8 saves little there, rescoring costs.
INT8_FROM = 5000


def build_index(items: Items, old: KindIndex | None, analyzer: Analyzer,
                encoder: CachedEncoder, exact: bool = False,
                int8_from: int = INT8_FROM, described: tuple[str, ...] = (),
                head_from: int = HEAD_FROM) -> KindIndex:
    """The index of ``items``; texts whose key is unchanged since ``old`` keep their vector
    and terms (pass None when the analyser changed), the others come from the embedding
    cache. Encodes nothing: rows whose text is in neither are not ``ready`` (zero vectors)
    until :func:`with_vectors` fills them. Vectors are kept as int8 codes from ``int8_from``
    rows on (``exact``: always float32), with a head from ``head_from`` rows on once none
    is waiting (:func:`with_head`). ``described``: see :func:`meaning_text`."""
    keys = [text_key(meaning_text(items, r, described)) for r in range(len(items))]
    ready = np.ones(len(items), dtype=bool)
    previous: dict[str, tuple[bytes, int]] = {}
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
    # Block by block: the vectors of a block of rows (kept, or read from the cache) are
    # gathered and coded before the next. At 100k members the whole float32 matrix, the
    # cache's answer for every row and the coding's temporaries took 600+ MB at once.
    todo = set(changed)
    int8 = not exact and len(items) >= int8_from
    blocks: list[np.ndarray] = []
    scales: list[np.ndarray] = []
    for lo in range(0, len(items), BLOCK):
        rows = range(lo, min(lo + BLOCK, len(items)))
        chunk = np.zeros((len(rows), encoder.dim), dtype=np.float32)
        keep = [r for r in rows if r not in todo]
        if keep:
            assert old is not None  # every row is to do without an old index
            old_rows = np.array([previous[items.ids[r]][1] for r in keep], dtype=np.int64)
            chunk[np.array(keep) - lo] = old.vectors.take(old_rows)
            ready[keep] = old.ready[old_rows]
        fresh = [r for r in rows if r in todo]
        if fresh:
            found = encoder.lookup([keys[r] for r in fresh])
            for r in fresh:
                hit = found.get(keys[r])
                if hit is None:
                    ready[r] = False
                else:
                    chunk[r - lo] = hit
        if int8:
            codes, scale = quantise(chunk)
            blocks.append(codes)
            scales.append(scale)
        else:
            blocks.append(chunk)
    packed: Int8Rows | RowBlocks
    if int8:
        packed = Int8Rows(RowBlocks(blocks, encoder.dim, np.int8),
                          np.concatenate(scales) if scales else np.zeros(0, np.float32))
    else:
        packed = RowBlocks(blocks, encoder.dim)
    index = KindIndex(items, keys, packed, lexical, lexical.positions(items.ids), ready,
                      described)
    return with_head(index, head_from)


def with_head(index: KindIndex, head_from: int = HEAD_FROM) -> KindIndex:
    """The index with a :class:`~schakel.matching.quantised.Head` fitted on its int8 rows,
    once no row waits for its vector (a head fitted on zeros would fit nothing); as it
    was when it has one, keeps float32 vectors, or still waits."""
    v = index.vectors
    if not isinstance(v, Int8Rows) or v.head is not None or index.waiting:
        return index
    return replace(index, vectors=v.with_head(head_from))


def with_vectors(index: KindIndex, found: dict[bytes, np.ndarray]) -> KindIndex:
    """The index with the rows that were waiting for one of these text keys filled in
    (copy-on-write: only the blocks they fall in are copied)."""
    waiting = np.flatnonzero(~index.ready)
    rows = [r for r in waiting.tolist() if index.keys[r] in found]
    if not rows:
        return index
    ready = index.ready.copy()
    ready[rows] = True
    values = np.stack([found[index.keys[r]] for r in rows])
    return replace(index, vectors=index.vectors.fill(np.array(rows), values), ready=ready)


def follow_index(index: KindIndex, items: Items, splice: Splice, analyzer: Analyzer,
                 encoder: CachedEncoder) -> KindIndex:
    """The index after ``splice`` turned ``index.items`` into ``items``. Rows whose text
    did not change keep their vector (no copy at all when no text and no id changed)."""
    put = splice.put.tolist()
    fresh_texts = [meaning_text(items, r, index.described) for r in put]
    fresh_keys = [text_key(t) for t in fresh_texts]
    before = {index.items.ids[r]: index.keys[r] for r in splice.drop.tolist()}
    changed = [k for k, i in enumerate(splice.fresh) if before.get(i) != fresh_keys[k]]
    same_rows = splice.ids == index.items.ids
    if same_rows and not changed:  # e.g. a member's load or consent: texts are as they were
        return replace(index, items=items)
    fresh = np.empty((len(put), encoder.dim), dtype=np.float32)
    fresh_ready = np.ones(len(put), dtype=bool)
    for k, i in enumerate(splice.fresh):
        if i in before and before[i] == fresh_keys[k]:
            old_row = row_of(index.items.ids, i)
            fresh[k] = index.vectors.take(np.array([old_row]))[0]
            fresh_ready[k] = index.ready[old_row]  # still queued: stays queued
    if changed:
        fresh[changed] = encoder.encode([fresh_texts[k] for k in changed])
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
                     index.vectors.splice(splice, fresh), lexical, lex_pos,
                     splice.array(index.ready, fresh_ready), index.described)
