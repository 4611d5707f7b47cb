"""POST /match: ranked, explained suggestions for a question."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from schakel.errors import UnknownReferenceError
from schakel.graph.privacy import Viewer
from schakel.matching.engine import MatchQuery, MatchResult

from ..auth import StaffDep
from ..deps import AppState, StateDep
from ..schemas import MatchRequest, MatchResponse

router = APIRouter(tags=["matching"])


def run_match(state: AppState, body: MatchRequest, viewer: Viewer = "member") -> MatchResult:
    """The request as the matcher's query; names of places and domains are resolved here."""
    domain = None
    if body.asker_domain:
        domain = state.lookup.domain(body.asker_domain)
        if domain is None:
            raise UnknownReferenceError("asker_domain", body.asker_domain, "domein")
    query = MatchQuery(text=body.text, near=body.near, radius_km=body.radius_km,
                       kinds=list(body.kinds) if body.kinds else None, limit=body.limit,
                       asker_domain=domain, viewer=viewer)
    return state.match(query)


@router.post("/match", response_model=MatchResponse)
def match(body: MatchRequest, state: StateDep, who: StaffDep) -> MatchResponse:
    """Members (experts, ambassadors …), peer regions, practices and communities for a Dutch
    question, best first, each with its reasons in Dutch. The contributions of a result's
    reasons add up to its score. Only members who consented to matching and are visible
    to staff are suggested. Role: staff."""
    result = run_match(state, body, who.viewer)
    return MatchResponse(results=[asdict(s) for s in result.results], took_ms=result.took_ms,
                         understood=result.understood)
