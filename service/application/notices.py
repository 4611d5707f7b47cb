"""A brokering notice that starts something: a theme asked in several regions lately becomes
a community or an intervisie group, with the members behind those questions invited.

Starting is exactly-once per theme and kind (a second click, or two staff at once, get a 409
naming the group that exists), and it is one write: the community, its theme and every
invitation together, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import InvalidQueryError, TransitionError
from schakel.graph.model import Community, Member
from schakel.graph.privacy import visible
from schakel.matching import joining
from schakel.matching.brokering import Notice

from ..access import Principal
from ..context import AppState
from .brokering import make_broker

__all__ = ["KINDS", "Started", "StartOptions", "askers", "start_options", "start_group",
           "started_id"]

KINDS = {"cop": "Community of Practice", "intervisiegroep": "Intervisiegroep"}


@dataclass(frozen=True)
class Started:
    community: str
    invited: list[str]  # member ids
    left_out: int  # askers without consent (or organisations, regions): not invited


def started_id(theme_id: str, kind: str) -> str:
    """One group per theme and kind started from a notice: the id says which."""
    return f"com-gestart-{kind}-{theme_id}"[:200]


@dataclass(frozen=True)
class StartOptions:
    """What the brokering page offers under a notice."""

    invitable: int  # askers who would be invited
    left_out: int
    started: dict[str, str]  # kind -> the community already started for this theme


def start_options(ctx: AppState, notice: Notice) -> StartOptions:
    people, left_out = askers(ctx, notice.questions)
    ids = {kind: started_id(notice.theme.id, kind) for kind in KINDS}
    exist = ctx.store.labels_of(list(ids.values()))
    return StartOptions(len(people), left_out,
                        {k: i for k, i in ids.items() if exist.get(i) == "Community"})


def _notice(ctx: AppState, question_id: str, theme_id: str) -> Notice:
    broker = make_broker(ctx)
    broker.question(question_id)  # 404 when there is no such question
    found = next((n for n in broker.notices(question_id) if n.theme.id == theme_id), None)
    if found is None:
        raise TransitionError(question_id, "geen melding", "start",
                              "Dit thema is niet (meer) in drie of meer regio's gevraagd; "
                              "er is niets om te starten.")
    return found


def askers(ctx: AppState, question_ids: list[str]) -> tuple[list[Member], int]:
    """The members behind these questions who may be invited (visible to staff, consent to
    being matched), and how many askers may not (or are no member)."""
    store = ctx.store
    who = sorted({a for q in question_ids for a in store.neighbour_ids(q, "ASKED_BY")})
    people = [m for m in store.get_many(who) if isinstance(m, Member)]
    fit = [m for m in people if visible(m, "staff") and m.consent_matching]
    return sorted(fit, key=lambda m: m.name), len(who) - len(fit)


def start_group(ctx: AppState, who: Principal, question_id: str, theme_id: str, kind: str,
                name: str = "") -> Started:
    """Staff start a community (``cop``) or an intervisie group for the notice's theme and
    invite its askers (INVITED_TO: each accepts or declines on the community's page).

    Raises
    ------
    NodeNotFoundError : no such question.
    TransitionError : the notice is gone, or this theme already has such a group (409).
    InvalidQueryError : an unknown kind.
    """
    if kind not in KINDS:
        raise InvalidQueryError("kind", "Kies een community of een intervisiegroep.")
    notice = _notice(ctx, question_id, theme_id)
    people, left_out = askers(ctx, notice.questions)
    community_id = started_id(theme_id, kind)
    title = name.strip()[:300] or f"{KINDS[kind]} {notice.theme.name}"
    text = (f"Gestart omdat '{notice.theme.name}' gevraagd is in "
            f"{len(notice.regions)} regio's ({', '.join(notice.regions)}).")
    joining.start_with_invitations(
        ctx.store, Community(id=community_id, name=title, kind=kind, description=text),
        theme_id, [m.id for m in people])
    ctx.access.audit(who.user, "groep gestart vanuit melding", community_id,
                     f"{len(people)} uitgenodigd")
    for m in people:
        ctx.access.audit(who.user, "uitgenodigd voor community", m.id, community_id)
    return Started(community_id, [m.id for m in people], left_out)
