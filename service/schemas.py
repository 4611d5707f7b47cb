"""Response and request models of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")


class Ref(BaseModel):
    id: str
    name: str


class ThemeLevel(BaseModel):
    id: str
    name: str
    level: int


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="Number of matches in total, not only on this page.")
    offset: int
    limit: int


class MemberPublic(BaseModel):
    id: str
    name: str
    function: str | None
    roles: list[str]
    profile: str
    availability: str
    organisation: Ref | None
    gemeente: Ref | None
    domains: list[Ref]
    themes: list[ThemeLevel]
    contact: str | None = None
    # Issue 16: "wil leren over" and "kom brengen" (hidden with the themes when private).
    seeks: list[Ref] = []
    offers: list[ThemeLevel] = []
    role_level: str = ""
    perspective: str = ""


class OrganisationPublic(BaseModel):
    id: str
    name: str
    abbreviation: str | None
    kind: str
    relation: str
    gemeente: Ref | None
    domains: list[Ref]


class RegionPublic(BaseModel):
    id: str
    name: str
    kind: str
    lat: float
    lon: float
    provincie: str | None
    aliases: list[str]
    tags: list[str]
    part_of: list[Ref] = []
    gemeenten: list[Ref] = []


class ThemePublic(BaseModel):
    id: str
    name: str
    gloss_en: str
    description: str
    synonyms: list[str]
    assignable: bool
    broader: list[Ref] = []
    narrower: list[Ref] = []


class PracticePublic(BaseModel):
    id: str
    title: str
    summary: str
    themes: list[Ref]
    regions: list[Ref]
    organisations: list[Ref]


class CommunityPublic(BaseModel):
    id: str
    name: str
    kind: str
    description: str
    themes: list[Ref]
    members: int


class Distance(BaseModel):
    from_: Ref = Field(alias="from")
    to: Ref
    km: float

    model_config = ConfigDict(populate_by_name=True)


class Health(BaseModel):
    status: str
    store: str
    nodes: int
    relationships: int
    version: str


class ImportResult(BaseModel):
    rows: dict[str, int]
    written: dict[str, int]
    errors: list[dict[str, Any]]


# Every list and string of an input model has a maximum (a body also has a size limit).
MAX_ITEMS = 50
Short = Annotated[str, StringConstraints(max_length=300)]


class ThemeRef(BaseModel):
    """A theme with the member's level on it."""

    model_config = ConfigDict(extra="forbid")
    theme: Short
    level: int = Field(default=2, ge=1, le=3)


class MemberIn(BaseModel):
    """A member as the exchange format describes it (see docs/exchange-format.md)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                         pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
    name: str = Field(min_length=1, max_length=300)
    function: Short | None = None
    organisation: Short | None = None
    gemeente: Short | None = None
    domains: Annotated[list[Short], Field(max_length=MAX_ITEMS)] = []
    themes: Annotated[list[Short | ThemeRef], Field(max_length=MAX_ITEMS)] = []
    roles: Annotated[list[Short], Field(max_length=10)] = ["member"]
    profile: Annotated[str, Field(max_length=5000)] = ""
    availability: Annotated[str, Field(max_length=200)] = ""
    visibility: Annotated[str, Field(max_length=20)] = "members"
    consent_matching: bool = True
    consent_contact: bool = False
    contact: Annotated[str, Field(max_length=200)] = ""
    private_fields: Annotated[list[Short], Field(max_length=10)] = []


MatchKind = Literal["member", "expert", "ambassador", "region", "practice", "community"]


class MatchRequest(BaseModel):
    """A question for the matcher."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
    near: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        None, description="Gemeente, region or provincie (id or name) the question is about.")
    radius_km: float | None = Field(None, gt=0, le=400, description="Only candidates this near.")
    kinds: list[MatchKind] | None = Field(None, min_length=1, max_length=6,
                                          description="What to suggest; all kinds when left out.")
    limit: int = Field(10, ge=1, le=50)
    asker_domain: str | None = Field(
        None, max_length=200,
        description="The asker's own domain (id or name), to favour other domains.")


class MatchReason(BaseModel):
    signal: str
    contribution: float
    text: str


