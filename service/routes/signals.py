"""Signaleren en agenderen: signals, recognition, calls and table agendas. Members submit,
recognise and follow their own signals; staff take signals in and move them (role per
route, as the access walk checks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from schakel.matching.signals import SignalView

from ..application import signals as uc
from ..application.signal_brief import brief, markdown
from ..auth import MemberDep, StaffDep
from ..brokering_schemas import IntroductionOut
from ..deps import IdParam, StateDep
from ..signals_schemas import (
    AgendaOut,
    AgendaRowOut,
    CallIn,
    CallOut,
    ClusterOut,
    ClustersOut,
    InviteIn,
    MergeIn,
    MySignalIn,
    RecognitionIn,
    SignalIn,
    SignalOut,
    SignalsOut,
    SplitIn,
    SplitOut,
    StepIn,
    SuggestionOut,
    TableOut,
)

router = APIRouter(tags=["signals"])


def _many(views: list[SignalView]) -> SignalsOut:
    return SignalsOut(data=[SignalOut.model_validate(v) for v in views], count=len(views))


@router.get("/signals/mine", response_model=SignalsOut)
def mine(state: StateDep, who: MemberDep) -> SignalsOut:
    """What you raised or recognised, with its step; at step 7 what happened."""
    return _many(uc.my_signals(state, who))


@router.post("/signals/mine", response_model=SignalOut, status_code=201)
def submit_mine(body: MySignalIn, state: StateDep, who: MemberDep) -> SignalOut:
    """Raise a signal (a knelpunt) yourself; anonymous ones are not linked to you."""
    return SignalOut.model_validate(uc.submit_as_member(
        state, who, body.text, place=body.place, urgency=body.urgency,
        anonymous=body.anonymous, call=body.call))


@router.get("/signals/recognisable", response_model=SignalsOut)
def recognisable(state: StateDep, who: MemberDep) -> SignalsOut:
    """Signals the regiebureau asks the network to recognise (from step 3 on)."""
    return _many(uc.recognisable(state, who))


@router.get("/signals", response_model=SignalsOut)
def all_signals(state: StateDep, _who: StaffDep,
                step: Annotated[int | None, Query(ge=1, le=7)] = None) -> SignalsOut:
    """Every signal, oldest first (only those at ``step`` when given)."""
    views = [v for s, vs in uc.board(state).items() if step in (None, s) for v in vs]
    return _many(views)


@router.post("/signals", response_model=SignalOut, status_code=201)
def submit(body: SignalIn, state: StateDep, who: StaffDep) -> SignalOut:
    """A signal heard in a conversation or an intake (no raiser: anonymous)."""
    sid = uc.submit_as_staff(state, who, body.text, raised_by=body.raised_by,
                             channel=body.channel, urgency=body.urgency, themes=body.themes,
                             domains=body.domains, place=body.place, call=body.call)
    return SignalOut.model_validate(uc.signal_for(state, who, sid))


@router.get("/signals/clusters", response_model=ClustersOut)
def clusters(state: StateDep, _who: StaffDep) -> ClustersOut:
    """Groups of similar signals (HDBSCAN over text, themes and time), largest first, with
    a Dutch label, spread, weekly growth and the opkomend flag."""
    found, loose = uc.signal_clusters(state)
    return ClustersOut(data=[ClusterOut.model_validate(c) for c in found], loose=loose)


@router.post("/signals/clusters/merge", response_model=ClusterOut)
def merge(body: MergeIn, state: StateDep, who: StaffDep) -> ClusterOut:
    """Put clusters together by hand; the decision survives clustering again."""
    return ClusterOut.model_validate(uc.cluster_for(state, uc.merge_clusters(
        state, who, body.clusters)))


@router.post("/signals/clusters/{cluster_id}/split", response_model=SplitOut)
def split(cluster_id: IdParam, body: SplitIn, state: StateDep, who: StaffDep) -> SplitOut:
    """Take these signals out of the cluster into one of their own."""
    rest, apart = uc.split_cluster(state, who, cluster_id, body.signals)
    return SplitOut(rest=rest, apart=apart)


@router.get("/signals/clusters/{cluster_id}/brief", response_class=Response,
            responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
                             "description": "De agendabrief in Markdown."}})
def brief_markdown(cluster_id: IdParam, state: StateDep, _who: StaffDep) -> PlainTextResponse:
    """The agenda brief as Markdown (a cluster id, or a signal id for its cluster)."""
    return PlainTextResponse(markdown(brief(state, cluster_id)),
                             media_type="text/markdown; charset=utf-8")


@router.get("/signals/{signal_id}/suggestions", response_model=list[SuggestionOut])
def suggestions(signal_id: IdParam, state: StateDep, _who: StaffDep) -> list[SuggestionOut]:
    """Verdiepen: experts, ervaringsdeskundigen, practices and communities for the signal,
    with the matcher's reasons."""
    return [SuggestionOut(kind=r.kind, id=r.id, name=r.name, score=r.score,
                          reasons=[x.text for x in r.reasons])
            for r in uc.suggestions(state, signal_id).results]


