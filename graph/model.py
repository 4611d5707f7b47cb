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
    "Member", "Practice", "Community", "Question", "Introduction", "Signal", "Table", "Tally",
    "Relationship",
    "NODE_MODELS", "REL_SCHEMA", "ROLES", "VISIBILITY", "ORG_KINDS", "ORG_RELATIONS",
    "COMMUNITY_KINDS",
    "INTRO_STATES", "QUESTION_STATUSES",
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


class Signal(Node):
    """A knelpunt from practice, followed through the network's seven steps."""

    label: ClassVar[str] = "Signal"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000)]
    step: int = Field(default=1, ge=1, le=7)


class Table(Node):
    """A national or network table where signals are put on the agenda."""

    label: ClassVar[str] = "Table"
    name: Name


class Tally(Node):
    """Anonymised counts left after members were erased (AVG): linked to nobody."""

    label: ClassVar[str] = "Tally"
    erased_members: int = Field(default=0, ge=0)
    questions: int = Field(default=0, ge=0)
    introductions: int = Field(default=0, ge=0)
    outcome_nuttig: int = Field(default=0, ge=0)
    outcome_niet_nuttig: int = Field(default=0, ge=0)
    outcome_geen_contact: int = Field(default=0, ge=0)


NODE_MODELS: dict[str, type[Node]] = {
    m.label: m
    for m in (Domain, Region, Theme, Organisation, Member, Practice, Community,
              Question, Introduction, Signal, Table, Tally)
}


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
    result: Text = ""


# type -> (allowed start labels, allowed end labels, property model)
REL_SCHEMA: dict[str, tuple[frozenset[str], frozenset[str], type[BaseModel]]] = {
    "WORKS_AT": (frozenset({"Member"}), frozenset({"Organisation"}), _NoProps),
    "ACTIVE_IN": (frozenset({"Member"}), frozenset({"Domain"}), _NoProps),
    "WORKS_ON": (frozenset({"Member"}), frozenset({"Theme"}), _Level),
    "BASED_IN": (frozenset({"Member", "Organisation"}), frozenset({"Region"}), _NoProps),
    "PART_OF": (frozenset({"Region"}), frozenset({"Region"}), _NoProps),
    "IN_DOMAIN": (frozenset({"Organisation"}), frozenset({"Domain"}), _NoProps),
    "IN_REGION": (frozenset({"Practice", "Question"}), frozenset({"Region"}), _NoProps),
    "ABOUT": (frozenset({"Practice", "Community", "Question", "Signal"}), frozenset({"Theme"}),
              _NoProps),
    "INVOLVES": (frozenset({"Practice"}), frozenset({"Organisation"}), _NoProps),
    "MEMBER_OF": (frozenset({"Member"}), frozenset({"Community"}), _NoProps),
    "KNOWS": (frozenset({"Member"}), frozenset({"Member"}), _Knows),
    "BROADER": (frozenset({"Theme"}), frozenset({"Theme"}), _NoProps),
    "ASKED_BY": (frozenset({"Question"}), frozenset({"Member", "Organisation", "Region"}),
                 _NoProps),
    "FOR": (frozenset({"Introduction"}), frozenset({"Question"}), _NoProps),
    "SUGGESTS": (frozenset({"Introduction"}),
                 frozenset({"Member", "Region", "Practice", "Community"}), _NoProps),
    "RECOGNISES": (frozenset({"Member"}), frozenset({"Signal"}), _NoProps),
    "AGENDERED_AT": (frozenset({"Signal"}), frozenset({"Table"}), _Agendered),
    "CONFLICT": (frozenset({"Member"}), frozenset({"Member", "Organisation"}), _Conflict),
}

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
