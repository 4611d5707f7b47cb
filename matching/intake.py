"""Lid worden: an application, and staff's steps on it until it becomes a member.

::

    pending --ask_more--> more_info --resume--> pending
    pending | more_info --approve--> approved      (the member is written in the same batch)
    pending | more_info --refuse--> refused        (the personal fields are emptied)

Every step is one ``store.update``: the state is read and checked inside the store's write
transaction, so two staff approving at once make one member, and a refused step writes
nothing (:class:`~schakel.errors.TransitionError`, 409).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schakel.errors import InvalidQueryError, NodeNotFoundError, TransitionError
from schakel.graph.exchange import member_batch
from schakel.graph.lookup import Lookup
from schakel.graph.model import (
    PERSPECTIVES,
    ROLE_LEVELS,
    Application,
    Organisation,
    Relationship,
)
from schakel.graph.store import Batch, GraphStore

__all__ = ["Step", "STEPS", "STATE_NL", "ACTION_NL", "Approval", "submit", "act",
           "allowed_actions", "next_state", "check_choices"]


@dataclass(frozen=True)
class Step:
    action: str
    sources: frozenset[str]
    target: str


STEPS: dict[str, Step] = {s.action: s for s in (
    Step("ask_more", frozenset({"pending"}), "more_info"),
    Step("resume", frozenset({"more_info"}), "pending"),
    Step("approve", frozenset({"pending", "more_info"}), "approved"),
    Step("refuse", frozenset({"pending", "more_info"}), "refused"),
)}
STATE_NL = {"pending": "nieuw", "more_info": "meer informatie gevraagd",
            "approved": "goedgekeurd", "refused": "afgewezen"}
ACTION_NL = {"ask_more": "meer informatie vragen", "resume": "weer in behandeling nemen",
             "approve": "goedkeuren", "refuse": "afwijzen"}
MAX_THEMES = 10


def allowed_actions(state: str) -> list[str]:
    return [a for a, s in STEPS.items() if state in s.sources]


def next_state(application: str, state: str, action: str) -> Step:
    """The step ``action`` takes from ``state``; a :class:`TransitionError` says what can."""
    step = STEPS.get(action)
    if step is None:
        raise TransitionError(application, state, action,
                              f"onbekende actie {action!r}; kies uit {', '.join(STEPS)}")
    if state not in step.sources:
        can = [ACTION_NL[a] for a in allowed_actions(state)]
        then = ("; nu kan: " + ", ".join(can)) if can else "; deze aanmelding is afgehandeld"
        raise TransitionError(application, state, action,
                              f"'{ACTION_NL[action]}' kan niet: de aanmelding is "
                              f"{STATE_NL[state]}{then}")
    return step


def _stamp(clock: Callable[[], datetime]) -> str:
    return clock().astimezone(UTC).isoformat(timespec="seconds")


def _entry(at: str, who: str, action: str, note: str = "") -> str:
    return json.dumps({k: v for k, v in {"at": at, "who": who, "action": action,
                                         "note": note}.items() if v}, ensure_ascii=False)


def check_choices(lookup: Lookup, form: dict[str, Any]) -> dict[str, Any]:
    """The form's references resolved to ids (gemeente, domains, themes, organisation).

    Raises
    ------
    InvalidQueryError : the field that cannot be used, with a Dutch message.
    """
    out = dict(form)
    if form.get("role_level", "") not in ("", *ROLE_LEVELS):
        raise InvalidQueryError("role_level", "Kies uitvoering, beleid of bestuur.")
    if form.get("perspective", "") not in ("", *PERSPECTIVES):
        raise InvalidQueryError("perspective", "Kies een perspectief uit de lijst.")
    gemeente = str(form.get("gemeente") or "").strip()
    if gemeente:
        found = lookup.gemeente(gemeente)
        if found is None:
            raise InvalidQueryError("gemeente", f"De gemeente {gemeente} kennen we niet."
                                    f"{lookup.gazetteer.hint(gemeente)}")
        out["gemeente"] = found
    for key in ("seeks", "offers"):
        ids = []
        for ref in form.get(key) or []:
            theme = lookup.theme(ref)
            if theme is None:
                raise InvalidQueryError(key, f"Het thema {ref} kennen we niet."
                                        f"{lookup.hint('Theme', ref)}")
            ids.append(theme)
        if len(set(ids)) > MAX_THEMES:
            raise InvalidQueryError(key, f"Kies hoogstens {MAX_THEMES} thema's.")
        out[key] = list(dict.fromkeys(ids))
    out["offer_levels"] = [2] * len(out.get("offers") or [])
    domains = []
    for ref in form.get("domains") or []:
        domain = lookup.domain(ref)
        if domain is None:
            raise InvalidQueryError("domains", f"Het domein {ref} kennen we niet.")
        domains.append(domain)
    out["domains"] = list(dict.fromkeys(domains))
    org = str(form.get("organisation") or "").strip()
    out["organisation"] = lookup.organisation(org) or org if org else ""
    return out


def submit(store: GraphStore, lookup: Lookup, form: dict[str, Any],
           clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Application:
    """Store a new application (state pending).

    Raises
    ------
    InvalidQueryError : a reference in the form is unknown.
    GraphValidationError : a field does not fit (too long, empty name).
    """
    fields = check_choices(lookup, form)
    at = _stamp(clock)
    application = Application(id=f"aanmelding-{secrets.token_hex(6)}", created=at, updated=at,
                              history=[_entry(at, "aanvrager", "aangemeld")], **fields)
    store.write([application])
    return application


@dataclass(frozen=True)
class Approval:
    """What a step wrote: the application as it is now, and the new member's id."""

    application: Application
    member_id: str = ""


