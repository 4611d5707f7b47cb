"""Lid worden over the API: anyone applies (no key; the write limit per address applies,
as on the page), staff read the intake queue and take a step on an application."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from schakel.errors import InvalidQueryError
from schakel.graph.model import Application
from schakel.matching.intake import STATE_NL, allowed_actions

from ..application.intake import applications, apply_for_membership, decide
from ..auth import StaffDep
from ..deps import IdParam, StateDep
from ..meet_schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationReceived,
    DecisionIn,
    DecisionOut,
)

public = APIRouter(prefix="/applications", tags=["lid worden"])
router = APIRouter(prefix="/applications", tags=["lid worden"])
State = Literal["pending", "more_info", "approved", "refused"]


def _out(a: Application) -> ApplicationOut:
    return ApplicationOut.model_validate({**a.model_dump(), "state_nl": STATE_NL[a.state],
                                          "actions": allowed_actions(a.state)})


@public.post("", response_model=ApplicationReceived, status_code=201)
def apply(body: ApplicationIn, state: StateDep) -> ApplicationReceived:
    """Apply to become a member (public). Staff approve, ask for more or refuse; on approval
    the new member gets a key from staff. An unknown gemeente, domain or theme is a 422 with
    a Dutch message, and nothing is stored."""
    if not body.agree:
        raise InvalidQueryError("agree", "Geef toestemming dat het regiebureau uw gegevens "
                                         "bewaart; anders kunnen we uw aanmelding niet "
                                         "behandelen.")
    made = apply_for_membership(state, body.model_dump(exclude={"agree"}))
    return ApplicationReceived(id=made.id, state=made.state, message=(
        "Dank u wel. Het regiebureau bekijkt uw aanmelding en neemt contact met u op."))


@router.get("", response_model=list[ApplicationOut])
def queue(state: StateDep, who: StaffDep,
          status: Annotated[State | None, Query(description="Only this state; none: all.")]
          = None) -> list[ApplicationOut]:
    """The intake queue, oldest first. Role: staff (reading it is audited)."""
    return [_out(a) for a in applications(state, who, status)]


@router.post("/{application_id}/actions", response_model=DecisionOut)
def act(application_id: IdParam, body: DecisionIn, state: StateDep,
        who: StaffDep) -> DecisionOut:
    """One step: approve, ask_more (note: the question to the applicant), resume, refuse.
    A step that cannot follow the current state is a 409 and nothing changes. Approval
    answers with the new member's key, once."""
    done = decide(state, who, application_id, body.action, body.note)
    return DecisionOut(application=_out(done.application), member_id=done.member_id,
                       key=done.key, question=done.question)
