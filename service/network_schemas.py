"""Response models of the network routes (map, brokers, gaps)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Age(BaseModel):
    """When background metrics were computed, and whether writes came since."""

    computed_at: datetime | None = Field(
        None, description="When the metrics were computed (none when nothing was computed).")
    stale: bool = Field(False, description="Writes came since; a new computation is under way.")


class MapNode(BaseModel):
    id: str
    kind: str = Field(description="lid or organisatie")
    name: str
    domain: str
    gemeente: str = Field(description="Name of the gemeente (never more precise).")
    roles: list[str]
    community: int | None
    articulation_point: bool
    degree: float
    betweenness: float
    closeness: float
    constraint: float | None
    effective_size: float | None
    brokerage: float


class MapEdge(BaseModel):
    source: str
    target: str
    context: str
    bridge: bool
    weak: bool = Field(False, description="An 'ontmoet bij' tie: they attended an activity "
                                          "together (not a KNOWS tie).")


class NetworkMap(Age):
    count: int = Field(description="Nodes in the view (also when too many to draw).")
    edge_count: int
    cap: int
    shown: bool = Field(description="False when the view has more nodes than cap.")
    message: str | None = Field(description="Dutch explanation when nothing is drawn.")
    nodes: list[MapNode]
    edges: list[MapEdge]
    communities: int
    method: dict[str, str]
    timings: dict[str, float]


class BrokerRow(BaseModel):
    id: str
    name: str
    domain: str
    gemeente: str
    degree: float
    betweenness: float
    closeness: float
    constraint: float | None
    effective_size: float | None
    brokerage: float
    roles: dict[str, int]
    community: int | None
    articulation_point: bool


class Brokers(Age):
    count: int
    sort: str
    data: list[BrokerRow]
    method: dict[str, str]


class GapCell(BaseModel):
    experts: int
    practices: int
    communities: int
    gap: bool


class Named(BaseModel):
    id: str
    name: str


class GapMatrixOut(Age):
    level: str
    kind: str
    themes: list[Named]
    places: list[Named]
    cells: list[list[GapCell]] = Field(description="One row per theme, one cell per place.")
    gaps: int
    national_practices: dict[str, int]
