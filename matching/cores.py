"""Work handed to an idle core while the asking thread goes on with something else."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = ["Started", "helper"]

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def helper() -> ThreadPoolExecutor | None:
    """Threads for the other cores (none on one core), made on first use. Work handed to a
    helper that is busy with another question is not waited for: the caller takes it back
    (:class:`Started`, :class:`~schakel.matching.quantised.Scan`), so a loaded server works
    as it would on one core."""
    global _pool
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    if cores < 2:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=cores - 1, thread_name_prefix="schakel-help")
        return _pool


class Started(Generic[T]):
    """``work()`` begun on an idle core. :meth:`result` does it on the calling thread when
    no helper has taken it up yet, else waits for the helper's answer (or its error)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        pool = helper()
        self._future: Future[T] | None = pool.submit(work) if pool is not None else None

    def result(self) -> T:
        if self._future is None or self._future.cancel():
            return self._work()
        return self._future.result()
