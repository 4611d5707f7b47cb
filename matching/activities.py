"""Activities: signing up (a waiting list when full, moved up in order), cancelling, and
attendance that leaves a weak "ontmoet bij" tie (MET_AT) between people who were there.

Capacity and the waiting list are consistency rules, so every step is one ``store.update``:
the sign-ups are read and counted inside the store's write transaction, and two members
taking the last place at once get one place and one waiting-list spot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from schakel.errors import InvalidQueryError, NodeNotFoundError, TransitionError
from schakel.graph.model import Activity, Member, Relationship
from schakel.graph.store import Batch, GraphStore

__all__ = ["AMSTERDAM", "local_time", "SignUp", "sign_ups", "sign_up", "cancel",
           "record_attendance", "MAX_ATTENDEES"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAX_ATTENDEES = 200  # ties grow with the square of this


def local_time(day: str, clock: str) -> str:
    """A date and a time on the wall in Amsterdam, as ISO with that day's offset.

    >>> local_time("2027-01-14", "15:00"), local_time("2027-07-01", "9:30")
    ('2027-01-14T15:00:00+01:00', '2027-07-01T09:30:00+02:00')

    Raises
    ------
    InvalidQueryError : not a date (JJJJ-MM-DD) or a time (UU:MM).
    """
    try:
        moment = datetime.strptime(f"{day.strip()} {clock.strip()}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise InvalidQueryError("starts", "Geef een datum (JJJJ-MM-DD) en een tijd (UU:MM)."
                                ) from None
    return moment.replace(tzinfo=AMSTERDAM).isoformat()


@dataclass(frozen=True)
class SignUp:
    member: str
    status: str  # confirmed or waiting
    position: int
    at: str


def sign_ups(store: GraphStore, activity_id: str) -> list[SignUp]:
    """Everyone signed up, in the order they signed up."""
    rels = store.relationships(activity_id, "SIGNED_UP", "in")
    out = [SignUp(r.start, r.props.get("status", "confirmed"), int(r.props.get("position", 0)),
                  r.props.get("at", "")) for r in rels]
    return sorted(out, key=lambda s: (s.position, s.member))


def _activity(store: GraphStore, activity_id: str) -> Activity:
    node = store.get(activity_id)
    if not isinstance(node, Activity):
        raise NodeNotFoundError(activity_id)
    return node


def _now(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).isoformat(timespec="seconds")


def sign_up(store: GraphStore, activity_id: str, member_id: str,
            clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> SignUp:
    """Sign up: a place while there is one, otherwise the end of the waiting list.

    Raises
    ------
    NodeNotFoundError : no such activity.
    TransitionError : already signed up, or the activity has begun.
    """
    def work() -> Batch:
        activity = _activity(store, activity_id)
        if datetime.fromisoformat(activity.starts) <= clock():
            raise TransitionError(activity_id, "begonnen", "sign_up",
                                  "Deze activiteit is al begonnen; inschrijven kan niet meer.")
        now = sign_ups(store, activity_id)
        if any(s.member == member_id for s in now):
            raise TransitionError(activity_id, "ingeschreven", "sign_up",
                                  "U staat al ingeschreven voor deze activiteit.")
        taken = sum(1 for s in now if s.status == "confirmed")
        status = "confirmed" if taken < activity.capacity else "waiting"
        position = max((s.position for s in now), default=0) + 1
        return Batch.of(relationships=[Relationship.of(
            "SIGNED_UP", member_id, activity_id, status=status, position=position,
            at=_now(clock))])

    store.update(work)
    return next(s for s in sign_ups(store, activity_id) if s.member == member_id)


def cancel(store: GraphStore, activity_id: str, member_id: str) -> str | None:
    """Cancel a sign-up; a freed place goes to the first on the waiting list. Returns who
    moved up (or None).

    Raises
    ------
    TransitionError : not signed up.
    """
    def work() -> Batch:
        activity = _activity(store, activity_id)
        now = sign_ups(store, activity_id)
        mine = next((s for s in now if s.member == member_id), None)
        if mine is None:
            raise TransitionError(activity_id, "niet ingeschreven", "cancel",
                                  "U staat niet ingeschreven voor deze activiteit.")
        rest = [s for s in now if s.member != member_id]
        # The member's other sign-ups stay: "replace" drops all of this member's SIGNED_UP
        # relationships, so they are written again unchanged.
        keep = [r for r in store.relationships(member_id, "SIGNED_UP") if r.end != activity_id]
        rels = [Relationship(type=r.type, start=r.start, end=r.end, props=r.props) for r in keep]
        free = activity.capacity - sum(1 for s in rest if s.status == "confirmed")
        for s in [s for s in rest if s.status == "waiting"][:max(0, free)]:
            rels.append(Relationship.of("SIGNED_UP", s.member, activity_id, status="confirmed",
                                        position=s.position, at=s.at))
        return Batch.of(relationships=rels, replace=[(member_id, "SIGNED_UP")])

    before = {s.member for s in sign_ups(store, activity_id) if s.status == "waiting"}
    store.update(work)
    moved = [s.member for s in sign_ups(store, activity_id)
             if s.status == "confirmed" and s.member in before]
    return moved[0] if moved else None


def record_attendance(store: GraphStore, activity_id: str, present: Iterable[str]) -> int:
    """Staff record who came: ATTENDED for each, and MET_AT between every two of them (a
    weak tie the network map and the matcher may use). Returns the number of ties.

    Raises
    ------
    InvalidQueryError : someone who is not a member, or more than MAX_ATTENDEES.
    """
    people = sorted(set(present))
    if len(people) > MAX_ATTENDEES:
        raise InvalidQueryError("present", f"Hoogstens {MAX_ATTENDEES} aanwezigen per keer.")

    def work() -> Batch:
        activity = _activity(store, activity_id)
        labels = store.labels_of(people)
        strangers = [p for p in people if labels.get(p) != "Member"]
        if strangers:
            raise InvalidQueryError("present", f"Geen lid: {', '.join(strangers[:3])}.")
        rels = [Relationship.of("ATTENDED", p, activity_id) for p in people]
        for a, b in combinations(people, 2):
            rels += [Relationship.of("MET_AT", a, b, activity=activity_id),
                     Relationship.of("MET_AT", b, a, activity=activity_id)]
        return Batch.of([activity.model_copy(update={"attendance_recorded": True})], rels)

    store.update(work)
    return len(people) * (len(people) - 1) // 2


def visible_names(store: GraphStore, ids: Iterable[str], viewer: Any) -> tuple[list[str], int]:
    """Names of the members ``viewer`` may see, and how many others there are."""
    from schakel.graph.privacy import visible

    shown, hidden = [], 0
    for node in store.get_many(list(ids)):
        if isinstance(node, Member) and visible(node, viewer):
            shown.append(node.name)
        else:
            hidden += 1
    return sorted(shown), hidden
