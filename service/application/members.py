"""Members: finding and reading them, writing a profile, and the AVG rights (see, change,
take out, erase). Every read or change of personal data goes into the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schakel.errors import Forbidden, NodeNotFoundError, NotAMemberError
from schakel.graph.changes import ChangeSet
from schakel.graph.erase import Erasure
from schakel.graph.exchange import member_batch
from schakel.graph.model import Member
from schakel.graph.names import fold
from schakel.graph.privacy import Viewer, visible

from ..access import Principal
from ..context import AppState
from ..views import display_name


@dataclass(frozen=True)
class MemberWrite:
    """A written member and what the write changed (for read models that follow it)."""

    member: Member
    changes: ChangeSet


def find_members(ctx: AppState, who: Principal, *, theme: str | None = None,
                 region: str | None = None, domain: str | None = None,
                 role: str | None = None) -> list[str]:
    """Ids of the members ``who`` may see, by theme (with narrower themes), region (with
    the gemeenten inside it), domain and role, sorted.

    Raises
    ------
    UnknownReferenceError : a filter names no theme, region or domain.
    """
    return ctx.visible_member_ids(theme, region, domain, role, viewer=who.viewer)


def audit_listing(ctx: AppState, who: Principal, shown: int) -> None:
    ctx.access.audit(who.user, "lijst gelezen", "*", f"{shown} leden")


def visible_member(ctx: AppState, member_id: str, viewer: Viewer) -> Member:
    """The member, if ``viewer`` may see them; otherwise not found (hidden looks absent)."""
    member = ctx.store.get(member_id)
    if not isinstance(member, Member) or not visible(member, viewer):
        raise NodeNotFoundError(member_id)
    return member


def read_member(ctx: AppState, who: Principal, member_id: str) -> Member:
    """One member's profile, as ``who`` may see it; the reading is audited."""
    member = visible_member(ctx, member_id, who.viewer)
    ctx.access.audit(who.user, "profiel gelezen", member_id)
    return member


def own_member(ctx: AppState, who: Principal) -> Member:
    """The member behind this account.

    Raises
    ------
    NotAMemberError : the account belongs to no member (a staff or admin account).
    """
    if not who.member_id:
        raise NotAMemberError()
    member = ctx.store.get(who.member_id)
    if not isinstance(member, Member):
        raise NodeNotFoundError(who.member_id)
    return member


def write_member(ctx: AppState, row: dict[str, Any]) -> MemberWrite:
    """One member row of the exchange format, written as one batch: fields the row leaves
    out keep their stored value.

    Raises
    ------
    GraphValidationError : any problem with the row; nothing was written.
    """
    # Read and write in one store transaction: fields the row leaves out keep the value
    # stored at the moment of writing, even when another process edits the member too.
    result = ctx.store.update(lambda: member_batch(ctx.store, ctx.lookup, row))
    member = ctx.store.require(str(row["id"]).strip())
    assert isinstance(member, Member)
    return MemberWrite(member, result.changes)


def save_member(ctx: AppState, who: Principal, row: dict[str, Any]) -> Member:
    """Add or update a member (an admin's write); audited."""
    written = write_member(ctx, row)
    ctx.access.audit(who.user, "profiel gewijzigd", written.member.id)
    return written.member


def update_profile(ctx: AppState, who: Principal, given: dict[str, Any]) -> Member:
    """Change the fields ``given`` of the member's own profile in one batch (or nothing).
    ``None`` clears the function; for the other fields it means "leave as is"."""
    member = own_member(ctx, who)
    row = {"id": member.id, **{k: v for k, v in given.items()
                               if v is not None or k == "function"}}
    written = write_member(ctx, row)
    ctx.access.audit(who.user, "eigen profiel gewijzigd", member.id,
                     ", ".join(sorted(row.keys() - {"id"})))
    return written.member


def theme_levels(ctx: AppState, member_id: str, rel_type: str = "WORKS_ON") -> dict[str, int]:
    """The member's themes (WORKS_ON, or OFFERS) with their levels (1-3), to keep levels a
    form does not show."""
    return {r.end: r.props.get("level", 2)
            for r in ctx.store.relationships(member_id, rel_type)}


