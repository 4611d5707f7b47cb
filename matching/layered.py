"""A mapping shared between versions: a base dict that is never changed plus a small overlay.

The catalog's properties of every node (100k members, their organisations) are read for
explanations only; copying them for every one-member edit cost more than the edit. A new
version copies the overlay, and folds it into a new base once it grows past a share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = ["Layered"]

_GONE = object()


class Layered(Mapping[str, Any]):
    def __init__(self, base: Mapping[str, Any], overlay: dict[str, Any] | None = None) -> None:
        self._base = base
        self._overlay = overlay or {}

    def __getitem__(self, key: str) -> Any:
        if key in self._overlay:
            value = self._overlay[key]
            if value is _GONE:
                raise KeyError(key)
            return value
        return self._base[key]

    def __iter__(self) -> Iterator[str]:
        for key in self._base:
            if key not in self._overlay:
                yield key
        for key, value in self._overlay.items():
            if value is not _GONE:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def updated(self, put: Mapping[str, Any], gone: Iterable[str] = ()) -> Layered:
        """A new mapping with ``put`` set and ``gone`` removed; this one is left as it was."""
        overlay = dict(self._overlay)
        for key in gone:
            overlay[key] = _GONE
        overlay.update(put)
        if len(overlay) > max(1000, len(self._base) // 20):  # fold in: one O(n) copy
            base = {k: v for k, v in self._base.items() if k not in overlay}
            base.update({k: v for k, v in overlay.items() if v is not _GONE})
            return Layered(base)
        return Layered(self._base, overlay)
