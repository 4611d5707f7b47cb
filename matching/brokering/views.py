"""What brokering shows: questions, introductions, loads and notices as plain records, and how
stored :class:`~schakel.graph.model.Question` and ``Introduction`` nodes are read into them.

Nothing here decides or writes: :mod:`.rules` decides who may be proposed and
:mod:`.broker` runs the workflow. The Dutch names of the rules (:data:`RULE_NL`) sit here
because a :class:`Load` shows the rule that blocks a person; the rules module re-exports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Introduction, Member, Question
from schakel.graph.privacy import Viewer, shows
from schakel.graph.store import GraphStore

from .reasons import render
from .states import ASKED, BOTH_ACCEPTED, STATE_NL, allowed_actions

__all__ = ["Ref", "Entry", "Load", "IntroductionView", "Notice", "QuestionView", "Slate",
           "RULE_NL", "DEFAULT_CAPACITY", "DEFAULT_COOLDOWN", "now_iso", "parse_iso",
           "name_of", "get_question", "with_entry", "introduction_ids", "parties",
           "question_view", "introduction_views", "member_introductions", "contact"]

DEFAULT_CAPACITY, DEFAULT_COOLDOWN = 3, 7
RULE_NL = {
    "self": "de vrager zelf",
    "own_organisation": "werkt bij de organisatie van de vrager",
    "knows": "kent de vrager al",
    "earlier": "al eerder aan de vrager voorgesteld over dit thema",
    "conflict": "belangenconflict vastgelegd door het regiebureau",
    "capacity": "zit aan de maximale hoeveelheid lopende verzoeken",
    "cooldown": "is kort geleden al gevraagd (rustperiode)",
    "paused": "neemt nu geen verzoeken aan (capaciteit 0)",
    "on_slate": "staat al op de lijst voor deze vraag",
    "own_region": "is de eigen plaats van de vraag",
    "no_consent": "heeft geen toestemming gegeven om voorgesteld te worden",
}


def now_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(stamp: str) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Ref:
    id: str
    name: str
    label: str = ""


@dataclass
class Entry:
    """One recorded action."""

    at: str
    who: str
    action: str
    note: str = ""
    introduction: str = ""
    candidate: str = ""
    detail: str = ""

    def dumps(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if v}, ensure_ascii=False)

    @classmethod
    def loads(cls, text: str) -> Entry:
        try:
            data = json.loads(text)
        except ValueError:
            return cls("", "", text)
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Load:
    """How much a person is asked: open requests, asks in the last 30 days, limits."""

    open: int = 0
    asked_this_month: int = 0
    last_asked: str = ""
    capacity: int = DEFAULT_CAPACITY
    cooldown_days: int = DEFAULT_COOLDOWN
    blocked: str = ""  # "", "capacity", "cooldown" or "paused"

    @property
    def text(self) -> str:
        """Dutch: "al 3× gevraagd deze maand · 1 van 3 plaatsen bezet"."""
        parts = []
        if self.asked_this_month:
            parts.append(f"al {self.asked_this_month}× gevraagd deze maand")
        parts.append(f"{self.open} van {self.capacity} lopende verzoeken")
        if self.blocked:
            parts.append(RULE_NL[self.blocked])
        return " · ".join(parts)


@dataclass
class IntroductionView:
    id: str
    question: str
    candidate: Ref
    kind: str
    state: str
    state_nl: str
    source: str
    rank: int
    score: float
    reasons: list[str]
    created: str
    approved_at: str
    candidate_at: str
    asker_at: str
    introduced_at: str
    outcome: str
    outcome_at: str
    note: str
    cross_domain: bool
    actions: list[str]
    load: Load | None = None
    contact: dict[str, dict[str, str]] | None = None
    history: list[Entry] = field(default_factory=list)


@dataclass
class Notice:
    """The question's theme was asked in several regions lately: propose a group."""

    theme: Ref
    regions: list[str]
    questions: list[str]
    communities: list[Ref]
    text: str


@dataclass
class QuestionView:
    id: str
    text: str
    kind: str
    status: str
    created: str
    updated: str
    asker: Ref | None
    place: Ref | None
    themes: list[Ref]
    own_organisation: bool
    note: str
    history: list[Entry]
    introductions: list[IntroductionView]


@dataclass
class Slate:
    question: QuestionView
    candidates: list[IntroductionView]
    notices: list[Notice]
    excluded: dict[str, int]
    built: bool  # built by this call (False: the stored slate)
    took_ms: float = 0.0
    learned: bool = False  # the ranker used weights learned from outcomes


# -- reading stored nodes ---------------------------------------------------------------------

LoadsOf = Callable[[list[str]], Mapping[str, Load]]  # the loads of these members


def name_of(store: GraphStore, node_id: str) -> str:
    props = store.props_of([node_id]).get(node_id, {})
    return str(props.get("name") or props.get("title") or node_id)


def get_question(store: GraphStore, question_id: str) -> Question:
    node = store.get(question_id)
    if not isinstance(node, Question):
        raise NodeNotFoundError(question_id)
    return node


def with_entry(q: Question, entry: Entry, **update: Any) -> Question:
    """``q`` with ``update`` applied and ``entry`` appended to its history."""
    data = {**q.model_dump(), **update, "updated": entry.at,
            "history": [*q.history, entry.dumps()]}
    return Question.model_validate(data)


def introduction_ids(store: GraphStore, question_id: str) -> list[str]:
    return store.neighbour_ids(question_id, "FOR", "in")


