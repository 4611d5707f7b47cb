"""POST /match: ranked, explained suggestions for a question."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from ..application.matching import run_match
from ..auth import StaffDep
from ..deps import StateDep
from ..schemas import MatchRequest, MatchResponse

router = APIRouter(tags=["matching"])


@router.post("/match", response_model=MatchResponse)
def match(body: MatchRequest, state: StateDep, who: StaffDep) -> MatchResponse:
    """Members (experts, ambassadors …), peer regions, practices and communities for a Dutch
    question, best first, each with its reasons in Dutch. The contributions of a result's
    reasons add up to its score. Only members who consented to matching and are visible
    to staff are suggested. Role: staff."""
    result = run_match(state, **body.model_dump(), viewer=who.viewer)
    return MatchResponse(results=[asdict(s) for s in result.results], took_ms=result.took_ms,
                         understood=result.understood)
