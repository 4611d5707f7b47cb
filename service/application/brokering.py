"""The regiebureau's brokering: the broker over the context, staff's steps on
introductions, and the numbers. Simple reads and steps are the broker's own methods
(matching/brokering/); what needs more than one call lives here."""

from __future__ import annotations

from schakel.graph.model import QUESTION_STATUSES
from schakel.matching.brokering import Broker, IntroductionView, QuestionView, store_metrics
from schakel.matching.brokering.metrics import Metrics

from ..access import Principal
from ..context import AppState


def make_broker(ctx: AppState) -> Broker:
    """A broker on the context's store: matching through the context's read models, places
    through the gazetteer, results remembered by the context until a write changes them."""

    def place_of(name: str) -> str | None:
        place = ctx.gazetteer.find(name)
        return place.id if place is not None else None

    return Broker(ctx.store, ctx, place_of=place_of, remember=ctx.cached)


def act(ctx: AppState, who: Principal, introduction_id: str, action: str, *, note: str = "",
        outcome: str | None = None) -> IntroductionView:
    """One step on an introduction, by staff (also on a side's behalf).

    Raises
    ------
    TransitionError : the step cannot follow the current state; nothing changed.
    """
    view = make_broker(ctx).act(introduction_id, action, who.user, note=note, outcome=outcome)
    audit_contact(ctx, who.user, action, view.contact)
    return view


def audit_contact(ctx: AppState, user: str, action: str,
                  contact: dict[str, dict[str, str]] | None) -> None:
    """Contact details are shared once the asker accepts: that is a disclosure to log."""
    if contact and action == "asker_accept":
        for side in contact.values():
            if side.get("id"):
                ctx.access.audit(user, "contactgegevens gedeeld", side["id"], "introductie")


def metrics(ctx: AppState) -> Metrics:
    """Acceptance, time to introduction, cross-domain share, load and exposure (per store
    version: every write may change them)."""
    return ctx.cached("brokering_metrics", lambda: store_metrics(ctx.store))


def most_asked_names(ctx: AppState, most_asked: list[tuple[str, int]]) -> dict[str, str]:
    props = ctx.store.props_of([member_id for member_id, _ in most_asked])
    return {k: v.get("name", k) for k, v in props.items()}


def queue_by_status(broker: Broker, status: str | None) -> tuple[list[QuestionView],
                                                                  dict[str, int]]:
    """The questions to show for ``status`` (none: all that still need doing) and the count
    per status."""
    everything = broker.queue()
    counts = {s: sum(q.status == s for q in everything) for s in QUESTION_STATUSES}
    shown = [q for q in everything if status is None or q.status == status]
    if status is None:
        shown = [q for q in shown if q.status != "afgerond"]
    return shown, counts
