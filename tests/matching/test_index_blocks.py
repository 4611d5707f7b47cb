"""build_index gathers and codes the vectors block by block: the result must not depend on
where the blocks fall, for a first build and for one that keeps an old index's rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import schakel.matching.index as index_module
from schakel.matching.index import build_index


@pytest.mark.parametrize("exact", [False, True])
def test_blocks_of_any_size_give_the_same_index(matcher: Any, exact: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    st = matcher._state
    items = st.indexes["member"].items
    old = st.indexes["member"]

    def built(block: int, previous: Any = None) -> Any:
        monkeypatch.setattr(index_module, "BLOCK", block)
        return build_index(items, previous, st.analyzer, matcher.encoder, exact=exact,
                           int8_from=1)

    whole = built(10**6)
    assert whole.ready.all() and len(whole.vectors) == len(items)
    for block in (1, 7, 64):
        for previous in (None, old):
            parts = built(block, previous)
            assert len(parts.vectors.codes.blocks if not exact else parts.vectors.blocks) \
                == -(-len(items) // block)
            assert np.array_equal(parts.ready, whole.ready)
            rows = np.arange(len(items))
            assert np.array_equal(parts.vectors.take(rows), whole.vectors.take(rows))