class MatchSuggestion(BaseModel):
    kind: str
    id: str
    name: str
    score: float = Field(description="The sum of the reasons' contributions.")
    reasons: list[MatchReason]
    detail: dict[str, Any] = {}


class MatchResponse(BaseModel):
    results: list[MatchSuggestion]
    took_ms: float
    understood: dict[str, Any] = Field(
        default={}, description="Themes, place, domains and roles read from the question.")


class Erased(BaseModel):
    """What an erasure removed; the rest is kept only as anonymised counts."""

    id: str
    questions: int
    introductions: int


class ProfileIn(BaseModel):
    """The fields a member may change on their own profile; leave a field out to keep it."""

    model_config = ConfigDict(extra="forbid")

    function: str | None = Field(default=None, max_length=300)
    profile: str | None = Field(default=None, max_length=5000)
    availability: str | None = Field(default=None, max_length=200)
    gemeente: str | None = Field(default=None, max_length=200,
                                 description="Your gemeente (never an address).")
    domains: Annotated[list[Short], Field(max_length=MAX_ITEMS)] | None = None
    themes: Annotated[list[Short | ThemeRef], Field(max_length=MAX_ITEMS)] | None = Field(
        default=None, description='Theme names or ids, or {"theme": …, "level": 1-3}.')
    visibility: Literal["members", "staff", "none"] | None = None
    private_fields: Annotated[list[Literal["organisation", "function", "themes", "contact"]],
                              Field(max_length=4)] | None = None
    consent_matching: bool | None = None
    consent_contact: bool | None = None
    contact: str | None = Field(default=None, max_length=200)
    seeks: Annotated[list[Short], Field(max_length=MAX_ITEMS)] | None = Field(
        default=None, description="Themes to learn about.")
    offers: Annotated[list[Short | ThemeRef], Field(max_length=MAX_ITEMS)] | None = Field(
        default=None, description='Themes you bring: names or ids, or {"theme": …, "level": 1-3}.')
    role_level: Literal["", "uitvoering", "beleid", "bestuur"] | None = None
    perspective: Literal["", "professional", "ouder/verzorger", "jongere", "bestuurder",
                         "onderzoeker"] | None = None


class FieldProblem(BaseModel):
    """One problem with one input field: where it is, what is wrong (Dutch), its kind."""

    model_config = ConfigDict(extra="allow")
    loc: list[str | int] = Field(description='Where: ["body", "themes", 0] or ["query", "limit"].')
    msg: str = Field(description="What is wrong, in Dutch.")
    type: str = Field(description="The kind of problem (pydantic's type or Schakel's own).")


class ErrorBody(BaseModel):
    """Every error answer: a Dutch text, or one problem per field; the request id to quote."""

    detail: str | list[FieldProblem]
    request_id: str | None = Field(default=None, description="Also in the X-Request-ID header.")


class Meaning(BaseModel):
    """How far the background encoder is: texts whose meaning (vector) counts in matching."""

    done: int
    total: int
    text: str = Field(description='In Dutch, e.g. "betekenis: 41.200 van 100.000 teksten".')


class Ready(BaseModel):
    status: Literal["klaar", "niet klaar"]
    store: bool
    read_models: dict[str, bool]
    meaning: Meaning | None = Field(
        default=None, description="Matching answers before every text is encoded; this says "
                                  "how many are.")


def _error(text: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": text}


# Documented on every route (the app's one error table gives them all the same body).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Het verzoek is niet te lezen (geen UTF-8, geen geldige JSON)."),
    401: _error("Geen of een onbekende sleutel."),
    403: _error("De sleutel mag dit niet (te lage rol, of geen lid gekoppeld)."),
    404: _error("Niet gevonden, of niet zichtbaar voor u."),
    409: _error("Kan nu niet: de stap past niet bij de huidige stand."),
    413: _error("Het verzoek is te groot."),
    422: _error("De invoer klopt niet; per veld wat er mis is."),
    429: _error("Te veel verzoeken kort na elkaar; zie Retry-After."),
    503: _error("Tijdelijk niet beschikbaar (opslag onbereikbaar, matcher nog bezig)."),
}
ERRORS_503 = {503: ERRORS[503]}
