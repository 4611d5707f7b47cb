"""The signals API's request and response shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from schakel.graph.model import CHANNELS, INSTRUMENTS, OPTIONS
from schakel.matching.signals import ACTIONS

from .brokering_schemas import EntryOut, Id, RefOut, _In, _Out

Action = Literal[tuple(ACTIONS)]  # type: ignore[valid-type]
Channel = Literal[tuple(CHANNELS)]  # type: ignore[valid-type]
Instrument = Literal[("", *INSTRUMENTS)]  # type: ignore[valid-type]
Option = Literal[("", *OPTIONS)]  # type: ignore[valid-type]
Urgency = Literal["", "laag", "gemiddeld", "hoog"]
Text = Annotated[str, Field(max_length=5000)]
Date = Annotated[str, Field(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


class MySignalIn(_In):
    text: str = Field(min_length=3, max_length=5000)
    place: str | None = Field(None, max_length=100)
    urgency: Urgency = ""
    anonymous: bool = Field(False, description="Not linked to you; you cannot follow it.")
    call: Id | None = None


class SignalIn(_In):
    text: str = Field(min_length=3, max_length=5000)
    raised_by: Id | None = Field(None, description="Member, organisation or region; left "
                                                   "out: anonymous through the regiebureau.")
    channel: Channel = "gesprek"
    urgency: Urgency = ""
    themes: list[Id] | None = Field(None, max_length=20)
    domains: list[Id] | None = Field(None, max_length=10)
    place: str | None = Field(None, max_length=100)
    call: Id | None = None


class StepIn(_In):
    action: Action
    note: Annotated[str, Field(max_length=2000)] = ""
    causes: Text = ""
    shared: Annotated[str, Field(max_length=2000)] = ""
    table: Annotated[str, Field(max_length=200)] = ""
    date: Date = ""
    instrument: Instrument = ""
    option: Option = ""
    feedback: Text = ""
    urgency: Urgency | None = None


class RecognitionIn(_In):
    note: Annotated[str, Field(max_length=1000)] = ""


class CallIn(_In):
    title: str = Field(min_length=3, max_length=300)
    text: Text = ""
    kind: Literal["open", "gericht"] = "open"
    opens: Date = ""
    closes: Date = ""
    themes: list[Id] = Field(default_factory=list, max_length=20)
    domains: list[Id] = Field(default_factory=list, max_length=10)
    regions: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list,
                                                                   max_length=20)
    follows_up: Id | None = Field(None, description="The signal a targeted call follows up.")


class CallOut(_Out):
    id: str
    title: str
    text: str
    kind: str
    opens: str
    closes: str
    created: str


class RecognitionOut(_Out):
    total: int
    by_region: dict[str, int] = Field(description="Per provincie, never finer.")
    by_domain: dict[str, int]
    by_role: dict[str, int]
    names: list[RefOut] = Field(description="Only members who let the viewer see them.")
    hidden: int = Field(description="Recognised it but are not named.")
    mine: bool


class AgendaItemOut(_Out):
    table: RefOut
    date: str
    instrument: str
    option: str
    result: str


class SignalOut(_Out):
    id: str
    text: str
    step: int
    step_nl: str
    step_help: str
    channel: str
    urgency: str
    instrument: str
    option: str
    created: str
    updated: str
    causes: str
    shared: str
    feedback: str
    cluster: str
    raised_as: str
    raised_by: RefOut | None
    themes: list[RefOut]
    domains: list[RefOut]
    place: RefOut | None
    call: RefOut | None
    agenda: list[AgendaItemOut]
    recognition: RecognitionOut
    history: list[EntryOut]
    actions: list[str]
    contributors: list[RefOut]
    contributors_hidden: int


class SignalsOut(BaseModel):
    data: list[SignalOut]
    count: int


class TableOut(_Out):
    id: str
    name: str
    kind: str
    scope: str


class AgendaRowOut(_Out):
    signal: str
    text: str
    step: int
    date: str
    instrument: str
    option: str
    result: str


class AgendaOut(BaseModel):
    table: TableOut
    agenda: list[AgendaRowOut]


class ImportRowError(BaseModel):
    section: str
    row: int
    id: str | None
    field: str
    message: str


class ClusterOut(_Out):
    id: str
    label: str
    signals: list[str]
    themes: list[tuple[str, int]]
    terms: list[str]
    regions: dict[str, int]
    domains: dict[str, int]
    weekly: list[int] = Field(description="Signals per week, the last eight weeks, oldest first.")
    recent: int
    emerging: bool = Field(description="Opkomend: grows faster than the rest.")
    by_hand: bool


class ClustersOut(BaseModel):
    data: list[ClusterOut]
    loose: list[str] = Field(description="Signals in no cluster.")


class MergeIn(_In):
    clusters: list[Annotated[str, Field(max_length=200)]] = Field(min_length=2, max_length=20)


class SplitIn(_In):
    signals: list[Id] = Field(min_length=1, max_length=500)


class SplitOut(BaseModel):
    rest: str
    apart: str


class InviteIn(_In):
    candidate: Id
    note: Annotated[str, Field(max_length=2000)] = ""


class SuggestionOut(BaseModel):
    kind: str
    id: str
    name: str
    score: float
    reasons: list[str]
