"""Introductions: staff move them through their states; a member answers their own requests.

Contact details are in an introduction only once both sides accepted (double opt-in).
"""

from __future__ import annotations

from fastapi import APIRouter

from schakel.errors import NodeNotFoundError
from schakel.matching.brokering import Broker, IntroductionView

from ..auth import MemberDep, Principal, StaffDep
from ..brokering import ActionIn, AnswerIn, BrokerDep, IntroductionOut
from ..deps import AppState, StateDep

router = APIRouter(prefix="/introductions", tags=["brokering"])


@router.get("/mine", response_model=list[IntroductionOut])
def mine(broker: BrokerDep, who: MemberDep) -> list[IntroductionOut]:
    """Requests to you (as candidate) and introductions for your questions, once staff
    approved them. Role: member."""
    if not who.member_id:
        return []
    return [_for_member(v) for v in broker.of_member(who.member_id)]


@router.get("/{introduction_id}", response_model=IntroductionOut)
def introduction(introduction_id: str, broker: BrokerDep, _who: StaffDep) -> IntroductionOut:
    return IntroductionOut.model_validate(broker.introduction(introduction_id))


@router.post("/{introduction_id}/actions", response_model=IntroductionOut)
def act(introduction_id: str, body: ActionIn, broker: BrokerDep, who: StaffDep,
        state: StateDep) -> IntroductionOut:
    """One step: approve, drop, candidate_accept/decline, asker_accept/decline (staff on the
    side's behalf), introduce, outcome (nuttig, niet nuttig, geen contact). A step that
    cannot follow the current state is refused with 409 and nothing changes."""
    view = broker.act(introduction_id, body.action, who.user, note=body.note,
                      outcome=body.outcome)
    _audit_contact(state, who.user, body.action, view.contact)
    return IntroductionOut.model_validate(view)


@router.post("/{introduction_id}/answer", response_model=IntroductionOut)
def answer(introduction_id: str, body: AnswerIn, broker: BrokerDep, who: MemberDep,
           state: StateDep) -> IntroductionOut:
    """A member says yes or no to a request: as the candidate, or as the asker once the
    candidate said yes. Role: member (the candidate or the asker themself)."""
    return _for_member(answer_as_member(broker, state, who, introduction_id, body.answer,
                                        body.note))


def answer_as_member(broker: Broker, state: AppState, who: Principal, introduction_id: str,
                     answer: str, note: str = "") -> IntroductionView:
    """The member's yes or no, on the side they are on (candidate or asker).

    Raises
    ------
    NodeNotFoundError : not their introduction (it looks absent).
    TransitionError : the answer cannot follow the current state.
    """
    _, candidate, asker = broker.parties(introduction_id)
    if not who.member_id or who.member_id not in (candidate, asker):
        raise NodeNotFoundError(introduction_id)  # not theirs: as if it did not exist
    side = "candidate" if who.member_id == candidate else "asker"
    view = broker.act(introduction_id, f"{side}_{answer}", who.user, note=note)
    _audit_contact(state, who.user, f"{side}_{answer}", view.contact)
    return view


def _for_member(view: IntroductionView) -> IntroductionOut:
    """Staff's notes, history and load figures stay with staff."""
    out = IntroductionOut.model_validate(view)
    return out.model_copy(update={"history": [], "note": "", "load": None})


def _audit_contact(state: StateDep, user: str, action: str,
                   contact: dict[str, dict[str, str]] | None) -> None:
    if contact and action == "asker_accept":
        for side in contact.values():
            if side.get("id"):
                state.access.audit(user, "contactgegevens gedeeld", side["id"], "introductie")
