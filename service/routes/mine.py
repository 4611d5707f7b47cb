"""A member's own questions to the regiebureau."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from schakel.matching.brokering import QuestionView

from ..application.questions import ask_as_member, my_question, my_questions
from ..auth import MemberDep
from ..brokering_schemas import Kind
from ..deps import IdParam, StateDep

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


@router.post("/questions", response_model=MyQuestionOut, status_code=status.HTTP_201_CREATED)
def ask(body: MyQuestionIn, state: StateDep, who: MemberDep) -> MyQuestionOut:
    """Ask the regiebureau a leervraag, hulpvraag or ontwikkelvraag. Role: member."""
    return _mine(ask_as_member(state, who, body.text, body.kind, body.place))


@router.get("/questions", response_model=list[MyQuestionOut])
def questions(state: StateDep, who: MemberDep) -> list[MyQuestionOut]:
    """Your questions, oldest first, with their status. Role: member."""
    return [_mine(q) for q in my_questions(state, who)]


@router.get("/questions/{question_id}", response_model=MyQuestionOut)
def question(question_id: IdParam, state: StateDep, who: MemberDep) -> MyQuestionOut:
    """One of your questions (someone else's answers 404). Role: member."""
    return _mine(my_question(state, who, question_id))
