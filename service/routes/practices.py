"""Praktijkvoorbeelden."""

from fastapi import APIRouter

from ..application import directory
from ..deps import FilterParam, IdParam, PagingDep, StateDep
from ..schemas import Page, PracticePublic
from ..views import practice_public

router = APIRouter(prefix="/practices", tags=["practices"])


@router.get("", response_model=Page[PracticePublic])
def list_practices(state: StateDep, paging: PagingDep, theme: FilterParam = None,
                   region: FilterParam = None, domain: FilterParam = None
                   ) -> Page[PracticePublic]:
    """Praktijkvoorbeelden, by theme (with narrower themes), region and the domain of the
    organisations involved."""
    ids = directory.practice_ids(state, theme=theme, region=region, domain=domain)
    store = state.store
    return Page[PracticePublic](**paging.page(
        ids, lambda i: practice_public(store, store.require(i))))


@router.get("/{practice_id}", response_model=PracticePublic)
def get_practice(practice_id: IdParam, state: StateDep) -> PracticePublic:
    return practice_public(state.store, directory.practice(state, practice_id))
