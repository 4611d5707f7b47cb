"""Encoding in the background: the texts a published index is still waiting for.

A large import (or a first start without a warm embedding cache) would otherwise keep the
matcher closed until every profile is encoded (32 minutes at 100k). Instead the matcher
publishes its indexes at once with the cached vectors it has; this thread encodes the rest,
a window at a time, at the encoder's full speed (similar lengths batched together), and
hands each window to ``publish``, which writes it to the embedding cache (a restart resumes
from there) and publishes the next immutable version of the indexes. Readers never wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection

import numpy as np

from .embeddings import CachedEncoder
from .index import KindIndex

__all__ = ["Backfill", "waiting_texts", "WINDOW", "CHUNK", "SMALL_CHUNK"]

logger = logging.getLogger(__name__)

WINDOW = 2048  # texts per published step: a few seconds of encoding on a quiet machine
PUBLISH_S = 10.0  # ... or what this many seconds encoded, on a busy one
CHUNK = 128  # texts per call to the model: a question waits at most one call for it,
SMALL_CHUNK = 32  # so while questions come (one in the last QUIET_S seconds), smaller calls
QUIET_S = 30.0
# Small kinds first (regions, practices, communities), so they are complete early.
ORDER = ("region", "practice", "community", "member")


def waiting_texts(indexes: dict[str, KindIndex], limit: int,
                  skip: Collection[bytes] = ()) -> dict[bytes, str]:
    """Up to ``limit`` texts (by key) that rows of these indexes are waiting for."""
    out: dict[bytes, str] = {}
    kinds = sorted(indexes, key=lambda k: ORDER.index(k) if k in ORDER else -1)
    for kind in kinds:
        index = indexes[kind]
        if index.ready.all():
            continue
        for r in np.flatnonzero(~index.ready).tolist():
            key = index.keys[r]
            if key not in out and key not in skip:
                out[key] = index.meaning(r)
                if len(out) >= limit:
                    return out
    return out


class Backfill:
    """One thread that encodes what ``current()`` is waiting for until nothing is left.

    ``publish(found)`` gets each window's vectors by text key; ``done()`` is called once
    nothing is waiting any more. ``skip()`` names keys never to encode (erased members).
    """

    def __init__(self, encoder: CachedEncoder,
                 current: Callable[[], dict[str, KindIndex] | None],
                 publish: Callable[[dict[bytes, np.ndarray]], None],
                 done: Callable[[], None], skip: Callable[[], Collection[bytes]],
                 window: int = WINDOW, chunk: int = CHUNK) -> None:
        self.encoder = encoder
        self._current, self._publish, self._done, self._skip = current, publish, done, skip
        self.window, self.chunk = window, chunk
        self.encoded = 0  # texts this backfill encoded
        self.seconds = 0.0  # time spent encoding and publishing them
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._kicked = False  # new waiting rows since the thread last looked

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start the thread unless it runs already (it ends when nothing is waiting)."""
        with self._lock:
            self._kicked = True
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="schakel-encode",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the chunk in hand (what was published stays in the cache)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                self._kicked = False
            todo = waiting_texts(self._current() or {}, self.window, self._skip())
            if not todo:
                with self._lock:
                    if self._kicked:
                        continue  # rows arrived while we looked
                    self._thread = None
                self._done()
                return
            try:
                self._step(todo)
            except Exception:  # noqa: BLE001 - keep the service up; try again shortly
                logger.exception("encoding in the background failed; retrying")
                self._stop.wait(5.0)

    def _step(self, todo: dict[bytes, str]) -> None:
        start = time.perf_counter()
        # Similar lengths in one call waste less work on padding.
        pairs = sorted(todo.items(), key=lambda kv: len(kv[1]))
        found: dict[bytes, np.ndarray] = {}
        i = 0
        while i < len(pairs) and not self._stop.is_set():
            if time.perf_counter() - start > PUBLISH_S:
                break  # publish what is there; the rest is still waiting next round
            asked = time.monotonic() - self.encoder.last_question < QUIET_S
            part = pairs[i : i + (min(self.chunk, SMALL_CHUNK) if asked else self.chunk)]
            i += len(part)
            vectors = self.encoder.encode_fresh([t for _, t in part])
            found.update((k, v) for (k, _), v in zip(part, vectors, strict=True))
        if found:
            self._publish(found)
            self.encoded += len(found)
        self.seconds += time.perf_counter() - start
