"""Questions (leervragen) and their slates: the regiebureau's brokering queue. Role: staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..application.notices import start_group
from ..auth import StaffDep
from ..brokering_schemas import (
    CandidateIn,
    IntroductionOut,
    NoteIn,
    QuestionIn,
    QuestionOut,
    QuestionsOut,
    SlateOut,
    Status,
    StatusIn,
    ThemesIn,
)
from ..deps import BrokerDep, IdParam, StateDep
from ..meet_schemas import StartedOut, StartIn

router = APIRouter(prefix="/questions", tags=["brokering"])


@router.post("", response_model=QuestionOut, status_code=201)
def ask(body: QuestionIn, broker: BrokerDep, who: StaffDep) -> QuestionOut:
    """Take a question in. Its themes and place are read from the text unless given; staff
    can correct the themes afterwards."""
    q = broker.ask(body.text, body.asker, who.user, kind=body.kind, place=body.place,
                   themes=body.themes, own_organisation=body.own_organisation)
    return QuestionOut.model_validate(q)


@router.get("", response_model=QuestionsOut)
def queue(broker: BrokerDep, _who: StaffDep,
          status: Annotated[Status | None, Query(description="Only this status.")] = None
          ) -> QuestionsOut:
    """The brokering queue, oldest first (introductions left out: see one question)."""
    data = [QuestionOut.model_validate(q) for q in broker.queue(status)]
    return QuestionsOut(data=data, count=len(data))


@router.get("/{question_id}", response_model=QuestionOut)
def question(question_id: IdParam, broker: BrokerDep, _who: StaffDep) -> QuestionOut:
    """One question with its introductions and its history (who did what, when)."""
    return QuestionOut.model_validate(broker.question(question_id))


@router.put("/{question_id}/themes", response_model=QuestionOut)
def set_themes(question_id: IdParam, body: ThemesIn, broker: BrokerDep,
               who: StaffDep) -> QuestionOut:
    return QuestionOut.model_validate(broker.set_themes(question_id, body.themes, who.user,
                                                        body.note))


@router.put("/{question_id}/status", response_model=QuestionOut)
def set_status(question_id: IdParam, body: StatusIn, broker: BrokerDep,
               who: StaffDep) -> QuestionOut:
    return QuestionOut.model_validate(broker.set_status(question_id, body.status, who.user,
                                                        body.note))


@router.post("/{question_id}/notes", response_model=QuestionOut)
def add_note(question_id: IdParam, body: NoteIn, broker: BrokerDep, who: StaffDep) -> QuestionOut:
    return QuestionOut.model_validate(broker.note(question_id, body.note, who.user))


@router.post("/{question_id}/slate", response_model=SlateOut)
def build_slate(question_id: IdParam, broker: BrokerDep, who: StaffDep,
                response: Response) -> SlateOut:
    """Propose a diversified slate (people, peer regions, practices, communities) with Dutch
    reasons, leaving out excluded people and people at capacity. A question keeps its first
    slate (201 when built now, 200 when it existed)."""
    slate = broker.build_slate(question_id, who.user)
    response.status_code = 201 if slate.built else 200
    return SlateOut.model_validate(slate)


@router.get("/{question_id}/slate", response_model=SlateOut)
def slate(question_id: IdParam, broker: BrokerDep, _who: StaffDep) -> SlateOut:
    return SlateOut.model_validate(broker.slate(question_id))


@router.post("/{question_id}/candidates", response_model=IntroductionOut, status_code=201)
def add_candidate(question_id: IdParam, body: CandidateIn, broker: BrokerDep,
                  who: StaffDep) -> IntroductionOut:
    """Add a candidate by hand; refused (409) when a rule excludes them."""
    return IntroductionOut.model_validate(broker.add_candidate(question_id, body.candidate,
                                                               who.user, body.note))


@router.post("/{question_id}/notices/{theme_id}/start", response_model=StartedOut,
             status_code=201)
def start_from_notice(question_id: IdParam, theme_id: IdParam, body: StartIn,
                      state: StateDep, who: StaffDep) -> StartedOut:
    """The notice "this theme was asked in 3 or more regions" starts a community or an
    intervisie group for the theme, with the members behind those questions invited (where
    they consent to matching). Once per theme and kind; no notice (any more): 409."""
    done = start_group(state, who, question_id, theme_id, body.kind, body.name)
    return StartedOut(community=done.community, invited=len(done.invited),
                      left_out=done.left_out)
