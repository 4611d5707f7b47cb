"""Matchen en makelen: from a question to a consented introduction, with staff in the loop.

A :class:`Broker` takes questions in, builds one diversified slate per question (stored as
proposed :class:`~schakel.graph.model.Introduction` records), lets staff approve, drop and
add candidates, and moves introductions through their states (see :mod:`.introductions`).
Every action is one store batch that also appends to the question's history, so a refused
action writes nothing and an accepted one is recorded with who and when.

Who is never proposed (:meth:`Broker.exclusions`): the asker, people of the asker's own
organisation (unless asked for), people the asker already knows, people introduced to the
asker before on one of the question's themes, staff-entered conflicts, and people at their
capacity or in their cool-down.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from schakel.errors import (
    CandidateRefusedError,
    InvalidQueryError,
    NodeNotFoundError,
    UnknownReferenceError,
)
from schakel.graph.model import (
    QUESTION_STATUSES,
    Introduction,
    Member,
    Node,
    Question,
    Relationship,
)
from schakel.graph.privacy import visible
from schakel.graph.store import GraphStore

from .engine import MatchQuery, MatchResult
from .introductions import (
    ASKED,
    BOTH_ACCEPTED,
    OPEN,
    OUTCOMES,
    STATE_NL,
    TERMINAL,
    allowed_actions,
    next_state,
)
from .learn import fit_weights
from .ranker import SIGNALS, Reason, Suggestion, Weights

__all__ = ["Broker", "MatchSource", "Slate", "QuestionView", "IntroductionView", "Load",
           "Notice", "Ref", "Entry", "RULE_NL", "SLATE_QUOTAS", "PEOPLE", "now_iso"]

logger = logging.getLogger(__name__)

PEOPLE = ("member", "expert", "ambassador")
# One slate: how many of each kind (people are members, experts and ambassadors).
SLATE_QUOTAS = {"people": 5, "region": 2, "practice": 2, "community": 1}
POOL = 40  # suggestions asked of the matcher before the quotas pick the slate
RECENT_DAYS = 90  # a theme asked in MIN_REGIONS regions within this many days recurs
MIN_REGIONS = 3
MONTH_DAYS = 30
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
# A module-wide lock: every read-check-write of brokering records in this process is
# serialised, so two staff clicking at once cannot both move one introduction.
_LOCK = threading.RLock()


class MatchSource(Protocol):
    """What the broker needs of a matcher: the app state and :class:`Matcher` both fit."""

    def match(self, query: MatchQuery, weights: Weights | None = None) -> MatchResult: ...


def now_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(stamp: str) -> datetime | None:
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


@dataclass
class _Asker:
    id: str
    label: str
    organisation: str | None
    domains: set[str]
    place: str | None


class Broker:
    """The brokering workflow over one store.

    Parameters
    ----------
    store : the graph.
    source : a matcher (or the app state) that answers :class:`MatchQuery`; needed to read a
        new question's themes and to build slates.
    place_of : resolves a place name or id to a Region id (None: unknown); the gazetteer's
        ``find`` fits.
    clock : returns "now" (tests pass a fixed time).
    weights : the hand-set weights the learned ones start from.
    """

    def __init__(self, store: GraphStore, source: MatchSource | None = None, *,
                 place_of: Callable[[str], str | None] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 weights: Weights | None = None) -> None:
        self.store = store
        self.source = source
        self.place_of = place_of
        self.clock = clock or (lambda: datetime.now(UTC))
        self.weights = weights or Weights()

    # -- questions ---------------------------------------------------------------------------

    def ask(self, text: str, asker: str, who: str, *, kind: str = "leervraag",
            place: str | None = None, themes: Sequence[str] | None = None,
            own_organisation: bool = False, question_id: str | None = None,
            created: str | None = None) -> QuestionView:
        """Take a question in. Themes and place are read from the text unless given.

        Raises
        ------
        UnknownReferenceError : the asker, a theme or the place does not exist.
        InvalidQueryError : a text too short, an unknown kind.
        """
        text = (text or "").strip()
        if len(text) < 3:
            raise InvalidQueryError("text", "stel een vraag van minstens drie tekens")
        asker_label = self.store.label_of(asker)
        if asker_label not in ("Member", "Organisation", "Region"):
            raise UnknownReferenceError("asker", asker, "vrager (lid, organisatie of regio)")
        place_id = self._place(place) if place else None
        understood: dict[str, Any] = {}
        if (themes is None or (place is None)) and self.source is not None:
            understood = self.source.match(MatchQuery(text=text, limit=1)).understood
        if themes is None:
            themes = [t["id"] for t in understood.get("themes", [])]
        theme_ids = self._themes(themes)
        if place_id is None and understood.get("place"):
            found = understood["place"]["id"]
            place_id = found if self.store.label_of(found) == "Region" else None
        if place_id is None and asker_label != "Organisation":
            place_id = (asker if asker_label == "Region"
                        else next(iter(self.store.neighbour_ids(asker, "BASED_IN")), None))
        stamp = created or now_iso(self.clock())
        qid = question_id or f"q-{self.clock().strftime('%Y%m%d')}-{_token()}"
        history = [Entry(stamp, who, "vraag aangenomen",
                         detail=f"thema's: {', '.join(theme_ids) or 'geen'}").dumps()]
        try:
            question = Question(id=qid, text=text, kind=kind, created=stamp, updated=stamp,
                                own_organisation=own_organisation, history=history)
        except ValueError as e:
            raise InvalidQueryError("kind", f"ongeldige vraag: {e}") from e
        rels = [Relationship.of("ASKED_BY", qid, asker)]
        rels += [Relationship.of("ABOUT", qid, t) for t in theme_ids]
        if place_id:
            rels.append(Relationship.of("IN_REGION", qid, place_id))
        with _LOCK:
            if self.store.label_of(qid) is not None:
                raise InvalidQueryError("id", f"er is al een vraag met id {qid!r}")
            self.store.write([question], rels)
        return self.question(qid)

    def queue(self, status: str | None = None) -> list[QuestionView]:
        """Questions, oldest first; only those with ``status`` when given."""
        if status is not None and status not in QUESTION_STATUSES:
            raise InvalidQueryError("status", "kies een status uit " + ", ".join(QUESTION_STATUSES))
        found = self.store.find("Question", status=status) if status else self.store.find(
            "Question")
        questions = sorted((q for q in found if isinstance(q, Question)),
                           key=lambda q: (q.created, q.id))
        return [self._question_view(q, with_introductions=False) for q in questions]

    def question(self, question_id: str) -> QuestionView:
        return self._question_view(self._question(question_id))

    def set_themes(self, question_id: str, themes: Sequence[str], who: str,
                   note: str = "") -> QuestionView:
        """Staff correct the themes read from the text (replaces them)."""
        with _LOCK:
            q = self._question(question_id)
            theme_ids = self._themes(themes)
            entry = Entry(now_iso(self.clock()), who, "thema's aangepast", note=note,
                          detail=", ".join(theme_ids) or "geen")
            self.store.write([self._with(q, entry)],
                             [Relationship.of("ABOUT", q.id, t) for t in theme_ids],
                             replace=[(q.id, "ABOUT")])
        return self.question(question_id)

    def set_status(self, question_id: str, status: str, who: str,
                   note: str = "") -> QuestionView:
        """Staff close a question (afgerond) or put it back in the queue."""
        if status not in QUESTION_STATUSES:
            raise InvalidQueryError("status", "kies een status uit " + ", ".join(QUESTION_STATUSES))
        with _LOCK:
            q = self._question(question_id)
            entry = Entry(now_iso(self.clock()), who, f"status: {status}", note=note)
            self.store.write([self._with(q, entry, status=status)])
        return self.question(question_id)

    def note(self, question_id: str, text: str, who: str) -> QuestionView:
        """A staff note on the question (kept in its history)."""
        with _LOCK:
            q = self._question(question_id)
            entry = Entry(now_iso(self.clock()), who, "notitie", note=text)
            self.store.write([self._with(q, entry, note=text)])
        return self.question(question_id)

    # -- the slate ---------------------------------------------------------------------------

    def slate(self, question_id: str) -> Slate:
        """The stored slate of a question (empty before :meth:`build_slate`)."""
        view = self.question(question_id)
        return Slate(view, view.introductions, self.notices(question_id), {}, built=False)

    def build_slate(self, question_id: str, who: str) -> Slate:
        """Propose one diversified slate of people, peer regions, practices and communities,
        each with the matcher's Dutch reasons; stored as proposed introductions in one batch.
        A question that has a slate keeps it (staff add or drop candidates instead)."""
        started = time.perf_counter()
        if self.source is None:
            raise InvalidQueryError("matcher", "er is geen matcher om een voorstel te maken")
        q = self._question(question_id)
        if self._introduction_ids(question_id):
            return self.slate(question_id)
        asker = self._asker(question_id)
        excluded = self.exclusions(question_id)
        themes = self.store.neighbour_ids(question_id, "ABOUT")
        place = next(iter(self.store.neighbour_ids(question_id, "IN_REGION")), None)
        learned = self.learned_weights()
        query = MatchQuery(text=q.text, near=place, kinds=["member", "region", "practice",
                                                             "community"],
                           limit=POOL, asker_domain=min(asker.domains) if asker.domains else None,
                           exclude=frozenset(excluded), themes=themes,
                           viewer="staff")
        result = self.source.match(query, learned)
        notices = self.notices(question_id)
        picks = _pick(result.results, notices, excluded)
        stamp = now_iso(self.clock())
        intros: list[Node] = []
        rels: list[Relationship] = []
        for rank, s in enumerate(picks, 1):
            iid = _intro_id(question_id, s.id)
            features = s.features
            intros.append(Introduction(
                id=iid, state="proposed", created=stamp, kind=s.kind, source="slate",
                rank=rank, score=round(float(s.score), 4),
                reasons=[r.text[:500] for r in s.reasons],
                themes=themes, cross_domain=self._cross_domain(asker, s.id),
                features=[float(features.get(n, 0.0)) for n in SIGNALS] if features else [],
                feature_names=list(SIGNALS) if features else [],
                history=[Entry(stamp, who, "voorgesteld", detail=f"plaats {rank}").dumps()]))
            rels += [Relationship.of("FOR", iid, question_id),
                     Relationship.of("SUGGESTS", iid, s.id)]
        counts = Counter(excluded.values())
        detail = ", ".join(f"{RULE_NL[r]}: {n}" for r, n in sorted(counts.items()))
        entry = Entry(stamp, who, "voorstel gemaakt",
                      detail=f"{len(picks)} kandidaten" + (f"; uitgesloten ({detail})"
                                                            if detail else ""))
        with _LOCK:
            q = self._question(question_id)
            if self._introduction_ids(question_id):  # someone else was quicker
                return self.slate(question_id)
            status = "in behandeling" if q.status == "nieuw" else q.status
            self.store.write([self._with(q, entry, status=status), *intros], rels)
        view = self.question(question_id)
        took = round((time.perf_counter() - started) * 1000, 1)
        return Slate(view, view.introductions, notices, dict(counts), built=True, took_ms=took,
                     learned=learned is not None)

    def add_candidate(self, question_id: str, candidate: str, who: str,
                      note: str = "") -> IntroductionView:
        """Staff add a candidate the matcher did not propose.

        Raises
        ------
        CandidateRefusedError : the candidate is excluded for this question (the message
            names the rule) or already on its slate.
        """
        label = self.store.label_of(candidate)
        node = self.store.get(candidate) if label == "Member" else None
        # A member who is visible to nobody is absent here too (graph/privacy.py).
        if label not in ("Member", "Region", "Practice", "Community") or (
                isinstance(node, Member) and not visible(node, "staff")):
            raise UnknownReferenceError("candidate", candidate,
                                        "kandidaat (lid, regio, praktijkvoorbeeld of community)")
        if isinstance(node, Member) and not node.consent_matching:
            raise CandidateRefusedError(candidate, "no_consent",
                                        f"{node.name} kan niet worden voorgesteld: "
                                        f"{RULE_NL['no_consent']}")
        with _LOCK:
            q = self._question(question_id)
            iid = _intro_id(question_id, candidate)
            if self.store.label_of(iid) is not None:
                raise CandidateRefusedError(candidate, "on_slate",
                                            f"{self._name(candidate)} {RULE_NL['on_slate']}")
            rule = self.exclusions(question_id, only=[candidate]).get(candidate)
            if rule:
                raise CandidateRefusedError(candidate, rule,
                                            f"{self._name(candidate)} kan niet worden "
                                            f"voorgesteld: {RULE_NL[rule]}")
            asker = self._asker(question_id)
            stamp = now_iso(self.clock())
            themes = self.store.neighbour_ids(question_id, "ABOUT")
            rank = len(self._introduction_ids(question_id)) + 1
            kind = self._kind(candidate, label)
            entry = Entry(stamp, who, "kandidaat toegevoegd", note=note, introduction=iid,
                          candidate=candidate)
            intro = Introduction(id=iid, state="proposed", created=stamp, kind=kind,
                                 source="staff", rank=rank, themes=themes, note=note,
                                 reasons=[f"Toegevoegd door {who}" + (f": {note}" if note else "")],
                                 cross_domain=self._cross_domain(asker, candidate),
                                 history=[entry.dumps()])
            status = "in behandeling" if q.status == "nieuw" else q.status
            self.store.write([self._with(q, entry, status=status), intro],
                             [Relationship.of("FOR", iid, question_id),
                              Relationship.of("SUGGESTS", iid, candidate)])
        return self.introduction(iid)

    # -- introductions -----------------------------------------------------------------------

    def introduction(self, introduction_id: str) -> IntroductionView:
        node = self.store.get(introduction_id)
        if not isinstance(node, Introduction):
            raise NodeNotFoundError(introduction_id)
        return self._intro_views([node])[0]

    def of_member(self, member_id: str) -> list[IntroductionView]:
        """What a member may see of brokering: requests to them once staff approved, and
        introductions for their own questions once the candidate said yes."""
        store = self.store
        asked = list(store.neighbour_ids(member_id, "SUGGESTS", "in"))
        own = [i for q in store.neighbour_ids(member_id, "ASKED_BY", "in")
               for i in store.neighbour_ids(q, "FOR", "in")]
        props = store.props_of([*asked, *own])
        shown = [i for i in asked if props.get(i, {}).get("state") in ASKED]
        shown += [i for i in own if props.get(i, {}).get("state") in BOTH_ACCEPTED
                  | {"candidate_accepted", "asker_declined"}]
        nodes = [n for n in store.get_many(shown) if isinstance(n, Introduction)]
        return sorted(self._intro_views(nodes), key=lambda v: v.created, reverse=True)

    def parties(self, introduction_id: str) -> tuple[str, str | None, str | None]:
        """``(question id, candidate id, asker id)`` of an introduction."""
        question = next(iter(self.store.neighbour_ids(introduction_id, "FOR")), None)
        if question is None:
            raise NodeNotFoundError(introduction_id)
        candidate = next(iter(self.store.neighbour_ids(introduction_id, "SUGGESTS")), None)
        asker = next(iter(self.store.neighbour_ids(question, "ASKED_BY")), None)
        return question, candidate, asker

    def act(self, introduction_id: str, action: str, who: str, *, note: str = "",
            outcome: str | None = None) -> IntroductionView:
        """Move an introduction one step; recorded with ``who`` and the time.

        Raises
        ------
        TransitionError : the action cannot follow the current state (nothing written).
        CandidateRefusedError : approving someone now at capacity, in cool-down or excluded.
        InvalidQueryError : an outcome that is not nuttig, niet nuttig or geen contact.
        """
        if action == "outcome" and outcome not in OUTCOMES:
            raise InvalidQueryError("outcome", "kies als uitkomst: " + ", ".join(OUTCOMES))
        with _LOCK:
            node = self.store.get(introduction_id)
            if not isinstance(node, Introduction):
                raise NodeNotFoundError(introduction_id)
            step = next_state(introduction_id, node.state, action)
            question_id, candidate, _ = self.parties(introduction_id)
            if action == "approve" and candidate is not None:
                rule = self.exclusions(question_id, only=[candidate],
                                       ignore=introduction_id).get(candidate)
                if rule:
                    raise CandidateRefusedError(
                        candidate, rule, f"{self._name(candidate)} kan nu niet gevraagd worden: "
                                         f"{RULE_NL[rule]}")
            moment = self.clock()
            stamp = now_iso(moment)
            entry = Entry(stamp, who, action, note=note, introduction=introduction_id,
                          candidate=candidate or "", detail=outcome or "")
            update: dict[str, Any] = {"state": step.target,
                                      "history": [*node.history, entry.dumps()]}
            if step.stamp:
                update[step.stamp] = stamp
            if note:
                update["note"] = note
            if outcome:
                update["outcome"] = outcome
            intro = Introduction.model_validate({**node.model_dump(), **update})
            q = self._question(question_id)
            status = q.status
            if action == "approve" and status in ("nieuw", "in behandeling"):
                status = "voorgesteld"
            if step.target in TERMINAL and status != "afgerond" and not self._others_open(
                    question_id, introduction_id) and self._any_outcome(question_id,
                                                                        intro):
                status = "afgerond"
            self.store.write([intro, self._with(q, entry, status=status)])
        return self.introduction(introduction_id)

    # -- exclusions, capacity and conflicts ---------------------------------------------------

    def exclusions(self, question_id: str, only: Iterable[str] | None = None,
                   ignore: str | None = None) -> dict[str, str]:
        """Who may not be proposed for this question, with the rule (a key of RULE_NL).

        ``only`` limits the check to these candidates (cheaper); ``ignore`` leaves one
        introduction out of the capacity count (the one being approved).
        """
        store = self.store
        asker = self._asker(question_id)
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
        intros = self._all_introductions()
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
        if asker.organisation and not self._question(question_id).own_organisation:
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
        intros = intros if intros is not None else self._all_introductions()
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
            asked = _parse(i.approved_at)
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
            last = _parse(load.last_asked)
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
        with _LOCK:
            node = self.store.get(member_id)
            if not isinstance(node, Member):
                raise NodeNotFoundError(member_id)
            update = {k: v for k, v in (("capacity", capacity),
                                        ("cooldown_days", cooldown_days)) if v is not None}
            try:
                member = Member.model_validate({**node.model_dump(), **update})
            except ValueError as e:
                raise InvalidQueryError("capacity", "capaciteit 0-50, rustperiode 0-365 "
                                                    "dagen") from e
            self.store.write([member])
        logger.info("capacity of %s set by %s: %s", member_id, who, update)
        return member

    def add_conflict(self, member_id: str, other: str, who: str, note: str = "") -> Relationship:
        """Record that ``member_id`` and ``other`` (a member or organisation) must never be
        introduced to each other."""
        if self.store.label_of(member_id) != "Member":
            raise UnknownReferenceError("member", member_id, "lid")
        if self.store.label_of(other) not in ("Member", "Organisation") or other == member_id:
            raise UnknownReferenceError("other", other, "ander lid of organisatie")
        rel = Relationship.of("CONFLICT", member_id, other, note=note, by=who,
                              at=now_iso(self.clock()))
        with _LOCK:
            self.store.write(relationships=[rel])
        return rel

    def remove_conflict(self, member_id: str, other: str) -> bool:
        with _LOCK:
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
                created = _parse(props[q].get("created", ""))
                if q != question_id and (created is None or created < since):
                    continue
                region = self._region_of(q)
                if region:
                    regions[region].append(q)
            if len(regions) < MIN_REGIONS:
                continue
            names = sorted(self._name(r) for r in regions)
            communities = [Ref(c, self._name(c), "Community")
                           for c in store.neighbour_ids(theme, "ABOUT", "in")
                           if store.label_of(c) == "Community"]
            theme_name = self._name(theme)
            offer = (f"stel de community {communities[0].name} voor" if communities
                     else "organiseer een groepssessie (intervisie of themabijeenkomst)")
            text = (f"'{theme_name}' is de afgelopen {RECENT_DAYS} dagen gevraagd in "
                    f"{len(regions)} regio's ({', '.join(names)}): {offer} in plaats van "
                    "losse 1-op-1-introducties.")
            out.append(Notice(Ref(theme, theme_name, "Theme"), names,
                              sorted(q for qs in regions.values() for q in qs), communities,
                              text))
        return out

    # -- learning ----------------------------------------------------------------------------

    def training_rows(self) -> list[tuple[dict[str, float], bool]]:
        """One row per introduction with a known result: its features at proposal time and
        whether it helped (outcome nuttig) or not (declined, niet nuttig, geen contact)."""
        rows = []
        for i in self._all_introductions().values():
            if not i.features:
                continue
            if i.outcome == "nuttig":
                useful = True
            elif i.outcome in ("niet nuttig", "geen contact") or i.state in (
                    "candidate_declined", "asker_declined"):
                useful = False
            else:
                continue
            rows.append((i.features, useful))
        return rows

    def learned_weights(self) -> Weights | None:
        """Weights fitted on the outcome log, or None while it is too small to say anything
        (then the hand-set weights rank)."""
        rows = self.training_rows()
        return fit_weights(rows, self.weights) if rows else None

    # -- reading helpers ---------------------------------------------------------------------

    def _question(self, question_id: str) -> Question:
        node = self.store.get(question_id)
        if not isinstance(node, Question):
            raise NodeNotFoundError(question_id)
        return node

    def _with(self, q: Question, entry: Entry, **update: Any) -> Question:
        data = {**q.model_dump(), **update, "updated": entry.at,
                "history": [*q.history, entry.dumps()]}
        return Question.model_validate(data)

    def _place(self, place: str) -> str:
        found = self.place_of(place) if self.place_of else None
        if found is None and self.store.label_of(place) == "Region":
            found = place
        if found is None or self.store.label_of(found) != "Region":
            raise UnknownReferenceError("place", place, "gebied (gemeente, regio of provincie)")
        return found

    def _themes(self, themes: Iterable[str]) -> list[str]:
        out = []
        for t in dict.fromkeys(t.strip() for t in themes if t and t.strip()):
            if self.store.label_of(t) != "Theme":
                raise UnknownReferenceError("themes", t, "thema")
            out.append(t)
        return out

    def _name(self, node_id: str) -> str:
        props = self.store.props_of([node_id]).get(node_id, {})
        return str(props.get("name") or props.get("title") or node_id)

    def _kind(self, node_id: str, label: str) -> str:
        if label != "Member":
            return label.lower()
        roles = self.store.props_of([node_id]).get(node_id, {}).get("roles", [])
        return next((r for r in ("ambassador", "expert") if r in roles), "member")

    def _asker(self, question_id: str) -> _Asker:
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
        return _Asker(asker, label, org, domains, place)

    def _domains_of(self, node_id: str) -> set[str]:
        store = self.store
        label = store.label_of(node_id)
        if label == "Member":
            return set(store.neighbour_ids(node_id, "ACTIVE_IN"))
        if label == "Practice":
            return {d for o in store.neighbour_ids(node_id, "INVOLVES")
                    for d in store.neighbour_ids(o, "IN_DOMAIN")}
        return set()

    def _cross_domain(self, asker: _Asker, candidate: str) -> bool:
        theirs = self._domains_of(candidate)
        return bool(asker.domains and theirs and theirs - asker.domains)

    def _region_of(self, question_id: str) -> str | None:
        place = next(iter(self.store.neighbour_ids(question_id, "IN_REGION")), None)
        if place:
            return place
        asker = next(iter(self.store.neighbour_ids(question_id, "ASKED_BY")), None)
        if asker and self.store.label_of(asker) == "Region":
            return asker
        return next(iter(self.store.neighbour_ids(asker, "BASED_IN")), None) if asker else None

    def _introduction_ids(self, question_id: str) -> list[str]:
        return self.store.neighbour_ids(question_id, "FOR", "in")

    def _others_open(self, question_id: str, introduction_id: str) -> bool:
        others = [i for i in self._introduction_ids(question_id) if i != introduction_id]
        waiting = OPEN | {"introduced"}  # proposals nobody approved do not keep it open
        return any(p.get("state") in waiting for p in self.store.props_of(others).values())

    def _any_outcome(self, question_id: str, changed: Introduction) -> bool:
        if changed.state == "closed":
            return True
        others = [i for i in self._introduction_ids(question_id) if i != changed.id]
        return any(p.get("state") == "closed" for p in self.store.props_of(others).values())

    def _all_introductions(self) -> dict[str, _Intro]:
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

    def _question_view(self, q: Question, with_introductions: bool = True) -> QuestionView:
        store = self.store
        asker = next(iter(store.neighbour_ids(q.id, "ASKED_BY")), None)
        place = next(iter(store.neighbour_ids(q.id, "IN_REGION")), None)
        themes = store.neighbour_ids(q.id, "ABOUT")
        intros: list[IntroductionView] = []
        if with_introductions:
            nodes = [n for n in store.get_many(self._introduction_ids(q.id))
                     if isinstance(n, Introduction)]
            intros = sorted(self._intro_views(nodes), key=lambda v: (v.rank, v.id))
        return QuestionView(
            id=q.id, text=q.text, kind=q.kind, status=q.status, created=q.created,
            updated=q.updated,
            asker=Ref(asker, self._name(asker), store.label_of(asker) or "") if asker else None,
            place=Ref(place, self._name(place), "Region") if place else None,
            themes=[Ref(t, self._name(t), "Theme") for t in themes],
            own_organisation=q.own_organisation, note=q.note,
            history=[Entry.loads(h) for h in q.history], introductions=intros)

    def _intro_views(self, nodes: Sequence[Introduction]) -> list[IntroductionView]:
        if not nodes:
            return []
        parties = {n.id: self.parties(n.id) for n in nodes}
        people = [c for _, c, _ in parties.values() if c and self.store.label_of(c) == "Member"]
        loads = self.loads(only=people) if people else {}
        out = []
        for n in nodes:
            question, candidate, asker = parties[n.id]
            cand = Ref(candidate or "", self._name(candidate) if candidate else "(verwijderd)",
                       self.store.label_of(candidate) or "" if candidate else "")
            contact = None
            if n.state in BOTH_ACCEPTED:
                contact = {"candidate": self._contact(candidate),
                           "asker": self._contact(asker)}
            out.append(IntroductionView(
                id=n.id, question=question, candidate=cand, kind=n.kind, state=n.state,
                state_nl=STATE_NL.get(n.state, n.state), source=n.source, rank=n.rank,
                score=n.score, reasons=list(n.reasons), created=n.created,
                approved_at=n.approved_at, candidate_at=n.candidate_at, asker_at=n.asker_at,
                introduced_at=n.introduced_at, outcome=n.outcome, outcome_at=n.outcome_at,
                note=n.note, cross_domain=n.cross_domain, actions=allowed_actions(n.state),
                load=loads.get(candidate or ""), contact=contact,
                history=[Entry.loads(h) for h in n.history]))
        return out

    def _contact(self, node_id: str | None) -> dict[str, str]:
        """What one side may learn about the other once both accepted."""
        if not node_id:
            return {}
        node = self.store.get(node_id)
        if isinstance(node, Member):
            org = next(iter(self.store.neighbours(node_id, "WORKS_AT")), None)
            return {"id": node_id, "name": node.name, "function": node.function or "",
                    "organisation": getattr(org, "name", "") if org else "",
                    # without consent to share them, contact goes through the regiebureau
                    "contact": (node.contact if node.consent_contact and node.contact
                                else "via het regiebureau")}
        return {"id": node_id, "name": self._name(node_id) if node else node_id,
                "contact": "via het regiebureau"}


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


def _pick(results: Sequence[Suggestion], notices: Sequence[Notice],
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


def _intro_id(question_id: str, candidate: str) -> str:
    return f"intro-{question_id}-{candidate}"[:200]


def _token() -> str:
    import secrets

    return secrets.token_hex(3)
