"""Lid worden: a person applies on a public page; staff approve, ask for more or refuse.

Approval writes the member (matching/intake.py), then makes their account: the key is
returned once, for staff to pass on, and never stored. The "heb nodig" answer becomes the new
member's first question in the brokering queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from schakel.errors import SchakelError
from schakel.graph.model import Application
from schakel.matching import intake

from ..access import Principal
from ..context import AppState
from .brokering import make_broker

__all__ = ["apply_for_membership", "applications", "decide", "Decision"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    application: Application
    member_id: str = ""
    key: str = ""  # the new member's login key: shown once, never stored
    question: str = ""


def apply_for_membership(ctx: AppState, form: dict[str, Any]) -> Application:
    """A new application from the public page (no account needed).

    Raises
    ------
    InvalidQueryError : an unknown gemeente, domain, theme or choice.
    GraphValidationError : a field too long, or no name.
    """
    application = intake.submit(ctx.store, ctx.lookup, form)
    ctx.access.audit("aanvrager", "aanmelding ontvangen", application.id)
    return application


def applications(ctx: AppState, who: Principal, state: str | None = None) -> list[Application]:
    """The intake queue (staff), oldest first; reading it is audited."""
    found = intake.queue(ctx.store, state)
    ctx.access.audit(who.user, "aanmeldingen gelezen", "*", f"{len(found)} aanmeldingen")
    return found


def decide(ctx: AppState, who: Principal, application_id: str, action: str,
           note: str = "") -> Decision:
    """Staff's step on an application. Approval makes the member, their account (the key is
    in the answer, once) and their first question.

    Raises
    ------
    TransitionError : the step cannot follow the current state; nothing was written.
    NodeNotFoundError : no such application.
    """
    done = intake.act(ctx.store, ctx.lookup, application_id, action, who.user, note)
    ctx.access.audit(who.user, f"aanmelding: {intake.ACTION_NL[action]}", application_id)
    if action != "approve":
        return Decision(done.application)
    member_id = done.member_id
    key = ctx.access.add_user(member_id, "member", member_id)
    ctx.access.audit(who.user, "account aangemaakt", member_id, "na aanmelding")
    question = _first_question(ctx, who, done.application, member_id)
    return Decision(done.application, member_id, key, question)


def _first_question(ctx: AppState, who: Principal, a: Application, member_id: str) -> str:
    """"Heb nodig" into the brokering queue, as the member's own question."""
    if len(a.need.strip()) < 3:
        return ""
    try:
        view = make_broker(ctx).ask(a.need, member_id, who.user, kind="hulpvraag",
                                    place=a.gemeente or None, themes=a.seeks or None)
    except SchakelError as exc:  # the member exists; staff can enter the question by hand
        logger.warning("first question of %s not taken in: %s", member_id, exc)
        return ""
    ctx.store.write([a.model_copy(update={"question": view.id})])
    return view.id
