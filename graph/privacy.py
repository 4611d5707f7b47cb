"""Who may see whom, and which of their fields. Every surface (lists, search, matching,
brokering, maps, exports) asks here, so one member's choice holds everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .model import Member

__all__ = ["Viewer", "visible", "shows", "PRIVATE_FIELDS"]

Viewer = Literal["member", "staff"]
# Fields a member may keep for regiebureau staff only. Location is never finer than the
# gemeente anyway, so it is not a choice.
PRIVATE_FIELDS = ("organisation", "function", "themes", "contact")


def _get(member: Member | Mapping[str, Any], key: str, default: Any) -> Any:
    if isinstance(member, Mapping):
        return member.get(key, default)
    return getattr(member, key, default)


def visible(member: Member | Mapping[str, Any], viewer: Viewer = "member") -> bool:
    """Whether ``viewer`` may see ``member`` at all.

    ``visibility`` is the member's own choice: ``members`` (all members and staff),
    ``staff`` (only regiebureau staff) or ``none`` (nobody, on any surface).
    """
    choice = _get(member, "visibility", "members")
    if choice == "members":
        return True
    if choice == "staff":
        return viewer == "staff"
    return False


def shows(member: Member | Mapping[str, Any], field: str, viewer: Viewer = "member") -> bool:
    """Whether ``viewer`` may see this field of a member they can see.

    Staff see every field; other members not the fields the member marked private, and
    contact details only with the member's consent to be contacted.

    >>> shows({"private_fields": ["function"]}, "function")
    False
    >>> shows({"private_fields": ["function"]}, "function", "staff")
    True
    >>> shows({"consent_contact": False}, "contact")
    False
    """
    if not visible(member, viewer):
        return False
    if viewer == "staff":
        return True
    if field in (_get(member, "private_fields", None) or ()):
        return False
    if field == "contact":
        return bool(_get(member, "consent_contact", False))
    return True
