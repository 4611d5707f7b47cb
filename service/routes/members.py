from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from schakel.errors import GraphValidationError, NodeNotFoundError
from schakel.graph.exchange import import_document
from schakel.graph.model import Member
from schakel.graph.privacy import visible

from ..deps import PagingDep, StateDep, StoreDep
from ..schemas import MemberIn, MemberPublic, Page
from ..views import member_public

router = APIRouter(prefix="/members", tags=["members"])

Role = Literal["member", "expert", "ambassador", "verbinder", "ervaringsdeskundige"]
FilterParam = Annotated[str | None, Query(description="Id or (Dutch) name, or a synonym.")]


def visible_member_ids(state: StateDep, theme: str | None = None, region: str | None = None,
                       domain: str | None = None, role: str | None = None) -> list[str]:
    """Ids of members matching the filters that the viewer may see, sorted."""
    shown = state.visible_members()
    if theme or region or domain:
        ids = state.filters.ids("Member", theme=theme, region=region, domain=domain)
    else:
        ids = sorted(shown)
    return [i for i in ids if i in shown and (role is None or role in shown[i])]


@router.get("", response_model=Page[MemberPublic])
def list_members(state: StateDep, paging: PagingDep, theme: FilterParam = None,
                 region: FilterParam = None, domain: FilterParam = None,
                 role: Role | None = None) -> Page[MemberPublic]:
    """Members, filtered by theme (including narrower themes), region (a gemeente, named
    region or provincie, covering the gemeenten inside it), domain and role."""
    ids = visible_member_ids(state, theme, region, domain, role)
    store = state.store
    return Page[MemberPublic](**paging.page(ids, lambda i: member_public(store, store.require(i))))


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(member_id: str, store: StoreDep) -> MemberPublic:
    member = store.get(member_id)
    if not isinstance(member, Member) or not visible(member):
        raise NodeNotFoundError(member_id)
    return member_public(store, member)


@router.post("", response_model=MemberPublic, status_code=status.HTTP_201_CREATED)
def upsert_member(body: MemberIn, state: StateDep) -> MemberPublic:
    """Add or update one member (same fields as a member row in the exchange format).
    Any problem gives 422 and writes nothing."""
    report = import_document(state.store, {"members": [body.model_dump(exclude_unset=True)]},
                             gazetteer=state.gazetteer)
    if report.errors:
        raise GraphValidationError([{"item": e.id, "field": e.field, "message": e.message}
                                    for e in report.errors])
    member = state.store.require(body.id)
    return member_public(state.store, member)  # type: ignore[arg-type]
