"""Dutch number formatting for the pages: a decimal comma, a point between thousands."""

from __future__ import annotations

from typing import Any


def getal(value: Any, decimals: int = 0) -> str:
    """A number the Dutch way; '–' for no number.

    >>> getal(1234.5, 1), getal(0.1566, 2), getal(None), getal(12)
    ('1.234,5', '0,16', '–', '12')
    """
    if value is None or isinstance(value, bool):
        return "–"
    try:
        text = f"{float(value):,.{decimals}f}"
    except (TypeError, ValueError):
        return str(value)
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def procent(value: Any) -> str:
    """A share (0–1) as a whole percentage: '43%'."""
    return "–" if value is None else f"{getal(float(value) * 100)}%"


def km(value: Any) -> str:
    """A distance in whole kilometres, never '50.1 km' (below 1 km: '< 1 km')."""
    if value is None:
        return "–"
    return "< 1 km" if float(value) < 1 else f"{getal(value)} km"


def register(env: Any) -> None:
    env.filters.update(getal=getal, procent=procent, km=km)
