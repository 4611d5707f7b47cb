"""The agenda brief of a cluster (or one signal): what a table needs to put a knelpunt on
its agenda, as a record the HTML page and the Markdown both show.

Privacy: the brief may leave the regiebureau, so it names no one who raised or recognised
a signal (counts only), and its suggested people are those every member may see (the
matcher's member view: hidden people and private fields left out).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from schakel.graph.model import Signal, Table
from schakel.matching.signals import step_name

from ..context import AppState
from .matching import run_match
from .signals import DEEPEN_KINDS, cluster_for, deepen_text

__all__ = ["Brief", "brief", "markdown", "bars", "SHOWN"]

# A knelpunt across onderwijs, zorg and kinderopvang goes to their own table; otherwise the
# network's own table decides where it goes next.
CROSS_TABLE, DEFAULT_TABLE = "tafel-ozkt", "tafel-netwerktafel"
CROSS = {"Onderwijs", "Zorg", "Jeugdhulp", "Kinderopvang"}
SHOWN = 12  # signals written out in a brief; the rest are counted


@dataclass
class Suggested:
    kind: str
    name: str
    reasons: list[str]


@dataclass
class Brief:
    id: str
    label: str
    question: str
    signals: list[tuple[str, str]]  # (text, step)
    regions: dict[str, int]
    domains: dict[str, int]
    weekly: list[int]
    recognised: int
    emerging: bool
    causes: list[str]
    suggested: list[Suggested]
    instrument: str
    option: str
    table: str
    table_reason: str
    agenda: list[str] = field(default_factory=list)


def brief(ctx: AppState, key: str) -> Brief:
    """The brief of the cluster ``key`` (or the cluster a signal is in)."""
    group = cluster_for(ctx, key)
    signals = [s for s in ctx.store.get_many(group.signals) if isinstance(s, Signal)]
    recognised = sum(len(ctx.store.neighbour_ids(s.id, "RECOGNISES", "in")) for s in signals)
    instruments = Counter(s.instrument for s in signals if s.instrument)
    options = Counter(s.option for s in signals if s.option)
    agenda: list[tuple[str, str]] = []
    tables: Counter[str] = Counter()
    for s in signals:
        for r in ctx.store.relationships(s.id, "AGENDERED_AT"):
            tables[r.end] += 1
            agenda.append((str(r.props.get("date", "")), r.end))
    if tables:
        table_id, reason = tables.most_common(1)[0][0], "hier staat het al op de agenda"
    elif len(CROSS & set(group.domains)) >= 2:
        table_id, reason = CROSS_TABLE, "het knelpunt raakt meerdere domeinen rond het kind"
    else:
        table_id, reason = DEFAULT_TABLE, "de netwerktafel kiest waar het verder moet"
    table = ctx.store.get(table_id)
    names = {t.id: t.name for t in ctx.store.find("Table") if isinstance(t, Table)}
    result = run_match(ctx, deepen_text(ctx, key), kinds=DEEPEN_KINDS, limit=5,
                       viewer="member")
    n, places = len(signals), len([r for r in group.regions if r != "onbekend"])
    question = (f"Wat is er nodig om het knelpunt \u201c{group.label}\u201d op te lossen, dat "
                f"{n} keer is gemeld en {recognised} keer herkend"
                + (f", in {places} provincie{'s' if places != 1 else ''}" if places else "")
                + "?")
    return Brief(
        id=group.id, label=group.label, question=question,
        signals=[(s.text, step_name(s.step)) for s in sorted(signals, key=lambda s: s.created)],
        regions=group.regions, domains=group.domains, weekly=group.weekly,
        recognised=recognised, emerging=group.emerging,
        causes=[s.causes for s in signals if s.causes],
        suggested=[Suggested(r.kind, r.name, [x.text for x in r.reasons[:3]])
                   for r in result.results],
        instrument=instruments.most_common(1)[0][0] if instruments else "",
        option=options.most_common(1)[0][0] if options else "",
        table=table.name if isinstance(table, Table) else table_id, table_reason=reason,
        agenda=[f"{day}: {names.get(t, t)}" for day, t in sorted(agenda)])


def bars(counts: dict[str, int] | list[int], width: int = 20) -> list[tuple[str, int, str]]:
    """(label, count, bar of blocks) rows: a chart that reads in plain text too."""
    items = list(counts.items()) if isinstance(counts, dict) else [
        (f"week {i + 1}", c) for i, c in enumerate(counts)]
    top = max((c for _, c in items), default=0) or 1
    return [(label, c, "\u2588" * max(1 if c else 0, round(width * c / top)))
            for label, c in items]


def markdown(b: Brief) -> str:
    """The brief as Markdown."""
    lines = [f"# Agendabrief: {b.label}", "", f"**Vraag.** {b.question}", ""]
    if b.emerging:
        lines += ["*Opkomend: dit knelpunt wordt de laatste weken vaker gemeld dan andere.*",
                  ""]
    lines += [f"## De signalen ({len(b.signals)})", ""]
    lines += [f"- {text} *(stap {step})*" for text, step in b.signals[:SHOWN]]
    if len(b.signals) > SHOWN:
        lines.append(f"- … en {len(b.signals) - SHOWN} andere signalen")
    lines += ["", "## Spreiding en herkenning", "",
              f"{len(b.signals)} keer gemeld, {b.recognised} keer herkend.", "",
              "| provincie | aantal | |", "|---|---:|---|"]
    lines += [f"| {r} | {n} | {bar} |" for r, n, bar in bars(b.regions)]
    if b.domains:
        lines += ["", "| domein | aantal |", "|---|---:|"]
        lines += [f"| {d} | {n} |" for d, n in b.domains.items()]
    lines += ["", "Meldingen per week (laatste acht weken):", "", "```"]
    lines += [f"{label:>8} {bar} {n}" for label, n, bar in bars(b.weekly)]
    lines += ["```", "", "## Oorzaken", ""]
    lines += [f"- {c}" for c in b.causes] or ["Nog niet verdiept."]
    lines += ["", "## Wie en wat kan helpen", ""]
    lines += [f"- **{s.name}** ({s.kind}): {'; '.join(s.reasons)}" for s in b.suggested] or [
        "Nog geen voorstel."]
    lines += ["", "## Voorstel", "",
              f"- Instrument: {b.instrument or 'nog te bepalen'}",
              f"- Handelingsoptie: {b.option or 'nog te bepalen'}",
              f"- Tafel: {b.table} ({b.table_reason})"]
    lines += [f"- Op de agenda: {a}" for a in b.agenda]
    return "\n".join(lines) + "\n"