def exposed_private_fields(ctx: AppState, member: Member) -> list[str]:
    """Warnings for a member whose always-visible text names what they keep private (their
    organisation or function): the choice would not protect it."""
    private = set(member.private_fields)
    public = fold(" ".join((member.profile, member.availability)))
    said = []
    if "organisation" in private:
        for org in ctx.store.get_many(ctx.store.neighbour_ids(member.id, "WORKS_AT")):
            names = [getattr(org, "name", ""), getattr(org, "abbreviation", None) or ""]
            if any(len(fold(n)) >= 3 and f" {fold(n)} " in f" {public} " for n in names):
                said.append(f"uw organisatie ({org.name})")  # type: ignore[attr-defined]
    if "function" in private and member.function and len(fold(member.function)) >= 4 \
            and f" {fold(member.function)} " in f" {public} ":
        said.append(f"uw functie ({member.function})")
    return [f"Let op: uw tekst 'Over mij' of uw beschikbaarheid noemt {what}. Die houdt u "
            "voor andere leden verborgen, maar deze tekst ziet iedereen die uw profiel ziet. "
            "Haal het uit de tekst als u dat wilt." for what in said]


def personal_data(ctx: AppState, who: Principal) -> dict[str, Any]:
    """Everything Schakel holds on the member behind ``who`` (AVG art. 15 and 20)."""
    member = own_member(ctx, who)
    store = ctx.store
    # Other members appear only as the caller may see them: one who hides from members is
    # counted, never named (not even by id).
    shown = ctx.visible_members(who.viewer)
    mine = store.relationships(member.id)
    theirs = [r for r in store.relationships(member.id, direction="in") if r.type == "KNOWS"]
    labels = store.labels_of({r.end for r in mine} | {r.start for r in theirs})

    def seen(node_id: str) -> bool:
        return labels.get(node_id) != "Member" or node_id in shown

    outgoing = [{"type": r.type, "to": r.end, "name": display_name(store.get(r.end)), **r.props}
                for r in mine if seen(r.end)]
    incoming = [{"type": r.type, "from": r.start, **r.props} for r in theirs if seen(r.start)]
    hidden = sum(not seen(r.end) for r in mine) + sum(not seen(r.start) for r in theirs)
    questions = [{"id": q.id, **q.props()}
                 for q in store.get_many(store.neighbour_ids(member.id, "ASKED_BY", "in"))]
    introductions = [{"id": i.id, **i.props()}
                     for i in store.get_many(store.neighbour_ids(member.id, "SUGGESTS", "in"))]
    signals = [{"id": s.id, **s.props()}
               for s in store.get_many(store.neighbour_ids(member.id, "RAISED_BY", "in"))]
    recognitions = [{"signal": r.end, "text": getattr(store.get(r.end), "text", ""), **r.props}
                    for r in store.relationships(member.id, "RECOGNISES")]
    applications = [{"id": a.id, **a.props()}
                    for a in store.get_many(store.neighbour_ids(member.id, "BECAME", "in"))]
    ctx.access.audit(who.user, "gegevens opgevraagd", member.id)
    return {
        "member": {"id": member.id, **member.props()},
        "relationships": outgoing,
        "known_by": incoming,
        "relationships_with_hidden_members": hidden,
        "questions": questions,
        "introductions": introductions,
        "signals": signals,
        "recognitions": recognitions,
        "applications": applications,
        "accounts": [{"name": u.user, "role": u.role} for u in ctx.access.users()
                     if u.member_id == member.id],
        "audit": ctx.access.audit_rows(subject=member.id),
    }


def erase_member(ctx: AppState, who: Principal, member_id: str, how: str = "") -> Erasure:
    """Erase a member for good (AVG). Members may erase themselves; an admin anyone.

    Raises
    ------
    Forbidden : someone else's erasure, without an admin account.
    NodeNotFoundError : no such member.
    """
    if not who.can("admin") and who.member_id != member_id:
        raise Forbidden("admin")
    return ctx.erase(member_id, who.user, how)
