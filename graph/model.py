"""The graph model: typed nodes with stable string ids, and the relationships between them.

Properties are flat (strings, numbers, booleans and lists of those) so every node can be
stored unchanged in SQLite and in Neo4j, whose properties cannot hold nested maps.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from schakel.errors import GraphValidationError

__all__ = [
    "NodeId", "Role", "RegionKind", "Node", "Domain", "Region", "Theme", "Organisation",
    "Member", "Practice", "Community", "Question", "Introduction", "Call", "Signal", "Table",
    "Tally", "Relationship",
    # issue 16
    "Application", "APPLICATION_STATES", "Activity", "ACTIVITY_KINDS", "ROLE_LEVELS",
    "PERSPECTIVES",
    "NODE_MODELS", "REL_SCHEMA", "ROLES", "VISIBILITY", "ORG_KINDS", "ORG_RELATIONS",
    "COMMUNITY_KINDS",
    "INTRO_STATES", "QUESTION_STATUSES", "CHANNELS", "URGENCIES", "INSTRUMENTS", "OPTIONS",
    "node_from_dict", "problems_from",
]

NodeId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]

Role = Literal["member", "expert", "ambassador", "verbinder", "ervaringsdeskundige"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
Visibility = Literal["members", "staff", "none"]
VISIBILITY: tuple[str, ...] = Visibility.__args__  # type: ignore[attr-defined]
OrgKind = Literal[
    "school", "schoolbestuur", "samenwerkingsverband", "kindcentrum", "kinderopvang",
    "gemeente", "wijkteam", "jeugdhulpaanbieder", "ggd-jgz", "zorgaanbieder", "welzijn",
    "ouderorganisatie", "koepel", "ministerie", "kennisinstituut", "hogeschool-universiteit",
    "netwerk", "adviesbureau", "toezicht", "overig",
]
ORG_KINDS: tuple[str, ...] = OrgKind.__args__  # type: ignore[attr-defined]
OrgRelation = Literal[
    "kernpartner", "coalitiepartij", "opdrachtgever", "kennispartner", "praktijk", "lid", "overig"
]
ORG_RELATIONS: tuple[str, ...] = OrgRelation.__args__  # type: ignore[attr-defined]
CommunityKind = Literal["cop", "themagroep", "intervisiegroep", "leernetwerk", "netwerk"]
COMMUNITY_KINDS: tuple[str, ...] = CommunityKind.__args__  # type: ignore[attr-defined]
RegionKind = Literal["gemeente", "regio", "jeugdregio", "provincie", "land"]
RoleLevel = Literal["", "uitvoering", "beleid", "bestuur"]
ROLE_LEVELS: tuple[str, ...] = RoleLevel.__args__[1:]  # type: ignore[attr-defined]
Perspective = Literal["", "professional", "ouder/verzorger", "jongere", "bestuurder",
                      "onderzoeker"]
PERSPECTIVES: tuple[str, ...] = Perspective.__args__[1:]  # type: ignore[attr-defined]


class Node(BaseModel):
    """A node: a label (the class) and a stable string id; everything else is a property."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    label: ClassVar[str] = "Node"

    id: NodeId

    def props(self) -> dict[str, Any]:
        """Properties without the id, as JSON-compatible values."""
        return self.model_dump(mode="json", exclude={"id"})

    def extra_labels(self) -> list[str]:
        """Labels beyond the main one (roles become labels in stores that support them)."""
        return []


class Domain(Node):
    label: ClassVar[str] = "Domain"
    name: Name
    description: Text = ""
    synonyms: list[Name] = []


class Region(Node):
    """A gemeente, a named region (jeugdregio, inspiratieregio), a provincie or the land."""

    label: ClassVar[str] = "Region"
    name: Name
    kind: RegionKind
    lat: float = Field(ge=50.0, le=54.0)
    lon: float = Field(ge=3.0, le=7.5)
    provincie: NodeId | None = None
    aliases: list[Name] = []
    tags: list[Name] = []


class Theme(Node):
    label: ClassVar[str] = "Theme"
    name: Name
    gloss_en: Text = ""
    description: Text = ""
    synonyms: list[Name] = []
    # How people in practice describe a case of it without naming it (read by meaning).
    examples: list[Text] = Field(default=[], max_length=20)
    # Framework themes (e.g. "zeven adviezen") describe the network, not someone's expertise.
    assignable: bool = True


