"""Brokering settings and numbers: metrics, conflicts, capacity. Role: staff."""

from __future__ import annotations

from fastapi import APIRouter

from schakel.errors import NodeNotFoundError

from ..application.brokering import metrics as brokering_metrics
from ..auth import StaffDep
from ..brokering_schemas import (
    CapacityIn,
    CapacityOut,
    ConflictIn,
    ConflictOut,
    MetricsOut,
)
from ..deps import BrokerDep, IdParam, StateDep

router = APIRouter(prefix="/brokering", tags=["brokering"])


@router.get("/metrics", response_model=MetricsOut)
def metrics(state: StateDep, _who: StaffDep) -> MetricsOut:
    """Acceptance rate (both sides said yes, of all decided), median days from question to
    introduction, share of cross-domain introductions, Gini of the load on experts and of
    the exposure of organisations and provincies; the core numbers per provincie."""
    return MetricsOut.model_validate(brokering_metrics(state))


@router.get("/conflicts", response_model=list[ConflictOut])
def conflicts(broker: BrokerDep, _who: StaffDep) -> list[ConflictOut]:
    return [ConflictOut(member=r.start, other=r.end, **r.props) for r in broker.conflicts()]


@router.post("/conflicts", response_model=ConflictOut, status_code=201)
def add_conflict(body: ConflictIn, broker: BrokerDep, who: StaffDep) -> ConflictOut:
    """Record that a member and another member or an organisation are never introduced."""
    rel = broker.add_conflict(body.member, body.other, who.user, body.note)
    return ConflictOut(member=rel.start, other=rel.end, **rel.props)


@router.delete("/conflicts/{member_id}/{other}", status_code=204)
def remove_conflict(member_id: IdParam, other: IdParam, broker: BrokerDep, _who: StaffDep) -> None:
    if not broker.remove_conflict(member_id, other):
        raise NodeNotFoundError(f"{member_id}/{other}")


@router.put("/capacity/{member_id}", response_model=CapacityOut)
def set_capacity(member_id: IdParam, body: CapacityIn, broker: BrokerDep,
                 who: StaffDep) -> CapacityOut:
    """How many open requests a person takes (0: none for now) and their rest days after
    being asked."""
    member = broker.set_capacity(member_id, who.user, body.capacity, body.cooldown_days)
    return CapacityOut.of(member)
