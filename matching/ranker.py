"""The hybrid score, its Dutch reasons, and MMR diversification.

A suggestion's score is the sum of its reasons' contributions: weight x signal (each signal is
0..1), minus a diversity penalty when someone of the same organisation is already higher up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, Field

from .fused import weighted_sum

__all__ = ["Weights", "Reason", "Suggestion", "SIGNALS", "combine", "diversify",
           "diversity_reason", "nl"]

T = TypeVar("T")

SIGNALS = ("dense", "lexical", "theme", "geo", "domain", "role", "availability")


class Weights(BaseModel):
    """Weights of the hybrid score: the one place they live. Signals are 0..1."""

    dense: float = Field(0.30, ge=0, description="meaning of the text (sentence encoder)")
    lexical: float = Field(0.15, ge=0, description="shared words (BM25)")
    theme: float = Field(0.28, ge=0, description="themes through the taxonomy")
    # An asked place dominates among rows that fit the subject: a tier step (within 30 km,
    # 30-60 km) is worth 0.5 x geo = 0.5, what the subject (at most half the best, 0.37),
    # domain, availability and a hinted role can differ at most between two fitting rows.
    # An asked role (0.30) is the other preference that may outweigh it.
    geo: float = Field(1.0, ge=0, description="nearness to the asked place (fitting rows)")
    domain: float = Field(0.06, ge=0, description="the asked domain, or another than the asker's")
    role: float = Field(0.30, ge=0, description="the asked role (fitting rows); hinted: less")
    availability: float = Field(0.03, ge=0, description="time offered, minus open introductions")
    diversity: float = Field(0.15, ge=0, description="penalty per earlier result of the same group")

    def without(self, *signals: str) -> Weights:
        return self.model_copy(update=dict.fromkeys(signals, 0.0))

    def only(self, *signals: str) -> Weights:
        return self.model_copy(update={s: 0.0 for s in SIGNALS if s not in signals})


@dataclass
class Reason:
    signal: str
    contribution: float
    text: str


@dataclass
class Suggestion:
    kind: str
    id: str
    name: str
    score: float
    reasons: list[Reason] = field(default_factory=list)
    detail: dict[str, object] = field(default_factory=dict)
    # The raw value (0..1, before weights) of every signal in SIGNALS: what the ranker saw,
    # kept so an outcome of this suggestion can later teach the weights (matching/learn.py).
    features: dict[str, float] = field(default_factory=dict)

    def add(self, reason: Reason) -> None:
        self.reasons.append(reason)
        self.score = round(sum(r.contribution for r in self.reasons), 4)


def combine(weights: Weights, signals: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Weighted sum of the signals (missing signals count 0), in one compiled pass."""
    names = [name for name in signals if getattr(weights, name)]
    return weighted_sum([signals[s] for s in names], [getattr(weights, s) for s in names], n)


def diversify(pool: Sequence[T], limit: int, penalty: float,
              score: Callable[[T], float], group: Callable[[T], int]) -> list[tuple[T, int]]:
    """Greedy MMR: take the best; whoever shares a group (an organisation) with someone
    already taken loses ``penalty`` per such person before the next pick. Returns the picks
    with how many of their group were taken before them."""
    chosen: list[tuple[T, int]] = []
    left = sorted(pool, key=lambda c: -score(c))
    taken: dict[int, int] = {}
    while left and len(chosen) < limit:
        best_i, best_val = 0, -np.inf
        for i, c in enumerate(left):
            g = group(c)
            val = score(c) - (penalty * taken.get(g, 0) if g >= 0 else 0.0)
            if val > best_val:
                best_i, best_val = i, val
        pick = left.pop(best_i)
        g = group(pick)
        same = taken.get(g, 0) if g >= 0 else 0
        if g >= 0:
            taken[g] = same + 1
        chosen.append((pick, same))
    return chosen


def diversity_reason(penalty: float, same: int) -> Reason:
    people = "persoon" if same == 1 else "personen"
    return Reason("diversity", round(-penalty * same, 4),
                  f"Spreiding: al {same} {people} van dezelfde organisatie hoger in de lijst")


def nl(value: float, digits: int = 2) -> str:
    """A number as Dutch text: decimal comma."""
    return f"{value:.{digits}f}".replace(".", ",")
