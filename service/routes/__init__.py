"""The HTTP API under /api/v1: one router per resource."""

from fastapi import APIRouter

from . import communities, exchange, health, members, organisations, practices, regions, themes

api_router = APIRouter()
for module in (health, members, organisations, regions, themes, practices, communities, exchange):
    api_router.include_router(module.router)
