"""GET /nearby: members finding each other by what they work on, around a place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from schakel.matching.nearby import MAX_LIMIT, MAX_RADIUS_KM, MY_GEMEENTE, NearbyQuery

from ..application.nearby import search_nearby
from ..auth import MemberDep
from ..deps import FilterParam, StateDep
from ..nearby_schemas import NearbyPage, nearby_page

router = APIRouter(prefix="/nearby", tags=["nearby"])


@router.get("", response_model=NearbyPage)
def nearby(
    state: StateDep,
    who: MemberDep,
    q: Annotated[str | None, Query(max_length=200, description="Free text (Dutch).")] = None,
    near: Annotated[str | None, Query(
        max_length=100, description="A gemeente, region or provincie (id, name or alias), "
                                    f"or '{MY_GEMEENTE}'.")] = None,
    radius_km: Annotated[float | None, Query(
        gt=0, le=MAX_RADIUS_KM, description="Also gemeenten within this many km.")] = None,
    theme: FilterParam = None,
    domain: FilterParam = None,
    role: Annotated[str | None, Query(max_length=200,
                                      description="expert, ambassador, verbinder …")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> NearbyPage:
    """Who works on this near me? Members by free text and/or theme around a gemeente or
    region (a region covers its gemeenten), optionally within a radius, narrowed by domain
    and role. Sorted by relevance, then distance; each result says why, in Dutch. Only
    members who chose to be visible to the asker are returned; a location is only ever a
    gemeente."""
    query = NearbyQuery(text=q, near=near, radius_km=radius_km, theme=theme, domain=domain,
                        role=role, offset=offset, limit=limit)
    return nearby_page(search_nearby(state, who, query))
