from typing import Annotated

from fastapi import APIRouter, Query

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Theme
from schakel.graph.names import fold

from ..deps import PagingDep, StateDep, StoreDep
from ..schemas import Page, ThemePublic
from ..views import theme_public

router = APIRouter(prefix="/themes", tags=["themes"])


@router.get("", response_model=Page[ThemePublic])
def list_themes(store: StoreDep, paging: PagingDep,
                q: Annotated[str | None, Query(description="Part of a name or synonym.")] = None,
                assignable: bool | None = None) -> Page[ThemePublic]:
    """The theme taxonomy."""
    themes = [t for t in store.find("Theme") if isinstance(t, Theme)]
    if assignable is not None:
        themes = [t for t in themes if t.assignable == assignable]
    if q:
        needle = fold(q)
        themes = [t for t in themes if any(needle in fold(n) for n in [t.name, *t.synonyms])]
    return Page[ThemePublic](**paging.page(themes, lambda t: theme_public(store, t)))


@router.get("/{theme_id}", response_model=ThemePublic)
def get_theme(theme_id: str, state: StateDep) -> ThemePublic:
    """One theme by id, name or synonym, with its broader and narrower themes."""
    found = state.lookup.theme(theme_id)
    theme = state.store.get(found) if found else None
    if not isinstance(theme, Theme):
        raise NodeNotFoundError(theme_id)
    return theme_public(state.store, theme, detail=True)
