"""Joining a community: ask, then a coordinator or staff accept or refuse; leaving is one
step. A table of steps, each checked and written in one ``store.update``.

::

    (none) --ask--> asked (WANTS_TO_JOIN) --accept--> member (MEMBER_OF) --leave--> (none)
                    asked --refuse | withdraw--> (none)
    (none) --invite--> invited (INVITED_TO) --accept_invite--> member
                       invited --decline_invite--> (none)
"""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import NodeNotFoundError, TransitionError
from schakel.graph.model import Community, Relationship
from schakel.graph.store import Batch, GraphStore

__all__ = ["STEPS", "standing", "step", "start_with_invitations"]


@dataclass(frozen=True)
class Step:
    source: str  # the member's standing before: none, asked or member
    target: str
    message: str  # why it cannot, when the standing is another


STEPS = {
    "ask": Step("none", "asked", "U bent al lid, of u vroeg het al."),
    "withdraw": Step("asked", "none", "Er is geen verzoek om in te trekken."),
    "accept": Step("asked", "member", "Er is geen verzoek van dit lid (meer)."),
    "refuse": Step("asked", "none", "Er is geen verzoek van dit lid (meer)."),
    "leave": Step("member", "none", "U bent geen lid van deze community."),
    "invite": Step("none", "invited", "Dit lid is al lid, vroeg het al of is al uitgenodigd."),
    "accept_invite": Step("invited", "member", "Er is geen uitnodiging (meer)."),
    "decline_invite": Step("invited", "none", "Er is geen uitnodiging (meer)."),
}
_REL = {"asked": "WANTS_TO_JOIN", "member": "MEMBER_OF", "invited": "INVITED_TO"}


def standing(store: GraphStore, community_id: str, member_id: str) -> str:
    """none, asked, invited or member."""
    for state in ("member", "asked", "invited"):
        if community_id in store.neighbour_ids(member_id, _REL[state]):
            return state
    return "none"


def step(store: GraphStore, community_id: str, member_id: str, action: str) -> str:
    """Take ``action`` for ``member_id``; returns the new standing.

    Raises
    ------
    NodeNotFoundError : no such community.
    TransitionError : the action does not fit the member's standing; nothing was written.
    """
    chosen = STEPS[action]

    def work() -> Batch:
        if not isinstance(store.get(community_id), Community):
            raise NodeNotFoundError(community_id)
        now = standing(store, community_id, member_id)
        if now != chosen.source:
            raise TransitionError(community_id, now, action, chosen.message)
        rels, replace = [], []
        if now in _REL:  # drop this one relationship: replace all of its type, keep the rest
            rel_type = _REL[now]
            replace.append((member_id, rel_type))
            rels += [r for r in store.relationships(member_id, rel_type)
                     if r.end != community_id]
        if chosen.target in _REL:
            rels.append(Relationship.of(_REL[chosen.target], member_id, community_id))
        return Batch.of(relationships=rels, replace=replace)

    store.update(work)
    return chosen.target


def start_with_invitations(store: GraphStore, community: Community, theme_id: str,
                           invited: list[str]) -> None:
    """Write a new community about ``theme_id`` with ``invited`` members invited, exactly
    once: one write, or a :class:`TransitionError` when the community exists already (a second
    click, or two staff at once)."""
    def work() -> Batch:
        if store.get(community.id) is not None:
            name = store.props_of([community.id]).get(community.id, {}).get("name", "")
            raise TransitionError(community.id, "bestaat", "start",
                                  f"Voor dit thema is al gestart: {name}.")
        rels = [Relationship.of("ABOUT", community.id, theme_id)]
        rels += [Relationship.of("INVITED_TO", m, community.id) for m in invited]
        return Batch.of([community], rels)

    store.update(work)
