from typing import Any

from fastapi import APIRouter, status

from schakel.errors import GraphValidationError, NodeNotFoundError
from schakel.graph.exchange import import_document
from schakel.graph.model import Member, Role
from schakel.graph.privacy import Viewer, visible

from ..auth import AdminDep, Forbidden, MemberDep
from ..deps import AppState, FilterParam, PagingDep, StateDep
from ..schemas import Erased, MemberIn, MemberPublic, Page
from ..views import member_public

router = APIRouter(prefix="/members", tags=["members"])


@router.get("", response_model=Page[MemberPublic])
def list_members(state: StateDep, who: MemberDep, paging: PagingDep,
                 theme: FilterParam = None, region: FilterParam = None,
                 domain: FilterParam = None, role: Role | None = None) -> Page[MemberPublic]:
    """Members, filtered by theme (including narrower themes), region (a gemeente, named
    region or provincie, covering the gemeenten inside it), domain and role. Members see
    members who are visible to members, staff also those visible to staff; fields a member
    keeps private are left out for other members. Role: member."""
    ids = state.visible_member_ids(theme, region, domain, role, viewer=who.viewer)
    store = state.store
    page = paging.page(ids, lambda i: member_public(store, store.require(i), who.viewer))
    state.access.audit(who.user, "lijst gelezen", "*", f"{len(page['data'])} leden")
    return Page[MemberPublic](**page)


def visible_member(state: StateDep, member_id: str, viewer: Viewer) -> Member:
    """The member, if ``viewer`` may see them; otherwise not found (hidden looks absent)."""
    member = state.store.get(member_id)
    if not isinstance(member, Member) or not visible(member, viewer):
        raise NodeNotFoundError(member_id)
    return member


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(member_id: str, state: StateDep, who: MemberDep) -> MemberPublic:
    """One member as you may see them. Role: member."""
    member = visible_member(state, member_id, who.viewer)
    state.access.audit(who.user, "profiel gelezen", member_id)
    return member_public(state.store, member, who.viewer)


@router.post("", response_model=MemberPublic, status_code=status.HTTP_201_CREATED)
def upsert_member(body: MemberIn, state: StateDep, who: AdminDep) -> MemberPublic:
    """Add or update a member (same fields as a member row in the exchange format). Any
    problem gives 422 and writes nothing. Role: admin."""
    member = write_member(state, body.model_dump(exclude_unset=True))
    state.access.audit(who.user, "profiel gewijzigd", body.id)
    return member_public(state.store, member, who.viewer)


def write_member(state: AppState, row: dict[str, Any]) -> Member:
    """One member row of the exchange format, written as one batch.

    Raises
    ------
    GraphValidationError : any problem with the row; nothing was written.
    """
    report = import_document(state.store, {"members": [row]}, gazetteer=state.gazetteer,
                             lookup=state.lookup)
    if report.errors:
        raise GraphValidationError([{"item": e.id, "field": e.field, "message": e.message}
                                    for e in report.errors])
    return state.store.require(row["id"])  # type: ignore[return-value]


@router.delete("/{member_id}", response_model=Erased)
def erase(member_id: str, state: StateDep, who: MemberDep) -> Erased:
    """Erase a member for good (AVG): the member, their questions and introductions leave
    the graph, their vector the matcher and its cache; introductions stay only as
    anonymised counts. Members may erase themselves; an admin anyone. Role: member (self)
    or admin."""
    if not who.can("admin") and who.member_id != member_id:
        raise Forbidden("admin")
    erasure = state.erase(member_id, who.user)
    return Erased(id=member_id, questions=erasure.questions,
                  introductions=erasure.introductions)
