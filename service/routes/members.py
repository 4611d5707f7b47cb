from fastapi import APIRouter, status

from schakel.errors import GraphValidationError, NodeNotFoundError
from schakel.graph.exchange import import_document
from schakel.graph.model import Member, Role
from schakel.graph.privacy import visible

from ..deps import FilterParam, PagingDep, StateDep, StoreDep
from ..schemas import MemberIn, MemberPublic, Page
from ..views import member_public

router = APIRouter(prefix="/members", tags=["members"])


@router.get("", response_model=Page[MemberPublic])
def list_members(state: StateDep, paging: PagingDep, theme: FilterParam = None,
                 region: FilterParam = None, domain: FilterParam = None,
                 role: Role | None = None) -> Page[MemberPublic]:
    """Members, filtered by theme (including narrower themes), region (a gemeente, named
    region or provincie, covering the gemeenten inside it), domain and role."""
    ids = state.visible_member_ids(theme, region, domain, role)
    store = state.store
    return Page[MemberPublic](**paging.page(ids, lambda i: member_public(store, store.require(i))))


def _visible_member(store: StoreDep, member_id: str) -> Member:
    member = store.get(member_id)
    if not isinstance(member, Member) or not visible(member):
        raise NodeNotFoundError(member_id)
    return member


@router.get("/{member_id}", response_model=MemberPublic)
def get_member(member_id: str, store: StoreDep) -> MemberPublic:
    return member_public(store, _visible_member(store, member_id))


@router.post("", response_model=MemberPublic, status_code=status.HTTP_201_CREATED)
def upsert_member(body: MemberIn, state: StateDep) -> MemberPublic:
    """Add a member, or update one you can see (same fields as a member row in the exchange
    format). Any problem gives 422 and writes nothing; a member hidden from members gives 404,
    as it does for reading."""
    if state.store.label_of(body.id) == "Member":
        _visible_member(state.store, body.id)
    report = import_document(state.store, {"members": [body.model_dump(exclude_unset=True)]},
                             gazetteer=state.gazetteer, lookup=state.lookup)
    if report.errors:
        raise GraphValidationError([{"item": e.id, "field": e.field, "message": e.message}
                                    for e in report.errors])
    member = state.store.require(body.id)
    return member_public(state.store, member)  # type: ignore[arg-type]
