"""Intervisie groups by CP-SAT on 240 members: every group keeps every hard rule."""

from __future__ import annotations

import random
from collections import Counter

from schakel.matching.intervisie import (
    MAX_SIZE,
    MIN_SIZE,
    Candidate,
    propose,
    violations,
)

PLACES = {"Emmen": (52.78, 6.90), "Coevorden": (52.66, 6.74), "Assen": (52.99, 6.56),
          "Hoogeveen": (52.72, 6.48), "Utrecht": (52.09, 5.12), "Zeist": (52.09, 5.23),
          "Amersfoort": (52.16, 5.39), "Nieuwegein": (52.03, 5.08), "Maastricht": (50.85, 5.69)}
DOMAINS = ["onderwijs", "zorg", "jeugdhulp", "kinderopvang", "gemeente-overheid"]


def people(n: int = 240) -> list[Candidate]:
    rng = random.Random(16)
    out = []
    for i in range(n):
        place = rng.choice(list(PLACES))
        out.append(Candidate(f"m-{i}", f"Lid {i}", rng.choice(["uitvoering", "beleid"]),
                             rng.choice(DOMAINS), f"org-{rng.randrange(60)}", PLACES[place]))
    return out


def test_every_group_keeps_every_hard_rule_on_240_members() -> None:
    everyone = people()
    by_id = {c.id: c for c in everyone}
    proposal = propose(everyone, seconds=10)
    assert proposal.groups, proposal.status
    placed = [m for g in proposal.groups for m in g]
    assert len(placed) == len(set(placed))  # nobody twice
    assert set(placed) | set(proposal.unplaced) == set(by_id)
    for group in proposal.groups:
        assert violations([by_id[m] for m in group]) == [], group
    sizes = [len(g) for g in proposal.groups]
    assert MIN_SIZE <= min(sizes) and max(sizes) <= MAX_SIZE
    assert len(placed) >= 0.8 * len(everyone), (len(placed), proposal.status)
    # Maastricht is far from everyone: its members meet only each other
    for group in proposal.groups:
        south = Counter(by_id[m].point == PLACES["Maastricht"] for m in group)
        assert len(south) == 1


def test_the_rules_as_a_check() -> None:
    a = Candidate("a", "A", "beleid", "zorg", "org-1", PLACES["Emmen"])
    group = [a, *(Candidate(str(i), str(i), "beleid", d, f"org-{i + 2}", PLACES["Coevorden"])
                  for i, d in enumerate(["zorg", "onderwijs", "jeugdhulp", "kinderopvang"]))]
    assert violations(group) == []
    far = Candidate("f", "F", "beleid", "gemeente-overheid", "org-9", PLACES["Maastricht"])
    same_org = Candidate("s", "S", "uitvoering", "zorg", "org-1", PLACES["Emmen"])
    problems = violations([*group, far, same_org])
    assert len(problems) == 4, problems  # level, organisation, domain (3 zorg), distance
