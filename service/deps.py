"""Dependencies for routes, as Annotated aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.query import Filters
from schakel.graph.store import GraphStore

from .config import Settings


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    gazetteer: Gazetteer
    lookup: Lookup

    @property
    def filters(self) -> Filters:
        return Filters(self.store, self.lookup)


def get_state(request: Request) -> AppState:
    return request.app.state.schakel  # type: ignore[no-any-return]


def get_store(request: Request) -> GraphStore:
    return get_state(request).store


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int


def get_paging(
    offset: Annotated[int, Query(ge=0, description="Skip this many results.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many results.")] = 50,
) -> Paging:
    return Paging(offset, limit)


StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
PagingDep = Annotated[Paging, Depends(get_paging)]