class Organisation(Node):
    label: ClassVar[str] = "Organisation"
    name: Name
    abbreviation: Name | None = None
    kind: OrgKind = "overig"
    relation: OrgRelation = "overig"


class Member(Node):
    """A person in the network. Location is only ever a gemeente (BASED_IN), never an address."""

    label: ClassVar[str] = "Member"
    name: Name
    function: Name | None = None
    roles: list[Role] = Field(default_factory=lambda: ["member"])
    profile: Text = ""
    availability: Annotated[str, StringConstraints(max_length=200)] = ""
    visibility: Visibility = "members"
    consent_matching: bool = True
    consent_contact: bool = False
    # E-mail or telephone; shared through brokering only after both sides said yes.
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    # Fields shown to regiebureau staff only (see graph/privacy.py).
    private_fields: list[Literal["organisation", "function", "themes", "contact"]] = []
    # Brokering: at most ``capacity`` open requests at a time (0: not now), and
    # ``cooldown_days`` rest after being asked before being asked again.
    capacity: int = Field(default=3, ge=0, le=50)
    cooldown_days: int = Field(default=7, ge=0, le=365)
    # Lid worden (issue 16): the level someone works at and the eyes they look with.
    role_level: RoleLevel = ""
    perspective: Perspective = ""

    def extra_labels(self) -> list[str]:
        return sorted({r.capitalize() for r in self.roles if r != "member"})


class Practice(Node):
    """A praktijkvoorbeeld: local practice that can inspire others."""

    label: ClassVar[str] = "Practice"
    title: Name
    summary: Text = ""
    source: Annotated[str, StringConstraints(max_length=100)] = ""


class Community(Node):
    """A community of practice, themagroep, intervisiegroep or leernetwerk."""

    label: ClassVar[str] = "Community"
    name: Name
    kind: CommunityKind = "cop"
    description: Text = ""


QuestionKind = Literal["leervraag", "hulpvraag", "ontwikkelvraag"]
QuestionStatus = Literal["nieuw", "in behandeling", "voorgesteld", "afgerond"]
QUESTION_STATUSES: tuple[str, ...] = QuestionStatus.__args__  # type: ignore[attr-defined]
IntroState = Literal[
    "proposed", "approved", "dropped", "candidate_accepted", "candidate_declined",
    "asker_accepted", "asker_declined", "introduced", "closed",
]
INTRO_STATES: tuple[str, ...] = IntroState.__args__  # type: ignore[attr-defined]
Outcome = Literal["", "nuttig", "niet nuttig", "geen contact"]
# One entry per action, as a small JSON object {"at", "who", "action", ...}: a flat list of
# strings, which both stores keep as it is.
History = list[Annotated[str, StringConstraints(max_length=3000)]]


class Question(Node):
    """A leervraag, hulpvraag or ontwikkelvraag from a member, organisation or region
    (ASKED_BY); its themes are ABOUT relationships, its place an IN_REGION one."""

    label: ClassVar[str] = "Question"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]
    kind: QuestionKind = "leervraag"
    status: QuestionStatus = "nieuw"
    created: str = ""
    updated: str = ""
    # The asker asked for people of their own organisation too.
    own_organisation: bool = False
    note: Text = ""
    history: History = []


class Introduction(Node):
    """A brokering record: (Introduction)-[:FOR]->(Question), -[:SUGGESTS]->(candidate).

    Times are ISO strings (UTC), empty until the step happened. ``features`` are the
    matcher's raw signal values (names in ``feature_names``) when it was proposed.
    """

    label: ClassVar[str] = "Introduction"
    state: IntroState = "proposed"
    created: str = ""
    kind: Annotated[str, StringConstraints(max_length=40)] = ""
    source: Literal["slate", "staff"] = "slate"
    rank: int = Field(default=0, ge=0)
    score: float = 0.0
    reasons: list[Annotated[str, StringConstraints(max_length=500)]] = []
    themes: list[NodeId] = []
    cross_domain: bool = False
    features: list[float] = []
    feature_names: list[Annotated[str, StringConstraints(max_length=40)]] = []
    approved_at: str = ""
    candidate_at: str = ""
    asker_at: str = ""
    introduced_at: str = ""
    outcome: Outcome = ""
    outcome_at: str = ""
    note: Text = ""
    history: History = []


