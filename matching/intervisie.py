"""Intervisie groups: for one theme, groups of 5-8 members of the same role level, from
different domains, never two of one organisation, near enough to meet, sizes balanced.

A small assignment problem, solved by OR-Tools' CP-SAT. Hard rules (every group):

- ``MIN_SIZE`` to ``MAX_SIZE`` members, all of one role level (uitvoering, beleid, bestuur);
- at most one member per organisation, at most ``PER_DOMAIN`` per domain, and at least
  ``MIN_DOMAINS`` domains;
- every two members at most ``max_km`` apart (gemeente centres).

Within those, as many members as possible get a group, then the sizes are as even as can be.
Role levels never share a group, so each level is solved on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from schakel.graph.geo import haversine_km
from schakel.graph.privacy import visible
from schakel.graph.query import theme_scope
from schakel.graph.store import GraphStore

__all__ = ["Candidate", "Proposal", "candidates", "propose", "violations", "MIN_SIZE",
           "MAX_SIZE", "PER_DOMAIN", "MIN_DOMAINS", "MAX_KM"]

MIN_SIZE, MAX_SIZE = 5, 8
PER_DOMAIN = 2
MIN_DOMAINS = 3
MAX_KM = 60.0


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    level: str
    domain: str  # the first domain the member is active in
    organisation: str | None
    point: tuple[float, float] | None


@dataclass
class Proposal:
    groups: list[list[str]] = field(default_factory=list)  # member ids, per group
    unplaced: list[str] = field(default_factory=list)
    status: str = ""  # the solver's verdict, per level


def candidates(store: GraphStore, theme: str) -> list[Candidate]:
    """Members working on, offering or seeking the theme (or a narrower one) who consent to
    matching, may be seen by staff, and gave their role level and gemeente."""
    scope = theme_scope(store, theme)
    edges = store.edges(["WORKS_ON", "OFFERS", "SEEKS", "ACTIVE_IN", "WORKS_AT", "BASED_IN"])
    ids = sorted({s for t in ("WORKS_ON", "OFFERS", "SEEKS") for s, e, _ in edges[t]
                  if e in scope})
    props = store.props_of(ids)

    def first(rel: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for s, e, _ in sorted(edges[rel]):
            out.setdefault(s, e)
        return out

    domain, org, place = first("ACTIVE_IN"), first("WORKS_AT"), first("BASED_IN")
    coords = {k: (float(v["lat"]), float(v["lon"]))
              for k, v in store.props_of(set(place.values())).items() if "lat" in v}
    out = []
    for i in ids:
        p = props.get(i, {})
        if (p.get("label") != "Member" or not p.get("consent_matching", True)
                or not visible(p, "staff") or not p.get("role_level") or i not in domain
                or coords.get(place.get(i, "")) is None):
            continue
        out.append(Candidate(i, str(p.get("name", i)), str(p["role_level"]), domain[i],
                             org.get(i), coords[place[i]]))
    return out


def _km(a: Candidate, b: Candidate) -> float:
    assert a.point is not None and b.point is not None
    return haversine_km(*a.point, *b.point)


def violations(group: list[Candidate], max_km: float = MAX_KM) -> list[str]:
    """The hard rules one group breaks, in Dutch (empty: none)."""
    out = []
    if not MIN_SIZE <= len(group) <= MAX_SIZE:
        out.append(f"Een groep heeft {MIN_SIZE} tot {MAX_SIZE} leden, niet {len(group)}.")
    if len({c.level for c in group}) > 1:
        out.append("Iedereen in een groep werkt op hetzelfde niveau.")
    orgs = [c.organisation for c in group if c.organisation]
    if len(orgs) != len(set(orgs)):
        out.append("Twee leden komen van dezelfde organisatie.")
    per_domain: dict[str, int] = defaultdict(int)
    for c in group:
        per_domain[c.domain] += 1
    if any(n > PER_DOMAIN for n in per_domain.values()):
        out.append(f"Hoogstens {PER_DOMAIN} leden uit hetzelfde domein.")
    if len(per_domain) < MIN_DOMAINS:
        out.append(f"Een groep komt uit minstens {MIN_DOMAINS} domeinen.")
    if any(_km(a, b) > max_km for a, b in combinations(group, 2)):
        out.append(f"Twee leden wonen meer dan {max_km:.0f} km uit elkaar.")
    return out


def propose(people: list[Candidate], max_km: float = MAX_KM, seconds: float = 20.0,
            workers: int = 2) -> Proposal:
    """Groups for ``people`` satisfying every hard rule (see the module text)."""
    proposal = Proposal()
    by_level: dict[str, list[Candidate]] = defaultdict(list)
    for c in people:
        by_level[c.level].append(c)
    verdicts = []
    parts = [(level, part) for level in sorted(by_level)
             for part in _areas(by_level[level], max_km)]
    for level, part in parts:  # people who cannot meet anyone near never share a model
        share = seconds * len(part) / max(1, len(people))
        groups, unplaced, verdict = _solve(part, max_km, share, workers)
        proposal.groups += groups
        proposal.unplaced += unplaced
        verdicts.append(f"{level} ({len(part)}): {verdict}")
    proposal.status = "; ".join(verdicts)
    return proposal


def _areas(people: list[Candidate], max_km: float) -> list[list[Candidate]]:
    """People split into areas: the connected parts of "within max_km of someone"."""
    parent = list(range(len(people)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in combinations(range(len(people)), 2):
        if _km(people[i], people[j]) <= max_km:
            parent[root(i)] = root(j)
    areas: dict[int, list[Candidate]] = defaultdict(list)
    for i, c in enumerate(people):
        areas[root(i)].append(c)
    return sorted(areas.values(), key=lambda a: a[0].id)


def _solve(people: list[Candidate], max_km: float, seconds: float, workers: int
           ) -> tuple[list[list[str]], list[str], str]:
    n, slots = len(people), len(people) // MIN_SIZE
    if slots == 0:
        return [], [c.id for c in people], "te weinig leden"
    from ortools.sat.python import cp_model  # with pandas: imported when grouping, not at start

    model = cp_model.CpModel()
    x = {(i, g): model.new_bool_var(f"x{i}_{g}") for i in range(n) for g in range(slots)}
    used = [model.new_bool_var(f"used{g}") for g in range(slots)]
    for i in range(n):
        model.add_at_most_one(x[i, g] for g in range(slots))
    sizes = []
    for g in range(slots):
        size = sum(x[i, g] for i in range(n))
        model.add(size >= MIN_SIZE * used[g])
        model.add(size <= MAX_SIZE * used[g])
        sizes.append(size)
        if g:  # symmetry: fill groups in order
            model.add(used[g] <= used[g - 1])
    for attr in ("organisation", "domain"):
        members: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(people):
            if getattr(c, attr):
                members[getattr(c, attr)].append(i)
        cap = 1 if attr == "organisation" else PER_DOMAIN
        for idx in members.values():
            if len(idx) > cap:
                for g in range(slots):
                    model.add(sum(x[i, g] for i in idx) <= cap)
    domains = sorted({c.domain for c in people})
    for g in range(slots):  # at least MIN_DOMAINS domains in a used group
        present = []
        for d in domains:
            has = model.new_bool_var(f"d{g}_{d}")
            members_d = [x[i, g] for i, c in enumerate(people) if c.domain == d]
            model.add(has <= sum(members_d))
            present.append(has)
        model.add(sum(present) >= MIN_DOMAINS * used[g])
    for i, j in combinations(range(n), 2):
        if _km(people[i], people[j]) > max_km:
            for g in range(slots):
                model.add_bool_or([x[i, g].Not(), x[j, g].Not()])
    biggest, smallest = model.new_int_var(0, MAX_SIZE, "max"), model.new_int_var(0, MAX_SIZE, "min")
    for g in range(slots):
        model.add(biggest >= sizes[g])
        model.add(smallest <= sizes[g] + MAX_SIZE * (1 - used[g]))
    placed = sum(x.values())
    model.maximize(100 * placed - (biggest - smallest))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 7
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], [c.id for c in people], solver.status_name(status)
    groups = [[people[i].id for i in range(n) if solver.value(x[i, g])] for g in range(slots)]
    groups = [grp for grp in groups if grp]
    placed_ids = {i for grp in groups for i in grp}
    return groups, [c.id for c in people if c.id not in placed_ids], solver.status_name(status)
