"""How brokering goes: acceptance, speed, bridging domains, and how evenly people are asked.

:func:`records` reads the introduction log from the store; :func:`metrics` is a pure function
of those records, so the numbers can be checked on a small constructed log.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schakel.graph.erase import TALLY_ID
from schakel.graph.store import GraphStore

from .states import ASKED, BOTH_ACCEPTED

__all__ = ["Record", "Metrics", "records", "metrics", "store_metrics", "gini"]

UNKNOWN = "onbekend"


@dataclass(frozen=True)
class Record:
    """One introduction, with what the metrics need of its question and candidate."""

    id: str
    state: str
    candidate: str
    candidate_kind: str = "member"
    outcome: str = ""
    question_created: str = ""
    introduced_at: str = ""
    cross_domain: bool = False
    region: str = UNKNOWN  # provincie (or place) of the question
    candidate_organisation: str = ""
    candidate_region: str = ""


@dataclass
class Metrics:
    introductions: int
    asked: int
    decided: int
    accepted: int
    acceptance_rate: float | None
    introduced: int
    median_days_to_introduction: float | None
    cross_domain_share: float | None
    outcomes: dict[str, int]
    expert_load_gini: float | None = None
    organisation_exposure_gini: float | None = None
    region_exposure_gini: float | None = None
    most_asked: list[tuple[str, int]] = field(default_factory=list)
    per_region: dict[str, Metrics] = field(default_factory=dict)
    # introductions of erased members, kept only as counts (graph/erase.py)
    erased: dict[str, int] = field(default_factory=dict)


def gini(values: Iterable[float]) -> float | None:
    """Gini coefficient of non-negative values: 0 all equal, towards 1 all on one.

    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])
    0.75
    """
    xs = sorted(float(v) for v in values)
    n, total = len(xs), sum(xs)
    if n == 0:
        return None
    if total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return round(2 * weighted / (n * total) - (n + 1) / n, 4)


def _days(start: str, end: str) -> float | None:
    try:
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        return None
    a = a if a.tzinfo else a.replace(tzinfo=UTC)
    b = b if b.tzinfo else b.replace(tzinfo=UTC)
    return (b - a).total_seconds() / 86400


def _core(rows: Sequence[Record]) -> Metrics:
    asked = [r for r in rows if r.state in ASKED]
    accepted = [r for r in asked if r.state in BOTH_ACCEPTED]
    declined = [r for r in asked if r.state in ("candidate_declined", "asker_declined")]
    decided = len(accepted) + len(declined)
    introduced = [r for r in asked if r.introduced_at]
    days = [d for r in introduced if (d := _days(r.question_created, r.introduced_at))
            is not None]
    return Metrics(
        introductions=len(rows), asked=len(asked), decided=decided, accepted=len(accepted),
        acceptance_rate=round(len(accepted) / decided, 4) if decided else None,
        introduced=len(introduced),
        median_days_to_introduction=round(statistics.median(days), 2) if days else None,
        cross_domain_share=(round(sum(r.cross_domain for r in introduced) / len(introduced), 4)
                            if introduced else None),
        outcomes=dict(Counter(r.outcome for r in rows if r.outcome)))


def metrics(rows: Sequence[Record], experts: Sequence[str] = (),
            organisations: Sequence[str] = (), regions: Sequence[str] = ()) -> Metrics:
    """The brokering numbers over ``rows``, overall and per region.

    Parameters
    ----------
    rows : the introduction log.
    experts : every expert's id: the load Gini counts each one, asked or not.
    organisations, regions : every organisation and region that could be asked: the exposure
        Ginis count each one (asks of people who work or live there).
    """
    out = _core(rows)
    asked = [r for r in rows if r.state in ASKED]
    per_person = Counter(r.candidate for r in asked)
    out.expert_load_gini = gini(per_person.get(e, 0) for e in experts) if experts else None
    per_org = Counter(r.candidate_organisation for r in asked if r.candidate_organisation)
    out.organisation_exposure_gini = (gini(per_org.get(o, 0) for o in organisations)
                                      if organisations else None)
    per_region = Counter(r.candidate_region for r in asked if r.candidate_region)
    out.region_exposure_gini = (gini(per_region.get(g, 0) for g in regions)
                                if regions else None)
    out.most_asked = per_person.most_common(5)
    by_region: dict[str, list[Record]] = defaultdict(list)
    for r in rows:
        by_region[r.region].append(r)
    out.per_region = {region: _core(rs) for region, rs in sorted(by_region.items())}
    return out


def records(store: GraphStore) -> list[Record]:
    """The introduction log, read in bulk. Regions are provincies (names)."""
    ids = store.ids("Introduction")
    props = store.props_of(ids)
    edges = store.edges(["FOR", "SUGGESTS", "IN_REGION", "WORKS_AT", "BASED_IN"])
    question_of = {s: e for s, e, _ in edges["FOR"]}
    candidate_of = {s: e for s, e, _ in edges["SUGGESTS"]}
    place_of = {s: e for s, e, _ in edges["IN_REGION"]}
    org_of = {s: e for s, e, _ in edges["WORKS_AT"]}
    home_of = {s: e for s, e, _ in edges["BASED_IN"]}
    questions = store.props_of(set(question_of.values()))
    places = store.props_of(set(place_of.values()) | set(home_of.values())
                            | set(candidate_of.values()))
    provincies = store.props_of({p.get("provincie") for p in places.values()
                                 if p.get("provincie")})

    def provincie(place: str | None) -> str:
        p = places.get(place or "")
        if not p or p.get("label") != "Region":
            return ""
        if p.get("kind") == "provincie":
            return str(p.get("name", place))
        pv = provincies.get(p.get("provincie") or "")
        return str(pv.get("name")) if pv else str(p.get("name", place))

    out = []
    for i in ids:
        p = props[i]
        q = question_of.get(i, "")
        cand = candidate_of.get(i, "")
        kind = str(p.get("kind", ""))
        out.append(Record(
            id=i, state=str(p.get("state", "")), candidate=cand, candidate_kind=kind,
            outcome=str(p.get("outcome", "")),
            question_created=str(questions.get(q, {}).get("created", "")),
            introduced_at=str(p.get("introduced_at", "")),
            cross_domain=bool(p.get("cross_domain", False)),
            region=provincie(place_of.get(q)) or UNKNOWN,
            candidate_organisation=org_of.get(cand, ""),
            candidate_region=provincie(home_of.get(cand) or cand)))
    return out


def store_metrics(store: GraphStore) -> Metrics:
    """:func:`metrics` over the whole store: every expert, organisation and provincie."""
    members = store.ids("Member")
    props = store.props_of(members)
    experts = [m for m in members if "expert" in props[m].get("roles", [])]
    regions = [p.get("name", r) for r, p in store.props_of(store.ids("Region")).items()
               if p.get("kind") == "provincie"]
    out = metrics(records(store), experts, store.ids("Organisation"), regions)
    tally = store.props_of([TALLY_ID]).get(TALLY_ID, {})
    out.erased = {k: int(v) for k, v in tally.items() if k != "label" and isinstance(v, int)}
    return out
