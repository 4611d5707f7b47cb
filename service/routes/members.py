"""Members: list, read, add or update (admin), erase (AVG)."""

from __future__ import annotations

from fastapi import APIRouter, status

from schakel.graph.model import Role

from ..application import members as uc
from ..auth import AdminDep, MemberDep
from ..deps import FilterParam, IdParam, PagingDep, StateDep
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
    ids = uc.find_members(state, who, theme=theme, region=region, domain=domain, role=role)
    store = state.store
    page = paging.page(ids, lambda i: member_public(store, store.require(i), who.viewer))
    uc.audit_listing(state, who, len(page["data"]))
    return Page[MemberPublic](**page)


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(member_id: IdParam, state: StateDep, who: MemberDep) -> MemberPublic:
    """One member as you may see them. Role: member."""
    return member_public(state.store, uc.read_member(state, who, member_id), who.viewer)


@router.post("", response_model=MemberPublic, status_code=status.HTTP_201_CREATED)
def upsert_member(body: MemberIn, state: StateDep, who: AdminDep) -> MemberPublic:
    """Add or update a member (same fields as a member row in the exchange format). Any
    problem gives 422 and writes nothing. Role: admin."""
    member = uc.save_member(state, who, body.model_dump(exclude_unset=True))
    return member_public(state.store, member, who.viewer)


@router.delete("/{member_id}", response_model=Erased)
def erase(member_id: IdParam, state: StateDep, who: MemberDep) -> Erased:
    """Erase a member for good (AVG): the member, their questions and introductions leave
    the graph, their vector the matcher and its cache; introductions stay only as
    anonymised counts. Members may erase themselves; an admin anyone. Role: member (self)
    or admin."""
    erasure = uc.erase_member(state, who, member_id)
    return Erased(id=member_id, questions=erasure.questions,
                  introductions=erasure.introductions)
