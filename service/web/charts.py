"""Bar charts as SVG, drawn on the server: no script, readable by screen readers (a title
and a description), and every page that shows one also shows its numbers as a table."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from markupsafe import Markup, escape

from .formatting import getal, procent

ROW = 26  # px per bar row
LABEL = 290  # px for the labels on the left
WIDTH = 700
_ids = count(1)


def bars(rows: Sequence[tuple[str, float | None]], title: str, *, decimals: int = 0,
         percent: bool = False, alt: bool = False,
         maximum: float | None = None) -> Markup:
    """Horizontal bars in the order given, each with its value the Dutch way beside it
    (a share 0–1 as a percentage with ``percent``). ``maximum`` fixes the full length (1 for
    a Gini coefficient), else the longest bar fills the width."""
    chart = f"grafiek-{next(_ids)}"
    top = maximum or max([v or 0 for _, v in rows] + [0])
    span = WIDTH - LABEL - 70
    height = ROW * len(rows) + 8
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{chart}-t"'
             f' xmlns="http://www.w3.org/2000/svg"><title id="{chart}-t">{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW
        length = 0 if not top or not value else max(1, span * value / top)
        name = label if len(label) <= 38 else label[:37] + "…"
        shown = procent(value) if percent else getal(value, decimals)
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar{" alt" if alt else ""}" x="{LABEL}" y="{y + 3}"'
            f' width="{length:.1f}" height="{ROW - 8}" rx="2"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 16}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
