"""Response models of nearby search (GET /nearby)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schakel.graph.geo import Place
from schakel.matching.nearby import NearbyHit, NearbyResult

from .schemas import Ref


class PlaceRef(BaseModel):
    id: str
    name: str
    kind: str = Field(description="gemeente, regio, jeugdregio or provincie")


class NearbyMember(BaseModel):
    id: str
    name: str
    function: str | None
    roles: list[str]
    gemeente: str | None = Field(description="Name of the member's gemeente (never finer).")
    distance_km: int | None = Field(
        description="Km from the gemeente centre to the nearest gemeente centre of the asked "
                    "place, rounded; 0 inside it; null when no place was asked.")
    score: float = Field(description="Relevance; results are sorted by it, then by distance.")
    reasons: list[str] = Field(description="Short Dutch reasons, e.g. 'werkt aan "
                                           "thuiszitters', '12 km', 'Regio Twente'.")


class NearbyPage(BaseModel):
    data: list[NearbyMember]
    count: int = Field(description="All results, of which `data` is one page.")
    offset: int
    limit: int
    place: PlaceRef | None = Field(description="The place searched around, as understood.")
    radius_km: float | None
    theme: Ref | None = Field(description="The theme filter, as understood.")
    took_ms: float
    nearest: list[NearbyMember] = Field(
        default=[], description="Only when nobody within `radius_km` fits: the nearest "
                                "members beyond it who do, nearest first.")


def _place(place: Place | None) -> PlaceRef | None:
    return PlaceRef(id=place.id, name=place.name, kind=place.kind) if place else None


def nearby_page(result: NearbyResult) -> NearbyPage:
    def member(h: NearbyHit) -> NearbyMember:
        return NearbyMember(id=h.id, name=h.name, function=h.function, roles=h.roles,
                            gemeente=h.gemeente, distance_km=h.distance_km, score=h.score,
                            reasons=h.reasons)

    theme = Ref(id=result.theme[0], name=result.theme[1]) if result.theme else None
    return NearbyPage(data=[member(h) for h in result.hits], count=result.count,
                      offset=result.offset, limit=result.limit, place=_place(result.place),
                      radius_km=result.radius_km, theme=theme,
                      took_ms=result.took_ms, nearest=[member(h) for h in result.nearest])