def _get(store: GraphStore, application_id: str) -> Application:
    node = store.get(application_id)
    if not isinstance(node, Application):
        raise NodeNotFoundError(application_id)
    return node


def _member_writes(store: GraphStore, lookup: Lookup, a: Application, member_id: str
                   ) -> tuple[list[Any], list[Relationship], list[tuple[str, str]]]:
    row: dict[str, Any] = {
        "id": member_id, "name": a.name, "function": a.function or None, "contact": a.contact,
        "visibility": a.visibility, "consent_matching": a.consent_matching,
        "consent_contact": a.consent_contact, "private_fields": a.private_fields,
        "role_level": a.role_level, "perspective": a.perspective,
        "profile": a.bring, "domains": a.domains, "seeks": a.seeks,
        "offers": [{"theme": t, "level": lv} for t, lv in zip(a.offers, a.offer_levels,
                                                                strict=False)]}
    if a.gemeente:
        row["gemeente"] = a.gemeente
    batch = member_batch(store, lookup, row)
    nodes, rels = list(batch.nodes), list(batch.relationships)
    if a.organisation:
        org = a.organisation if store.label_of(a.organisation) == "Organisation" else None
        if org is None:  # a new organisation, named by the applicant
            org = f"org-{member_id}"
            nodes.append(Organisation(id=org, name=a.organisation[:300], relation="lid"))
        rels.append(Relationship.of("WORKS_AT", member_id, org))
    return nodes, rels, list(batch.replace)


def act(store: GraphStore, lookup: Lookup, application_id: str, action: str, who: str,
        note: str = "", clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Approval:
    """One staff step. ``approve`` writes the member (with SEEKS/OFFERS, gemeente, domains,
    organisation) and BECAME in the same batch as the new state.

    Raises
    ------
    NodeNotFoundError : no such application.
    TransitionError : the step cannot follow the current state; nothing was written.
    GraphValidationError : the application cannot become a member as it is.
    """
    member_id = f"m-{secrets.token_hex(5)}"  # outside work(): a retry keeps the same id

    def work() -> Batch:
        a = _get(store, application_id)
        step = next_state(application_id, a.state, action)
        at = _stamp(clock)
        changes: dict[str, Any] = {"state": step.target, "updated": at,
                                   "history": [*a.history, _entry(at, who, action, note)]}
        if action == "ask_more":
            changes["staff_question"] = note
        if action == "refuse":  # keep that it happened, not who it was (AVG)
            changes.update(name="(afgewezen)", contact="", function="", organisation="",
                           learn="", need="", bring="", history=[_entry(at, who, action)])
        updated = a.model_copy(update=changes)
        if action != "approve":
            return Batch.of([updated])
        nodes, rels, replace = _member_writes(store, lookup, a, member_id)
        updated = updated.model_copy(update={"member": member_id})
        return Batch.of([updated, *nodes], [*rels, Relationship.of("BECAME", application_id,
                                                                   member_id)], replace)

    store.update(work)
    a = _get(store, application_id)
    return Approval(a, a.member if action == "approve" else "")


def queue(store: GraphStore, state: str | None = None) -> list[Application]:
    """Applications, oldest first; only those in ``state`` when given."""
    found = [a for a in store.iter_nodes("Application") if isinstance(a, Application)]
    return sorted((a for a in found if state is None or a.state == state),
                  key=lambda a: (a.created, a.id))
