"""Introductions: staff move them through their states; a member answers their own requests.

Contact details are in an introduction only once both sides accepted (double opt-in).
"""

from __future__ import annotations

from fastapi import APIRouter

from schakel.matching.brokering import IntroductionView

from ..application.brokering import act as staff_act
from ..application.questions import answer_as_member, my_introductions
from ..auth import MemberDep, StaffDep
from ..brokering_schemas import ActionIn, AnswerIn, IntroductionOut
from ..deps import BrokerDep, IdParam, StateDep

router = APIRouter(prefix="/introductions", tags=["brokering"])


@router.get("/mine", response_model=list[IntroductionOut])
def mine(state: StateDep, who: MemberDep) -> list[IntroductionOut]:
    """Requests to you (as candidate) and introductions for your questions, once staff
    approved them. Role: member."""
    return [_for_member(v) for v in my_introductions(state, who)]


@router.get("/{introduction_id}", response_model=IntroductionOut)
def introduction(introduction_id: IdParam, broker: BrokerDep, _who: StaffDep) -> IntroductionOut:
    return IntroductionOut.model_validate(broker.introduction(introduction_id))


@router.post("/{introduction_id}/actions", response_model=IntroductionOut)
def act(introduction_id: IdParam, body: ActionIn, state: StateDep, who: StaffDep
        ) -> IntroductionOut:
    """One step: approve, drop, candidate_accept/decline, asker_accept/decline (staff on the
    side's behalf), introduce, outcome (nuttig, niet nuttig, geen contact). A step that
    cannot follow the current state is refused with 409 and nothing changes."""
    view = staff_act(state, who, introduction_id, body.action, note=body.note,
                     outcome=body.outcome)
    return IntroductionOut.model_validate(view)


@router.post("/{introduction_id}/answer", response_model=IntroductionOut)
def answer(introduction_id: IdParam, body: AnswerIn, state: StateDep, who: MemberDep
           ) -> IntroductionOut:
    """A member says yes or no to a request: as the candidate, or as the asker once the
    candidate said yes. Role: member (the candidate or the asker themself)."""
    return _for_member(answer_as_member(state, who, introduction_id, body.answer, body.note))


def _for_member(view: IntroductionView) -> IntroductionOut:
    """Staff's notes, history and load figures stay with staff."""
    out = IntroductionOut.model_validate(view)
    return out.model_copy(update={"history": [], "note": "", "load": None})
