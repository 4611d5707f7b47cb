"""Clustering signals on 320 generated signals with known groups (the real encoder): the
groups are found (adjusted Rand index), the growing group is "opkomend", and a hand merge
or split survives clustering again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from schakel.matching.signals.clusters import Item, clusters
from schakel.matching.signals.generate import generate

TODAY = date(2026, 6, 1)
N = 320


@pytest.fixture(scope="module")
def data(use_encoder: Any) -> tuple[list[Any], list[Item], np.ndarray]:
    gen = generate(N, today=TODAY, growing="privacy")
    items = [Item(g.id, g.text, g.themes, g.day) for g in gen]
    return gen, items, use_encoder.encode([g.text for g in gen])


def _ari(gen: list[Any], found: list[Any]) -> float:
    label = {s: k for k, c in enumerate(found) for s in c.signals}
    pred = [label.get(g.id, -1 - i) for i, g in enumerate(gen)]  # loose: each on its own
    return float(adjusted_rand_score([g.group for g in gen], pred))


def test_known_groups_are_found_and_the_growing_one_is_emerging(data: Any) -> None:
    gen, items, vectors = data
    found, loose = clusters(items, vectors, today=TODAY,
                            theme_names={"privacy_avg": "Privacy en AVG"})
    ari = _ari(gen, found)
    assert ari >= 0.6, f"ARI {ari:.3f} ({len(found)} clusters, {len(loose)} loose)"
    group = {g.id: g.group for g in gen}
    emerging = [c for c in found if c.emerging]
    assert emerging, [(c.label, c.recent, len(c.signals)) for c in found]
    for c in emerging:  # only the group made to grow
        assert {group[s] for s in c.signals} == {"privacy"}
    privacy = max(emerging, key=lambda c: len(c.signals))
    assert privacy.label.startswith("Privacy en AVG")
    assert sum(privacy.weekly[-4:]) > sum(privacy.weekly[:4])


def test_hand_merge_and_split_survive_clustering_again(data: Any) -> None:
    gen, items, vectors = data
    found, _ = clusters(items, vectors, today=TODAY)
    a, b = found[0], found[1]
    merged = set(a.signals) | set(b.signals)
    split_off = set(a.signals[:3])
    pins = dict.fromkeys(merged - split_off, "hand-merge") | dict.fromkeys(split_off,
                                                                           "hand-split")
    pinned = [replace(it, pin=pins.get(it.id, "")) for it in items]
    again, _ = clusters(pinned, vectors, today=TODAY)
    by_id = {c.id: c for c in again}
    assert set(by_id["hand-merge"].signals) == merged - split_off
    assert set(by_id["hand-split"].signals) == split_off
    assert by_id["hand-merge"].by_hand
    others = {s for c in again if not c.by_hand for s in c.signals}
    assert not others & merged
