"""Gemeenten, regions, provincies, and the distance between two places."""

from typing import Annotated

from fastapi import APIRouter, Query

from schakel.graph.model import RegionKind

from ..application import directory
from ..deps import IdParam, PagingDep, StateDep
from ..schemas import Distance, Page, Ref, RegionPublic
from ..views import region_public

router = APIRouter(prefix="/regions", tags=["regions"])


@router.get("", response_model=Page[RegionPublic])
def list_regions(state: StateDep, paging: PagingDep, kind: RegionKind | None = None,
                 q: Annotated[str | None, Query(max_length=200,
                                                description="Part of a name or alias.")] = None,
                 tag: Annotated[str | None, Query(max_length=200)] = None) -> Page[RegionPublic]:
    """Gemeenten, named regions, provincies and the land."""
    found = directory.regions(state, kind=kind, q=q, tag=tag)
    return Page[RegionPublic](**paging.page(found, lambda r: region_public(state.store, r)))


@router.get("/distance", response_model=Distance)
def distance(state: StateDep,
             a: Annotated[str, Query(max_length=200,
                                     alias="from", description="Name or id of a place.")],
             b: Annotated[str, Query(max_length=200,
                                     alias="to", description="Name or id of a place.")]
             ) -> Distance:
    """Distance in km between the centroids of two places."""
    d = directory.distance(state, a, b)
    return Distance(from_=Ref(id=d.here.id, name=d.here.name),
                    to=Ref(id=d.there.id, name=d.there.name), km=d.km)


@router.get("/{region_id}", response_model=RegionPublic)
def get_region(region_id: IdParam, state: StateDep) -> RegionPublic:
    """One region by id or name, with what it is part of and (for regions) its gemeenten."""
    return region_public(state.store, directory.region(state, region_id), detail=True)
