"""A member's own questions to the regiebureau, and their answers to introductions."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Question
from schakel.matching.brokering import Broker, QuestionView

from ..auth import MemberDep, Principal
from ..brokering import BrokerDep, Kind
from ..deps import AppState, StateDep
from .me import own_member

router = APIRouter(prefix="/me", tags=["me"])


class MyQuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=3, max_length=5000)
    kind: Kind = "leervraag"
    place: str | None = Field(None, max_length=100, description=(
        "Gemeente, regio or provincie; read from the text, else your gemeente."))


class MyQuestionOut(BaseModel):
    id: str
    text: str
    kind: str
    status: str
    created: str
    place: str | None
    themes: list[str]


def _mine(q: QuestionView) -> MyQuestionOut:
    """What the asker sees of their question: not staff's notes or history."""
    return MyQuestionOut(id=q.id, text=q.text, kind=q.kind, status=q.status, created=q.created,
                         place=q.place.name if q.place else None,
                         themes=[t.name for t in q.themes])


def ask_as_member(broker: Broker, state: AppState, who: Principal, text: str,
                  kind: str = "leervraag", place: str | None = None) -> QuestionView:
    """The member's own question, with them as the asker, into the regiebureau's queue."""
    member = own_member(state, who)
    return broker.ask(text, member.id, who.user, kind=kind, place=place)


def my_questions(broker: Broker, state: AppState, who: Principal) -> list[QuestionView]:
    member = own_member(state, who)
    ids = state.store.neighbour_ids(member.id, "ASKED_BY", "in")
    found = [q for q in state.store.get_many(ids) if isinstance(q, Question)]
    return [broker.question(q.id) for q in sorted(found, key=lambda q: (q.created, q.id))]


@router.post("/questions", response_model=MyQuestionOut, status_code=status.HTTP_201_CREATED)
def ask(body: MyQuestionIn, broker: BrokerDep, state: StateDep, who: MemberDep
        ) -> MyQuestionOut:
    """Ask the regiebureau a leervraag, hulpvraag or ontwikkelvraag. Role: member."""
    return _mine(ask_as_member(broker, state, who, body.text, body.kind, body.place))


@router.get("/questions", response_model=list[MyQuestionOut])
def questions(broker: BrokerDep, state: StateDep, who: MemberDep) -> list[MyQuestionOut]:
    """Your questions, oldest first, with their status. Role: member."""
    return [_mine(q) for q in my_questions(broker, state, who)]


@router.get("/questions/{question_id}", response_model=MyQuestionOut)
def question(question_id: str, broker: BrokerDep, state: StateDep, who: MemberDep
             ) -> MyQuestionOut:
    """One of your questions (someone else's answers 404). Role: member."""
    for q in my_questions(broker, state, who):
        if q.id == question_id:
            return _mine(q)
    raise NodeNotFoundError(question_id)