def parties(store: GraphStore, introduction_id: str) -> tuple[str, str | None, str | None]:
    """``(question id, candidate id, asker id)`` of an introduction."""
    question = next(iter(store.neighbour_ids(introduction_id, "FOR")), None)
    if question is None:
        raise NodeNotFoundError(introduction_id)
    candidate = next(iter(store.neighbour_ids(introduction_id, "SUGGESTS")), None)
    asker = next(iter(store.neighbour_ids(question, "ASKED_BY")), None)
    return question, candidate, asker


def question_view(store: GraphStore, q: Question, loads: LoadsOf,
                  with_introductions: bool = True) -> QuestionView:
    asker = next(iter(store.neighbour_ids(q.id, "ASKED_BY")), None)
    place = next(iter(store.neighbour_ids(q.id, "IN_REGION")), None)
    themes = store.neighbour_ids(q.id, "ABOUT")
    intros: list[IntroductionView] = []
    if with_introductions:
        nodes = [n for n in store.get_many(introduction_ids(store, q.id))
                 if isinstance(n, Introduction)]
        intros = sorted(introduction_views(store, nodes, loads), key=lambda v: (v.rank, v.id))
    return QuestionView(
        id=q.id, text=q.text, kind=q.kind, status=q.status, created=q.created,
        updated=q.updated,
        asker=Ref(asker, name_of(store, asker), store.label_of(asker) or "") if asker else None,
        place=Ref(place, name_of(store, place), "Region") if place else None,
        themes=[Ref(t, name_of(store, t), "Theme") for t in themes],
        own_organisation=q.own_organisation, note=q.note,
        history=[Entry.loads(h) for h in q.history], introductions=intros)


def introduction_views(store: GraphStore, nodes: Sequence[Introduction], loads: LoadsOf,
                       viewer: Viewer = "staff",
                       member: str | None = None) -> list[IntroductionView]:
    """Views of ``nodes`` for ``viewer``: a member (``member``, their id) reads only the
    reasons and contact fields the candidate lets them (graph/privacy.py); staff read all."""
    if not nodes:
        return []
    sides = {n.id: parties(store, n.id) for n in nodes}
    labels = store.labels_of({c for _, c, _ in sides.values() if c})
    people = sorted({c for _, c, _ in sides.values() if c and labels.get(c) == "Member"})
    load_of = loads(people) if people else {}
    props = store.props_of(people) if viewer != "staff" else {}
    out = []
    for n in nodes:
        question, candidate, asker = sides[n.id]
        cand = Ref(candidate or "", name_of(store, candidate) if candidate else "(verwijderd)",
                   labels.get(candidate, "") if candidate else "")
        shared = None
        if n.state in BOTH_ACCEPTED:
            shared = {"candidate": contact(store, candidate, viewer, member),
                      "asker": contact(store, asker, viewer, member)}
        person = props.get(candidate or "") if cand.label == "Member" else None
        if viewer != "staff" and cand.label == "Member" and person is None:
            person = {"visibility": "none"}  # erased since: show nothing of them
        out.append(IntroductionView(
            id=n.id, question=question, candidate=cand, kind=n.kind, state=n.state,
            state_nl=STATE_NL.get(n.state, n.state), source=n.source, rank=n.rank,
            score=n.score,
            reasons=render(n.reasons, person, viewer, own=bool(member) and member == candidate),
            created=n.created,
            approved_at=n.approved_at, candidate_at=n.candidate_at, asker_at=n.asker_at,
            introduced_at=n.introduced_at, outcome=n.outcome, outcome_at=n.outcome_at,
            note=n.note, cross_domain=n.cross_domain, actions=allowed_actions(n.state),
            load=load_of.get(candidate or ""), contact=shared,
            history=[Entry.loads(h) for h in n.history]))
    return out


def member_introductions(store: GraphStore, member_id: str,
                         loads: LoadsOf) -> list[IntroductionView]:
    """What a member may see of brokering: requests to them once staff approved, and
    introductions for their own questions once the candidate said yes."""
    asked = list(store.neighbour_ids(member_id, "SUGGESTS", "in"))
    own = [i for q in store.neighbour_ids(member_id, "ASKED_BY", "in")
           for i in store.neighbour_ids(q, "FOR", "in")]
    props = store.props_of([*asked, *own])
    shown = [i for i in asked if props.get(i, {}).get("state") in ASKED]
    shown += [i for i in own if props.get(i, {}).get("state") in BOTH_ACCEPTED
              | {"candidate_accepted", "asker_declined"}]
    nodes = [n for n in store.get_many(shown) if isinstance(n, Introduction)]
    views = introduction_views(store, nodes, loads, "member", member_id)
    return sorted(views, key=lambda v: v.created, reverse=True)


def contact(store: GraphStore, node_id: str | None, viewer: Viewer = "staff",
            member: str | None = None) -> dict[str, str]:
    """What one side may learn about the other once both accepted. A member does not learn
    the other's function or organisation when kept private (their own they know)."""
    if not node_id:
        return {}
    node = store.get(node_id)
    if isinstance(node, Member):
        org = next(iter(store.neighbours(node_id, "WORKS_AT")), None)
        mine = node_id == member

        def may(field: str) -> bool:
            return viewer == "staff" or mine or shows(node, field, viewer)

        return {"id": node_id, "name": node.name,
                "function": (node.function or "") if may("function") else "",
                "organisation": (getattr(org, "name", "") if org else "")
                if may("organisation") else "",
                # without consent to share them, contact goes through the regiebureau
                "contact": (node.contact if node.consent_contact and node.contact
                            else "via het regiebureau")}
    return {"id": node_id, "name": name_of(store, node_id) if node else node_id,
            "contact": "via het regiebureau"}
