"""`schakel bench`, the encoding part: how soon a fresh network answers, and whether the
background encoder runs at the encoder's own speed.

- first answer: a matcher with an empty embedding cache builds its indexes (no encoding) and
  answers one question; meaning joins later;
- in-service throughput: texts per second of the background encoder (cache writes and
  publishing included), over its first ``sample`` texts;
- encoder alone: the same number of member texts straight through the model in one call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from schakel.graph.geo import Gazetteer
from schakel.graph.store import GraphStore
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
from schakel.matching.engine import Matcher, MatchQuery

from .config import Settings
from .state import _encoder

__all__ = ["EncodeRow", "measure_encoding"]


@dataclass
class EncodeRow:
    first_answer_s: float  # build without encoding + one answered question
    in_service_per_s: float
    alone_per_s: float
    sample: int


def measure_encoding(store: GraphStore, settings: Settings, query: MatchQuery,
                     sample: int = 2000) -> EncodeRow:
    encoder = _encoder(settings.encoder, settings.encoder_model)
    matcher = Matcher(Gazetteer.load(), CachedEncoder(encoder, EmbeddingCache(None)),
                      background_from=0)
    try:
        t = time.perf_counter()
        matcher.sync(store)
        matcher.match(query)
        first = time.perf_counter() - t
        deadline = time.monotonic() + 3600
        while (matcher.backfill.running and matcher.backfill.encoded < sample
               and time.monotonic() < deadline):
            time.sleep(0.05)
        matcher.backfill.stop()
        done, spent = matcher.backfill.encoded, matcher.backfill.seconds
        index = matcher._indexes["member"]
        texts = [index.meaning(r) for r in range(min(done or sample, len(index.items)))]
    finally:
        matcher.close()
    t = time.perf_counter()
    encoder.encode(texts)
    alone = len(texts) / (time.perf_counter() - t)
    return EncodeRow(first, done / spent if spent else 0.0, alone, done)