Date = Annotated[str, StringConstraints(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
Channel = Literal["online", "intake", "gesprek", "werkveld", "oproep", "import"]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]
Urgency = Literal["", "laag", "gemiddeld", "hoog"]
URGENCIES: tuple[str, ...] = Urgency.__args__  # type: ignore[attr-defined]
# The Verbindingsroute's five instruments (where a knelpunt's cause sits) and its six
# handelingsopties (what national parties can do about it).
Instrument = Literal["", "wetgeving", "sturen en verantwoorden", "financiering",
                     "besluitvorming", "communicatie"]
INSTRUMENTS: tuple[str, ...] = Instrument.__args__[1:]  # type: ignore[attr-defined]
Option = Literal["", "agendering, lobby en beleidsbeïnvloeding",
                 "kennisdeling, inspiratie en uitvoeringsondersteuning",
                 "dataverzameling en onderzoek", "professionalisering en vakontwikkeling",
                 "financiering, subsidiëring en experimenteerruimte",
                 "beleidskaders, wetten en richtlijnen"]
OPTIONS: tuple[str, ...] = Option.__args__[1:]  # type: ignore[attr-defined]


class Call(Node):
    """An uitvraag (step 01): an open call to the network, or one targeted at an earlier
    signal (FOLLOWS_UP). Themes ABOUT, domains IN_DOMAIN, regions IN_REGION."""

    label: ClassVar[str] = "Call"
    title: Name
    text: Text = ""
    kind: Literal["open", "gericht"] = "open"
    opens: Date = ""
    closes: Date = ""
    created: str = ""


class Signal(Node):
    """A knelpunt from practice, followed through the network's seven steps (01-07).

    Who raised it is a RAISED_BY relationship (member, organisation or region); without
    one it came in anonymously through the regiebureau. Themes are ABOUT, domains IN_DOMAIN,
    the place IN_REGION, the call it answers ANSWERS. ``cluster`` is a hand decision of
    staff (signals with the same key stay together when clusters are computed again).
    """

    label: ClassVar[str] = "Signal"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]
    step: int = Field(default=1, ge=1, le=7)
    channel: Channel = "online"
    urgency: Urgency = ""
    instrument: Instrument = ""
    option: Option = ""
    created: str = ""
    updated: str = ""
    causes: Text = ""  # step 04: what deepening found
    shared: Text = ""  # step 05: how it was shared (interview, podcast, Blikvanger ...)
    feedback: Text = ""  # step 07: what happened, which steps, the result
    cluster: Annotated[str, StringConstraints(max_length=100)] = ""
    history: History = []


class Table(Node):
    """A national or network table where signals are put on the agenda."""

    label: ClassVar[str] = "Table"
    name: Name
    kind: Annotated[str, StringConstraints(max_length=100)] = ""
    scope: Text = ""


class Tally(Node):
    """Anonymised counts left after members were erased (AVG): linked to nobody."""

    label: ClassVar[str] = "Tally"
    erased_members: int = Field(default=0, ge=0)
    questions: int = Field(default=0, ge=0)
    introductions: int = Field(default=0, ge=0)
    outcome_nuttig: int = Field(default=0, ge=0)
    outcome_niet_nuttig: int = Field(default=0, ge=0)
    outcome_geen_contact: int = Field(default=0, ge=0)
    signals: int = Field(default=0, ge=0)
    recognitions: int = Field(default=0, ge=0)


# -- Lid worden en elkaar ontmoeten (issue 16) ------------------------------------------------
ApplicationState = Literal["pending", "more_info", "approved", "refused"]
APPLICATION_STATES: tuple[str, ...] = ApplicationState.__args__  # type: ignore[attr-defined]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class Application(Node):
    """Someone asking to become a member: what they filled in on "Lid worden", until staff
    approve it (then ``member`` is the new member's id, BECAME points there) or refuse it
    (then the personal fields are emptied)."""

    label: ClassVar[str] = "Application"
    state: ApplicationState = "pending"
    name: Name
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    organisation: Short = ""  # an organisation id, or the name of a new one
    gemeente: Short = ""
    function: Short = ""
    domains: list[NodeId] = []
    role_level: RoleLevel = ""
    perspective: Perspective = ""
    # The three intake questions, in the person's own words, and the themes they picked.
    learn: Text = ""
    need: Text = ""
    bring: Text = ""
    seeks: list[NodeId] = []
    offers: list[NodeId] = []
    offer_levels: list[int] = []  # one level (1-3) per entry of ``offers``
    visibility: Visibility = "members"
    consent_matching: bool = True
    consent_contact: bool = False
    private_fields: list[Literal["organisation", "function", "themes", "contact"]] = []
    created: str = ""
    updated: str = ""
    staff_question: Text = ""  # what staff asked when they asked for more
    member: str = ""
    question: str = ""  # the "heb nodig" question, once approved
    history: History = []


