"""Dependencies for routes and pages, as Annotated aliases (and the small values they
give). The context itself lives in service/context.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request

from schakel.graph.store import GraphStore
from schakel.matching.brokering import Broker

from .application.brokering import make_broker
from .context import AppState

T = TypeVar("T")
R = TypeVar("R")


def _state(request: Request) -> AppState:
    return request.app.state.schakel  # type: ignore[no-any-return]


# Dependencies that only read what is at hand are async: FastAPI runs a sync one in the
# thread pool, a hop per dependency per request (measurable on a busy server at 100k).
async def get_state(request: Request) -> AppState:
    return _state(request)


async def get_store(request: Request) -> GraphStore:
    return _state(request).store


def get_broker(request: Request) -> Broker:
    return make_broker(_state(request))


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int

    def page(self, rows: Sequence[R], present: Callable[[R], T]) -> dict[str, Any]:
        """One page of ``rows``, each shown by ``present``, with the total count."""
        shown = rows[self.offset : self.offset + self.limit]
        return {"data": [present(r) for r in shown], "count": len(rows),
                "offset": self.offset, "limit": self.limit}


async def get_paging(
    offset: Annotated[int, Query(ge=0, description="Skip this many results.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many results.")] = 50,
) -> Paging:
    return Paging(offset, limit)


FilterParam = Annotated[str | None, Query(max_length=200,
                                          description="Id or (Dutch) name, or a synonym.")]
IdParam = Annotated[str, Path(max_length=200)]  # an id in the address
StateDep = Annotated[AppState, Depends(get_state)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
PagingDep = Annotated[Paging, Depends(get_paging)]
BrokerDep = Annotated[Broker, Depends(get_broker)]
