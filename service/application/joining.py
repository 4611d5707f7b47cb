"""Communities people can join: a page per community (members as far as visibility allows,
coordinators, themes, upcoming sessions), asking to join, accepting (coordinator or staff),
leaving in one click."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schakel.errors import Forbidden, InvalidQueryError
from schakel.graph.model import Activity, Community, Member
from schakel.graph.privacy import visible
from schakel.matching import joining

from ..access import Principal
from ..context import AppState
from .directory import community
from .members import own_member

__all__ = ["CommunityPage", "community_page", "join_step", "decide_request"]


@dataclass(frozen=True)
class CommunityPage:
    community: Community
    themes: list[str]
    coordinators: list[str]
    members: list[str]  # names the viewer may see
    others: int  # members the viewer may not see: a number, never a name
    sessions: list[Activity]
    standing: str  # the viewer's: none, asked, invited or member
    may_decide: bool
    requests: list[tuple[str, str]]  # (id, name) asking to join, for who may decide


def _may_decide(ctx: AppState, who: Principal, community_id: str) -> bool:
    return who.can("staff") or bool(
        who.member_id and community_id in ctx.store.neighbour_ids(who.member_id, "COORDINATES"))


def community_page(ctx: AppState, who: Principal, community_id: str) -> CommunityPage:
    c = community(ctx, community_id)
    store = ctx.store

    def shown(ids: list[str]) -> tuple[list[str], int]:
        nodes = [n for n in store.get_many(ids) if isinstance(n, Member)]
        names = sorted(n.name for n in nodes if visible(n, who.viewer))
        return names, len(ids) - len(names)

    names, others = shown(store.neighbour_ids(c.id, "MEMBER_OF", "in"))
    coordinators, _ = shown(store.neighbour_ids(c.id, "COORDINATES", "in"))
    now = datetime.now(UTC)
    sessions = sorted((a for a in store.get_many(store.neighbour_ids(c.id, "ORGANISED_BY", "in"))
                       if isinstance(a, Activity) and datetime.fromisoformat(a.ends) >= now),
                      key=lambda a: datetime.fromisoformat(a.starts))
    may = _may_decide(ctx, who, c.id)
    requests = []
    if may:
        asking = store.get_many(store.neighbour_ids(c.id, "WANTS_TO_JOIN", "in"))
        requests = [(m.id, m.name) for m in asking
                    if isinstance(m, Member) and visible(m, "staff")]
    themes = [str(p.get("name", t)) for t, p in
              store.props_of(store.neighbour_ids(c.id, "ABOUT")).items()]
    standing = joining.standing(store, c.id, who.member_id) if who.member_id else "none"
    return CommunityPage(c, sorted(themes), coordinators, names, others, sessions, standing,
                         may, requests)


OWN_STEPS = ("ask", "withdraw", "leave", "accept_invite", "decline_invite")


def join_step(ctx: AppState, who: Principal, community_id: str, action: str) -> str:
    """The member's own step: ask, withdraw, leave, or answer an invitation.

    Raises
    ------
    TransitionError : the step does not fit (409, nothing written).
    """
    if action not in OWN_STEPS:
        raise InvalidQueryError("action", "Deze stap bestaat niet.")
    me = own_member(ctx, who)
    done = joining.step(ctx.store, community_id, me.id, action)
    ctx.access.audit(who.user, f"community: {action}", me.id, community_id)
    return done


def decide_request(ctx: AppState, who: Principal, community_id: str, member_id: str,
                   action: str) -> str:
    """A coordinator or staff accept or refuse someone's request.

    Raises
    ------
    Forbidden : neither staff nor a coordinator of this community.
    TransitionError : no such request (any more).
    """
    if action not in ("accept", "refuse"):
        raise InvalidQueryError("decision", "Kies toelaten of afwijzen.")
    community(ctx, community_id)
    if not _may_decide(ctx, who, community_id):
        raise Forbidden("staff")
    done = joining.step(ctx.store, community_id, member_id, action)
    ctx.access.audit(who.user, f"community: {action}", member_id, community_id)
    return done
