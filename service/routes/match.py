"""POST /match: ranked, explained suggestions for a question."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from schakel.errors import UnknownReferenceError
from schakel.matching.engine import MatchQuery, MatchResult

from ..deps import AppState, StateDep
from ..schemas import MatchRequest, MatchResponse

router = APIRouter(tags=["matching"])


def run_match(state: AppState, body: MatchRequest) -> MatchResult:
    """The request as the matcher's query; names of places and domains are resolved here."""
    domain = None
    if body.asker_domain:
        domain = state.lookup.domain(body.asker_domain)
        if domain is None:
            raise UnknownReferenceError("asker_domain", body.asker_domain, "domein")
    query = MatchQuery(text=body.text, near=body.near, radius_km=body.radius_km,
                       kinds=list(body.kinds) if body.kinds else None, limit=body.limit,
                       asker_domain=domain)
    return state.match(query)


@router.post("/match", response_model=MatchResponse)
def match(body: MatchRequest, state: StateDep) -> MatchResponse:
    """Members (experts, ambassadors …), peer regions, practices and communities for a Dutch
    question, best first, each with its reasons in Dutch. The contributions of a result's
    reasons add up to its score. Only members who consented to matching and are visible
    to members are suggested."""
    result = run_match(state, body)
    return MatchResponse(results=[asdict(s) for s in result.results], took_ms=result.took_ms,
                         understood=result.understood)
