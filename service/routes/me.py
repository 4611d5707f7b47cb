"""The member's own profile and their AVG rights: see, change, take out (erasure is
``DELETE /members/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..application.members import own_member, personal_data, update_profile
from ..auth import MemberDep
from ..deps import StateDep
from ..schemas import MemberPublic, ProfileIn
from ..views import member_public

router = APIRouter(prefix="/me", tags=["me"])


@router.get("", response_model=MemberPublic)
def me(state: StateDep, who: MemberDep) -> MemberPublic:
    """Your own profile, every field. Role: member."""
    member = own_member(state, who)
    return member_public(state.store, member, "staff")  # you see all of your own fields


@router.put("", response_model=MemberPublic)
def put_me(body: ProfileIn, state: StateDep, who: MemberDep) -> MemberPublic:
    """Change your profile, themes, availability, visibility and consent. Fields you leave
    out stay as they are; any problem gives 422 and changes nothing. Matching picks up the
    change on the next question (only your text is encoded again). Role: member."""
    member = update_profile(state, who, body.model_dump(exclude_unset=True))
    return member_public(state.store, member, "staff")


@router.get("/export")
def export_me(state: StateDep, who: MemberDep) -> dict[str, Any]:
    """All data Schakel holds on you, as JSON: profile, relationships, questions,
    introductions, accounts and the audit log of who read or changed it. Role: member."""
    return personal_data(state, who)
