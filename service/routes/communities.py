"""Communities of practice, themagroepen, intervisiegroepen and leernetwerken."""

from fastapi import APIRouter

from schakel.graph.model import Community

from ..application import directory
from ..context import AppState
from ..deps import IdParam, PagingDep, StateDep
from ..schemas import CommunityPublic, Page
from ..views import community_public

router = APIRouter(prefix="/communities", tags=["communities"])


def _public(state: AppState, c: Community) -> CommunityPublic:
    return community_public(state.store, c, directory.community_size(state, c))


@router.get("", response_model=Page[CommunityPublic])
def list_communities(state: StateDep, paging: PagingDep) -> Page[CommunityPublic]:
    """Communities of practice, themagroepen, intervisiegroepen and leernetwerken."""
    found = directory.communities(state)
    return Page[CommunityPublic](**paging.page(found, lambda c: _public(state, c)))


@router.get("/{community_id}", response_model=CommunityPublic)
def get_community(community_id: IdParam, state: StateDep) -> CommunityPublic:
    return _public(state, directory.community(state, community_id))
