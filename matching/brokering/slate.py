"""One slate: how many of each kind, which suggestions fill it, and the proposed introductions
it is stored as.

The matcher ranks; :func:`pick` takes the best of each kind up to its quota in that order, with
the communities about a recurring theme (:meth:`.BrokeringRules.notices`) first, and
:func:`proposals` turns the picks into introduction records for the broker to write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from schakel.graph.model import Introduction, Node, Relationship
from schakel.graph.store import GraphStore

from ..ranker import SIGNALS, Reason, Suggestion
from . import reasons
from .rules import Asker
from .views import Entry, Notice

__all__ = ["PEOPLE", "SLATE_QUOTAS", "POOL", "pick", "proposals", "intro_id", "kind_of",
           "cross_domain", "met_at"]

PEOPLE = ("member", "expert", "ambassador")
# One slate: how many of each kind (people are members, experts and ambassadors).
SLATE_QUOTAS = {"people": 5, "region": 2, "practice": 2, "community": 1}
POOL = 40  # suggestions asked of the matcher before the quotas pick the slate


def pick(results: Sequence[Suggestion], notices: Sequence[Notice],
         excluded: Mapping[str, str]) -> list[Suggestion]:
    """The slate: the best of each kind up to its quota, in the matcher's order. A recurring
    theme puts the communities about it first (a group instead of 1-op-1)."""
    quotas = dict(SLATE_QUOTAS)
    first: dict[str, Suggestion] = {}
    for notice in notices:
        for c in notice.communities:
            if c.id not in excluded and c.id not in first:
                first[c.id] = Suggestion("community", c.id, c.name, 0.0)
            if c.id in first:
                first[c.id].add(Reason("recurring", 0.0, notice.text))
    quotas["community"] = max(0, quotas["community"] - len(first)) + (1 if notices else 0)
    taken: dict[str, int] = defaultdict(int)
    picks = list(first.values())
    for s in results:
        if s.id in first:
            first[s.id].reasons += s.reasons
            first[s.id].score = s.score
            first[s.id].features = s.features
            continue
        group = "people" if s.kind in PEOPLE else s.kind
        if taken[group] < quotas.get(group, 0):
            taken[group] += 1
            picks.append(s)
    return picks


def proposals(store: GraphStore, question_id: str, picks: Sequence[Suggestion], asker: Asker,
              themes: list[str], stamp: str,
              who: str) -> tuple[list[Node], list[Relationship]]:
    """The picks as proposed introductions, ranked in order, with the matcher's reasons (each
    with its signal, so a view can leave out what a member may not read) and the signals they
    were ranked on (the outcome log learns from those)."""
    intros: list[Node] = []
    rels: list[Relationship] = []
    met = met_at(store, asker)
    for rank, s in enumerate(picks, 1):
        iid = intro_id(question_id, s.id)
        features = s.features
        said = [reasons.dumps(r.signal, r.text) for r in s.reasons]
        if s.id in met:
            said.append(reasons.dumps("met", met[s.id]))
        intros.append(Introduction(
            id=iid, state="proposed", created=stamp, kind=s.kind, source="slate",
            rank=rank, score=round(float(s.score), 4), reasons=said,
            themes=themes, cross_domain=cross_domain(store, asker, s.id),
            features=[float(features.get(n, 0.0)) for n in SIGNALS] if features else [],
            feature_names=list(SIGNALS) if features else [],
            history=[Entry(stamp, who, "voorgesteld", detail=f"plaats {rank}").dumps()]))
        rels += [Relationship.of("FOR", iid, question_id),
                 Relationship.of("SUGGESTS", iid, s.id)]
    return intros, rels


def met_at(store: GraphStore, asker: Asker) -> dict[str, str]:
    """People the asking member met at an activity (a weak MET_AT tie): candidate -> the
    reason, "De vrager ontmoette deze persoon al bij <activiteit> (<datum>)." Both were
    there, so the reason tells the asker nothing they did not know."""
    if asker.label != "Member":
        return {}
    ties = {r.end: str(r.props.get("activity", "")) for r in store.relationships(asker.id,
                                                                                "MET_AT")}
    titles = store.props_of(sorted(set(ties.values())))
    out = {}
    for other, activity in ties.items():
        props = titles.get(activity, {})
        when = str(props.get("starts", ""))[:10]
        title = str(props.get("title", "")) or "een activiteit"
        out[other] = (f"De vrager ontmoette deze persoon al bij {title}"
                      + (f" ({when})." if when else "."))
    return out


def intro_id(question_id: str, candidate: str) -> str:
    return f"intro-{question_id}-{candidate}"[:200]


def kind_of(store: GraphStore, node_id: str, label: str) -> str:
    if label != "Member":
        return label.lower()
    roles = store.props_of([node_id]).get(node_id, {}).get("roles", [])
    return next((r for r in ("ambassador", "expert") if r in roles), "member")


def cross_domain(store: GraphStore, asker: Asker, candidate: str) -> bool:
    """The candidate works in a domain the asker does not."""
    theirs = _domains_of(store, candidate)
    return bool(asker.domains and theirs and theirs - asker.domains)


def _domains_of(store: GraphStore, node_id: str) -> set[str]:
    label = store.label_of(node_id)
    if label == "Member":
        return set(store.neighbour_ids(node_id, "ACTIVE_IN"))
    if label == "Practice":
        return {d for o in store.neighbour_ids(node_id, "INVOLVES")
                for d in store.neighbour_ids(o, "IN_DOMAIN")}
    return set()
