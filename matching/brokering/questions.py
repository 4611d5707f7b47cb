"""The question desk: taking a question in, the queue, and staff's edits of a question.

Themes and place are read from the question's text unless given. Every edit is one store
batch that also appends to the question's history, so it is recorded with who and when. The
:class:`~.broker.Broker` turns the stored questions into views.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from schakel.errors import InvalidQueryError, UnknownReferenceError
from schakel.graph.model import QUESTION_STATUSES, Question, Relationship
from schakel.graph.store import Batch, GraphStore

from ..ranker import Weights
from .views import Entry, get_question, now_iso, with_entry

if TYPE_CHECKING:  # the engine's catalog imports .states: a runtime import would be a cycle
    from ..engine import MatchQuery, MatchResult

__all__ = ["QuestionDesk", "MatchSource"]


class MatchSource(Protocol):
    """What the broker needs of a matcher: the app state and :class:`Matcher` both fit."""

    def match(self, query: MatchQuery, weights: Weights | None = None) -> MatchResult: ...


class QuestionDesk:
    """Questions over one store.

    Parameters
    ----------
    store : the graph.
    source : a matcher that reads a new question's themes and place from its text.
    place_of : resolves a place name or id to a Region id (None: unknown).
    clock : returns "now" (tests pass a fixed time).

    Every edit reads and checks inside the store's write transaction (``store.update``),
    so two processes editing one question at once both land, one after the other.
    """

    def __init__(self, store: GraphStore, source: MatchSource | None = None, *,
                 place_of: Callable[[str], str | None] | None = None,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.source = source
        self.place_of = place_of
        self.clock = clock

    def ask(self, text: str, asker: str, who: str, *, kind: str = "leervraag",
            place: str | None = None, themes: Sequence[str] | None = None,
            own_organisation: bool = False, question_id: str | None = None,
            created: str | None = None) -> str:
        """Take a question in; returns its id. Themes and place are read from the text unless
        given.

        Raises
        ------
        UnknownReferenceError : the asker, a theme or the place does not exist.
        InvalidQueryError : a text too short, an unknown kind.
        """
        text = (text or "").strip()
        if len(text) < 3:
            raise InvalidQueryError("text", "stel een vraag van minstens drie tekens")
        asker_label = self.store.label_of(asker)
        if asker_label not in ("Member", "Organisation", "Region"):
            raise UnknownReferenceError("asker", asker, "vrager (lid, organisatie of regio)")
        place_id = self._place(place) if place else None
        from ..engine import MatchQuery  # see the note at the imports

        understood: dict[str, Any] = {}
        if (themes is None or (place is None)) and self.source is not None:
            understood = self.source.match(MatchQuery(text=text, limit=1)).understood
        if themes is None:
            themes = [t["id"] for t in understood.get("themes", [])]
        theme_ids = self._themes(themes)
        if place_id is None and understood.get("place"):
            found = understood["place"]["id"]
            place_id = found if self.store.label_of(found) == "Region" else None
        if place_id is None and asker_label != "Organisation":
            place_id = (asker if asker_label == "Region"
                        else next(iter(self.store.neighbour_ids(asker, "BASED_IN")), None))
        stamp = created or now_iso(self.clock())
        qid = question_id or f"q-{self.clock().strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        names = self.store.props_of(theme_ids)
        shown = ", ".join(str(names.get(t, {}).get("name", t)) for t in theme_ids) or "geen"
        history = [Entry(stamp, who, "vraag aangenomen", detail=f"thema's: {shown}").dumps()]
        try:
            question = Question(id=qid, text=text, kind=kind, created=stamp, updated=stamp,
                                own_organisation=own_organisation, history=history)
        except ValueError as e:
            raise InvalidQueryError("kind", f"ongeldige vraag: {e}") from e
        rels = [Relationship.of("ASKED_BY", qid, asker)]
        rels += [Relationship.of("ABOUT", qid, t) for t in theme_ids]
        if place_id:
            rels.append(Relationship.of("IN_REGION", qid, place_id))

        def work() -> Batch:
            if self.store.label_of(qid) is not None:
                raise InvalidQueryError("id", f"er is al een vraag met id {qid!r}")
            return Batch.of([question], rels)

        self.store.update(work)
        return qid

    def queue(self, status: str | None = None) -> list[Question]:
        """Questions, oldest first; only those with ``status`` when given."""
        if status is not None and status not in QUESTION_STATUSES:
            raise InvalidQueryError("status", "kies een status uit " + ", ".join(QUESTION_STATUSES))
        found = self.store.find("Question", status=status) if status else self.store.find(
            "Question")
        return sorted((q for q in found if isinstance(q, Question)),
                      key=lambda q: (q.created, q.id))

    def set_themes(self, question_id: str, themes: Sequence[str], who: str,
                   note: str = "") -> None:
        """Staff correct the themes read from the text (replaces them)."""
        def work() -> Batch:
            q = get_question(self.store, question_id)
            theme_ids = self._themes(themes)
            entry = Entry(now_iso(self.clock()), who, "thema's aangepast", note=note,
                          detail=", ".join(theme_ids) or "geen")
            return Batch.of([with_entry(q, entry)],
                            [Relationship.of("ABOUT", q.id, t) for t in theme_ids],
                            replace=[(q.id, "ABOUT")])

        self.store.update(work)

    def set_status(self, question_id: str, status: str, who: str, note: str = "") -> None:
        """Staff close a question (afgerond) or put it back in the queue."""
        if status not in QUESTION_STATUSES:
            raise InvalidQueryError("status", "kies een status uit " + ", ".join(QUESTION_STATUSES))
        def work() -> Batch:
            q = get_question(self.store, question_id)
            entry = Entry(now_iso(self.clock()), who, f"status: {status}", note=note)
            return Batch.of([with_entry(q, entry, status=status)])

        self.store.update(work)

    def note(self, question_id: str, text: str, who: str) -> None:
        """A staff note on the question (kept in its history)."""
        def work() -> Batch:
            q = get_question(self.store, question_id)
            entry = Entry(now_iso(self.clock()), who, "notitie", note=text)
            return Batch.of([with_entry(q, entry, note=text)])

        self.store.update(work)

    def _place(self, place: str) -> str:
        found = self.place_of(place) if self.place_of else None
        if found is None and self.store.label_of(place) == "Region":
            found = place
        if found is None or self.store.label_of(found) != "Region":
            raise UnknownReferenceError("place", place, "gebied (gemeente, regio of provincie)")
        return found

    def _themes(self, themes: Iterable[str]) -> list[str]:
        out = []
        for t in dict.fromkeys(t.strip() for t in themes if t and t.strip()):
            if self.store.label_of(t) != "Theme":
                raise UnknownReferenceError("themes", t, "thema")
            out.append(t)
        return out
