"""A member's own side of brokering: their questions to the regiebureau, and their answers
to requests (as the candidate, or as the asker once the candidate said yes)."""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Question
from schakel.matching.brokering import IntroductionView, QuestionView

from ..access import Principal
from ..context import AppState
from .brokering import audit_contact, make_broker
from .members import own_member


@dataclass(frozen=True)
class Request:
    """An introduction as one member sees it: their side, the question, whether they can
    answer now."""

    view: IntroductionView
    side: str  # "candidate" or "asker"
    question: str
    can_answer: bool


def ask_as_member(ctx: AppState, who: Principal, text: str, kind: str = "leervraag",
                  place: str | None = None) -> QuestionView:
    """The member's own question, with them as the asker, into the regiebureau's queue.

    Raises
    ------
    InvalidQueryError, UnknownReferenceError : the text or the place cannot be used.
    """
    member = own_member(ctx, who)
    return make_broker(ctx).ask(text, member.id, who.user, kind=kind, place=place)


def my_questions(ctx: AppState, who: Principal) -> list[QuestionView]:
    """The member's questions, oldest first."""
    member = own_member(ctx, who)
    broker = make_broker(ctx)
    ids = ctx.store.neighbour_ids(member.id, "ASKED_BY", "in")
    found = [q for q in ctx.store.get_many(ids) if isinstance(q, Question)]
    return [broker.question(q.id) for q in sorted(found, key=lambda q: (q.created, q.id))]


def my_question(ctx: AppState, who: Principal, question_id: str) -> QuestionView:
    """One of the member's questions; someone else's looks absent."""
    for q in my_questions(ctx, who):
        if q.id == question_id:
            return q
    raise NodeNotFoundError(question_id)


def my_introductions(ctx: AppState, who: Principal) -> list[IntroductionView]:
    """Requests to the member and introductions for their questions, once staff approved."""
    if not who.member_id:
        return []
    return make_broker(ctx).of_member(who.member_id)


def my_requests(ctx: AppState, who: Principal) -> list[Request]:
    """The member's introductions with their side and question, for their page."""
    broker = make_broker(ctx)
    out = []
    for view in broker.of_member(who.member_id or ""):
        _, candidate, _asker = broker.parties(view.id)
        question = ctx.store.get(view.question)
        side = "candidate" if candidate == who.member_id else "asker"
        out.append(Request(view, side, question.text if isinstance(question, Question) else "",
                           f"{side}_accept" in view.actions))
    return out


def answer_as_member(ctx: AppState, who: Principal, introduction_id: str, answer: str,
                     note: str = "") -> IntroductionView:
    """The member's yes or no, on the side they are on (candidate or asker).

    Raises
    ------
    NodeNotFoundError : not their introduction (it looks absent).
    TransitionError : the answer cannot follow the current state.
    """
    broker = make_broker(ctx)
    _, candidate, asker = broker.parties(introduction_id)
    if not who.member_id or who.member_id not in (candidate, asker):
        raise NodeNotFoundError(introduction_id)  # not theirs: as if it did not exist
    side = "candidate" if who.member_id == candidate else "asker"
    view = broker.act(introduction_id, f"{side}_{answer}", who.user, note=note,
                      member=who.member_id)
    audit_contact(ctx, who.user, f"{side}_{answer}", view.contact)
    return view
