"""The theme taxonomy."""

from typing import Annotated

from fastapi import APIRouter, Query

from ..application import directory
from ..deps import IdParam, PagingDep, StateDep
from ..schemas import Page, ThemePublic
from ..views import theme_public

router = APIRouter(prefix="/themes", tags=["themes"])


@router.get("", response_model=Page[ThemePublic])
def list_themes(state: StateDep, paging: PagingDep,
                q: Annotated[str | None, Query(max_length=200,
                                               description="Part of a name or synonym.")] = None,
                assignable: bool | None = None) -> Page[ThemePublic]:
    """The theme taxonomy."""
    found = directory.themes(state, q=q, assignable=assignable)
    return Page[ThemePublic](**paging.page(found, lambda t: theme_public(state.store, t)))


@router.get("/{theme_id}", response_model=ThemePublic)
def get_theme(theme_id: IdParam, state: StateDep) -> ThemePublic:
    """One theme by id, name or synonym, with its broader and narrower themes."""
    return theme_public(state.store, directory.theme(state, theme_id), detail=True)
