"""Accounts and the audit log, for admins (scripts can also use `schakel users`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Member

from ..access import AccountRole
from ..auth import AdminDep
from ..deps import IdParam, StateDep

router = APIRouter(tags=["users"])


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: AccountRole
    member_id: IdParam | None = Field(default=None, max_length=200,
                                  description="For member accounts.")


class UserOut(BaseModel):
    name: str
    role: str
    member_id: IdParam | None


class NewUser(UserOut):
    key: str = Field(description="The API key: shown once, only its hash is kept.")


@router.get("/users", response_model=list[UserOut])
def list_users(state: StateDep, who: AdminDep) -> list[UserOut]:  # noqa: ARG001
    """Accounts, without keys. Role: admin."""
    return [UserOut(name=u.user, role=u.role, member_id=u.member_id)
            for u in state.access.users()]


@router.post("/users", response_model=NewUser, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, state: StateDep, who: AdminDep) -> NewUser:
    """Create an account; the answer holds its API key, once. Role: admin."""
    if body.member_id and not isinstance(state.store.get(body.member_id), Member):
        raise NodeNotFoundError(body.member_id)
    key = state.access.add_user(body.name, body.role, body.member_id)
    state.access.audit(who.user, "account gemaakt", body.member_id or "*", body.name)
    return NewUser(name=body.name.strip(), role=body.role, member_id=body.member_id, key=key)


@router.get("/audit")
def audit(state: StateDep, who: AdminDep,  # noqa: ARG001
          subject: Annotated[str | None, Query(max_length=200, description="A member id.")] = None,
          limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """Who read or changed personal data, newest first. Role: admin."""
    return state.access.audit_rows(subject, limit)
