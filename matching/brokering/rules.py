"""Who may not be proposed for a question, and why.

Who is never proposed (:meth:`BrokeringRules.exclusions`): the asker, people of the asker's own
organisation (unless asked for), people the asker already knows, people introduced to the
asker before on one of the question's themes, staff-entered conflicts, and people at their
capacity or in their cool-down (:meth:`BrokeringRules.loads`). A theme asked in several regions
lately gives a :class:`~.views.Notice` (:meth:`BrokeringRules.notices`): the slate
then proposes a community or group session instead.

Staff set the limits the rules read: a person's capacity and cool-down, and conflicts of
interest. The :class:`~.broker.Broker` asks the rules before every proposal and approval. Each
rule has a key of :data:`RULE_NL`, its Dutch reason.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from schakel.errors import InvalidQueryError, NodeNotFoundError, UnknownReferenceError
from schakel.graph.model import Member, Relationship
from schakel.graph.store import Batch, GraphStore

from .states import ASKED, OPEN
from .views import (
    DEFAULT_CAPACITY,
    DEFAULT_COOLDOWN,
    RULE_NL,
    Load,
    Notice,
    Ref,
    get_question,
    name_of,
    now_iso,
    parse_iso,
)

# RULE_NL is defined next to Load (views), whose text shows it; re-exported here.
__all__ = ["BrokeringRules", "Asker", "RULE_NL", "RECENT_DAYS", "MIN_REGIONS", "MONTH_DAYS",
           "DEFAULT_CAPACITY", "DEFAULT_COOLDOWN"]

logger = logging.getLogger(__name__)

RECENT_DAYS = 90  # a theme asked in MIN_REGIONS regions within this many days recurs
MIN_REGIONS = 3
MONTH_DAYS = 30


@dataclass
class Asker:
    id: str
    label: str
    organisation: str | None
    domains: set[str]
    place: str | None


@dataclass
class _Intro:
    """An introduction as the rules read it (bulk-read, no typed node)."""

    id: str
    question: str
    candidate: str
    candidate_label: str
    asker: str
    state: str
    themes: set[str]
    approved_at: str
    outcome: str
    features: dict[str, float]


class BrokeringRules:
    """The rules over one store.

    Parameters
    ----------
    store : the graph.
    clock : returns "now" (tests pass a fixed time).

    The checks read the store; the broker runs them inside the store's write transaction
    (``store.update``) when they guard a write.
    """

    def __init__(self, store: GraphStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    # -- exclusions, capacity and conflicts ---------------------------------------------------

    def exclusions(self, question_id: str, only: Iterable[str] | None = None,
                   ignore: str | None = None) -> dict[str, str]:
        """Who may not be proposed for this question, with the rule (a key of RULE_NL).

        ``only`` limits the check to these candidates (cheaper); ``ignore`` leaves one
        introduction out of the capacity count (the one being approved).
        """
        store = self.store
        asker = self.asker(question_id)
        wanted = set(only) if only is not None else None
        out: dict[str, str] = {}

        def put(ids: Iterable[str], rule: str) -> None:
            for i in ids:
                if (wanted is None or i in wanted) and i not in out:
                    out[i] = rule

        put([asker.id], "self")
        if asker.place:
            put([asker.place], "own_region")
        place = next(iter(store.neighbour_ids(question_id, "IN_REGION")), None)
        if place:
            put([place], "own_region")
        themes = set(store.neighbour_ids(question_id, "ABOUT"))
        intros = self.introductions()
        # staff-entered conflicts with the asker or the asker's organisation; a conflict
        # with an organisation covers everyone who works there
        side = {asker.id, asker.organisation} - {None}
        conflicts: set[str] = set()
        for start, end, _ in store.edges(["CONFLICT"])["CONFLICT"]:
            if start in side:
                conflicts.add(end)
            elif end in side:
                conflicts.add(start)
        orgs = {c for c in conflicts if store.label_of(c) == "Organisation"}
        put(sorted(conflicts - orgs), "conflict")
        for org in sorted(orgs):
            put(store.neighbour_ids(org, "WORKS_AT", "in"), "conflict")
        if asker.organisation and not get_question(store, question_id).own_organisation:
            put(store.neighbour_ids(asker.organisation, "WORKS_AT", "in"), "own_organisation")
        if asker.label == "Member":
            put(store.neighbour_ids(asker.id, "KNOWS", "both"), "knows")
        earlier = [i for i in intros.values() if i.asker == asker.id
                   and i.question != question_id and i.state in ASKED and themes & i.themes]
        put(sorted({i.candidate for i in earlier}), "earlier")
        for m, load in sorted(self.loads(only=wanted, intros=intros, ignore=ignore).items()):
            if load.blocked:
                put([m], load.blocked)
        return out

    def loads(self, only: Iterable[str] | None = None, *,
              intros: Mapping[str, _Intro] | None = None,
              ignore: str | None = None) -> dict[str, Load]:
        """Load of people who were asked or limited their capacity (others have none)."""
        intros = intros if intros is not None else self.introductions()
        wanted = set(only) if only is not None else None
        moment = self.clock()
        month_ago = moment - timedelta(days=MONTH_DAYS)
        people: dict[str, Load] = defaultdict(Load)
        for i in intros.values():
            if i.candidate_label != "Member" or i.id == ignore or i.state not in ASKED:
                continue
            if wanted is not None and i.candidate not in wanted:
                continue
            load = people[i.candidate]
            if i.state in OPEN:
                load.open += 1
            asked = parse_iso(i.approved_at)
            if asked is not None:
                if asked >= month_ago:
                    load.asked_this_month += 1
                if i.approved_at > load.last_asked:
                    load.last_asked = i.approved_at
        limited = [m.id for m in self.store.find("Member", capacity=0)]
        ids = set(people) | {m for m in limited if wanted is None or m in wanted}
        if wanted is not None:
            ids |= {m for m in wanted if self.store.label_of(m) == "Member"}
        props = self.store.props_of(sorted(ids))
        out: dict[str, Load] = {}
        for m in sorted(ids):
            if m not in props:
                continue
            load = people.get(m, Load())
            load.capacity = int(props[m].get("capacity", DEFAULT_CAPACITY))
            load.cooldown_days = int(props[m].get("cooldown_days", DEFAULT_COOLDOWN))
            last = parse_iso(load.last_asked)
            if load.capacity == 0:
                load.blocked = "paused"
            elif load.open >= load.capacity:
                load.blocked = "capacity"
            elif last is not None and moment - last < timedelta(days=load.cooldown_days):
                load.blocked = "cooldown"
            out[m] = load
        return out

    def set_capacity(self, member_id: str, who: str, capacity: int | None = None,
                     cooldown_days: int | None = None) -> Member:
        """Staff set how many open requests a person takes and their rest days."""
        changed = {k: v for k, v in (("capacity", capacity),
                                     ("cooldown_days", cooldown_days)) if v is not None}

        def work() -> Batch:  # read the member in the transaction: no other edit is lost
            node = self.store.get(member_id)
            if not isinstance(node, Member):
                raise NodeNotFoundError(member_id)
            try:
                return Batch.of([Member.model_validate({**node.model_dump(), **changed})])
            except ValueError as e:
                raise InvalidQueryError("capacity", "capaciteit 0-50, rustperiode 0-365 "
                                                    "dagen") from e

        self.store.update(work)
        logger.info("capacity of %s set by %s: %s", member_id, who, changed)
        member = self.store.get(member_id)
        if not isinstance(member, Member):  # erased right after
            raise NodeNotFoundError(member_id)
        return member

    def add_conflict(self, member_id: str, other: str, who: str, note: str = "") -> Relationship:
        """Record that ``member_id`` and ``other`` (a member or organisation) must never be
        introduced to each other."""
        made: list[Relationship] = []

        def work() -> Batch:  # both sides still exist when the conflict is written
            if self.store.label_of(member_id) != "Member":
                raise UnknownReferenceError("member", member_id, "lid")
            if self.store.label_of(other) not in ("Member", "Organisation") or (
                    other == member_id):
                raise UnknownReferenceError("other", other, "ander lid of organisatie")
            # Made once both ends are known ids (an unknown one may not even be a valid id).
            made[:] = [Relationship.of("CONFLICT", member_id, other, note=note, by=who,
                                       at=now_iso(self.clock()))]
            return Batch.of(relationships=made)

        self.store.update(work)
        return made[0]

    def remove_conflict(self, member_id: str, other: str) -> bool:
        # one statement in one transaction: nothing to check first
        return self.store.delete_relationships([(member_id, "CONFLICT", other)]) > 0

    def conflicts(self) -> list[Relationship]:
        return self.store.relationships(None, "CONFLICT")

    # -- recurring themes --------------------------------------------------------------------

    def notices(self, question_id: str) -> list[Notice]:
        """Themes of this question asked in ``MIN_REGIONS`` or more regions in the last
        ``RECENT_DAYS`` days: the slate proposes a community or group session instead."""
        store = self.store
        themes = store.neighbour_ids(question_id, "ABOUT")
        if not themes:
            return []
        since = self.clock() - timedelta(days=RECENT_DAYS)
        out = []
        for theme in themes:
            asked = [q for q in store.neighbour_ids(theme, "ABOUT", "in")
                     if store.label_of(q) == "Question"]
            regions: dict[str, list[str]] = defaultdict(list)
            props = store.props_of(asked)
            for q in asked:
                created = parse_iso(props[q].get("created", ""))
                if q != question_id and (created is None or created < since):
                    continue
                region = self._region_of(q)
                if region:
                    regions[region].append(q)
            if len(regions) < MIN_REGIONS:
                continue
            names = sorted(name_of(store, r) for r in regions)
            communities = [Ref(c, name_of(store, c), "Community")
                           for c in store.neighbour_ids(theme, "ABOUT", "in")
                           if store.label_of(c) == "Community"]
            theme_name = name_of(store, theme)
            offer = (f"stel de community {communities[0].name} voor" if communities
                     else "organiseer een groepssessie (intervisie of themabijeenkomst)")
            text = (f"'{theme_name}' is de afgelopen {RECENT_DAYS} dagen gevraagd in "
                    f"{len(regions)} regio's ({', '.join(names)}): {offer} in plaats van "
                    "losse 1-op-1-introducties.")
            out.append(Notice(Ref(theme, theme_name, "Theme"), names,
                              sorted(q for qs in regions.values() for q in qs), communities,
                              text))
        return out

    # -- reading helpers ---------------------------------------------------------------------

    def asker(self, question_id: str) -> Asker:
        """Who asked: their organisation, domains and place, as the rules need them."""
        store = self.store
        asker = next(iter(store.neighbour_ids(question_id, "ASKED_BY")), None)
        if asker is None:
            raise NodeNotFoundError(question_id)
        label = store.label_of(asker) or ""
        org = asker if label == "Organisation" else next(
            iter(store.neighbour_ids(asker, "WORKS_AT")), None)
        if label == "Member":
            domains = set(store.neighbour_ids(asker, "ACTIVE_IN"))
        elif label == "Organisation":
            domains = set(store.neighbour_ids(asker, "IN_DOMAIN"))
        else:
            domains = set()
        place = asker if label == "Region" else next(iter(store.neighbour_ids(asker,
                                                                              "BASED_IN")), None)
        return Asker(asker, label, org, domains, place)

    def introductions(self) -> dict[str, _Intro]:
        """Every introduction, bulk-read: its question, candidate, asker, state and features."""
        store = self.store
        ids = store.ids("Introduction")
        props = store.props_of(ids)
        edges = store.edges(["FOR", "SUGGESTS", "ASKED_BY"])
        question_of = {s: e for s, e, _ in edges["FOR"]}
        candidate_of = {s: e for s, e, _ in edges["SUGGESTS"]}
        asker_of = {s: e for s, e, _ in edges["ASKED_BY"]}
        labels = store.labels_of(set(candidate_of.values()))
        out = {}
        for i in ids:
            p = props[i]
            names = p.get("feature_names") or []
            values = p.get("features") or []
            question = question_of.get(i, "")
            candidate = candidate_of.get(i, "")
            out[i] = _Intro(
                id=i, question=question, candidate=candidate,
                candidate_label=labels.get(candidate, ""), asker=asker_of.get(question, ""),
                state=p.get("state", ""), themes=set(p.get("themes") or []),
                approved_at=p.get("approved_at", ""), outcome=p.get("outcome", ""),
                features=dict(zip(names, map(float, values), strict=False)))
        return out

    def _region_of(self, question_id: str) -> str | None:
        place = next(iter(self.store.neighbour_ids(question_id, "IN_REGION")), None)
        if place:
            return place
        asker = next(iter(self.store.neighbour_ids(question_id, "ASKED_BY")), None)
        if asker and self.store.label_of(asker) == "Region":
            return asker
        return next(iter(self.store.neighbour_ids(asker, "BASED_IN")), None) if asker else None
