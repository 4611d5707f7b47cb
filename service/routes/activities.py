"""Activities over the API: the agenda with filters, one activity, signing up and
cancelling, my agenda and calendar files; staff create activities and record who came."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..application import activities as use
from ..application.activities import Listing
from ..auth import MemberDep, StaffDep
from ..deps import IdParam, StateDep
from ..meet_schemas import (
    ActivityDetail,
    ActivityIn,
    ActivityOut,
    AttendanceIn,
    AttendanceOut,
    MessageOut,
    SignedUpOut,
    SignUpOut,
)

router = APIRouter(prefix="/activities", tags=["activiteiten"])
ICS = {200: {"content": {"text/calendar": {}}, "description": "An iCalendar file."}}
Filter = Annotated[str | None, Query(max_length=200)]


def _out(x: Listing) -> ActivityOut:
    a = x.activity
    return ActivityOut(
        id=a.id, title=a.title, kind=a.kind, starts=a.starts, ends=a.ends, online=a.online,
        place=x.place, themes=x.themes, description=a.description, capacity=a.capacity,
        confirmed=x.confirmed, waiting=x.waiting, mine=x.mine,  # type: ignore[arg-type]
        my_position=x.my_position, audience_levels=list(a.audience_levels),
        audience_perspectives=list(a.audience_perspectives),
        attendance_recorded=a.attendance_recorded)


def _ics(body: bytes, name: str) -> Response:
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("", response_model=list[ActivityOut])
def agenda(state: StateDep, who: MemberDep, theme: Filter = None,
           place: Annotated[str | None, Query(max_length=100, description="A gemeente, or "
                                              "'online'.")] = None,
           month: Annotated[str | None, Query(max_length=7, description="JJJJ-MM")] = None
           ) -> list[ActivityOut]:
    """Activities still to come, soonest first, by theme (narrower themes too), place and
    month."""
    return [_out(x) for x in use.agenda(state, who, theme=theme or None, place=place or None,
                                        month=month or None)]


@router.post("", response_model=ActivityOut, status_code=201)
def create(body: ActivityIn, state: StateDep, who: StaffDep) -> ActivityOut:
    """A new activity. Role: staff. Times are on the wall in Amsterdam."""
    made = use.create_activity(state, who, body.model_dump())
    return _out(use.activity(state, who, made.id))


@router.get("/mine", response_model=list[ActivityOut])
def mine(state: StateDep, who: MemberDep) -> list[ActivityOut]:
    """The caller's activities (with a place or on the waiting list)."""
    return [_out(x) for x in use.my_agenda(state, who)]


@router.get("/mine.ics", response_class=Response, responses=ICS)
def mine_calendar(state: StateDep, who: MemberDep) -> Response:
    ids = [x.activity.id for x in use.my_agenda(state, who)]
    return _ics(use.calendar_file(state, who, ids), "mijn-agenda.ics")


@router.get("/{activity_id}", response_model=ActivityDetail)
def one(activity_id: IdParam, state: StateDep, who: MemberDep) -> ActivityDetail:
    """One activity, with who comes as far as each person's visibility allows (the others
    are a number)."""
    x = use.activity(state, who, activity_id)
    names, others = x.attendees
    return ActivityDetail(**_out(x).model_dump(), people=names, others=others)


@router.get("/{activity_id}/calendar.ics", response_class=Response, responses=ICS)
def calendar(activity_id: IdParam, state: StateDep, who: MemberDep) -> Response:
    use.activity(state, who, activity_id)  # 404 when there is no such activity
    return _ics(use.calendar_file(state, who, [activity_id]), f"{activity_id}.ics")


@router.post("/{activity_id}/sign-up", response_model=SignUpOut, status_code=201)
def sign_up(activity_id: IdParam, state: StateDep, who: MemberDep) -> SignUpOut:
    """Sign up: a place while there is one, else the end of the waiting list. Signed up
    already, or the activity has begun: 409."""
    done = use.sign_up(state, who, activity_id)
    if done.status == "confirmed":
        return SignUpOut(activity=activity_id, status="confirmed", position=0,
                         message="U bent ingeschreven.")
    position = use.activity(state, who, activity_id).my_position
    return SignUpOut(activity=activity_id, status="waiting", position=position,
                     message=f"De activiteit is vol: u staat op de wachtlijst (nummer "
                             f"{position}).")


@router.delete("/{activity_id}/sign-up", response_model=MessageOut)
def cancel(activity_id: IdParam, state: StateDep, who: MemberDep) -> MessageOut:
    """Cancel; a freed place goes to the first on the waiting list. Not signed up: 409."""
    use.cancel(state, who, activity_id)
    return MessageOut(message="U bent uitgeschreven.")


@router.get("/{activity_id}/sign-ups", response_model=list[SignedUpOut])
def sign_ups(activity_id: IdParam, state: StateDep, who: StaffDep) -> list[SignedUpOut]:
    """Everyone signed up, for recording attendance. Role: staff."""
    use.activity(state, who, activity_id)
    return [SignedUpOut(id=i, name=n, status=s)
            for i, n, s in use.signed_up_members(state, activity_id)]


@router.put("/{activity_id}/attendance", response_model=AttendanceOut)
def attendance(activity_id: IdParam, body: AttendanceIn, state: StateDep,
               who: StaffDep) -> AttendanceOut:
    """Who came: ATTENDED for each and an "ontmoet bij" tie between every two of them.
    Role: staff. Someone who is not a member: 422, nothing written."""
    ties = use.record_attendance(state, who, activity_id, body.present)
    return AttendanceOut(present=len(set(body.present)), ties=ties)
