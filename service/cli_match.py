"""Matching commands of the `schakel` command line: match, eval, bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from schakel.errors import SchakelError
from schakel.graph.geo import Gazetteer
from schakel.matching.engine import REQUEST_KINDS, Matcher, MatchQuery
from schakel.matching.evaluate import VARIANTS, evaluate, load_questions

from .bench import scratch_network, sync_with_progress
from .cli import _open, _progress, _settings, app, console
from .config import Settings
from .state import open_matcher


def synced_matcher(settings: Settings) -> Matcher:
    """A matcher in step with the configured store, with a progress bar while it encodes."""
    store = _open(settings)
    try:
        matcher = open_matcher(settings, Gazetteer.load())
        with _progress() as bar:
            sync_with_progress(bar, matcher, store)
    finally:
        store.close()
    return matcher


@app.command()
def match(
    text: Annotated[str, typer.Argument(help="De vraag, in gewone taal.")],
    near: Annotated[str | None, typer.Option("--near", help="Gemeente, regio of provincie.")]
    = None,
    radius: Annotated[float | None, typer.Option("--radius", min=1, max=400,
                                                 help="Alleen kandidaten binnen zoveel km.")]
    = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help=f"Soort (meerdere mogelijk): {', '.join(REQUEST_KINDS)}.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-l", min=1, max=50)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Antwoord als JSON op stdout.")]
    = False,
) -> None:
    """Zoek mensen, regio's, praktijkvoorbeelden en communities bij een vraag, met redenen."""
    settings = _settings()
    matcher = synced_matcher(settings)
    try:
        result = matcher.match(MatchQuery(text=text, near=near, radius_km=radius,
                                          kinds=kind or None, limit=limit))
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    if as_json:
        from dataclasses import asdict

        typer.echo(json.dumps({"results": [asdict(s) for s in result.results],
                               "took_ms": result.took_ms, "understood": result.understood},
                              ensure_ascii=False, indent=1))
        return
    seen = result.understood
    themes = ", ".join(t["name"] for t in seen["themes"]) or "geen"
    place = seen["place"]["name"] if seen["place"] else "geen"
    console.print(f"Gelezen: thema's [bold]{themes}[/bold]; plaats [bold]{place}[/bold]")
    table = Table(title=f"{len(result.results)} suggesties ({result.took_ms:.0f} ms)")
    for col in ("#", "soort", "naam", "score", "waarom"):
        table.add_column(col, justify="right" if col in ("#", "score") else "left")
    for n, s in enumerate(result.results, 1):
        why = "\n".join(f"{r.contribution:+.2f} {r.text}" for r in s.reasons)
        table.add_row(str(n), s.kind, s.name, f"{s.score:.2f}", why)
    console.print(table)


@app.command("eval")
def eval_(
    members: Annotated[int, typer.Option("--members", "-n", min=50, max=100_000,
                                         help="Demoleden in het testnetwerk.")] = 600,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    questions: Annotated[Path | None, typer.Option(
        "--questions", exists=True, dir_okay=False,
        help="Eigen YAML met gelabelde vragen (standaard de ontwikkelset).")] = None,
) -> None:
    """Meet de matcher op de gelabelde vragen: nDCG@10, MRR en recall@10 per variant."""
    settings = _settings()
    qs = load_questions(str(questions) if questions else None)
    with scratch_network(members, seed, settings) as matcher:
        with _progress() as bar:
            task = bar.add_task("Vragen beoordelen", total=len(qs))
            scores = evaluate(matcher, qs, VARIANTS(matcher.weights),
                              progress=lambda n: bar.advance(task, n))
    table = Table(title=f"Ontwikkelset: {len(qs)} vragen, {members} leden (seed {seed})")
    for col in ("variant", "nDCG@10", "MRR", "recall@10"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for name, s in scores.items():
        table.add_row(name, f"{s.ndcg:.3f}", f"{s.mrr:.3f}", f"{s.recall:.3f}")
    console.print(table)
    base = scores["alleen BM25"].ndcg
    if base:
        console.print(f"nDCG@10 hybride / alleen BM25 = {scores['hybride'].ndcg / base:.2f}")
