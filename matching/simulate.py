"""A simulated outcome log, to show what learning from outcomes changes.

Simulated candidates accept an introduction with probability ``sigmoid(bias + hidden .
features)``, where the hidden weights are not the hand-set ones: in this story people care far
more about nearness and about having time than the ranker assumes, and not at all about shared
words. Each round asks questions from the labelled development set to the real matcher,
proposes the top results and draws the outcomes. Two arms run side by side: one always ranks
with the hand-set weights, the other refits its weights on its own log after every round.
Both see the same questions and, for a candidate both propose, the same draw, so the
difference between them is the ranking alone.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schakel.errors import InvalidQueryError

from .engine import Matcher, MatchQuery
from .learn import LearnedWeights, learn
from .ranker import Weights

__all__ = ["Preference", "HIDDEN", "Round", "Simulation", "simulate", "person_questions"]

PERSON_KINDS = ("member", "expert", "ambassador")


@dataclass(frozen=True)
class Preference:
    """How simulated candidates decide: accept with probability sigmoid(bias + weights . x)."""

    weights: Mapping[str, float]
    bias: float

    def p_accept(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(w * features.get(s, 0.0) for s, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))


# Nearness and time weigh most (log-odds per unit of signal); fitting the question still counts
# (dense, theme); shared words and the domain do not matter at all. The bias puts acceptance of
# the hand-set ranking's top 5 around a third.
HIDDEN = Preference({"dense": 1.0, "lexical": 0.0, "theme": 1.0, "geo": 2.5, "domain": 0.0,
                     "role": 0.5, "availability": 3.0}, bias=-4.5)


@dataclass(frozen=True)
class Round:
    number: int
    proposed: int
    """Introductions proposed per arm (the same count: the weights change the order only)."""
    accepted_fixed: int
    """Accepted introductions of the arm that keeps the hand-set weights."""
    accepted_learning: int
    """Accepted introductions of the arm that refits after every round."""
    weights: Weights
    """The weights the learning arm ranked with in this round."""

    @property
    def rate_fixed(self) -> float:
        return self.accepted_fixed / self.proposed if self.proposed else 0.0

    @property
    def rate_learning(self) -> float:
        return self.accepted_learning / self.proposed if self.proposed else 0.0


@dataclass
class Simulation:
    base: Weights
    preference: Preference
    rounds: list[Round] = field(default_factory=list)
    learned: LearnedWeights | None = None
    """The fit on the learning arm's whole log after the last round (what it would use next)."""


def person_questions(questions: Sequence[dict[str, Any]]) -> list[MatchQuery]:
    """The development-set questions that ask for people, as queries for people only:
    introductions are between people."""
    out = []
    for q in questions:
        kinds = [k for k in (q.get("kinds") or ["member"]) if k in PERSON_KINDS]
        if kinds:
            out.append(MatchQuery(text=q["text"], near=q.get("near"), kinds=kinds))
    return out


def _draw(seed: int, round_: int, slot: int, candidate: str) -> float:
    """One uniform number per (round, question slot, candidate): both arms get the same draw
    for the same proposal. crc32, not hash(), so it is the same in every process."""
    key = [seed, round_, slot, zlib.crc32(candidate.encode("utf-8"))]
    return float(np.random.default_rng(key).random())


def simulate(matcher: Matcher, questions: Sequence[dict[str, Any]], *, rounds: int = 6,
             per_round: int = 40, top: int = 5, seed: int = 7,
             preference: Preference = HIDDEN, base: Weights | None = None,
             progress: Callable[[int], None] | None = None) -> Simulation:
    """Run both arms for ``rounds`` rounds of ``per_round`` questions with ``top`` proposals.

    Deterministic for a seed: the questions of a round and every draw follow from it.

    Raises
    ------
    InvalidQueryError : no question asks for people, or a count below 1.
    """
    if rounds < 1 or per_round < 1 or top < 1:
        raise InvalidQueryError("rounds", "rondes, vragen en top moeten minstens 1 zijn")
    pool = person_questions(questions)
    if not pool:
        raise InvalidQueryError("questions", "geen vraag zoekt mensen; niets om voor te stellen")
    base = base if base is not None else matcher.weights
    sim = Simulation(base, preference)
    log: list[tuple[dict[str, float], bool]] = []
    weights = base
    fixed: dict[int, list[tuple[str, dict[str, float]]]] = {}  # hand-set answers never change

    def proposals(slot_q: int, w: Weights) -> list[tuple[str, dict[str, float]]]:
        q = pool[slot_q]
        query = MatchQuery(text=q.text, near=q.near, kinds=q.kinds, limit=top)
        return [(s.id, s.features) for s in matcher.match(query, w).results]

    for number in range(1, rounds + 1):
        rng = np.random.default_rng([seed, number])
        asked = rng.choice(len(pool), size=per_round, replace=per_round > len(pool))
        proposed = accepted_fixed = accepted_learning = 0
        for slot, qi in enumerate(int(i) for i in asked):
            if qi not in fixed:
                fixed[qi] = proposals(qi, base)
            for cid, features in fixed[qi]:
                accepted_fixed += _draw(seed, number, slot, cid) < preference.p_accept(features)
            picks = fixed[qi] if weights is base else proposals(qi, weights)
            proposed += len(picks)
            for cid, features in picks:
                ok = _draw(seed, number, slot, cid) < preference.p_accept(features)
                accepted_learning += ok
                log.append((features, ok))
            if progress:
                progress(1)
        sim.rounds.append(Round(number, proposed, accepted_fixed, accepted_learning, weights))
        sim.learned = learn(log, base)
        weights = sim.learned.weights if sim.learned is not None else base
    return sim

