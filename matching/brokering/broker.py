"""Matchen en makelen: from a question to a consented introduction, with staff in the loop.

A :class:`Broker` takes questions in, builds one diversified slate per question (stored as
proposed :class:`~schakel.graph.model.Introduction` records), lets staff approve, drop and
add candidates, and moves introductions through their states (see :mod:`.states`).
Every action is one store batch that also appends to the question's history, so a refused
action writes nothing and an accepted one is recorded with who and when.

Who is never proposed (:meth:`Broker.exclusions`): the asker, people of the asker's own
organisation (unless asked for), people the asker already knows, people introduced to the
asker before on one of the question's themes, staff-entered conflicts, and people at their
capacity or in their cool-down.

The broker runs the workflow and delegates the parts: :mod:`.questions` (taking
questions in, the queue), :mod:`.rules` (who may not be proposed and why, capacity,
conflicts, recurring themes), :mod:`.slate` (quotas and the pick) and
:mod:`.views` (the records it returns). The package exports their public names.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from schakel.errors import (
    CandidateRefusedError,
    InvalidQueryError,
    NodeNotFoundError,
    UnknownReferenceError,
)
from schakel.graph.model import Introduction, Member, Relationship
from schakel.graph.privacy import Viewer, visible
from schakel.graph.store import Batch, GraphStore

from ..learn import fit_weights
from ..ranker import Weights
from . import reasons
from .questions import MatchSource, QuestionDesk
from .rules import RULE_NL, BrokeringRules
from .slate import (
    PEOPLE,
    POOL,
    SLATE_QUOTAS,
    cross_domain,
    intro_id,
    kind_of,
    pick,
    proposals,
)
from .states import OPEN, OUTCOMES, TERMINAL, next_state
from .views import (
    Entry,
    IntroductionView,
    Load,
    Notice,
    QuestionView,
    Ref,
    Slate,
    get_question,
    introduction_ids,
    introduction_views,
    member_introductions,
    name_of,
    now_iso,
    parties,
    question_view,
    with_entry,
)

__all__ = ["Broker", "MatchSource", "Slate", "QuestionView", "IntroductionView", "Load",
           "Notice", "Ref", "Entry", "RULE_NL", "SLATE_QUOTAS", "PEOPLE", "now_iso"]

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
                 weights: Weights | None = None,
                 remember: Callable[[str, Callable[[], Any]], Any] | None = None) -> None:
        """``remember(key, compute)`` may keep a result until the store changes (the
        service's per-version cache); without it everything is computed each time."""
        self.store = store
        self.remember = remember or (lambda _key, compute: compute())
        self.source = source
        self.place_of = place_of
        self.clock = clock or (lambda: datetime.now(UTC))
        self.weights = weights or Weights()
        self.desk = QuestionDesk(store, source, place_of=place_of, clock=self.clock)
        self.rules = BrokeringRules(store, self.clock)

    # -- questions (see QuestionDesk) --------------------------------------------------------

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
        return self.question(self.desk.ask(
            text, asker, who, kind=kind, place=place, themes=themes,
            own_organisation=own_organisation, question_id=question_id, created=created))

    def queue(self, status: str | None = None) -> list[QuestionView]:
        """Questions, oldest first; only those with ``status`` when given."""
        return [question_view(self.store, q, self.rules.loads, with_introductions=False)
                for q in self.desk.queue(status)]

    def question(self, question_id: str) -> QuestionView:
        return question_view(self.store, get_question(self.store, question_id), self.rules.loads)

    def set_themes(self, question_id: str, themes: Sequence[str], who: str,
                   note: str = "") -> QuestionView:
        """Staff correct the themes read from the text (replaces them)."""
        self.desk.set_themes(question_id, themes, who, note)
        return self.question(question_id)

    def set_status(self, question_id: str, status: str, who: str,
                   note: str = "") -> QuestionView:
        """Staff close a question (afgerond) or put it back in the queue."""
        self.desk.set_status(question_id, status, who, note)
        return self.question(question_id)

    def note(self, question_id: str, text: str, who: str) -> QuestionView:
        """A staff note on the question (kept in its history)."""
        self.desk.note(question_id, text, who)
        return self.question(question_id)

    # -- the slate ---------------------------------------------------------------------------

    def slate(self, question_id: str) -> Slate:
        """The stored slate of a question (empty before :meth:`build_slate`)."""
        view = self.question(question_id)
        return Slate(view, view.introductions, self.rules.notices(question_id), {}, built=False)

    def build_slate(self, question_id: str, who: str) -> Slate:
        """Propose one diversified slate of people, peer regions, practices and communities,
        each with the matcher's Dutch reasons; stored as proposed introductions in one batch.
        A question that has a slate keeps it (staff add or drop candidates instead)."""
        from ..engine import MatchQuery  # here: the engine's catalog imports .states (a cycle)

        started = time.perf_counter()
        if self.source is None:
            raise InvalidQueryError("matcher", "er is geen matcher om een voorstel te maken")
        q = get_question(self.store, question_id)
        if introduction_ids(self.store, question_id):
            return self.slate(question_id)
        asker = self.rules.asker(question_id)
        excluded = self.rules.exclusions(question_id)
        themes = self.store.neighbour_ids(question_id, "ABOUT")
        place = next(iter(self.store.neighbour_ids(question_id, "IN_REGION")), None)
        learned = self.learned_weights()
        query = MatchQuery(text=q.text, near=place, kinds=["member", "region", "practice",
                                                             "community"],
                           limit=POOL, asker_domain=min(asker.domains) if asker.domains else None,
                           exclude=frozenset(excluded), themes=themes,
                           viewer="staff")
        if learned is None:
            results = self.source.match(query).results
        else:  # learned from people's answers: it ranks people only
            people = self.source.match(replace(query, kinds=["member"]), learned).results
            others = self.source.match(
                replace(query, kinds=["region", "practice", "community"])).results
            results = people + others
        notices = self.rules.notices(question_id)
        picks = pick(results, notices, excluded)
        stamp = now_iso(self.clock())
        intros, rels = proposals(self.store, question_id, picks, asker, themes, stamp, who)
        counts = Counter(excluded.values())
        detail = ", ".join(f"{RULE_NL[r]}: {n}" for r, n in sorted(counts.items()))
        entry = Entry(stamp, who, "voorstel gemaakt",
                      detail=f"{len(picks)} kandidaten" + (f"; uitgesloten ({detail})"
                                                            if detail else ""))

        def work() -> Batch | None:
            if introduction_ids(self.store, question_id):  # someone else was quicker
                return None
            q = get_question(self.store, question_id)
            status = "in behandeling" if q.status == "nieuw" else q.status
            return Batch.of([with_entry(q, entry, status=status), *intros], rels)

        if not self.store.update(work).nodes:
            return self.slate(question_id)
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
        iid = intro_id(question_id, candidate)

        def work() -> Batch:
            q = get_question(self.store, question_id)
            if self.store.label_of(iid) is not None:
                raise CandidateRefusedError(candidate, "on_slate",
                                            f"{name_of(self.store, candidate)} "
                                            f"{RULE_NL['on_slate']}")
            rule = self.rules.exclusions(question_id, only=[candidate]).get(candidate)
            if rule:
                raise CandidateRefusedError(candidate, rule,
                                            f"{name_of(self.store, candidate)} kan niet worden "
                                            f"voorgesteld: {RULE_NL[rule]}")
            asker = self.rules.asker(question_id)
            stamp = now_iso(self.clock())
            themes = self.store.neighbour_ids(question_id, "ABOUT")
            rank = len(introduction_ids(self.store, question_id)) + 1
            kind = kind_of(self.store, candidate, label)
            entry = Entry(stamp, who, "kandidaat toegevoegd", note=note, introduction=iid,
                          candidate=candidate)
            intro = Introduction(id=iid, state="proposed", created=stamp, kind=kind,
                                 source="staff", rank=rank, themes=themes, note=note,
                                 reasons=[reasons.dumps("staff", f"Toegevoegd door {who}"
                                                        + (f": {note}" if note else ""))],
                                 cross_domain=cross_domain(self.store, asker, candidate),
                                 history=[entry.dumps()])
            status = "in behandeling" if q.status == "nieuw" else q.status
            return Batch.of([with_entry(q, entry, status=status), intro],
                            [Relationship.of("FOR", iid, question_id),
                             Relationship.of("SUGGESTS", iid, candidate)])

        self.store.update(work)
        return self.introduction(iid)

    # -- introductions -----------------------------------------------------------------------

    def introduction(self, introduction_id: str, member: str | None = None) -> IntroductionView:
        """The introduction as staff see it, or as ``member`` (the candidate or the asker)
        may: reasons and contact fields the other keeps private left out."""
        node = self.store.get(introduction_id)
        if not isinstance(node, Introduction):
            raise NodeNotFoundError(introduction_id)
        viewer: Viewer = "member" if member else "staff"
        return introduction_views(self.store, [node], self.rules.loads, viewer, member)[0]

    def of_member(self, member_id: str) -> list[IntroductionView]:
        """What a member may see of brokering: requests to them once staff approved, and
        introductions for their own questions once the candidate said yes."""
        return member_introductions(self.store, member_id, self.rules.loads)

    def parties(self, introduction_id: str) -> tuple[str, str | None, str | None]:
        """``(question id, candidate id, asker id)`` of an introduction."""
        return parties(self.store, introduction_id)

    def act(self, introduction_id: str, action: str, who: str, *, note: str = "",
            outcome: str | None = None, member: str | None = None) -> IntroductionView:
        """Move an introduction one step; recorded with ``who`` and the time. ``member``: the
        member answering for themself, who gets their view back (see :meth:`introduction`).

        Raises
        ------
        TransitionError : the action cannot follow the current state (nothing written).
        CandidateRefusedError : approving someone now at capacity, in cool-down or excluded.
        InvalidQueryError : an outcome that is not nuttig, niet nuttig or geen contact.
        """
        if action == "outcome" and outcome not in OUTCOMES:
            raise InvalidQueryError("outcome", "kies als uitkomst: " + ", ".join(OUTCOMES))

        # Inside the store's write transaction: the state read here is the latest, so of two
        # processes acting at once one moves it and the other gets TransitionError.
        def work() -> Batch:
            node = self.store.get(introduction_id)
            if not isinstance(node, Introduction):
                raise NodeNotFoundError(introduction_id)
            step = next_state(introduction_id, node.state, action)
            question_id, candidate, _ = parties(self.store, introduction_id)
            if action == "approve" and candidate is not None:
                rule = self.rules.exclusions(question_id, only=[candidate],
                                             ignore=introduction_id).get(candidate)
                if rule:
                    raise CandidateRefusedError(
                        candidate, rule, f"{name_of(self.store, candidate)} kan nu niet gevraagd "
                                         f"worden: {RULE_NL[rule]}")
            stamp = now_iso(self.clock())
            entry = Entry(stamp, who, action, note=note, introduction=introduction_id,
                          candidate=candidate or "", detail=outcome or "")
            changed: dict[str, Any] = {"state": step.target,
                                       "history": [*node.history, entry.dumps()]}
            if step.stamp:
                changed[step.stamp] = stamp
            if note:
                changed["note"] = note
            if outcome:
                changed["outcome"] = outcome
            intro = Introduction.model_validate({**node.model_dump(), **changed})
            q = get_question(self.store, question_id)
            status = q.status
            if action == "approve" and status in ("nieuw", "in behandeling"):
                status = "voorgesteld"
            if step.target in TERMINAL and status != "afgerond" and not self._others_open(
                    question_id, introduction_id) and self._any_outcome(question_id,
                                                                        intro):
                status = "afgerond"
            return Batch.of([intro, with_entry(q, entry, status=status)])

        self.store.update(work)
        return self.introduction(introduction_id, member)

    # -- exclusions, capacity, conflicts and recurring themes (see BrokeringRules) -----------

    def exclusions(self, question_id: str, only: Iterable[str] | None = None,
                   ignore: str | None = None) -> dict[str, str]:
        """Who may not be proposed for this question, with the rule (a key of RULE_NL).

        ``only`` limits the check to these candidates (cheaper); ``ignore`` leaves one
        introduction out of the capacity count (the one being approved).
        """
        return self.rules.exclusions(question_id, only, ignore)

    def loads(self, only: Iterable[str] | None = None, *, intros: Mapping[str, Any] | None = None,
              ignore: str | None = None) -> dict[str, Load]:
        """Load of people who were asked or limited their capacity (others have none)."""
        return self.rules.loads(only, intros=intros, ignore=ignore)

    def set_capacity(self, member_id: str, who: str, capacity: int | None = None,
                     cooldown_days: int | None = None) -> Member:
        """Staff set how many open requests a person takes and their rest days."""
        return self.rules.set_capacity(member_id, who, capacity, cooldown_days)

    def add_conflict(self, member_id: str, other: str, who: str, note: str = "") -> Relationship:
        """Record that ``member_id`` and ``other`` (a member or organisation) must never be
        introduced to each other."""
        return self.rules.add_conflict(member_id, other, who, note)

    def remove_conflict(self, member_id: str, other: str) -> bool:
        return self.rules.remove_conflict(member_id, other)

    def conflicts(self) -> list[Relationship]:
        return self.rules.conflicts()

    def notices(self, question_id: str) -> list[Notice]:
        """Themes of this question asked in several regions lately: the slate proposes a
        community or group session instead."""
        return self.rules.notices(question_id)

    # -- learning ----------------------------------------------------------------------------

    def training_rows(self) -> list[tuple[dict[str, float], bool]]:
        """One row per introduction of a person with a known result: its features at proposal
        time and whether it helped (outcome nuttig) or not (declined, niet nuttig, geen
        contact). Regions, practices and communities are answered for by staff, so they do not
        teach what people want."""
        rows = []
        for i in self.rules.introductions().values():
            if not i.features or i.candidate_label != "Member":  # people answer for themselves
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
        (then the hand-set weights rank). Fitted once per store version when the broker
        was given ``remember``."""
        def fit() -> Weights | None:
            rows = self.training_rows()
            return fit_weights(rows, self.weights) if rows else None

        result: Weights | None = self.remember(f"learned_weights:{self.weights!r}", fit)
        return result

    # -- question status ---------------------------------------------------------------------

    def _others_open(self, question_id: str, introduction_id: str) -> bool:
        others = [i for i in introduction_ids(self.store, question_id) if i != introduction_id]
        waiting = OPEN | {"introduced"}  # proposals nobody approved do not keep it open
        return any(p.get("state") in waiting for p in self.store.props_of(others).values())

    def _any_outcome(self, question_id: str, changed: Introduction) -> bool:
        if changed.state == "closed":
            return True
        others = [i for i in introduction_ids(self.store, question_id) if i != changed.id]
        return any(p.get("state") == "closed" for p in self.store.props_of(others).values())