@router.post("/signals/{signal_id}/invitations", response_model=IntroductionOut,
             status_code=201)
def invite(signal_id: IdParam, body: InviteIn, state: StateDep, who: StaffDep) -> IntroductionOut:
    """Invite someone to deepen the signal: a proposed introduction on the regiebureau's
    question for this signal, through the usual double opt-in."""
    return IntroductionOut.model_validate(uc.invite(state, who, signal_id, body.candidate,
                                                    body.note))


@router.get("/signals/{signal_id}", response_model=SignalOut)
def one(signal_id: IdParam, state: StateDep, who: MemberDep) -> SignalOut:
    return SignalOut.model_validate(uc.signal_for(state, who, signal_id))


@router.post("/signals/{signal_id}/steps", response_model=SignalOut)
def step(signal_id: IdParam, body: StepIn, state: StateDep, who: StaffDep) -> SignalOut:
    """Move the signal one step; 409 with a Dutch message when the step cannot follow
    (nothing is written then)."""
    fields = body.model_dump(exclude={"action"})
    return SignalOut.model_validate(uc.act(state, who, signal_id, body.action, **fields))


@router.put("/signals/{signal_id}/recognition", response_model=SignalOut)
def recognise(signal_id: IdParam, body: RecognitionIn, state: StateDep,
              who: MemberDep) -> SignalOut:
    """Herken ik: you recognise this signal (again: your note is replaced)."""
    return SignalOut.model_validate(uc.recognise(state, who, signal_id, body.note))


@router.delete("/signals/{signal_id}/recognition", response_model=SignalOut)
def unrecognise(signal_id: IdParam, state: StateDep, who: MemberDep) -> SignalOut:
    return SignalOut.model_validate(uc.unrecognise(state, who, signal_id))


@router.get("/calls", response_model=list[CallOut])
def calls(state: StateDep, _who: MemberDep) -> list[CallOut]:
    return [CallOut.model_validate(c) for c in uc.calls(state)]


@router.post("/calls", response_model=CallOut, status_code=201)
def put_out_call(body: CallIn, state: StateDep, who: StaffDep) -> CallOut:
    """Step 01: an open call, or one targeted at an earlier signal."""
    fields = body.model_dump(exclude={"title"})
    return CallOut.model_validate(uc.put_out_call(state, who, body.title, **fields))


@router.get("/tables", response_model=list[TableOut])
def tables(state: StateDep, _who: MemberDep) -> list[TableOut]:
    return [TableOut.model_validate(t) for t in uc.tables(state)]


@router.get("/tables/{table_id}/agenda", response_model=AgendaOut)
def agenda(table_id: IdParam, state: StateDep, _who: StaffDep) -> AgendaOut:
    """The signals put on this table's agenda, by date, with instrument, handelingsoptie and
    result."""
    table, rows = uc.table_agenda(state, table_id)
    return AgendaOut(table=TableOut.model_validate(table), agenda=[
        AgendaRowOut(signal=r.signal.id, text=r.signal.text, step=r.signal.step, date=r.date,
                     instrument=r.instrument, option=r.option, result=r.result)
        for r in rows])
