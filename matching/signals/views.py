"""What signals show: a signal with its links, its recognition and its history, as plain
records read from the store. Nothing here writes.

Privacy: a member who hides from the viewer (graph/privacy.py) is never named; they count
in the totals only. An anonymous signal has no RAISED_BY and names nobody.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schakel.errors import NodeNotFoundError
from schakel.graph.model import Signal
from schakel.graph.privacy import Viewer, visible
from schakel.graph.store import GraphStore

from ..brokering.views import Entry, Ref
from .states import STEP_HELP, allowed_actions, step_name

__all__ = ["SignalView", "Recognition", "AgendaItem", "get_signal", "signal_views",
           "recognition", "ROLE_NL"]

ROLE_NL = {"member": "lid", "expert": "expert", "ambassador": "ambassadeur",
           "verbinder": "verbinder", "ervaringsdeskundige": "ervaringsdeskundige"}
RAISED_NL = {"Member": "lid", "Organisation": "organisatie", "Region": "regio"}


@dataclass
class Recognition:
    """How broadly a signal is recognised: counts by provincie, domain and role, and the
    names the viewer may see."""

    total: int = 0
    by_region: dict[str, int] = field(default_factory=dict)
    by_domain: dict[str, int] = field(default_factory=dict)
    by_role: dict[str, int] = field(default_factory=dict)
    names: list[Ref] = field(default_factory=list)
    hidden: int = 0
    mine: bool = False


@dataclass
class AgendaItem:
    table: Ref
    date: str
    instrument: str = ""
    option: str = ""
    result: str = ""


@dataclass
class SignalView:
    id: str
    text: str
    step: int
    step_nl: str
    step_help: str
    channel: str
    urgency: str
    instrument: str
    option: str
    created: str
    updated: str
    causes: str
    shared: str
    feedback: str
    cluster: str
    raised_as: str  # lid, organisatie, regio or anoniem
    raised_by: Ref | None  # None: anonymous, or a member the viewer may not see
    themes: list[Ref]
    domains: list[Ref]
    place: Ref | None
    call: Ref | None
    agenda: list[AgendaItem]
    recognition: Recognition
    history: list[Entry]
    actions: list[str]
    contributors: list[Ref]  # raised or recognised it, as far as the viewer may see
    contributors_hidden: int


def get_signal(store: GraphStore, signal_id: str) -> Signal:
    node = store.get(signal_id)
    if not isinstance(node, Signal):
        raise NodeNotFoundError(signal_id)
    return node


def _name(props: dict[str, Any], node_id: str) -> str:
    return str(props.get("name") or props.get("title") or node_id)


def _refs(store: GraphStore, ids: list[str]) -> list[Ref]:
    props = store.props_of(ids)
    return [Ref(i, _name(props.get(i, {}), i), str(props.get(i, {}).get("label", "")))
            for i in ids if i in props]


def _provincie(store: GraphStore, gemeente: str | None) -> str | None:
    if gemeente is None:
        return None
    props = store.props_of([gemeente]).get(gemeente, {})
    prov = props.get("provincie") or (gemeente if props.get("kind") == "provincie" else None)
    if prov is None:
        return None
    return _name(store.props_of([prov]).get(prov, {}), prov)


def recognition(store: GraphStore, signal_id: str, viewer: Viewer = "member",
                me: str | None = None) -> Recognition:
    """Counts by provincie (never finer), domain and role of everyone who recognised the
    signal; names only of those the viewer may see."""
    ids = store.neighbour_ids(signal_id, "RECOGNISES", "in")
    members = store.props_of(ids)
    out = Recognition(total=len(members), mine=bool(me and me in members))
    regions: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    roles: Counter[str] = Counter()
    domain_names = {d: _name(p, d) for d, p in store.props_of(store.ids("Domain")).items()}
    for m, props in sorted(members.items()):
        prov = _provincie(store, next(iter(store.neighbour_ids(m, "BASED_IN")), None))
        regions[prov or "onbekend"] += 1
        for d in store.neighbour_ids(m, "ACTIVE_IN"):
            domains[domain_names.get(d, d)] += 1
        for r in props.get("roles") or ["member"]:
            roles[ROLE_NL.get(r, r)] += 1
        if m == me or visible(props, viewer):
            out.names.append(Ref(m, _name(props, m), "Member"))
        else:
            out.hidden += 1
    out.by_region = dict(regions.most_common())
    out.by_domain = dict(domains.most_common())
    out.by_role = dict(roles.most_common())
    return out


def signal_views(store: GraphStore, signals: list[Signal], viewer: Viewer = "member",
                 me: str | None = None) -> list[SignalView]:
    out = []
    for s in signals:
        raiser = next(iter(store.neighbour_ids(s.id, "RAISED_BY")), None)
        raiser_props = store.props_of([raiser]).get(raiser, {}) if raiser else {}
        label = raiser_props.get("label", "")
        shown = raiser is not None and (label != "Member" or raiser == me
                                        or visible(raiser_props, viewer))
        raised_by = Ref(raiser, _name(raiser_props, raiser), label) if shown and raiser else None
        rec = recognition(store, s.id, viewer, me)
        contributors = list(rec.names)
        hidden = rec.hidden
        if label == "Member" and raiser and raiser not in {c.id for c in contributors}:
            if shown and raised_by is not None:
                contributors.insert(0, raised_by)
            elif raiser not in store.neighbour_ids(s.id, "RECOGNISES", "in"):
                hidden += 1
        agenda = []
        tables = {r.end: r.props for r in store.relationships(s.id, "AGENDERED_AT")}
        for ref in _refs(store, sorted(tables)):
            p = tables[ref.id]
            agenda.append(AgendaItem(ref, p.get("date", ""), p.get("instrument", ""),
                                     p.get("option", ""), p.get("result", "")))
        place = _refs(store, store.neighbour_ids(s.id, "IN_REGION"))
        call = _refs(store, store.neighbour_ids(s.id, "ANSWERS"))
        out.append(SignalView(
            id=s.id, text=s.text, step=s.step, step_nl=step_name(s.step),
            step_help=STEP_HELP[s.step], channel=s.channel, urgency=s.urgency,
            instrument=s.instrument, option=s.option, created=s.created, updated=s.updated,
            causes=s.causes, shared=s.shared, feedback=s.feedback, cluster=s.cluster,
            raised_as=RAISED_NL.get(label, "anoniem") if raiser else "anoniem",
            raised_by=raised_by,
            themes=_refs(store, store.neighbour_ids(s.id, "ABOUT")),
            domains=_refs(store, store.neighbour_ids(s.id, "IN_DOMAIN")),
            place=place[0] if place else None, call=call[0] if call else None,
            agenda=sorted(agenda, key=lambda a: a.date), recognition=rec,
            history=[Entry.loads(h) for h in s.history],
            actions=allowed_actions(s.step), contributors=contributors,
            contributors_hidden=hidden))
    return out
