"""POST /match: ranked, explained suggestions for a question."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ..application.matching import run_match
from ..auth import StaffDep
from ..deps import StateDep
from ..schemas import MatchRequest, MatchResponse

router = APIRouter(tags=["matching"])


@router.post("/match", response_model=MatchResponse)
async def match(body: MatchRequest, state: StateDep, who: StaffDep) -> MatchResponse:
    """Members (experts, ambassadors …), peer regions, practices and communities for a Dutch
    question, best first, each with its reasons in Dutch. The contributions of a result's
    reasons add up to its score. Only members who consented to matching and are visible
    to staff are suggested. Role: staff."""
    # One hop to the thread pool for the whole answer, the response model included.
    return await run_in_threadpool(_answer, state, body, who.viewer)


def _answer(state: StateDep, body: MatchRequest, viewer: Any) -> MatchResponse:
    result = run_match(state, **body.model_dump(), viewer=viewer)
    return MatchResponse(results=[asdict(s) for s in result.results], took_ms=result.took_ms,
                         understood=result.understood)
