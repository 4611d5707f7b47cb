"""The main menu: only pages the visitor may open, and the member's own name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from schakel.graph.model import Member

from ..auth import COOKIE


@dataclass(frozen=True)
class Item:
    href: str
    label: str
    role: str  # the weakest account role that may open the page
    own: bool = False  # needs an account that belongs to a member


MENU = (
    Item("/", "Overzicht", "member"),
    Item("/leden", "Leden", "member"),
    Item("/zoeken", "In de buurt", "member"),
    Item("/praktijkvoorbeelden", "Praktijkvoorbeelden", "member"),
    Item("/matchen", "Matchen", "staff"),
    Item("/makelen", "Makelen", "staff"),
    Item("/signalen", "Signalen", "staff"),
    Item("/kaart", "Netwerkkaart", "staff"),
    Item("/aanmeldingen", "Aanmeldingen", "staff"),
    Item("/agenda", "Agenda", "member"),
    Item("/community", "Communities", "member"),
    Item("/voor-jou", "Voor jou", "member", own=True),
    Item("/mijn-vragen", "Mijn vragen", "member", own=True),
    Item("/mijn-signalen", "Mijn signalen", "member", own=True),
    Item("/mijn-profiel", "Mijn profiel", "member", own=True),
)


def _current(here: str, href: str) -> bool:
    return here == href if href == "/" else here == href or here.startswith(href + "/")


def menu(request: Request) -> dict[str, Any]:
    """What the header shows: the menu items for this account, which one is open, and
    the name to greet (the member's own name, else the account name)."""
    if hasattr(request.state, "who"):
        who = request.state.who
    else:  # a public page (the login page): nobody checked the key yet
        key = request.cookies.get(COOKIE)
        who = request.app.state.schakel.access.authenticate(key) if key else None
    if who is None:
        return {"items": [], "name": None}
    here = request.url.path
    items = [{"href": i.href, "label": i.label, "current": _current(here, i.href)}
             for i in MENU if who.can(i.role) and (who.member_id or not i.own)]
    name = who.user
    if who.member_id:
        member = request.app.state.schakel.store.get(who.member_id)
        if isinstance(member, Member):
            name = member.name
    return {"items": items, "name": name}
