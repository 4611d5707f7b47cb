from fastapi import APIRouter

from schakel import __version__

from ..deps import StateDep
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(state: StateDep) -> Health:
    """Is Schakel up, and what does its store hold?"""
    store = state.store
    return Health(status="ok", store=state.settings.store, nodes=store.count(),
                  relationships=store.count_relationships(), version=__version__)
