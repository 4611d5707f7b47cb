"""Communities of practice, themagroepen, intervisiegroepen and leernetwerken: the list, a
community's page (members as far as visibility allows), asking to join, accepting, leaving,
and answering an invitation."""

from fastapi import APIRouter

from schakel.graph.model import Community

from ..application import directory
from ..application.joining import community_page, decide_request, join_step
from ..auth import MemberDep
from ..context import AppState
from ..deps import IdParam, PagingDep, StateDep
from ..meet_schemas import CommunityPageOut, DecideIn, JoinIn, SessionOut, StandingOut
from ..schemas import CommunityPublic, Page
from ..views import community_public

router = APIRouter(prefix="/communities", tags=["communities"])
STANDING_NL = {"asked": "Uw verzoek is verstuurd. Een coördinator of het regiebureau beslist.",
               "member": "U bent lid.", "none": "U bent geen lid (meer).",
               "invited": "U bent uitgenodigd."}


def _public(state: AppState, c: Community) -> CommunityPublic:
    return community_public(state.store, c, directory.community_size(state, c))


@router.get("", response_model=Page[CommunityPublic])
def list_communities(state: StateDep, paging: PagingDep) -> Page[CommunityPublic]:
    """Communities of practice, themagroepen, intervisiegroepen and leernetwerken."""
    found = directory.communities(state)
    return Page[CommunityPublic](**paging.page(found, lambda c: _public(state, c)))


@router.get("/{community_id}", response_model=CommunityPublic)
def get_community(community_id: IdParam, state: StateDep) -> CommunityPublic:
    return _public(state, directory.community(state, community_id))


@router.get("/{community_id}/page", response_model=CommunityPageOut)
def page(community_id: IdParam, state: StateDep, who: MemberDep) -> CommunityPageOut:
    """What the community's page shows the caller: coordinators and members they may see
    (hidden members are a number), upcoming sessions, their own standing, and for a
    coordinator or staff the requests to join."""
    p = community_page(state, who, community_id)
    c = p.community
    return CommunityPageOut(
        id=c.id, name=c.name, kind=c.kind, description=c.description, themes=p.themes,
        coordinators=p.coordinators, members=p.members, others=p.others,
        sessions=[SessionOut(id=a.id, title=a.title, starts=a.starts) for a in p.sessions],
        standing=p.standing,  # type: ignore[arg-type]
        may_decide=p.may_decide, requests=[{"id": i, "name": n} for i, n in p.requests])


@router.post("/{community_id}/standing", response_model=StandingOut)
def own_step(community_id: IdParam, body: JoinIn, state: StateDep,
             who: MemberDep) -> StandingOut:
    """The caller's own step: ask (to join), withdraw (the request), leave, accept_invite,
    decline_invite. A step that does not fit the caller's standing is a 409."""
    done = join_step(state, who, community_id, body.action)
    return StandingOut(standing=done, message=STANDING_NL[done])


@router.post("/{community_id}/requests/{member_id}", response_model=StandingOut)
def decide(community_id: IdParam, member_id: IdParam, body: DecideIn, state: StateDep,
           who: MemberDep) -> StandingOut:
    """A coordinator of this community or staff accept or refuse a request to join
    (anyone else: 403; no such request: 409)."""
    done = decide_request(state, who, community_id, member_id, body.decision)
    return StandingOut(standing=done, message="Toegelaten." if done == "member"
                       else "Het verzoek is afgewezen.")
