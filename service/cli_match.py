"""Matching commands of the `schakel` command line: match, eval, bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from schakel.errors import SchakelError
from schakel.matching.dense_variants import compare as compare_dense
from schakel.matching.engine import MAX_LIMIT, REQUEST_KINDS, Matcher
from schakel.matching.evaluate import (
    SLICES,
    VARIANTS,
    evaluate,
    evaluate_slices,
    load_questions,
    packaged_set,
)
from schakel.matching.learn import MIN_OUTCOMES
from schakel.matching.ranker import SIGNALS, nl
from schakel.matching.simulate import HIDDEN, person_questions, simulate

from .application.lifecycle import opened
from .application.matching import run_match
from .bench import scratch_network
from .cli import _open, _progress, _settings, app, console


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
    store = _open(settings)
    try:
        with opened(settings, store) as ctx:
            with console.status("Teksten voorbereiden (alleen nieuwe teksten) ..."):
                ctx.warm_up()
            result = run_match(ctx, text, near=near, radius_km=radius, kinds=kind, limit=limit)
    except SchakelError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
    finally:
        store.close()
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
        help="Eigen YAML met gelabelde vragen (in plaats van de ontwikkel- en toetsset).")]
    = None,
    alle_varianten: Annotated[bool, typer.Option(
        "--varianten", help="Ook de varianten zonder geo, zonder graaf en alleen dense.")]
    = False,
    dicht: Annotated[bool, typer.Option(
        "--dicht", help="Vergelijk manieren om een lid een betekenisvector te geven (het profiel "
        "zoals nu, per zin, met themabeschrijvingen, beide), met hun coderingskosten.")] = False,
    leren: Annotated[bool, typer.Option(
        "--leren", help="Simuleer uitkomsten van introducties (met een verborgen voorkeur) en "
        "toon wat leren uit die uitkomsten verandert: acceptatie per ronde met en zonder "
        "leren, en de geleerde gewichten.")] = False,
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=50,
                                        help="Met --leren: aantal rondes.")] = 6,
    per_round: Annotated[int, typer.Option("--per-round", min=1, max=1000,
                                           help="Met --leren: vragen per ronde.")] = 40,
    top: Annotated[int, typer.Option("--top", min=1, max=MAX_LIMIT,
                                     help="Met --leren: voorgestelde mensen per vraag.")] = 5,
    sim_seed: Annotated[int, typer.Option(
        "--sim-seed", help="Met --leren: seed van de simulatie (vragen en uitkomsten).")] = 7,
) -> None:
    """Meet de matcher op gelabelde vragen: nDCG@10 per deel (plaats, rol, parafrase,
    behoefte) op de ontwikkelset en de toetsset, met BM25 ernaast.
    Met --leren: wat gewichten die uit (gesimuleerde) uitkomsten geleerd zijn veranderen."""
    settings = _settings()
    sets = ({questions.name: load_questions(str(questions))} if questions else
            {name: load_questions(name=key) for key, name in QUESTION_SETS.items()
             if packaged_set(key)})
    with scratch_network(members, seed, settings) as matcher:
        if leren:
            _learning_report(matcher, next(iter(sets.values())), rounds=rounds,
                             per_round=per_round, top=top, seed=sim_seed)
            return
        variants = VARIANTS(matcher.weights)
        if not alle_varianten:
            variants = {k: variants[k] for k in ("hybride", "alleen BM25")}
        results = {}
        with _progress() as bar:
            for name, qs in sets.items():
                task = bar.add_task(f"{name}: vragen beoordelen", total=len(qs))
                results[name] = evaluate_slices(matcher, qs, variants,
                                                progress=lambda n, t=task: bar.advance(t, n))
            bar.add_task("Themamodel toetsen op leden die het niet zag", total=None)
            themes = matcher.theme_model_score()
            dense = None
            if dicht:
                task = bar.add_task("Varianten van de betekenisvector",
                                    total=4 * sum(len(qs) for qs in sets.values()))
                dense = compare_dense(matcher, sets, progress=lambda n: bar.advance(task, n))
    for name, scores in results.items():
        _slice_table(f"{name}: {len(sets[name])} vragen, {members} leden (seed {seed}), "
                     "nDCG@10 per deel", scores)
    if themes is not None:
        console.print(f"Themamodel (profieltekst -> thema's) op {themes.members} leden die het "
                      f"niet zag: micro-F1 {nl(themes.micro_f1, 3)} (precisie "
                      f"{nl(themes.precision, 3)}, recall {nl(themes.recall, 3)})")
    if dense:
        _dense_table(dense, list(sets), members)


def _dense_table(rows: list[Any], names: list[str], members: int) -> None:
    table = Table(title=f"Betekenisvector van een lid: varianten, {members} leden, "
                        "nDCG@10 hybride (alle / parafrase)")
    table.add_column("variant")
    table.add_column("teksten", justify="right")
    table.add_column("ms per lid", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for variant, per_set in rows:
        cells = [f"{nl(per_set[n]['alle'].ndcg, 3)} / "
                 f"{nl(per_set[n]['parafrase'].ndcg, 3) if 'parafrase' in per_set[n] else '-'}"
                 for n in names]
        table.add_row(variant.name, str(variant.texts), nl(variant.ms_per_member, 1), *cells)
    console.print(table)
    console.print("ms per lid: de encoder zelf (zonder cache) op de teksten van 64 leden.")


QUESTION_SETS = {"questions": "Ontwikkelset", "heldout": "Toetsset (nooit afgestemd)"}


def _slice_table(title: str, scores: dict[str, dict[str, Any]]) -> None:
    parts = [s for s in SLICES if any(s in v for v in scores.values())]
    table = Table(title=title)
    table.add_column("variant")
    for s in parts:
        n = next(v[s].questions for v in scores.values() if s in v)
        table.add_column(f"{s} ({n})", justify="right")
    table.add_column("MRR", justify="right")
    for variant, per in scores.items():
        table.add_row(variant, *(nl(per[s].ndcg, 3) if s in per else "-" for s in parts),
                      nl(per["alle"].mrr, 3))
    console.print(table)
    bm25 = scores.get("alleen BM25", {}).get("alle")
    if bm25 is not None and bm25.ndcg and "hybride" in scores:
        console.print(f"nDCG@10 hybride / alleen BM25 = "
                      f"{nl(scores['hybride']['alle'].ndcg / bm25.ndcg)}")


def _learning_report(matcher: Matcher, qs: list[dict[str, Any]], *, rounds: int,
                     per_round: int, top: int, seed: int) -> None:
    """The simulation's tables: acceptance per round with and without learning, the weights,
    and what the learned weights do to the labelled relevance of the development set."""
    if not person_questions(qs):
        console.print("[red]Geen vraag zoekt mensen: niets om voor te stellen.[/red]")
        raise typer.Exit(2)
    with _progress() as bar:
        task = bar.add_task("Introducties simuleren", total=rounds * per_round)
        sim = simulate(matcher, qs, rounds=rounds, per_round=per_round, top=top, seed=seed,
                       progress=lambda n: bar.advance(task, n))
    table = Table(title=f"Gesimuleerde acceptatie: {per_round} vragen per ronde, top {top} "
                        f"(seed {seed})")
    for col in ("ronde", "voorgesteld", "zonder leren", "met leren", "verschil (punt)"):
        table.add_column(col, justify="right")
    for r in sim.rounds:
        points = f"{(r.rate_learning - r.rate_fixed) * 100:+.1f}".replace(".", ",")
        table.add_row(str(r.number), str(r.proposed), _pct(r.rate_fixed),
                      _pct(r.rate_learning), points)
    console.print(table)
    learned = sim.learned
    if learned is None:
        console.print(f"Te weinig bruikbare uitkomsten om te leren (minstens {MIN_OUTCOMES}, "
                      "met aanvaard én afgewezen): de handmatige gewichten blijven.")
        return
    table = Table(title=f"Gewichten na {learned.outcomes} uitkomsten "
                        f"({_pct(learned.acceptance)} aanvaard, geleerd aandeel "
                        f"{_pct(learned.share)})")
    for col in ("signaal", "handmatig", "geleerd", "coëfficiënt", "verborgen voorkeur"):
        table.add_column(col, justify="left" if col == "signaal" else "right")
    for s in SIGNALS:
        table.add_row(s, nl(getattr(sim.base, s), 3), nl(getattr(learned.weights, s), 3),
                      nl(learned.coefficients[s]) if s in learned.fitted else "-",
                      nl(HIDDEN.weights.get(s, 0.0)))
    console.print(table)
    with _progress() as bar:
        task = bar.add_task("Ontwikkelset met geleerde gewichten", total=len(qs))
        scores = evaluate(matcher, qs, {"handmatig": sim.base, "geleerd": learned.weights},
                          progress=lambda n: bar.advance(task, n))
    table = Table(title="Ontwikkelset (relevantie volgens de labels, niet de voorkeur)")
    for col in ("gewichten", "nDCG@10", "MRR", "recall@10"):
        table.add_column(col, justify="left" if col == "gewichten" else "right")
    for name, sc in scores.items():
        table.add_row(name, f"{sc.ndcg:.3f}", f"{sc.mrr:.3f}", f"{sc.recall:.3f}")
    console.print(table)


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")
