"""The member's own profile and their AVG rights: see, change, take out (erasure is
``DELETE /members/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from schakel.errors import InvalidQueryError, NodeNotFoundError
from schakel.graph.model import Member

from ..auth import MemberDep, Principal
from ..deps import AppState, StateDep
from ..schemas import MemberPublic, ProfileIn
from ..views import display_name, member_public
from .members import write_member

router = APIRouter(prefix="/me", tags=["me"])


def own_member(state: AppState, who: Principal) -> Member:
    """The member behind this account.

    Raises
    ------
    InvalidQueryError : the account belongs to no member (a staff or admin account).
    """
    if not who.member_id:
        raise InvalidQueryError("account", "dit account hoort niet bij een lid")
    member = state.store.get(who.member_id)
    if not isinstance(member, Member):
        raise NodeNotFoundError(who.member_id)
    return member


@router.get("", response_model=MemberPublic)
def me(state: StateDep, who: MemberDep) -> MemberPublic:
    """Your own profile, every field. Role: member."""
    member = own_member(state, who)
    return member_public(state.store, member, "staff")  # you see all of your own fields


def update_profile(state: AppState, who: Principal, body: ProfileIn) -> Member:
    """Write the changed fields of the member's own profile in one batch (or nothing)."""
    member = own_member(state, who)
    given = body.model_dump(exclude_unset=True)
    # null clears the function; for the other fields it means "leave as is"
    row = {"id": member.id, **{k: v for k, v in given.items()
                               if v is not None or k == "function"}}
    written = write_member(state, row)
    state.access.audit(who.user, "eigen profiel gewijzigd", member.id,
                       ", ".join(sorted(row.keys() - {"id"})))
    return written


@router.put("", response_model=MemberPublic)
def put_me(body: ProfileIn, state: StateDep, who: MemberDep) -> MemberPublic:
    """Change your profile, themes, availability, visibility and consent. Fields you leave
    out stay as they are; any problem gives 422 and changes nothing. Matching picks up the
    change on the next question (only your text is encoded again). Role: member."""
    member = update_profile(state, who, body)
    return member_public(state.store, member, "staff")


def personal_data(state: AppState, who: Principal) -> dict[str, Any]:
    """Everything Schakel holds on the member behind ``who`` (AVG art. 15 and 20)."""
    member = own_member(state, who)
    store = state.store
    outgoing = [{"type": r.type, "to": r.end, "name": display_name(store.get(r.end)), **r.props}
                for r in store.relationships(member.id)]
    incoming = [{"type": r.type, "from": r.start, **r.props}
                for r in store.relationships(member.id, direction="in")
                if r.type == "KNOWS"]
    questions = [{"id": q.id, **q.props()}
                 for q in store.get_many(store.neighbour_ids(member.id, "ASKED_BY", "in"))]
    introductions = [{"id": i.id, **i.props()}
                     for i in store.get_many(store.neighbour_ids(member.id, "SUGGESTS", "in"))]
    state.access.audit(who.user, "gegevens opgevraagd", member.id)
    return {
        "member": {"id": member.id, **member.props()},
        "relationships": outgoing,
        "known_by": incoming,
        "questions": questions,
        "introductions": introductions,
        "accounts": [{"name": u.user, "role": u.role} for u in state.access.users()
                     if u.member_id == member.id],
        "audit": state.access.audit_rows(subject=member.id),
    }


@router.get("/export")
def export_me(state: StateDep, who: MemberDep) -> dict[str, Any]:
    """All data Schakel holds on you, as JSON: profile, relationships, questions,
    introductions, accounts and the audit log of who read or changed it. Role: member."""
    return personal_data(state, who)
