
from fastapi import APIRouter

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Practice

from ..deps import FilterParam, PagingDep, StateDep, StoreDep
from ..schemas import Page, PracticePublic
from ..views import practice_public

router = APIRouter(prefix="/practices", tags=["practices"])


@router.get("", response_model=Page[PracticePublic])
def list_practices(state: StateDep, paging: PagingDep, theme: FilterParam = None,
                   region: FilterParam = None, domain: FilterParam = None
                   ) -> Page[PracticePublic]:
    """Praktijkvoorbeelden, by theme (with narrower themes), region and the domain of the
    organisations involved."""
    ids = state.filters.ids("Practice", theme=theme, region=region, domain=domain)
    store = state.store
    return Page[PracticePublic](**paging.page(
        ids, lambda i: practice_public(store, store.require(i))))


@router.get("/{practice_id}", response_model=PracticePublic)
def get_practice(practice_id: str, store: StoreDep) -> PracticePublic:
    practice = store.get(practice_id)
    if not isinstance(practice, Practice):
        raise NodeNotFoundError(practice_id)
    return practice_public(store, practice)
