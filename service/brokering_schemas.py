"""The brokering API's request and response shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schakel.graph.model import Member
from schakel.matching.brokering import STEPS

Action = Literal[tuple(STEPS)]  # type: ignore[valid-type]
Kind = Literal["leervraag", "hulpvraag", "ontwikkelvraag"]
Status = Literal["nieuw", "in behandeling", "voorgesteld", "afgerond"]
Note = Annotated[str, Field(max_length=2000)]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QuestionIn(_In):
    text: str = Field(min_length=3, max_length=5000)
    asker: Id = Field(description="Id of the member, organisation or region that asks.")
    kind: Kind = "leervraag"
    place: str | None = Field(None, max_length=100,
                              description="Gemeente, regio or provincie; read from the text "
                                          "(or the asker's gemeente) when left out.")
    themes: list[Id] | None = Field(None, max_length=20,
                                    description="Theme ids; read from the text when left out.")
    own_organisation: bool = Field(False, description="Colleagues of the asker may be "
                                                      "proposed too.")


class ThemesIn(_In):
    themes: list[Id] = Field(max_length=20)
    note: Note = ""


class StatusIn(_In):
    status: Status
    note: Note = ""


class NoteIn(_In):
    note: str = Field(min_length=1, max_length=2000)


class CandidateIn(_In):
    candidate: Id = Field(description="Id of a member, region, practice or community.")
    note: Note = ""


class ActionIn(_In):
    action: Action
    note: Note = ""
    outcome: Literal["nuttig", "niet nuttig", "geen contact"] | None = Field(
        None, description="With action 'outcome'.")


class AnswerIn(_In):
    """A member answers a request as candidate or asker."""

    answer: Literal["accept", "decline"]
    note: Note = ""


class ConflictIn(_In):
    member: Id
    other: Id = Field(description="Another member or an organisation.")
    note: Note = ""


class CapacityIn(_In):
    capacity: int | None = Field(None, ge=0, le=50, description="Open requests at most; "
                                                                "0: none for now.")
    cooldown_days: int | None = Field(None, ge=0, le=365)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RefOut(_Out):
    id: str
    name: str
    label: str = ""


class EntryOut(_Out):
    at: str
    who: str
    action: str
    note: str = ""
    introduction: str = ""
    candidate: str = ""
    detail: str = ""


class LoadOut(_Out):
    open: int
    asked_this_month: int
    last_asked: str
    capacity: int
    cooldown_days: int
    blocked: str
    text: str = Field(description="In Dutch, e.g. 'al 3× gevraagd deze maand'.")


class IntroductionOut(_Out):
    id: str
    question: str
    candidate: RefOut
    kind: str
    state: str
    state_nl: str
    source: str
    rank: int
    score: float
    reasons: list[str]
    created: str
    approved_at: str
    candidate_at: str
    asker_at: str
    introduced_at: str
    outcome: str
    outcome_at: str
    note: str
    cross_domain: bool
    actions: list[str] = Field(description="Actions that may follow the current state.")
    load: LoadOut | None = None
    contact: dict[str, dict[str, str]] | None = Field(
        None, description="Both sides' contact details: only once both accepted.")
    history: list[EntryOut]


class QuestionOut(_Out):
    id: str
    text: str
    kind: str
    status: str
    created: str
    updated: str
    asker: RefOut | None
    place: RefOut | None
    themes: list[RefOut]
    own_organisation: bool
    note: str
    history: list[EntryOut]
    introductions: list[IntroductionOut]


class QuestionsOut(BaseModel):
    data: list[QuestionOut]
    count: int


class NoticeOut(_Out):
    theme: RefOut
    regions: list[str]
    questions: list[str]
    communities: list[RefOut]
    text: str


class SlateOut(_Out):
    question: QuestionOut
    candidates: list[IntroductionOut]
    notices: list[NoticeOut]
    excluded: dict[str, int] = Field(description="People left out, per rule.")
    built: bool
    took_ms: float
    learned: bool


class ConflictOut(BaseModel):
    member: str
    other: str
    note: str
    by: str
    at: str


class CapacityOut(BaseModel):
    member: str
    capacity: int
    cooldown_days: int

    @classmethod
    def of(cls, m: Member) -> CapacityOut:
        return cls(member=m.id, capacity=m.capacity, cooldown_days=m.cooldown_days)


class RegionMetricsOut(_Out):
    introductions: int
    asked: int
    decided: int
    accepted: int
    acceptance_rate: float | None
    introduced: int
    median_days_to_introduction: float | None
    cross_domain_share: float | None
    outcomes: dict[str, int]


class MetricsOut(RegionMetricsOut):
    expert_load_gini: float | None
    organisation_exposure_gini: float | None
    region_exposure_gini: float | None
    most_asked: list[tuple[str, int]]
    per_region: dict[str, RegionMetricsOut]
    erased: dict[str, int] = Field(default_factory=dict, description=(
        "Counts left by erased members (AVG): questions, introductions, outcomes."))
