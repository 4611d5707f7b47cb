from fastapi import APIRouter

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Community
from schakel.graph.privacy import visible

from ..deps import PagingDep, StoreDep
from ..schemas import CommunityPublic, Page
from ..views import community_public

router = APIRouter(prefix="/communities", tags=["communities"])


def _public(store: StoreDep, c: Community) -> CommunityPublic:
    member_ids = store.neighbour_ids(c.id, "MEMBER_OF", direction="in")
    shown = sum(1 for p in store.props_of(member_ids).values() if visible(p))
    return community_public(store, c, shown)


@router.get("", response_model=Page[CommunityPublic])
def list_communities(store: StoreDep, paging: PagingDep) -> Page[CommunityPublic]:
    """Communities of practice, themagroepen, intervisiegroepen and leernetwerken."""
    found = [c for c in store.find("Community") if isinstance(c, Community)]
    return Page[CommunityPublic](**paging.page(found, lambda c: _public(store, c)))


@router.get("/{community_id}", response_model=CommunityPublic)
def get_community(community_id: str, store: StoreDep) -> CommunityPublic:
    c = store.get(community_id)
    if not isinstance(c, Community):
        raise NodeNotFoundError(community_id)
    return _public(store, c)
