"""The network map, its analytics, the gap matrix and exports for Gephi."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from schakel.graph.model import Role
from schakel.graph.netexport import MEDIA_TYPES
from schakel.graph.network import MAX_DEPTH

from ..application.network import broker_rows, export_view, gap_nearest, gap_out, gaps_of, map_data
from ..auth import Forbidden, StaffDep
from ..deps import FilterParam, StateDep
from ..network_schemas import Brokers, GapMatrixOut
from ..network_schemas import NetworkMap as NetworkMapOut
from ..networks import MAP_CAP, Scope, pseudonym_key

router = APIRouter(tags=["network"])

SortKey = Literal["betweenness", "brokerage", "degree", "closeness", "effective_size",
                  "constraint"]
GapKind = Literal["all", "experts", "practices", "communities"]


def get_scope(
    theme: FilterParam = None, region: FilterParam = None, domain: FilterParam = None,
    role: Role | None = None,
    ego: Annotated[str | None, Query(max_length=200,
                                     description="Member id: only people within `depth` "
                                     "steps of this member.")] = None,
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 1,
    organisations: Annotated[bool, Query(description="Add organisations as nodes.")] = False,
    met_at: Annotated[bool, Query(description="Add 'ontmoet bij' ties (people who attended "
                                              "an activity together) as weak edges.")] = True,
) -> Scope:
    return Scope(theme=theme or None, region=region or None, domain=domain or None, role=role,
                 ego=ego or None, depth=depth, organisations=organisations, met=met_at)


ScopeDep = Annotated[Scope, Depends(get_scope)]


@router.get("/map", response_model=NetworkMapOut)
def network_map(state: StateDep, scope: ScopeDep) -> dict[str, Any]:
    """Members who know each other (KNOWS, undirected) in one view, with their metrics.
    People who attended an activity together and do not know each other yet are joined by a
    weak edge (`weak`, context "ontmoet bij"; `met_at=false` leaves them out); the metrics
    count what is drawn.

    Views with more than 2,000 nodes are not drawn: `shown` is false and `message` asks to
    filter. Only members visible to members appear. The metrics are served from the last
    background computation: `computed_at` says when, `stale` whether writes came since (a
    new computation is then under way). Only the first request for a view waits."""
    return map_data(state, scope, MAP_CAP)


@router.get("/analytics/brokers", response_model=Brokers)
def brokers(state: StateDep, scope: ScopeDep, sort: SortKey = "betweenness",
            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Who connects the network: members ranked by a metric, with their Gould–Fernandez
    brokerage roles between domains (coordinator, gatekeeper, representative, consultant,
    liaison). `constraint` ranks the lowest (most structural holes) first."""
    return broker_rows(state, scope, sort, limit)


@router.get("/analytics/gaps", response_model=GapMatrixOut)
def gaps(state: StateDep, level: Literal["gemeente", "regio", "provincie"] = "provincie",
         within: Annotated[str | None, Query(max_length=200,
                                             description="Only places inside this place "
                                             "(say a provincie).")] = None,
         kind: GapKind = "all") -> dict[str, Any]:
    """Theme × place: visible experts, practice examples and communities per cell. A cell
    with none of `kind` (all: none of the three) is a gap."""
    return gap_out(gaps_of(state, level, within), kind)


@router.get("/analytics/gaps/nearest")
def nearest_of_cell(
        state: StateDep, theme: Annotated[str, Query(max_length=200,
                                                     description="Theme id or name.")],
        place: Annotated[str, Query(max_length=200, description="Gemeente, region or provincie.")],
        limit: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
    """The drill-down of one cell: the nearest experts, other members, practice examples and
    communities for the theme, nearest first (km between centroids)."""
    return gap_nearest(state, theme, place, limit)


@router.get("/export", response_class=Response,
            responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def export(state: StateDep, scope: ScopeDep, who: StaffDep,
           format: Literal["gexf", "graphml", "json"] = "gexf",
           pseudonymise: Annotated[bool | None, Query(
               description="Stable pseudonyms instead of names and ids; organisations left "
                           "out. Default: names for admins, pseudonyms for staff.")] = None,
           metrics: Annotated[bool, Query(description="Add the metrics as attributes.")] = True,
           ) -> Response:
    """One view of the network for Gephi (GEXF, GraphML) or scripts (JSON nodes/links).
    Only members visible to members are in it. Role: staff, with pseudonyms; names only for
    admins (an export leaves Schakel)."""
    if pseudonymise is None:
        pseudonymise = not who.can("admin")
    if not pseudonymise and not who.can("admin"):
        raise Forbidden("admin")
    state.access.audit(who.user, "netwerk geexporteerd", "*",
                       f"{format}, {'pseudoniemen' if pseudonymise else 'namen'}")
    key = pseudonym_key(state.settings, state.access) if pseudonymise else None
    body = export_view(state, scope, format, metrics=metrics, pseudonymise_key=key)
    name = f"schakel-netwerk.{format}"
    return Response(body, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
