"""The HTTP API under /api/v1: one router per resource."""

from fastapi import APIRouter

from . import (
    communities,
    health,
    match,
    members,
    nearby,
    network,
    organisations,
    practices,
    regions,
    themes,
)

api_router = APIRouter()
for module in (health, members, organisations, regions, themes, practices, communities, match,
               nearby, network):
    api_router.include_router(module.router)
