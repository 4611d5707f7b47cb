"""The brokering workflow: questions, slates, exclusions, capacity, transitions, opt-in."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schakel.errors import (
    CandidateRefusedError,
    InvalidQueryError,
    TransitionError,
    UnknownReferenceError,
)
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import INTRO_STATES, Introduction, Member, Relationship
from schakel.matching.brokering import PEOPLE, STEPS, Broker, allowed_actions
from schakel.matching.learn import MIN_OUTCOMES
from schakel.matching.ranker import SIGNALS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = ("Onze leerling zit al maanden thuis. Wie heeft ervaring met thuiszitters en "
        "jeugdhulp in de klas, rond Emmen?")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker(seeded_store: LocalGraphStore, matcher: Any, gazetteer: Gazetteer,
           clock: Clock) -> Broker:
    def place_of(name: str) -> str | None:
        place = gazetteer.find(name)
        return place.id if place else None

    return Broker(seeded_store, matcher, place_of=place_of, clock=clock)


def _asker(store: LocalGraphStore) -> str:
    """A member with colleagues and acquaintances, so every exclusion rule has work."""
    for m in store.ids("Member"):
        org = store.neighbour_ids(m, "WORKS_AT")
        if not org or not store.neighbour_ids(m, "ACTIVE_IN"):
            continue
        colleagues = set(store.neighbour_ids(org[0], "WORKS_AT", "in")) - {m}
        known = set(store.neighbour_ids(m, "KNOWS", "both"))
        if len(colleagues - known) > 1 and known - colleagues:
            return m
    raise AssertionError("no member with colleagues and contacts in the seed")


def _open(store: LocalGraphStore) -> list[str]:
    """Members who may be proposed: consent to matching, visible (seeded: ~90 %)."""
    props = store.props_of(store.ids("Member"))
    return [m for m, p in props.items()
            if p.get("consent_matching", True) and p.get("visibility") == "members"]


def _people(slate: Any) -> list[str]:
    return [c.candidate.id for c in slate.candidates if c.kind in PEOPLE]


def _walk(broker: Broker, intro: str, *actions: str, who: str = "staf") -> None:
    for action in actions:
        broker.act(intro, action, who, outcome="nuttig" if action == "outcome" else None)


# -- questions and the queue ------------------------------------------------------------------


def test_a_question_gets_themes_place_and_asker_from_its_text(broker: Broker,
                                                              seeded_store: LocalGraphStore
                                                              ) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna", kind="hulpvraag")
    assert q.status == "nieuw" and q.kind == "hulpvraag" and q.created == T0.isoformat()
    assert "thuiszitters" in [t.id for t in q.themes]
    assert q.place is not None and q.place.name == "Emmen"
    assert q.asker is not None and q.asker.id == asker and q.asker.label == "Member"
    assert q.history[0].who == "anna" and q.history[0].at == T0.isoformat()
    # stored as a graph: ASKED_BY, ABOUT, IN_REGION
    assert seeded_store.neighbour_ids(q.id, "ASKED_BY") == [asker]
    assert seeded_store.neighbour_ids(q.id, "IN_REGION") == ["gm-emmen"]


def test_questions_from_organisations_and_regions(broker: Broker,
                                                  seeded_store: LocalGraphStore) -> None:
    org = seeded_store.ids("Organisation")[0]
    q = broker.ask("Hoe organiseren we zorg in onderwijstijd?", org, "anna",
                   themes=[], place="Zwolle")
    assert q.asker is not None and q.asker.label == "Organisation" and q.themes == []
    assert q.place is not None and q.place.name == "Zwolle"
    r = broker.ask("Welke regio heeft een goede aanpak voor thuiszitters?", "gm-emmen", "anna")
    assert r.asker is not None and r.asker.label == "Region"


@pytest.mark.parametrize("kwargs", [
    {"text": "ab"}, {"asker": "nobody"}, {"asker": "thuiszitters"}, {"place": "Atlantis"},
    {"themes": ["geen-thema"]}, {"kind": "klaagvraag"},
])
def test_bad_questions_are_refused_and_nothing_is_written(
        broker: Broker, seeded_store: LocalGraphStore, kwargs: dict[str, Any]) -> None:
    args = {"text": TEXT, "asker": _asker(seeded_store), "who": "anna", **kwargs}
    before = seeded_store.count("Question")
    with pytest.raises((InvalidQueryError, UnknownReferenceError)) as info:
        broker.ask(**args)
    assert str(info.value)
    assert seeded_store.count("Question") == before


def test_the_queue_is_oldest_first_and_filters_by_status(broker: Broker, clock: Clock,
                                                         seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    ids = []
    for text in ("Tweede vraag over autisme", "Derde vraag over dyslexie"):
        clock.advance(1)
        ids.append(broker.ask(text, asker, "anna", themes=[]).id)
    first = broker.ask("Eerste vraag over thuiszitters", asker, "anna", themes=[],
                       created=(T0 - timedelta(days=3)).isoformat())
    assert [q.id for q in broker.queue()] == [first.id, *ids]
    broker.set_status(ids[0], "afgerond", "bert", note="dubbel")
    assert [q.id for q in broker.queue("nieuw")] == [first.id, ids[1]]
    assert [q.id for q in broker.queue("afgerond")] == [ids[0]]
    with pytest.raises(InvalidQueryError):
        broker.queue("weg")


def test_staff_edit_themes_and_it_is_recorded(broker: Broker,
                                              seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    edited = broker.set_themes(q.id, ["passend_onderwijs", "thuiszitters"], "bert",
                               note="ook passend onderwijs")
    assert sorted(t.id for t in edited.themes) == ["passend_onderwijs", "thuiszitters"]
    last = edited.history[-1]
    assert (last.who, last.action, last.note) == ("bert", "thema's aangepast",
                                                  "ook passend onderwijs")
    with pytest.raises(UnknownReferenceError):
        broker.set_themes(q.id, ["bestaat-niet"], "bert")
    assert sorted(t.id for t in broker.question(q.id).themes) == ["passend_onderwijs",
                                                                   "thuiszitters"]


# -- the slate --------------------------------------------------------------------------------


def test_the_slate_mixes_kinds_with_reasons_and_is_stored(broker: Broker,
                                                          seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    slate = broker.build_slate(q.id, "anna")
    kinds = {c.kind for c in slate.candidates}
    assert kinds & set(PEOPLE) and {"region", "practice", "community"} <= kinds
    assert 5 <= len(slate.candidates) <= 10
    for c in slate.candidates:
        assert c.state == "proposed" and c.reasons and c.actions == ["approve", "drop"]
        assert seeded_store.neighbour_ids(c.id, "FOR") == [q.id]
        assert seeded_store.neighbour_ids(c.id, "SUGGESTS") == [c.candidate.id]
    assert [c.rank for c in slate.candidates] == list(range(1, len(slate.candidates) + 1))
    assert slate.built and slate.took_ms > 0
    assert slate.question.status == "in behandeling"
    assert slate.question.history[-1].action == "voorstel gemaakt"
    # a second call keeps the stored slate
    again = broker.build_slate(q.id, "bert")
    assert not again.built
    assert [c.id for c in again.candidates] == [c.id for c in slate.candidates]


def test_peer_regions_leave_out_the_asked_place(broker: Broker,
                                                seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    regions = [c.candidate.id for c in broker.build_slate(q.id, "anna").candidates
               if c.kind == "region"]
    assert regions and "gm-emmen" not in regions


# -- exclusions -------------------------------------------------------------------------------


def test_exclusions_follow_every_rule(broker: Broker, seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    org = seeded_store.neighbour_ids(asker, "WORKS_AT")[0]
    colleagues = set(seeded_store.neighbour_ids(org, "WORKS_AT", "in")) - {asker}
    known = set(seeded_store.neighbour_ids(asker, "KNOWS", "both"))
    q = broker.ask(TEXT, asker, "anna")
    rules = broker.exclusions(q.id)
    assert rules[asker] == "self"
    for c in colleagues - known:
        assert rules[c] == "own_organisation"
    for k in known - colleagues:
        assert rules[k] == "knows"
    slate = broker.build_slate(q.id, "anna")
    assert not set(_people(slate)) & (colleagues | known | {asker})
    assert slate.excluded["own_organisation"] >= 1 and slate.excluded["knows"] >= 1
    # asked for own organisation: colleagues may come
    own = broker.ask(TEXT, asker, "anna", own_organisation=True)
    rules = broker.exclusions(own.id)
    assert not any(rules.get(c) == "own_organisation" for c in colleagues)


def test_a_colleague_cannot_be_added_unless_asked(broker: Broker,
                                                  seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    org = seeded_store.neighbour_ids(asker, "WORKS_AT")[0]
    known = set(seeded_store.neighbour_ids(asker, "KNOWS", "both"))
    colleague = next(c for c in seeded_store.neighbour_ids(org, "WORKS_AT", "in")
                     if c != asker and c not in known and c in _open(seeded_store))
    q = broker.ask(TEXT, asker, "anna")
    before = seeded_store.count("Introduction")
    with pytest.raises(CandidateRefusedError) as info:
        broker.add_candidate(q.id, colleague, "anna")
    assert info.value.rule == "own_organisation" and "organisatie" in str(info.value)
    assert seeded_store.count("Introduction") == before
    own = broker.ask(TEXT, asker, "anna", own_organisation=True)
    assert broker.add_candidate(own.id, colleague, "anna", note="collega gevraagd").state \
        == "proposed"


def test_people_already_connected_are_not_proposed(broker: Broker,
                                                   seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    top = _people(broker.build_slate(q.id, "anna"))[0]
    seeded_store.upsert_relationships([Relationship.of("KNOWS", top, asker)])
    q2 = broker.ask(TEXT, asker, "anna")
    assert broker.exclusions(q2.id)[top] == "knows"
    assert top not in _people(broker.build_slate(q2.id, "anna"))
    with pytest.raises(CandidateRefusedError, match="kent de vrager al"):
        broker.add_candidate(q2.id, top, "anna")


def test_an_earlier_introduction_on_the_theme_excludes(broker: Broker, clock: Clock,
                                                       seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    first = next(c for c in broker.build_slate(q.id, "anna").candidates if c.kind in PEOPLE)
    _walk(broker, first.id, "approve", "candidate_accept", "asker_accept", "introduce")
    clock.advance(60)  # long after any cool-down
    again = broker.ask(TEXT, asker, "anna")
    assert broker.exclusions(again.id)[first.candidate.id] == "earlier"
    assert first.candidate.id not in _people(broker.build_slate(again.id, "anna"))
    # another theme: no objection
    other = broker.ask("Wie weet iets van licht verstandelijke beperking?", asker, "anna",
                       themes=["lvb"])
    assert first.candidate.id not in broker.exclusions(other.id)


def test_staff_entered_conflicts_exclude(broker: Broker,
                                         seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    people = _people(broker.build_slate(q.id, "anna"))
    person, other = people[0], people[1]
    rel = broker.add_conflict(person, asker, "bert", note="zelfde bestuur, gevoelig")
    assert rel.props["by"] == "bert" and rel.props["at"] == T0.isoformat()
    # a conflict with another organisation covers everyone working there
    other_org = seeded_store.neighbour_ids(other, "WORKS_AT")[0]
    broker.add_conflict(asker, other_org, "bert")
    q2 = broker.ask(TEXT, asker, "anna")
    rules = broker.exclusions(q2.id)
    assert rules[person] == "conflict" and rules[other] == "conflict"
    assert not {person, other} & set(_people(broker.build_slate(q2.id, "anna")))
    assert len(broker.conflicts()) == 2
    assert broker.remove_conflict(person, asker)
    assert broker.exclusions(broker.ask(TEXT, asker, "anna").id).get(person) != "conflict"
    with pytest.raises(UnknownReferenceError):
        broker.add_conflict(person, person, "bert")


# -- capacity and cool-down -------------------------------------------------------------------


def _asked(broker: Broker, seeded_store: LocalGraphStore, member: str, times: int,
           clock: Clock) -> list[str]:
    """Ask ``member`` ``times`` times (staff add and approve), each for another asker."""
    askers = [m for m in seeded_store.ids("Member") if m != member][-times:]
    out = []
    for asker in askers:
        q = broker.ask("Wie kan meedenken over samenwerking?", asker, "anna", themes=[])
        intro = broker.add_candidate(q.id, member, "anna")
        broker.act(intro.id, "approve", "anna")
        out.append(intro.id)
        clock.advance(0.01)
    return out


def test_a_member_at_capacity_is_never_in_the_slate(broker: Broker, clock: Clock,
                                                    seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    top = _people(broker.build_slate(q.id, "anna"))[0]
    broker.set_capacity(top, "bert", capacity=2, cooldown_days=0)
    _asked(broker, seeded_store, top, 2, clock)
    load = broker.loads([top])[top]
    assert (load.open, load.capacity, load.blocked) == (2, 2, "capacity")
    assert load.asked_this_month == 2 and "al 2× gevraagd deze maand" in load.text
    q2 = broker.ask(TEXT, asker, "anna")
    assert broker.exclusions(q2.id)[top] == "capacity"
    assert top not in _people(broker.build_slate(q2.id, "anna"))
    with pytest.raises(CandidateRefusedError, match="maximale"):
        broker.add_candidate(q2.id, top, "anna")
    # capacity 0 pauses someone
    broker.set_capacity(top, "bert", capacity=0)
    assert broker.exclusions(broker.ask(TEXT, asker, "anna").id)[top] == "paused"
    with pytest.raises(InvalidQueryError):
        broker.set_capacity(top, "bert", capacity=-1)


def test_approving_beyond_capacity_is_refused(broker: Broker,
                                              seeded_store: LocalGraphStore) -> None:
    """The cap holds at the moment of asking, not only when the slate was made."""
    member = seeded_store.ids("Member")[10]
    broker.set_capacity(member, "bert", capacity=1, cooldown_days=0)
    askers = seeded_store.ids("Member")[-2:]
    waiting = []
    for asker in askers:
        q = broker.ask("Wie kan meedenken over samenwerking?", asker, "anna", themes=[])
        waiting.append(broker.add_candidate(q.id, member, "anna").id)
    broker.act(waiting[0], "approve", "anna")
    version = seeded_store.version
    with pytest.raises(CandidateRefusedError) as info:
        broker.act(waiting[1], "approve", "anna")
    assert info.value.rule == "capacity"
    assert seeded_store.version == version  # nothing written
    assert broker.introduction(waiting[1]).state == "proposed"
    # once the first request ends, the second may go
    broker.act(waiting[0], "candidate_decline", "anna")
    assert broker.act(waiting[1], "approve", "anna").state == "approved"


def test_cool_down_after_being_asked(broker: Broker, clock: Clock,
                                     seeded_store: LocalGraphStore) -> None:
    member = _open(seeded_store)[20]
    broker.set_capacity(member, "bert", capacity=5, cooldown_days=7)
    _asked(broker, seeded_store, member, 1, clock)
    q = broker.ask("Wie kan meedenken over samenwerking?", seeded_store.ids("Member")[0],
                   "anna", themes=[])
    assert broker.exclusions(q.id)[member] == "cooldown"
    clock.advance(6)
    assert broker.exclusions(q.id)[member] == "cooldown"
    clock.advance(1.1)
    assert member not in broker.exclusions(q.id)
    assert broker.loads([member])[member].blocked == ""


def test_asked_this_month_counts_thirty_days(broker: Broker, clock: Clock,
                                             seeded_store: LocalGraphStore) -> None:
    member = seeded_store.ids("Member")[30]
    broker.set_capacity(member, "bert", capacity=10, cooldown_days=0)
    _asked(broker, seeded_store, member, 3, clock)
    assert broker.loads([member])[member].asked_this_month == 3
    clock.advance(31)
    load = broker.loads([member])[member]
    assert load.asked_this_month == 0 and load.open == 3


# -- transitions ------------------------------------------------------------------------------

PATHS = {
    "proposed": (),
    "approved": ("approve",),
    "dropped": ("drop",),
    "candidate_accepted": ("approve", "candidate_accept"),
    "candidate_declined": ("approve", "candidate_decline"),
    "asker_accepted": ("approve", "candidate_accept", "asker_accept"),
    "asker_declined": ("approve", "candidate_accept", "asker_decline"),
    "introduced": ("approve", "candidate_accept", "asker_accept", "introduce"),
    "closed": ("approve", "candidate_accept", "asker_accept", "introduce", "outcome"),
}
REFUSED = [(state, action) for state, action in itertools.product(INTRO_STATES, STEPS)
           if action not in allowed_actions(state)]


def _fresh_intro(broker: Broker, seeded_store: LocalGraphStore, n: int) -> str:
    member = _open(seeded_store)[40 + n]
    broker.set_capacity(member, "bert", capacity=5, cooldown_days=0)
    q = broker.ask("Wie kan meedenken over samenwerking?", seeded_store.ids("Member")[-1],
                   "anna", themes=[])
    return broker.add_candidate(q.id, member, "anna").id


def test_paths_cover_every_state() -> None:
    assert set(PATHS) == set(INTRO_STATES)
    assert len(REFUSED) > 50


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_invalid_transitions_are_refused_and_write_nothing(
        broker: Broker, seeded_store: LocalGraphStore, state: str, action: str) -> None:
    intro = _fresh_intro(broker, seeded_store, 0)
    _walk(broker, intro, *PATHS[state])
    assert broker.introduction(intro).state == state
    version = seeded_store.version
    with pytest.raises(TransitionError) as info:
        broker.act(intro, action, "anna", outcome="nuttig")
    message = str(info.value)
    assert "kan niet" in message and info.value.state == state
    assert ("nu kan" in message) or ("afgesloten" in message)
    assert seeded_store.version == version
    assert broker.introduction(intro).state == state


def test_unknown_actions_and_outcomes_are_refused(broker: Broker,
                                                  seeded_store: LocalGraphStore) -> None:
    intro = _fresh_intro(broker, seeded_store, 1)
    with pytest.raises(TransitionError, match="onbekende actie"):
        broker.act(intro, "teleport", "anna")
    _walk(broker, intro, *PATHS["introduced"])
    with pytest.raises(InvalidQueryError, match="uitkomst"):
        broker.act(intro, "outcome", "anna", outcome="geweldig")
    assert broker.introduction(intro).state == "introduced"


def test_the_whole_path_is_recorded_with_who_and_when(broker: Broker, clock: Clock,
                                                      seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    slate = broker.build_slate(q.id, "anna")
    chosen, dropped = slate.candidates[0], slate.candidates[1]
    broker.act(dropped.id, "drop", "bert", note="past niet")
    steps = [("approve", "bert"), ("candidate_accept", "carla"), ("asker_accept", "carla"),
             ("introduce", "bert"), ("outcome", "bert")]
    for n, (action, who) in enumerate(steps):
        clock.advance(1)
        view = broker.act(chosen.id, action, who, note=f"stap {n}",
                          outcome="nuttig" if action == "outcome" else None)
    assert view.state == "closed" and view.outcome == "nuttig"
    assert view.approved_at == (T0 + timedelta(days=1)).isoformat()
    assert view.outcome_at == (T0 + timedelta(days=5)).isoformat()
    assert [(e.action, e.who) for e in view.history[1:]] == steps
    assert all(e.at for e in view.history)
    question = broker.question(q.id)
    assert question.status == "afgerond"
    actions = [(e.action, e.who, e.introduction) for e in question.history]
    assert ("drop", "bert", dropped.id) in actions
    assert ("outcome", "bert", chosen.id) in actions
    assert broker.introduction(dropped.id).note == "past niet"
    raw = seeded_store.get(chosen.id)
    assert isinstance(raw, Introduction)
    assert all(json.loads(h)["who"] for h in raw.history)


def test_question_status_follows_the_introductions(broker: Broker,
                                                   seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    assert broker.question(q.id).status == "nieuw"
    slate = broker.build_slate(q.id, "anna")
    assert broker.question(q.id).status == "in behandeling"
    a, b = slate.candidates[0].id, slate.candidates[1].id
    _walk(broker, a, "approve")
    _walk(broker, b, "approve")
    assert broker.question(q.id).status == "voorgesteld"
    _walk(broker, a, "candidate_accept", "asker_accept", "introduce", "outcome")
    assert broker.question(q.id).status == "voorgesteld"  # b still waits on its candidate
    _walk(broker, b, "candidate_decline")
    assert broker.question(q.id).status == "afgerond"


# -- double opt-in ----------------------------------------------------------------------------


def test_contact_details_only_after_both_accepted(broker: Broker,
                                                  seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    node = seeded_store.get(asker)
    assert isinstance(node, Member)
    seeded_store.upsert_nodes([node.model_copy(update={"contact": "vrager@voorbeeld.example",
                                                       "consent_contact": True})])
    q = broker.ask(TEXT, asker, "anna")
    intro = next(c for c in broker.build_slate(q.id, "anna").candidates if c.kind in PEOPLE)
    cand = seeded_store.get(intro.candidate.id)
    assert isinstance(cand, Member)
    seeded_store.upsert_nodes([cand.model_copy(update={"contact": "kandidaat@voorbeeld.example",
                                                       "consent_contact": False})])
    for action in ("approve", "candidate_accept"):
        view = broker.act(intro.id, action, "anna")
        assert view.contact is None
    view = broker.act(intro.id, "asker_accept", "anna")
    assert view.contact is not None
    # the candidate did not consent to sharing contact details: via the regiebureau
    assert view.contact["candidate"]["contact"] == "via het regiebureau"
    assert view.contact["candidate"]["name"] == cand.name
    assert view.contact["asker"]["contact"] == "vrager@voorbeeld.example"
    seeded_store.upsert_nodes([cand.model_copy(update={"contact": "kandidaat@voorbeeld.example",
                                                       "consent_contact": True})])
    shared = broker.act(intro.id, "introduce", "anna").contact
    assert shared is not None and shared["candidate"]["contact"] == "kandidaat@voorbeeld.example"


def test_no_contact_details_after_a_decline(broker: Broker,
                                            seeded_store: LocalGraphStore) -> None:
    intro = _fresh_intro(broker, seeded_store, 2)
    _walk(broker, intro, "approve", "candidate_accept", "asker_decline")
    assert broker.introduction(intro).contact is None


# -- recurring themes -------------------------------------------------------------------------


def test_a_theme_asked_in_several_regions_proposes_a_group(broker: Broker,
                                                           seeded_store: LocalGraphStore) -> None:
    asker = _asker(seeded_store)
    old = broker.ask("Thuiszitters in Groningen", asker, "anna", themes=["thuiszitters"],
                     place="Groningen", created=(T0 - timedelta(days=120)).isoformat())
    for place in ("Zwolle", "Tilburg"):
        broker.ask(f"Thuiszitters in {place}", asker, "anna", themes=["thuiszitters"],
                   place=place)
    q = broker.ask(TEXT, asker, "anna")
    slate = broker.build_slate(q.id, "anna")
    notice = next(n for n in slate.notices if n.theme.id == "thuiszitters")
    assert sorted(notice.regions) == ["Emmen", "Tilburg", "Zwolle"]
    assert old.id not in notice.questions
    assert "3 regio's" in notice.text and "in plaats van" in notice.text
    assert "community" in notice.text or "groepssessie" in notice.text
    # the communities about the theme come first, saying why
    assert notice.communities
    first = slate.candidates[0]
    assert first.kind == "community" and first.candidate.id == notice.communities[0].id
    assert notice.text in first.reasons
    on_slate = {c.candidate.id for c in slate.candidates}
    assert {c.id for c in notice.communities} <= on_slate
    # two regions are not enough
    other = broker.ask("Wie weet iets van hoogbegaafdheid?", asker, "anna",
                       themes=["passend_onderwijs"], place="Zwolle")
    assert not [n for n in broker.notices(other.id) if n.theme.id == "passend_onderwijs"]


# -- learning rows ----------------------------------------------------------------------------


def test_outcomes_become_training_rows(broker: Broker, seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    slate = broker.build_slate(q.id, "anna")
    good, bad, open_ = [c.id for c in slate.candidates if c.kind in PEOPLE][:3]
    _walk(broker, good, "approve", "candidate_accept", "asker_accept", "introduce", "outcome")
    _walk(broker, bad, "approve", "candidate_decline")
    _walk(broker, open_, "approve")
    stored = seeded_store.get(good)
    assert isinstance(stored, Introduction)
    assert stored.feature_names == list(SIGNALS) and len(stored.features) == len(SIGNALS)
    rows = broker.training_rows()
    assert sorted(useful for _, useful in rows) == [False, True]
    assert set(rows[0][0]) == set(SIGNALS)


def test_enough_outcomes_rank_the_slate_with_learned_weights(
        broker: Broker, seeded_store: LocalGraphStore) -> None:
    q = broker.ask(TEXT, _asker(seeded_store), "anna")
    first = broker.build_slate(q.id, "anna")
    assert not first.learned  # an empty log: hand-set weights
    # a constructed log: introductions that helped had high theme values, the others not;
    # the meaning signal varies without telling anything
    member = seeded_store.ids("Member")[3]
    nodes, rels = [], []
    for n in range(MIN_OUTCOMES + 10):
        useful = n % 2 == 0
        values = dict.fromkeys(SIGNALS, 0.5) | {"theme": 0.9 if useful else 0.1,
                                                "dense": 0.2 + (n % 5) / 10}
        iid = f"intro-log-{n}"
        nodes.append(Introduction(id=iid, state="closed", outcome="nuttig" if useful
                                  else "niet nuttig", features=[values[s] for s in SIGNALS],
                                  feature_names=list(SIGNALS)))
        rels += [Relationship.of("FOR", iid, q.id), Relationship.of("SUGGESTS", iid, member)]
        # staff answer for regions: such rows must not teach what people want
        rid = f"intro-log-region-{n}"
        nodes.append(Introduction(id=rid, state="closed", kind="region", outcome="nuttig",
                                  features=[values[s] for s in SIGNALS],
                                  feature_names=list(SIGNALS)))
        rels += [Relationship.of("FOR", rid, q.id), Relationship.of("SUGGESTS", rid, "gm-emmen")]
    seeded_store.write(nodes, rels)
    assert len(broker.training_rows()) == MIN_OUTCOMES + 10  # people only
    learned = broker.learned_weights()
    assert learned is not None and learned != broker.weights
    assert learned.theme > broker.weights.theme
    again = broker.ask(TEXT, _asker(seeded_store), "anna")
    slate = broker.build_slate(again.id, "anna")
    assert slate.learned
    # learned weights rank people; regions, practices, communities keep the hand-set ones
    def others(s: Any) -> list[str]:
        return [c.candidate.id for c in s.candidates if c.kind not in PEOPLE]

    assert others(slate) == others(first)


# -- demo questions ---------------------------------------------------------------------------


def test_demo_questions_fill_the_queue_once(broker: Broker, seeded_store: LocalGraphStore,
                                            gazetteer: Gazetteer) -> None:
    from schakel.seeds.questions import seed_questions

    assert seed_questions(seeded_store, gazetteer, now=T0) == 8
    assert seed_questions(seeded_store, gazetteer, now=T0) == 0  # again: nothing new
    queue = broker.queue("nieuw")
    assert [q.id for q in queue][:2] == ["q-demo-01", "q-demo-02"]
    assert all(q.themes and q.asker for q in queue)
    notice = broker.notices("q-demo-03")
    assert notice and notice[0].theme.id == "thuiszitters" and len(notice[0].regions) == 3


def test_learned_weights_are_fitted_once_per_remembered_key(
        seeded_store: LocalGraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    kept: dict[str, Any] = {}

    def remember(key: str, compute: Any) -> Any:
        if key not in kept:
            kept[key] = compute()
        return kept[key]

    broker = Broker(seeded_store, remember=remember)
    calls = []
    monkeypatch.setattr(broker, "training_rows", lambda: calls.append(1) or [])
    assert broker.learned_weights() is None and broker.learned_weights() is None
    assert len(calls) == 1


# -- reasons per viewer -----------------------------------------------------------------------


def _keep_private(store: LocalGraphStore, member_id: str, *fields: str) -> None:
    node = store.get(member_id)
    assert isinstance(node, Member)
    store.upsert_nodes([node.model_copy(update={"private_fields": list(fields)})])


def test_the_asker_does_not_read_a_private_theme_in_the_reasons(
        broker: Broker, seeded_store: LocalGraphStore) -> None:
    """Reasons are written for staff; a candidate who keeps themes private is not shown to
    the asker as "Werkt aan ..." (graph/privacy.py decides, when the view is read)."""
    asker = _asker(seeded_store)
    q = broker.ask(TEXT, asker, "anna")
    slate = broker.build_slate(q.id, "anna")
    intro = next(c for c in slate.candidates if c.kind in PEOPLE
                 and any(r.startswith("Werkt aan") for r in c.reasons))
    candidate = intro.candidate.id
    themes = [str(p["name"]) for p in seeded_store.props_of(
        seeded_store.neighbour_ids(candidate, "WORKS_ON")).values()]
    _keep_private(seeded_store, candidate, "themes")
    broker.act(intro.id, "approve", "anna")
    # the candidate reads every reason about themself, but not staff's own words
    own = broker.act(intro.id, "candidate_accept", "anna", member=candidate)
    assert any(r.startswith("Werkt aan") for r in own.reasons)
    mine = next(v for v in broker.of_member(asker) if v.id == intro.id)
    shown = " ".join(mine.reasons)
    assert "Werkt aan" not in shown and not any(t in shown for t in themes), mine.reasons
    assert broker.act(intro.id, "asker_accept", "anna", member=asker).reasons == mine.reasons
    # staff read them all
    staff = broker.introduction(intro.id)
    assert any(r.startswith("Werkt aan") for r in staff.reasons)
    assert staff.reasons == intro.reasons
    # once the candidate shares their themes again, the asker reads them too
    _keep_private(seeded_store, candidate)
    again = next(v for v in broker.of_member(asker) if v.id == intro.id)
    assert again.reasons == staff.reasons


def test_old_plain_text_reasons_are_hidden_from_members_unless_harmless(
        broker: Broker, seeded_store: LocalGraphStore) -> None:
    intro = _fresh_intro(broker, seeded_store, 3)
    _, candidate, asker = broker.parties(intro)
    assert candidate is not None and asker is not None
    node = seeded_store.get(intro)
    assert isinstance(node, Introduction)
    old = ["Werkt aan Autisme (niveau 3)", "In Emmen", "Beschikbaar: een uur per week",
           "Toegevoegd door anna: kent haar van de conferentie"]
    seeded_store.upsert_nodes([node.model_copy(update={"reasons": old})])
    _keep_private(seeded_store, candidate, "themes")
    _walk(broker, intro, "approve", "candidate_accept")
    assert broker.introduction(intro).reasons == old
    mine = next(v for v in broker.of_member(asker) if v.id == intro)
    assert mine.reasons == ["Beschikbaar: een uur per week", "Toegevoegd door het regiebureau"]


def test_contact_leaves_out_what_the_other_keeps_private(
        broker: Broker, seeded_store: LocalGraphStore) -> None:
    intro = _fresh_intro(broker, seeded_store, 4)
    _, candidate, asker = broker.parties(intro)
    assert candidate is not None and asker is not None
    cand = seeded_store.get(candidate)
    assert isinstance(cand, Member)
    seeded_store.upsert_nodes([cand.model_copy(update={"function": "intern begeleider",
                                                       "private_fields": ["function"]})])
    _walk(broker, intro, "approve", "candidate_accept", "asker_accept")
    mine = next(v for v in broker.of_member(asker) if v.id == intro)
    assert mine.contact is not None and mine.contact["candidate"]["function"] == ""
    theirs = next(v for v in broker.of_member(candidate) if v.id == intro)
    assert theirs.contact is not None
    assert theirs.contact["candidate"]["function"] == "intern begeleider"
    staff = broker.introduction(intro)
    assert staff.contact is not None
    assert staff.contact["candidate"]["function"] == "intern begeleider"
