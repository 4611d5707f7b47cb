"""Voor jou: people to meet where both sides gain, with the reasons per side in Dutch, and
practices and communities about what the member wants to learn. "Kennismaken" starts the
existing double opt-in introduction (a question of the member with the other as candidate,
which staff approve like any other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from schakel.errors import CandidateRefusedError, NodeNotFoundError
from schakel.graph.model import Activity, Community, Practice
from schakel.graph.privacy import shows
from schakel.matching.brokering.states import TERMINAL
from schakel.matching.reciprocal import Pair

from ..access import Principal
from ..context import AppState
from .brokering import make_broker
from .members import own_member

__all__ = ["Suggestion", "ForYou", "for_you", "meet"]

NEAR_KM = 30
LEVEL_NL = {3: "weet veel van", 2: "weet van", 1: "weet iets van"}


@dataclass(frozen=True)
class Suggestion:
    id: str
    name: str
    function: str | None
    place: str
    score: float
    mine: list[str]  # what I gain: "Bram weet veel van autisme, waarover u wilt leren."
    theirs: list[str]  # what they gain
    also: list[str]  # near, another domain
    asked: bool  # a Kennismaken is under way


@dataclass(frozen=True)
class ForYou:
    people: list[Suggestion]
    seeks: list[str]
    offers: list[str]
    practices: list[Practice] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    invitations: list[Community] = field(default_factory=list)  # to join, from staff


def for_you(ctx: AppState, who: Principal, limit: int = 12) -> ForYou:
    """The member's suggestions, best first. Reading them is audited like a member list."""
    me = own_member(ctx, who)
    index = ctx.reciprocal()
    pairs = index.suggest(me.id, limit)
    person = index.people.get(me.id)
    seeks = sorted(person.seeks) if person else []
    offers = sorted(person.offers) if person else []
    ids = {t for p in pairs for t in p.themes} | set(seeks) | set(offers)
    ids |= {p.candidate.place for p in pairs if p.candidate.place}
    ids |= {d for p in pairs for d in p.candidate.domains}
    ids |= {p.met_at for p in pairs if p.met_at}
    props = ctx.store.props_of([p.candidate.id for p in pairs])
    names = {i: str(p.get("name") or p.get("title") or i)
             for i, p in ctx.store.props_of(sorted(ids)).items()}
    asked = _under_way(ctx, me.id)
    people = [_suggestion(p, names, props.get(p.candidate.id, {}), p.candidate.id in asked)
              for p in pairs]
    ctx.access.audit(who.user, "voor jou gelezen", "*", f"{len(people)} leden")
    about = set(seeks) | {t for t, ups in index.up.items() if ups & set(seeks)}
    found = {i for t in sorted(about) for i in ctx.store.neighbour_ids(t, "ABOUT", "in")}
    nodes = ctx.store.get_many(sorted(found))
    now = datetime.now(UTC)
    coming = sorted((n for n in nodes if isinstance(n, Activity)
                     and datetime.fromisoformat(n.ends) >= now),
                    key=lambda a: datetime.fromisoformat(a.starts))
    invited = [c for c in ctx.store.get_many(ctx.store.neighbour_ids(me.id, "INVITED_TO"))
               if isinstance(c, Community)]
    return ForYou(people, [names.get(t, t) for t in seeks], [names.get(t, t) for t in offers],
                  [n for n in nodes if isinstance(n, Practice)][:5],
                  [n for n in nodes if isinstance(n, Community)][:5], coming[:5], invited)


def _suggestion(p: Pair, names: dict[str, str], props: dict[str, object],
                asked: bool) -> Suggestion:
    first = p.candidate.name.split()[0]
    mine = []
    for sought, offered, level, stated in p.mine.matches:
        verb = LEVEL_NL[level] if stated else "werkt aan"
        if sought == offered:
            mine.append(f"{first} {verb} {names.get(offered, offered)}, waarover u wilt leren.")
        else:
            mine.append(f"{first} {verb} {names.get(offered, offered)}; u wilt leren over "
                        f"{names.get(sought, sought)}.")
    theirs = []
    for sought, offered, _level, stated in p.theirs.matches:
        what = "waar u veel van weet" if stated else "waar u aan werkt"
        if sought == offered:
            theirs.append(f"{first} wil leren over {names.get(sought, sought)}, {what}.")
        else:
            theirs.append(f"{first} wil leren over {names.get(sought, sought)}; u brengt "
                          f"{names.get(offered, offered)}.")
    also = []
    place = names.get(p.candidate.place or "", "")
    if p.km is not None and place:
        km = round(p.km)
        also.append(f"Dichtbij: {place} (ongeveer {km} km)." if km <= NEAR_KM
                    else f"In {place}, ongeveer {km} km verderop.")
    if p.cross_domain:
        domains = ", ".join(sorted(names.get(d, d) for d in p.candidate.domains))
        also.append(f"Uit een ander domein ({domains}): een andere blik.")
    if p.met_at:  # both were there, so naming the activity tells neither anything new
        also.append(f"U heeft {first} al ontmoet bij {names.get(p.met_at, 'een activiteit')}.")
    function = props.get("function") if shows(props, "function", "member") else None
    return Suggestion(p.candidate.id, p.candidate.name, str(function) if function else None,
                      place, p.score, mine, theirs, also, asked)


def _under_way(ctx: AppState, member_id: str) -> set[str]:
    """People the member asked to meet whose introduction has not ended."""
    store = ctx.store
    intros = [i for q in store.neighbour_ids(member_id, "ASKED_BY", "in")
              for i in store.neighbour_ids(q, "FOR", "in")]
    states = store.props_of(intros)
    return {c for i in intros if states.get(i, {}).get("state") not in TERMINAL
            for c in store.neighbour_ids(i, "SUGGESTS")}


def meet(ctx: AppState, who: Principal, other: str) -> str:
    """Kennismaken: the member's question to meet ``other``, with ``other`` as the candidate
    (source staff, state proposed). Staff approve it; then ``other`` says yes or no, then the
    member (double opt-in). Returns the question id.

    Raises
    ------
    NodeNotFoundError : ``other`` is not among the member's suggestions (hidden looks absent).
    CandidateRefusedError : ``other`` may not be asked now (capacity, cool-down, …) or was
        asked already; nothing is left behind.
    """
    me = own_member(ctx, who)
    pair = next((p for p in ctx.reciprocal().suggest(me.id, 200) if p.candidate.id == other),
                None)
    if pair is None:
        raise NodeNotFoundError(other)
    if other in _under_way(ctx, me.id):
        raise CandidateRefusedError(other, "on_slate",
                                    f"U vroeg al om kennis te maken met {pair.candidate.name}.")
    names = {i: str(p.get("name", i)) for i, p in ctx.store.props_of(list(pair.themes)).items()}
    text = (f"Kennismaken met {pair.candidate.name} (via Voor jou), over "
            + ", ".join(names.get(t, t) for t in pair.themes) + ".")
    broker = make_broker(ctx)
    place = ctx.reciprocal().people[me.id].place
    question = broker.ask(text, me.id, who.user, kind="leervraag", place=place,
                          themes=list(pair.themes))
    try:
        broker.add_candidate(question.id, other, who.user, note="gevraagd via Voor jou")
    except CandidateRefusedError:
        ctx.store.delete([question.id])  # no question without its candidate
        raise
    ctx.access.audit(who.user, "kennismaken gevraagd", other)
    return question.id
