"""Who may see whom. Every surface (lists, search, matching, maps, exports) asks here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .model import Member

__all__ = ["Viewer", "visible"]

Viewer = Literal["member", "staff"]


def visible(member: Member | Mapping[str, Any], viewer: Viewer = "member") -> bool:
    """Whether ``viewer`` may see ``member`` at all.

    ``visibility`` is the member's own choice: ``members`` (all members and staff),
    ``staff`` (only regiebureau staff) or ``none`` (nobody, on any surface).
    """
    choice = member.get("visibility") if isinstance(member, Mapping) else member.visibility
    if choice == "members":
        return True
    if choice == "staff":
        return viewer == "staff"
    return False
