"""The signal desk: calls out, signals in, the seven steps, "herken ik", and table agendas.

Every change is one ``store.update``: the signal is read inside the store's write
transaction, the step is checked against :mod:`.states`, and the new signal (with one more
history entry) and its links are written together, or nothing is.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from schakel.errors import InvalidQueryError, NodeNotFoundError, UnknownReferenceError
from schakel.graph.model import (
    CHANNELS,
    INSTRUMENTS,
    OPTIONS,
    URGENCIES,
    Call,
    Relationship,
    Signal,
)
from schakel.graph.privacy import Viewer
from schakel.graph.store import Batch, GraphStore

from ..brokering.questions import MatchSource
from ..brokering.views import Entry, now_iso
from .states import ACTION_NL, NEEDS_NL, next_step
from .views import SignalView, get_signal, signal_views

__all__ = ["SignalDesk"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SignalDesk:
    """Signals over one store.

    Parameters
    ----------
    store : the graph.
    source : a matcher that reads themes from a signal's text when none are given.
    place_of : resolves a place name or id to a Region id (None: unknown).
    clock : returns "now" (tests pass a fixed time).
    """

    def __init__(self, store: GraphStore, source: MatchSource | None = None, *,
                 place_of: Callable[[str], str | None] | None = None,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.source = source
        self.place_of = place_of
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------

    def view(self, signal_id: str, viewer: Viewer = "staff", me: str | None = None
             ) -> SignalView:
        return signal_views(self.store, [get_signal(self.store, signal_id)], viewer, me)[0]

    def signals(self, step: int | None = None) -> list[Signal]:
        """Signals, oldest first; only those at ``step`` when given."""
        found = self.store.find("Signal", step=step) if step else self.store.find("Signal")
        return sorted((s for s in found if isinstance(s, Signal)), key=lambda s: (s.created, s.id))

    def views(self, signals: Sequence[Signal], viewer: Viewer = "staff",
              me: str | None = None) -> list[SignalView]:
        return signal_views(self.store, list(signals), viewer, me)

    def of_member(self, member_id: str) -> list[Signal]:
        """Signals the member raised or recognised, oldest first."""
        ids = set(self.store.neighbour_ids(member_id, "RAISED_BY", "in"))
        ids |= set(self.store.neighbour_ids(member_id, "RECOGNISES"))
        found = [s for s in self.store.get_many(sorted(ids)) if isinstance(s, Signal)]
        return sorted(found, key=lambda s: (s.created, s.id))

    def calls(self) -> list[Call]:
        found = [c for c in self.store.find("Call") if isinstance(c, Call)]
        return sorted(found, key=lambda c: (c.created, c.id))

    def agenda(self, table_id: str) -> list[tuple[Signal, dict[str, Any]]]:
        """The signals agendered at a table, by date."""
        if self.store.label_of(table_id) != "Table":
            raise NodeNotFoundError(table_id)
        rels = {r.start: r.props for r in self.store.relationships(table_id, "AGENDERED_AT",
                                                                     "in")}
        signals = [s for s in self.store.get_many(sorted(rels)) if isinstance(s, Signal)]
        return sorted(((s, rels[s.id]) for s in signals), key=lambda x: (x[1]["date"], x[0].id))

    # -- calls and signals in ----------------------------------------------------------------

    def call(self, title: str, who: str, *, text: str = "", kind: str = "open",
             opens: str = "", closes: str = "", themes: Sequence[str] = (),
             domains: Sequence[str] = (), regions: Sequence[str] = (),
             follows_up: str | None = None, call_id: str | None = None) -> Call:
        """Step 01: put out a call (open, or targeted at an earlier signal)."""
        if len((title or "").strip()) < 3:
            raise InvalidQueryError("title", "geef de uitvraag een titel van minstens drie tekens")
        if kind not in ("open", "gericht"):
            raise InvalidQueryError("kind", "kies open of gericht")
        if kind == "gericht" and not follows_up:
            raise InvalidQueryError("follows_up", "een gerichte uitvraag hoort bij een signaal")
        for name, value in (("opens", opens), ("closes", closes)):
            if value and not _DATE.match(value):
                raise InvalidQueryError(name, "schrijf de datum als JJJJ-MM-DD")
        if opens and closes and closes < opens:
            raise InvalidQueryError("closes", "de uitvraag sluit voordat hij opent")
        stamp = now_iso(self.clock())
        cid = call_id or f"call-{self.clock().strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        node = Call(id=cid, title=title.strip(), text=text.strip(), kind=kind, opens=opens,
                    closes=closes, created=stamp)  # type: ignore[arg-type]
        rels = [Relationship.of("ABOUT", cid, t) for t in self._refs(themes, "Theme", "thema")]
        rels += [Relationship.of("IN_DOMAIN", cid, d)
                 for d in self._refs(domains, "Domain", "domein")]
        rels += [Relationship.of("IN_REGION", cid, self._place(r)) for r in regions if r]
        if follows_up:
            get_signal(self.store, follows_up)
            rels.append(Relationship.of("FOLLOWS_UP", cid, follows_up))
        self.store.write([node], rels)
        return node

    def submit(self, text: str, who: str, *, raised_by: str | None = None,
               channel: str = "online", urgency: str = "", themes: Sequence[str] | None = None,
               domains: Sequence[str] | None = None, place: str | None = None,
               call: str | None = None, signal_id: str | None = None,
               created: str | None = None) -> str:
        """Take a signal in (step 01); returns its id. ``raised_by`` None: anonymous
        through the regiebureau (then no place or domain is taken from anyone).

        Raises
        ------
        InvalidQueryError : a text too short or too long, an unknown channel or urgency.
        UnknownReferenceError : the raiser, a theme, a domain, the place or the call.
        """
        text = (text or "").strip()
        if not 3 <= len(text) <= 5000:
            raise InvalidQueryError("text", "beschrijf het knelpunt in 3 tot 5000 tekens")
        if channel not in CHANNELS:
            raise InvalidQueryError("channel", "kies een kanaal uit " + ", ".join(CHANNELS))
        if urgency not in URGENCIES:
            raise InvalidQueryError("urgency", "kies de urgentie: laag, gemiddeld of hoog")
        label = self.store.label_of(raised_by) if raised_by else None
        if raised_by and label not in ("Member", "Organisation", "Region"):
            raise UnknownReferenceError("raised_by", raised_by, "lid, organisatie of regio")
        if call and self.store.label_of(call) != "Call":
            raise UnknownReferenceError("call", call, "uitvraag")
        place_id = self._place(place) if place else None
        if themes is None and self.source is not None:
            from ..engine import MatchQuery  # the engine imports brokering: keep it lazy

            understood = self.source.match(MatchQuery(text=text, limit=1)).understood
            themes = [t["id"] for t in understood.get("themes", [])]
        theme_ids = self._refs(themes or (), "Theme", "thema")
        domain_ids = self._refs(domains or (), "Domain", "domein")
        if label == "Member":  # the member's own gemeente and domains, unless given
            if place_id is None:
                place_id = next(iter(self.store.neighbour_ids(raised_by or "", "BASED_IN")),
                                None)
            if domains is None:
                domain_ids = self.store.neighbour_ids(raised_by or "", "ACTIVE_IN")
        elif label == "Region" and place_id is None:
            place_id = raised_by
        stamp = created or now_iso(self.clock())
        sid = signal_id or f"sig-{self.clock().strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        entry = Entry(stamp, who, "signaal ingebracht", detail=f"kanaal: {channel}")
        node = Signal(id=sid, text=text, channel=channel, urgency=urgency,  # type: ignore[arg-type]
                      created=stamp, updated=stamp, history=[entry.dumps()])
        rels = [Relationship.of("ABOUT", sid, t) for t in theme_ids]
        rels += [Relationship.of("IN_DOMAIN", sid, d) for d in domain_ids]
        if place_id:
            rels.append(Relationship.of("IN_REGION", sid, place_id))
        if raised_by:
            rels.append(Relationship.of("RAISED_BY", sid, raised_by))
        if call:
            rels.append(Relationship.of("ANSWERS", sid, call))

        def work() -> Batch:
            if self.store.label_of(sid) is not None:
                raise InvalidQueryError("id", f"er is al een signaal met id {sid!r}")
            return Batch.of([node], rels)

        self.store.update(work)
        return sid

    # -- the seven steps ---------------------------------------------------------------------

    def act(self, signal_id: str, action: str, who: str, *, note: str = "",
            causes: str = "", shared: str = "", table: str = "", date: str = "",
            instrument: str = "", option: str = "", feedback: str = "",
            urgency: str | None = None) -> SignalView:
        """Move a signal one step; recorded with ``who``, the time and the note.

        Raises
        ------
        TransitionError : the action cannot follow the signal's step (nothing written).
        InvalidQueryError : a field the action needs is missing or not valid.
        UnknownReferenceError : the table does not exist.
        """
        given = {"shared": shared.strip(), "table": table.strip(), "date": date.strip(),
                 "feedback": feedback.strip()}
        if instrument and instrument not in INSTRUMENTS:
            raise InvalidQueryError("instrument",
                                    "kies een instrument uit " + ", ".join(INSTRUMENTS))
        if option and option not in OPTIONS:
            raise InvalidQueryError("option", "kies een handelingsoptie uit " + ", ".join(OPTIONS))
        if urgency is not None and urgency not in URGENCIES:
            raise InvalidQueryError("urgency", "kies de urgentie: laag, gemiddeld of hoog")
        if given["date"] and not _DATE.match(given["date"]):
            raise InvalidQueryError("date", "schrijf de datum als JJJJ-MM-DD")

        def work() -> Batch:
            s = get_signal(self.store, signal_id)
            act = next_step(signal_id, s.step, action)
            missing = [NEEDS_NL[n] for n in act.needs if not given[n]]
            if missing:
                raise InvalidQueryError(act.needs[0], f"'{ACTION_NL[action]}' vraagt om "
                                        + " en ".join(missing))
            if given["table"] and self.store.label_of(given["table"]) != "Table":
                raise UnknownReferenceError("table", given["table"], "tafel")
            stamp = now_iso(self.clock())
            detail = given["table"] and f"tafel: {given['table']}, {given['date']}"
            entry = Entry(stamp, who, action, note=note.strip(), detail=detail)
            changed: dict[str, Any] = {"step": act.target, "updated": stamp,
                                       "history": [*s.history, entry.dumps()]}
            for key, value in (("causes", causes.strip()), ("shared", given["shared"]),
                               ("feedback", given["feedback"]), ("instrument", instrument),
                               ("option", option)):
                if value:
                    changed[key] = value
            if urgency is not None:
                changed["urgency"] = urgency
            node = Signal.model_validate({**s.model_dump(), **changed})
            rels = []
            if action == "agenderen":
                rels.append(Relationship.of("AGENDERED_AT", signal_id, given["table"],
                                            date=given["date"], instrument=instrument,
                                            option=option))
            if action == "terugkoppelen":  # the result belongs to every table it went to
                rels += [Relationship.of("AGENDERED_AT", signal_id, r.end,
                                         **{**r.props, "result": given["feedback"]})
                         for r in self.store.relationships(signal_id, "AGENDERED_AT")]
            return Batch.of([node], rels)

        self.store.update(work)
        return self.view(signal_id)

    # -- hand decisions on clusters -----------------------------------------------------------

    def pin(self, assign: dict[str, str], who: str, action: str, note: str = "") -> None:
        """Staff's merge or split: each signal gets its group key (Signal.cluster; "" lets
        the algorithm decide again). One write for all of them, or none."""
        def work() -> Batch:
            signals = [get_signal(self.store, sid) for sid in sorted(assign)]
            stamp = now_iso(self.clock())
            out = []
            for s in signals:
                entry = Entry(stamp, who, action, note=note, detail=assign[s.id] or "los")
                out.append(s.model_copy(update={"cluster": assign[s.id], "updated": stamp,
                                                "history": [*s.history, entry.dumps()]}))
            return Batch.of(out)

        self.store.update(work)

    # -- recognition -------------------------------------------------------------------------

    def recognise(self, signal_id: str, member_id: str, note: str = "") -> None:
        """A member's "herken ik" (again: the note is replaced)."""
        note = (note or "").strip()
        if len(note) > 1000:
            raise InvalidQueryError("note", "de toelichting mag hoogstens 1000 tekens zijn")

        def work() -> Batch:
            s = get_signal(self.store, signal_id)
            if self.store.label_of(member_id) != "Member":
                raise UnknownReferenceError("member", member_id, "lid")
            stamp = now_iso(self.clock())
            return Batch.of([s.model_copy(update={"updated": stamp})],
                            [Relationship.of("RECOGNISES", member_id, signal_id, note=note,
                                             at=stamp)])

        self.store.update(work)

    def unrecognise(self, signal_id: str, member_id: str) -> bool:
        get_signal(self.store, signal_id)
        return bool(self.store.delete_relationships([(member_id, "RECOGNISES", signal_id)]))

    # -- helpers -----------------------------------------------------------------------------

    def _place(self, place: str) -> str:
        found = self.place_of(place) if self.place_of else None
        if found is None and self.store.label_of(place) == "Region":
            found = place
        if found is None or self.store.label_of(found) != "Region":
            raise UnknownReferenceError("place", place, "gebied (gemeente, regio of provincie)")
        return found

    def _refs(self, ids: Iterable[str], label: str, what: str) -> list[str]:
        out = []
        for t in dict.fromkeys(t.strip() for t in ids if t and t.strip()):
            if self.store.label_of(t) != label:
                raise UnknownReferenceError(label.lower(), t, what)
            out.append(t)
        return out
