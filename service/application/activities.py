"""Activities: staff create them, members find them on the agenda, sign up and cancel, see
"mijn agenda" and take a calendar file; staff record who attended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event

from schakel.errors import InvalidQueryError, NodeNotFoundError
from schakel.graph.model import Activity, Relationship
from schakel.graph.privacy import visible
from schakel.graph.query import theme_scope
from schakel.matching import activities as act

from ..access import Principal
from ..context import AppState
from .members import own_member

__all__ = ["Listing", "create_activity", "agenda", "my_agenda", "activity", "sign_up",
           "cancel", "calendar_file", "record_attendance"]


@dataclass(frozen=True)
class Listing:
    """An activity as a page shows it."""

    activity: Activity
    place: str  # the gemeente's name, or "online"
    themes: list[str]
    confirmed: int
    waiting: int
    mine: str = ""  # confirmed, waiting or ""
    my_position: int = 0  # on the waiting list (1 = next)
    attendees: tuple[list[str], int] = ([], 0)  # names one may see, and how many others


def create_activity(ctx: AppState, who: Principal, form: dict[str, Any]) -> Activity:
    """A new activity (staff). ``form``: title, kind, day, start, end, online, gemeente,
    themes, capacity, description, audience_levels, audience_perspectives, organiser.

    Raises
    ------
    InvalidQueryError : an unknown gemeente, theme or organiser, or a bad date or time.
    GraphValidationError : a field does not fit.
    """
    starts = act.local_time(form.get("day", ""), form.get("start", ""))
    ends = act.local_time(form.get("day", ""), form.get("end", "") or form.get("start", ""))
    if ends < starts:
        raise InvalidQueryError("ends", "De activiteit kan niet eindigen voor ze begint.")
    rels: list[tuple[str, str]] = []
    online = bool(form.get("online"))
    if not online:
        name = str(form.get("gemeente") or "").strip()
        place = ctx.lookup.gemeente(name)
        if place is None:  # name a misspelt gemeente back, so the person sees the typo
            raise InvalidQueryError("gemeente", f"De gemeente {name} kennen we niet."
                                    f"{ctx.gazetteer.hint(name)} Kies een "
                                    "gemeente uit de lijst, of vink online aan." if name else
                                    "Kies een gemeente, of vink online aan.")
        rels.append(("IN_REGION", place))
    for ref in form.get("themes") or []:
        theme = ctx.lookup.theme(ref)
        if theme is None:
            raise InvalidQueryError("themes", f"Het thema {ref} kennen we niet."
                                    f"{ctx.lookup.hint('Theme', ref)}")
        rels.append(("ABOUT", theme))
    organiser = str(form.get("organiser") or "").strip()
    if organiser:
        if ctx.store.label_of(organiser) not in ("Member", "Organisation", "Community"):
            raise InvalidQueryError("organiser", "Kies een lid, organisatie of community.")
        rels.append(("ORGANISED_BY", organiser))
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    node = Activity(id=f"act-{stamp}", title=form.get("title", ""),
                    kind=form.get("kind") or "webinar", starts=starts, ends=ends, online=online,
                    description=form.get("description", ""),
                    capacity=int(form.get("capacity") or 20),
                    audience_levels=form.get("audience_levels") or [],
                    audience_perspectives=form.get("audience_perspectives") or [])
    ctx.store.write([node], [Relationship.of(t, node.id, end) for t, end in rels])
    ctx.access.audit(who.user, "activiteit gemaakt", node.id)
    return node


def _listing(ctx: AppState, a: Activity, member_id: str | None, viewer: Any,
             names: dict[str, str], with_people: bool = False) -> Listing:
    ups = act.sign_ups(ctx.store, a.id)
    waiting = [s for s in ups if s.status == "waiting"]
    mine = next((s for s in ups if s.member == member_id), None)
    place = ctx.store.neighbour_ids(a.id, "IN_REGION")
    themes = ctx.store.neighbour_ids(a.id, "ABOUT")
    position = next((n for n, s in enumerate(waiting, 1) if s.member == member_id), 0)
    people = ([], 0)
    if with_people:  # only those the viewer may see; the others are a number
        went = ctx.store.neighbour_ids(a.id, "ATTENDED", "in") if a.attendance_recorded \
            else [s.member for s in ups if s.status == "confirmed"]
        people = act.visible_names(ctx.store, went, viewer)
    return Listing(a, "online" if a.online or not place else names.get(place[0], place[0]),
                   [names.get(t, t) for t in themes],
                   sum(1 for s in ups if s.status == "confirmed"), len(waiting),
                   mine.status if mine else "", position, people)


def _names(ctx: AppState, activities: list[Activity]) -> dict[str, str]:
    ids = {e for a in activities for t in ("IN_REGION", "ABOUT")
           for e in ctx.store.neighbour_ids(a.id, t)}
    return {i: str(p.get("name", i)) for i, p in ctx.store.props_of(sorted(ids)).items()}


def agenda(ctx: AppState, who: Principal, *, theme: str | None = None,
           place: str | None = None, month: str | None = None) -> list[Listing]:
    """Activities still to come, soonest first, by theme (with narrower themes), place (a
    gemeente, or "online") and month (JJJJ-MM).

    Raises
    ------
    InvalidQueryError : an unknown theme or place, or a month not written as JJJJ-MM.
    """
    now = datetime.now(UTC)
    found = [a for a in ctx.store.iter_nodes("Activity") if isinstance(a, Activity)
             and datetime.fromisoformat(a.ends) >= now]
    if theme:
        theme_id = ctx.lookup.theme(theme)
        if theme_id is None:
            raise InvalidQueryError("thema", f"Het thema {theme} kennen we niet."
                                    f"{ctx.lookup.hint('Theme', theme)}")
        scope = theme_scope(ctx.store, theme_id)
        found = [a for a in found if scope & set(ctx.store.neighbour_ids(a.id, "ABOUT"))]
    if place:
        if place.strip().lower() == "online":
            found = [a for a in found if a.online]
        else:
            place_id = ctx.lookup.gemeente(place)
            if place_id is None:
                raise InvalidQueryError("plaats", f"De gemeente {place} kennen we niet."
                                        f"{ctx.gazetteer.hint(place)}")
            found = [a for a in found if ctx.store.neighbour_ids(a.id, "IN_REGION") == [place_id]]
    if month:
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
            raise InvalidQueryError("maand", "Schrijf de maand als JJJJ-MM, bijvoorbeeld 2027-03.")
        found = [a for a in found if a.starts.startswith(month)]
    found.sort(key=lambda a: (datetime.fromisoformat(a.starts), a.id))
    names = _names(ctx, found)
    return [_listing(ctx, a, who.member_id, who.viewer, names) for a in found]


def my_agenda(ctx: AppState, who: Principal) -> list[Listing]:
    """The member's activities (confirmed or waiting), soonest first."""
    me = own_member(ctx, who)
    found = [a for a in ctx.store.get_many(ctx.store.neighbour_ids(me.id, "SIGNED_UP"))
             if isinstance(a, Activity)]
    found.sort(key=lambda a: (datetime.fromisoformat(a.starts), a.id))
    names = _names(ctx, found)
    return [_listing(ctx, a, me.id, who.viewer, names) for a in found]


