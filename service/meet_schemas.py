"""Request and response shapes of the lid worden, activity and community API (issue 16).

The maxima match the graph model's, so a request that passes here never fails in the store.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schakel.graph.model import ACTIVITY_KINDS, PERSPECTIVES, ROLE_LEVELS
from schakel.matching.intake import STEPS as INTAKE_STEPS

Id = Annotated[str, Field(min_length=1, max_length=200)]
Short = Annotated[str, Field(max_length=300)]
Text = Annotated[str, Field(max_length=5000)]
Level = Literal[tuple(ROLE_LEVELS)]  # type: ignore[valid-type]
Perspective = Literal[tuple(PERSPECTIVES)]  # type: ignore[valid-type]
Private = Literal["organisation", "function", "themes", "contact"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- lid worden ---------------------------------------------------------------------------
class ApplicationIn(_In):
    """What the public "Lid worden" page asks, as JSON."""

    name: str = Field(min_length=1, max_length=300)
    contact: str = Field("", max_length=200, description="E-mail or phone, for staff.")
    organisation: Short = Field("", description="Organisation id or name; a new name is "
                                                "created on approval.")
    gemeente: str = Field("", max_length=100)
    function: Short = ""
    domains: list[Id] = Field([], max_length=10)
    role_level: Level | Literal[""] = ""
    perspective: Perspective | Literal[""] = ""
    learn: Text = Field("", description="Wat wilt u leren?")
    need: Text = Field("", description="Wat heeft u nodig? Becomes the first question.")
    bring: Text = Field("", description="Wat komt u brengen?")
    seeks: list[Id] = Field([], max_length=10, description="Themes: wil leren over.")
    offers: list[Id] = Field([], max_length=10, description="Themes: kom brengen.")
    visibility: Literal["members", "staff", "none"] = "members"
    private_fields: list[Private] = Field([], max_length=4)
    consent_matching: bool = True
    consent_contact: bool = False
    agree: bool = Field(description="The regiebureau may keep these details (must be true).")


class ApplicationReceived(BaseModel):
    id: str
    state: str
    message: str


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    state: str
    state_nl: str
    name: str
    contact: str
    organisation: str
    gemeente: str
    function: str
    domains: list[str]
    role_level: str
    perspective: str
    learn: str
    need: str
    bring: str
    seeks: list[str]
    offers: list[str]
    visibility: str
    consent_matching: bool
    consent_contact: bool
    private_fields: list[str]
    created: str
    updated: str
    staff_question: str
    member: str
    question: str
    actions: list[str] = Field(description="Steps that may follow the current state.")


class DecisionIn(_In):
    action: Literal[tuple(INTAKE_STEPS)]  # type: ignore[valid-type]
    note: str = Field("", max_length=2000, description="With ask_more: what staff ask.")


class DecisionOut(BaseModel):
    application: ApplicationOut
    member_id: str = ""
    key: str = Field("", description="The new member's login key: in this answer only, "
                                     "never stored; pass it on.")
    question: str = Field("", description="The first question (heb nodig), if any.")


# -- activities ---------------------------------------------------------------------------
class ActivityIn(_In):
    title: str = Field(min_length=1, max_length=300)
    kind: Literal[tuple(ACTIVITY_KINDS)] = "webinar"  # type: ignore[valid-type]
    day: str = Field(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                     description="JJJJ-MM-DD, in Amsterdam.")
    start: str = Field(max_length=5, pattern=r"^\d{1,2}:\d{2}$",
                       description="UU:MM, Amsterdam time.")
    end: str = Field("", max_length=5, pattern=r"^(\d{1,2}:\d{2})?$",
                     description="UU:MM; empty: as start.")
    online: bool = False
    gemeente: str = Field("", max_length=100, description="Needed unless online.")
    themes: list[Id] = Field([], max_length=10)
    capacity: int = Field(20, ge=1, le=10000)
    description: Text = ""
    audience_levels: list[Level] = Field([], max_length=3)
    audience_perspectives: list[Perspective] = Field([], max_length=5)
    organiser: str = Field("", max_length=200, description="A member, organisation or "
                                                          "community id.")


class ActivityOut(BaseModel):
    id: str
    title: str
    kind: str
    starts: str = Field(description="ISO time with the Amsterdam offset.")
    ends: str
    online: bool
    place: str = Field(description="The gemeente's name, or 'online'.")
    themes: list[str]
    description: str
    capacity: int
    confirmed: int
    waiting: int
    mine: Literal["", "confirmed", "waiting"] = Field(description="The caller's sign-up.")
    my_position: int = Field(description="On the waiting list (1 = next); 0: not waiting.")
    audience_levels: list[str]
    audience_perspectives: list[str]
    attendance_recorded: bool


class ActivityDetail(ActivityOut):
    people: list[str] = Field(description="Who comes (or came), as far as each person's "
                                          "visibility allows.")
    others: int = Field(description="How many more, not named.")


class SignUpOut(BaseModel):
    activity: str
    status: Literal["confirmed", "waiting"]
    position: int = Field(description="On the waiting list (1 = next); 0 with a place.")
    message: str


class MessageOut(BaseModel):
    message: str


class SignedUpOut(BaseModel):
    id: str
    name: str
    status: str


class AttendanceIn(_In):
    present: list[Id] = Field(max_length=200, description="Member ids of who came.")


class AttendanceOut(BaseModel):
    present: int
    ties: int = Field(description="'Ontmoet bij' ties: pairs of people who were there.")


# -- communities --------------------------------------------------------------------------
class SessionOut(BaseModel):
    id: str
    title: str
    starts: str


class CommunityPageOut(BaseModel):
    id: str
    name: str
    kind: str
    description: str
    themes: list[str]
    coordinators: list[str]
    members: list[str] = Field(description="Names the caller may see.")
    others: int = Field(description="Members the caller may not see: a number, never a name.")
    sessions: list[SessionOut]
    standing: Literal["none", "asked", "invited", "member"]
    may_decide: bool
    requests: list[dict[str, str]] = Field(description="Who asks to join (id, name): for a "
                                                       "coordinator or staff only.")


class JoinIn(_In):
    action: Literal["ask", "withdraw", "leave", "accept_invite", "decline_invite"]


class DecideIn(_In):
    decision: Literal["accept", "refuse"]


class StandingOut(BaseModel):
    standing: str
    message: str


# -- a notice that starts something --------------------------------------------------------
class StartIn(_In):
    kind: Literal["cop", "intervisiegroep"] = Field(
        description="A community of practice, or an intervisie group.")
    name: str = Field("", max_length=300, description="Empty: named after the theme.")


class StartedOut(BaseModel):
    community: str
    invited: int = Field(description="Askers invited (members who consent to matching).")
    left_out: int = Field(description="Askers not invited: no consent, or not a member.")
