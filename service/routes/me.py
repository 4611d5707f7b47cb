"""The member's own profile and their AVG rights: see, change, take out (erasure is
``DELETE /members/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from schakel.errors import GraphValidationError, InvalidQueryError, NodeNotFoundError
from schakel.graph.exchange import import_document
from schakel.graph.model import Member

from ..auth import MemberDep, Principal
from ..deps import AppState, StateDep
from ..schemas import MemberPublic, ProfileIn
from ..views import member_public

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
    report = import_document(state.store, {"members": [row]}, gazetteer=state.gazetteer,
                             lookup=state.lookup)
    if report.errors:
        raise GraphValidationError([{"item": e.id, "field": e.field, "message": e.message}
                                    for e in report.errors])
    state.access.audit(who.user, "eigen profiel gewijzigd", member.id,
                       ", ".join(sorted(row.keys() - {"id"})))
    return state.store.require(member.id)  # type: ignore[return-value]


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
    outgoing = [{"type": r.type, "to": r.end, "name": _name(store, r.end), **r.props}
                for r in store.relationships(member.id)]
    incoming = [{"type": r.type, "from": r.start, **r.props}
                for r in store.relationships(member.id, direction="in")
                if r.type == "KNOWS"]
    questions = []
    for qid in store.neighbour_ids(member.id, "ASKED_BY", "in"):
        q = store.get(qid)
        if q is not None:
            questions.append({"id": qid, **q.props()})
    introductions = []
    for iid in store.neighbour_ids(member.id, "SUGGESTS", "in"):
        i = store.get(iid)
        if i is not None:
            introductions.append({"id": iid, **i.props()})
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


def _name(store: Any, node_id: str) -> str:
    node = store.get(node_id)
    return str(getattr(node, "name", None) or getattr(node, "title", None) or node_id)


@router.get("/export")
def export_me(state: StateDep, who: MemberDep) -> dict[str, Any]:
    """All data Schakel holds on you, as JSON: profile, relationships, questions,
    introductions, accounts and the audit log of who read or changed it. Role: member."""
    return personal_data(state, who)
