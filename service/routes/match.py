"""POST /match: ranked, explained suggestions for a question."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..application.matching import run_match
from ..auth import StaffDep
from ..deps import StateDep
from ..schemas import MatchRequest, MatchResponse

router = APIRouter(tags=["matching"])


@router.post("/match", response_model=MatchResponse)
async def match(body: MatchRequest, state: StateDep, who: StaffDep) -> Response:
    """Members (experts, ambassadors …), peer regions, practices and communities for a Dutch
    question, best first, each with its reasons in Dutch. The contributions of a result's
    reasons add up to its score. Only members who consented to matching and are visible
    to staff are suggested. Role: staff."""
    # One hop to the thread pool for the whole answer, its JSON included.
    return await run_in_threadpool(_answer, state, body, who.viewer)


def _answer(state: StateDep, body: MatchRequest, viewer: Any) -> Response:
    result = run_match(state, **body.model_dump(), viewer=viewer)
    # Read from the result's dataclasses and written as JSON by pydantic in one go: the
    # response model checks it once (asdict() and a second check took 0.5 ms at 100k).
    answer = MatchResponse.model_validate(
        {"results": result.results, "took_ms": result.took_ms,
         "understood": result.understood}, from_attributes=True)
    return Response(answer.model_dump_json(), media_type="application/json")
