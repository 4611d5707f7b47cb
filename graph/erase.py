"""Erasing a member (AVG art. 17): the person, their questions, the signals they raised and
every introduction they were part of leave the graph (their "herken ik" goes with them);
only anonymised counts stay behind. Anonymous signals were never linked to them."""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import NodeNotFoundError

from .model import Member, Tally
from .store import GraphStore

__all__ = ["Erasure", "erase_member", "TALLY_ID"]

TALLY_ID = "tally-erased"
_OUTCOMES = {"nuttig": "outcome_nuttig", "niet nuttig": "outcome_niet_nuttig",
             "geen contact": "outcome_geen_contact"}


@dataclass(frozen=True)
class Erasure:
    member_id: str
    questions: int
    introductions: int
    signals: int = 0
    recognitions: int = 0


def erase_member(store: GraphStore, member_id: str) -> Erasure:
    """Delete the member, the questions they asked, the signals they raised and the
    introductions that suggested them or answered their questions; add those (and their
    recognitions, which go with them) to the anonymised tally.

    Raises
    ------
    NodeNotFoundError : no member with this id.
    """
    node = store.get(member_id)
    if not isinstance(node, Member):
        raise NodeNotFoundError(member_id)
    questions = store.neighbour_ids(member_id, "ASKED_BY", "in")
    applications = store.neighbour_ids(member_id, "BECAME", "in")  # their "Lid worden"
    introductions = set(store.neighbour_ids(member_id, "SUGGESTS", "in"))
    for q in questions:
        introductions |= set(store.neighbour_ids(q, "FOR", "in"))
    outcomes = store.props_of(sorted(introductions))
    signals = store.neighbour_ids(member_id, "RAISED_BY", "in")
    recognitions = store.neighbour_ids(member_id, "RECOGNISES")
    store.delete([member_id, *questions, *sorted(introductions), *signals, *applications])
    old = store.get(TALLY_ID)
    tally = old.model_copy() if isinstance(old, Tally) else Tally(id=TALLY_ID)
    tally.erased_members += 1
    tally.questions += len(questions)
    tally.introductions += len(introductions)
    tally.signals += len(signals)
    tally.recognitions += len(recognitions)
    for props in outcomes.values():
        field = _OUTCOMES.get(str(props.get("outcome", "")))
        if field:
            setattr(tally, field, getattr(tally, field) + 1)
    store.write(nodes=[tally])
    store.scrub()
    return Erasure(member_id, len(questions), len(introductions), len(signals),
                   len(recognitions))