ActivityKind = Literal["webinar", "intervisie", "studiemiddag", "werkbezoek",
                       "ambassadeursbijeenkomst", "cop-sessie"]
ACTIVITY_KINDS: tuple[str, ...] = ActivityKind.__args__  # type: ignore[attr-defined]
LocalTime = Annotated[str, StringConstraints(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?[+-]\d{2}:\d{2}$")]


class Activity(Node):
    """Where people meet: a webinar, intervisie, studiemiddag, werkbezoek, … Times are ISO
    with the Europe/Amsterdam offset of that day; the place is IN_REGION (none: online),
    themes ABOUT, the organiser ORGANISED_BY. Members SIGNED_UP (confirmed or waiting, in
    order), and ATTENDED once staff recorded it."""

    label: ClassVar[str] = "Activity"
    title: Name
    kind: ActivityKind = "webinar"
    starts: LocalTime
    ends: LocalTime
    online: bool = False
    description: Text = ""
    capacity: int = Field(default=20, ge=1, le=10000)
    audience_levels: list[RoleLevel] = []
    audience_perspectives: list[Perspective] = []
    attendance_recorded: bool = False


class _SignedUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["confirmed", "waiting"] = "confirmed"
    position: int = Field(default=0, ge=0)  # order of signing up: the waiting list moves up
    at: str = ""


class _MetAt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activity: Annotated[str, StringConstraints(max_length=200)] = ""


NODE_MODELS: dict[str, type[Node]] = {
    m.label: m
    for m in (Domain, Region, Theme, Organisation, Member, Practice, Community,
              Question, Introduction, Call, Signal, Table, Tally)
}
NODE_MODELS.update({m.label: m for m in (Application, Activity)})  # issue 16


class _NoProps(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(default=2, ge=1, le=3)


class _Knows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    context: Literal["collega", "regio", "brug", "community", "anders"] = "anders"


class _Conflict(BaseModel):
    """A conflict of interest staff entered: never introduce these two."""

    model_config = ConfigDict(extra="forbid")
    note: Text = ""
    by: Annotated[str, StringConstraints(max_length=100)] = ""
    at: str = ""


class _Agendered(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    instrument: Instrument = ""
    option: Option = ""
    result: Text = ""


class _Recognised(BaseModel):
    """A member's "herken ik", with an optional note."""

    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    at: str = ""


# type -> (allowed start labels, allowed end labels, property model)
REL_SCHEMA: dict[str, tuple[frozenset[str], frozenset[str], type[BaseModel]]] = {
    "WORKS_AT": (frozenset({"Member"}), frozenset({"Organisation"}), _NoProps),
    "ACTIVE_IN": (frozenset({"Member"}), frozenset({"Domain"}), _NoProps),
    "WORKS_ON": (frozenset({"Member"}), frozenset({"Theme"}), _Level),
    "BASED_IN": (frozenset({"Member", "Organisation"}), frozenset({"Region"}), _NoProps),
    "PART_OF": (frozenset({"Region"}), frozenset({"Region"}), _NoProps),
    "IN_DOMAIN": (frozenset({"Organisation", "Call", "Signal"}), frozenset({"Domain"}),
                  _NoProps),
    "IN_REGION": (frozenset({"Practice", "Question", "Call", "Signal"}), frozenset({"Region"}),
                  _NoProps),
    "ABOUT": (frozenset({"Practice", "Community", "Question", "Call", "Signal"}),
              frozenset({"Theme"}), _NoProps),
    "INVOLVES": (frozenset({"Practice"}), frozenset({"Organisation"}), _NoProps),
    "MEMBER_OF": (frozenset({"Member"}), frozenset({"Community"}), _NoProps),
    "KNOWS": (frozenset({"Member"}), frozenset({"Member"}), _Knows),
    "BROADER": (frozenset({"Theme"}), frozenset({"Theme"}), _NoProps),
    "ASKED_BY": (frozenset({"Question"}), frozenset({"Member", "Organisation", "Region"}),
                 _NoProps),
    "FOR": (frozenset({"Introduction"}), frozenset({"Question"}), _NoProps),
    "SUGGESTS": (frozenset({"Introduction"}),
                 frozenset({"Member", "Region", "Practice", "Community"}), _NoProps),
    "RECOGNISES": (frozenset({"Member"}), frozenset({"Signal"}), _Recognised),
    "AGENDERED_AT": (frozenset({"Signal"}), frozenset({"Table"}), _Agendered),
    "RAISED_BY": (frozenset({"Signal"}), frozenset({"Member", "Organisation", "Region"}),
                  _NoProps),
    "ANSWERS": (frozenset({"Signal"}), frozenset({"Call"}), _NoProps),
    "FOLLOWS_UP": (frozenset({"Call"}), frozenset({"Signal"}), _NoProps),
    # Verdiepen: a question the regiebureau asks the network about a signal (brokering).
    "DEEPENS": (frozenset({"Question"}), frozenset({"Signal"}), _NoProps),
    "CONFLICT": (frozenset({"Member"}), frozenset({"Member", "Organisation"}), _Conflict),
}
# -- Lid worden en elkaar ontmoeten (issue 16): wil leren over, kom brengen ----------------
REL_SCHEMA.update({
    "SEEKS": (frozenset({"Member"}), frozenset({"Theme"}), _NoProps),
    "OFFERS": (frozenset({"Member"}), frozenset({"Theme"}), _Level),
    "BECAME": (frozenset({"Application"}), frozenset({"Member"}), _NoProps),
    "ORGANISED_BY": (frozenset({"Activity"}), frozenset({"Member", "Organisation", "Community"}),
                     _NoProps),
    "SIGNED_UP": (frozenset({"Member"}), frozenset({"Activity"}), _SignedUp),
    "ATTENDED": (frozenset({"Member"}), frozenset({"Activity"}), _NoProps),
    "MET_AT": (frozenset({"Member"}), frozenset({"Member"}), _MetAt),  # a weak tie: "ontmoet bij"
    "COORDINATES": (frozenset({"Member"}), frozenset({"Community"}), _NoProps),
    "WANTS_TO_JOIN": (frozenset({"Member"}), frozenset({"Community"}), _NoProps),
    # staff invite askers of a recurring theme into a community they started for it
    "INVITED_TO": (frozenset({"Member"}), frozenset({"Community"}), _NoProps),
})
# Activities have themes and a place like practices do.
for _rel in ("ABOUT", "IN_REGION"):
    _s, _e, _p = REL_SCHEMA[_rel]
    REL_SCHEMA[_rel] = (_s | {"Activity"}, _e, _p)

RelType = Literal[tuple(REL_SCHEMA)]  # type: ignore[valid-type]


class Relationship(BaseModel):
    """A typed, directed relationship. At most one of each type between two nodes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    type: RelType
    start: NodeId = Field(alias="from")
    end: NodeId = Field(alias="to")
    props: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.start, self.type, self.end)

    def checked_props(self) -> dict[str, Any]:
        """Properties validated against the type's schema, defaults filled in."""
        if not self.props and self.type in _DEFAULT_PROPS:  # the common case at bulk load
            return dict(_DEFAULT_PROPS[self.type])
        model = REL_SCHEMA[self.type][2]
        return model.model_validate(self.props).model_dump(mode="json")

    @classmethod
    def of(cls, type: str, start: str, end: str, **props: Any) -> Relationship:
        """Shorthand: ``Relationship.of("WORKS_ON", "m-1", "lvb", level=3)``."""
        return cls(type=type, start=start, end=end, props=props)


_DEFAULT_PROPS: dict[str, dict[str, Any]] = {}
for _type, (_, _, _model) in REL_SCHEMA.items():
    try:
        _DEFAULT_PROPS[_type] = _model().model_dump(mode="json")
    except ValidationError:  # a required property (AGENDERED_AT's date): validate each time
        pass


def problems_from(error: ValidationError, item: Any) -> list[dict[str, Any]]:
    """Turn a pydantic error into ``{"item", "field", "message"}`` problems naming the field."""
    return [
        {
            "item": item,
            "field": ".".join(str(p) for p in e["loc"]) or "(document)",
            "message": e["msg"],
        }
        for e in error.errors()
    ]


def node_from_dict(label: str, data: dict[str, Any], item: Any = None) -> Node:
    """Build a typed node from a plain dict; raises :class:`GraphValidationError`."""
    model = NODE_MODELS.get(label)
    if model is None:
        raise GraphValidationError(
            [{"item": item, "field": "label", "message": f"onbekend label {label!r}"}]
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise GraphValidationError(problems_from(e, item if item is not None else data.get("id")))\
            from e
