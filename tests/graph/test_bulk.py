"""settle_heap: one collection, then what is left is kept out of later collections."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from schakel.graph.bulk import settle_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # other tests run with a plain collector


def test_settle_heap_collects_then_freezes_what_lives() -> None:
    kept = Node()
    dropped = Node()
    gone = weakref.ref(dropped)
    del dropped
    settle_heap()
    assert gone() is None  # collected before the freeze, not frozen for ever
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # out of the collector's walk
    # Dropped after a freeze: the next settle collects it (it unfreezes first).
    later = weakref.ref(kept)
    del kept
    gc.collect()
    assert later() is not None  # frozen: a plain collection does not see it
    settle_heap()
    assert later() is None


def test_settle_heap_while_serving_walks_only_what_is_not_frozen() -> None:
    settle_heap()
    old = Node()  # frozen by the next settle, then dropped
    settle_heap()
    was_frozen = weakref.ref(old)
    del old
    young = Node()  # never frozen, then dropped
    gone = weakref.ref(young)
    del young
    kept = Node()
    settle_heap(thorough=False)
    assert gone() is None  # garbage that is not frozen is collected
    assert was_frozen() is not None  # the frozen objects are not walked
    assert not any(o is kept for o in gc.get_objects())  # what lives is frozen now
    settle_heap()  # a thorough one still finds it
    assert was_frozen() is None
