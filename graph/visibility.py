"""Who may see which member, and whose fields they may not see: a read model that follows the
change feed (a write touching members re-reads only those members).

The rules themselves are :func:`schakel.graph.privacy.visible` and
:func:`~schakel.graph.privacy.shows`; this module only keeps their answers per viewer.
"""

from __future__ import annotations

import threading
from typing import Any

from .changes import ChangeSet
from .privacy import Viewer, shows, visible
from .store import GraphStore

__all__ = ["Visibility"]

_KEYS = ("visibility", "private_fields", "roles")


def _slim(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in _KEYS if k in props}


class Visibility:
    """Answers per viewer, computed on first use and patched by :meth:`apply`.

    An instance never changes what it answered; :meth:`apply` returns a new one (readers
    keep the one they started with).
    """

    def __init__(self, members: dict[str, dict[str, Any]]) -> None:
        self._members = members
        self._visible: dict[Viewer, dict[str, list[str]]] = {}
        self._hidden: dict[tuple[str, Viewer], frozenset[str]] = {}
        self._lock = threading.Lock()  # two readers computing the same answer at once

    @classmethod
    def build(cls, store: GraphStore) -> Visibility:
        ids = store.ids("Member")
        props = store.props_of(ids)
        # Equal answers are one dict (never changed, only replaced): at 100,000 members a
        # few hundred distinct ones instead of 100,000 (17 MB).
        seen: dict[tuple[Any, ...], dict[str, Any]] = {}
        members = {}
        for i in ids:
            if i in props:
                slim = _slim(props[i])
                key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in slim.items())
                members[i] = seen.setdefault(key, slim)
        return cls(members)

    def visible_members(self, viewer: Viewer = "member") -> dict[str, list[str]]:
        """Members ``viewer`` may see, with their roles (do not change the answer)."""
        found = self._visible.get(viewer)
        if found is None:
            with self._lock:
                found = self._visible.setdefault(viewer, {
                    i: p.get("roles", []) for i, p in sorted(self._members.items())
                    if visible(p, viewer)})
        return found

    def hidden_fields(self, field: str, viewer: Viewer) -> frozenset[str]:
        """Members ``viewer`` may see whose ``field`` they may not see."""
        key = (field, viewer)
        found = self._hidden.get(key)
        if found is None:
            shown = self.visible_members(viewer)
            with self._lock:
                found = self._hidden.setdefault(key, frozenset(
                    i for i in shown if not shows(self._members[i], field, viewer)))
        return found

    def apply(self, store: GraphStore, changes: ChangeSet) -> Visibility:
        """The answers after ``changes``: only the members they touched are read again."""
        touched = changes.ids("Member")
        if not touched:
            return self
        props = store.props_of(sorted(touched))
        members = dict(self._members)
        for i in touched:
            if i in props and props[i].get("label") == "Member":
                members[i] = _slim(props[i])
            else:
                members.pop(i, None)
        new = Visibility(members)
        for viewer, old in self._visible.items():
            shown = dict(old)
            for i in touched:
                p = members.get(i)
                if p is not None and visible(p, viewer):
                    shown[i] = p.get("roles", [])
                else:
                    shown.pop(i, None)
            if any(i not in old for i in shown.keys() & touched):
                shown = dict(sorted(shown.items()))  # a new member: keep id order
            new._visible[viewer] = shown
        for (field, viewer), old_hidden in self._hidden.items():
            shown = new.visible_members(viewer)
            keep = set(old_hidden) - touched
            keep.update(i for i in touched if i in shown and not shows(members[i], field, viewer))
            new._hidden[(field, viewer)] = frozenset(keep)
        return new
