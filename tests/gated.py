"""A deliberately slow encoder for tests of encoding in the background: the background
thread may encode only as many chunks as the test allows, so nothing depends on timing."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from schakel.matching.vectors import unit_rows


class GatedEncoder:
    """Words hashed into 64 dimensions (texts sharing words are close). The background
    thread ("schakel-encode") waits for a permit per call; everyone else passes."""

    model_id = "gated-hash-64"
    dim = 64

    def __init__(self) -> None:
        self.permits = threading.Semaphore(0)
        self.background_calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if threading.current_thread().name == "schakel-encode":
            assert self.permits.acquire(timeout=60), "the test never let this chunk through"
            self.background_calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[i, h[0] % self.dim] += 1.0 if h[1] % 2 else -1.0
        return unit_rows(out)

    def allow(self, calls: int) -> None:
        for _ in range(calls):
            self.permits.release()


def until(check: Callable[[], bool], what: str) -> None:
    """Wait for a state the test has allowed to happen (the deadline only guards a hang)."""
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


