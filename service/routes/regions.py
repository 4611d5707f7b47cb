from typing import Annotated

from fastapi import APIRouter, Query

from schakel.errors import NodeNotFoundError, UnknownReferenceError
from schakel.graph.model import Region, RegionKind
from schakel.graph.names import fold

from ..deps import PagingDep, StateDep, StoreDep
from ..schemas import Distance, Page, Ref, RegionPublic
from ..views import region_public

router = APIRouter(prefix="/regions", tags=["regions"])


@router.get("", response_model=Page[RegionPublic])
def list_regions(store: StoreDep, paging: PagingDep, kind: RegionKind | None = None,
                 q: Annotated[str | None, Query(description="Part of a name or alias.")] = None,
                 tag: str | None = None) -> Page[RegionPublic]:
    """Gemeenten, named regions, provincies and the land."""
    regions = [r for r in store.find("Region") if isinstance(r, Region)]
    if kind:
        regions = [r for r in regions if r.kind == kind]
    if tag:
        regions = [r for r in regions if tag in r.tags]
    if q:
        needle = fold(q)
        regions = [r for r in regions
                   if any(needle in fold(n) for n in [r.name, *r.aliases])]
    return Page[RegionPublic](**paging.page(regions, lambda r: region_public(store, r)))


@router.get("/distance", response_model=Distance)
def distance(state: StateDep,
             a: Annotated[str, Query(alias="from", description="Name or id of a place.")],
             b: Annotated[str, Query(alias="to", description="Name or id of a place.")]
             ) -> Distance:
    """Distance in km between the centroids of two places."""
    gaz = state.gazetteer
    here, there = gaz.find(a), gaz.find(b)
    if here is None:
        raise UnknownReferenceError("from", a, "plaats")
    if there is None:
        raise UnknownReferenceError("to", b, "plaats")
    return Distance(from_=Ref(id=here.id, name=here.name), to=Ref(id=there.id, name=there.name),
                    km=round(gaz.distance_km(here, there), 1))


@router.get("/{region_id}", response_model=RegionPublic)
def get_region(region_id: str, state: StateDep) -> RegionPublic:
    """One region by id or name, with what it is part of and (for regions) its gemeenten."""
    place = state.gazetteer.find(region_id)
    region = state.store.get(place.id if place else region_id)
    if not isinstance(region, Region):
        raise NodeNotFoundError(region_id)
    return region_public(state.store, region, detail=True)