def activity(ctx: AppState, who: Principal, activity_id: str) -> Listing:
    """One activity with who comes (as far as each person's visibility allows)."""
    node = ctx.store.get(activity_id)
    if not isinstance(node, Activity):
        raise NodeNotFoundError(activity_id)
    return _listing(ctx, node, who.member_id, who.viewer, _names(ctx, [node]), with_people=True)


def sign_up(ctx: AppState, who: Principal, activity_id: str) -> act.SignUp:
    """Raises TransitionError when already signed up or begun (409, nothing written)."""
    me = own_member(ctx, who)
    done = act.sign_up(ctx.store, activity_id, me.id)
    ctx.access.audit(who.user, "ingeschreven", me.id, activity_id)
    return done


def cancel(ctx: AppState, who: Principal, activity_id: str) -> str | None:
    me = own_member(ctx, who)
    moved = act.cancel(ctx.store, activity_id, me.id)
    ctx.access.audit(who.user, "uitgeschreven", me.id, activity_id)
    return moved


def calendar_file(ctx: AppState, who: Principal, ids: list[str]) -> bytes:
    """An iCalendar file (RFC 5545) of these activities, times in Europe/Amsterdam."""
    cal = Calendar()
    cal.add("prodid", "-//Schakel//Netwerk Met Andere Ogen//NL")
    cal.add("version", "2.0")
    found = [a for a in ctx.store.get_many(ids) if isinstance(a, Activity)]
    names = _names(ctx, found)
    for a in found:
        listing = _listing(ctx, a, who.member_id, who.viewer, names)
        event = Event()
        event.add("uid", f"{a.id}@schakel.metandereogen.nl")
        event.add("summary", a.title)
        event.add("dtstart", datetime.fromisoformat(a.starts).astimezone(act.AMSTERDAM))
        event.add("dtend", datetime.fromisoformat(a.ends).astimezone(act.AMSTERDAM))
        event.add("dtstamp", datetime.now(UTC))
        event.add("location", "Online" if listing.place == "online" else listing.place)
        event.add("description", a.description or a.kind)
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def record_attendance(ctx: AppState, who: Principal, activity_id: str,
                      present: list[str]) -> int:
    """Staff: who came (ATTENDED, and MET_AT ties between them)."""
    ties = act.record_attendance(ctx.store, activity_id, present)
    for member_id in present:
        ctx.access.audit(who.user, "aanwezigheid vastgelegd", member_id, activity_id)
    return ties


def signed_up_members(ctx: AppState, activity_id: str) -> list[tuple[str, str, str]]:
    """(id, name, status) of everyone signed up, for staff recording attendance."""
    ups = act.sign_ups(ctx.store, activity_id)
    props = ctx.store.props_of([s.member for s in ups])
    return [(s.member, str(props.get(s.member, {}).get("name", s.member)), s.status)
            for s in ups if visible(props.get(s.member, {}), "staff")]
