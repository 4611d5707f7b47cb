from fastapi import APIRouter
from fastapi.responses import JSONResponse

from schakel import __version__
from schakel.errors import SchakelError

from ..deps import StateDep
from ..schemas import ERRORS_503, Health, Meaning, Ready
from ..views import meaning_text

router = APIRouter(tags=["health"])
_NL = {"names": "de namenlijst", "matcher": "de matcher"}


@router.get("/health", response_model=Health)
def health(state: StateDep) -> Health:
    """Is Schakel up, and what does its store hold?"""
    store = state.store
    return Health(status="ok", store=state.settings.store, nodes=store.count(),
                  relationships=store.count_relationships(), version=__version__)


@router.get("/ready", response_model=Ready, responses=ERRORS_503)
def ready(state: StateDep) -> Ready | JSONResponse:
    """Can Schakel answer now: its store reachable, its read models (names, matcher) built?
    503 with what is missing while it gets ready (a load balancer waits for 200). The matcher
    answers before every text is encoded: ``meaning`` says how many are."""
    try:
        state.store.version  # noqa: B018 - one cheap read: is the store there?
        store_ok = True
    except SchakelError:
        store_ok = False
    models = state.models.ready()
    progress = state.models.meaning()
    meaning = None if progress is None else Meaning(done=progress[0], total=progress[1],
                                                    text=meaning_text(*progress))
    answer = Ready(status="klaar" if store_ok and all(models.values()) else "niet klaar",
                   store=store_ok, read_models=models, meaning=meaning)
    if answer.status == "klaar":
        return answer
    missing = ([] if store_ok else ["de opslag is niet bereikbaar"]) + [
        f"{_NL[name]} wordt nog opgebouwd" for name, done in models.items() if not done]
    return JSONResponse(status_code=503, content={
        "detail": "Schakel is nog niet klaar: " + "; ".join(missing) + ".",
        **answer.model_dump()}, headers={"Retry-After": "5"})
