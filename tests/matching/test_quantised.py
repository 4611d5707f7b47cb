"""int8 vectors, rescored with the float32 question, against float32 vectors: the scan is
within a few thousandths, the rankings on a seeded network are the same (top-10 overlap,
nDCG@10 of the int8 ranking graded by the float32 one), and the evaluation's nDCG@10 moves
< 0.005."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.matching.blocks import RowBlocks
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
from schakel.matching.engine import Matcher, MatchQuery
from schakel.matching.evaluate import evaluate, load_questions
from schakel.matching.quantised import Head, Int8Rows, quantise
from schakel.matching.splice import Splice
from schakel.matching.vectors import unit_rows


def unit(n: int, dim: int = 512, seed: int = 0) -> np.ndarray:
    return unit_rows(np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32))


def test_the_int8_scan_is_within_a_few_thousandths_of_float32() -> None:
    x = unit(10_000)
    q = unit(1, seed=1)[0]
    rows = Int8Rows.of(x, size=1000)
    assert rows.nbytes < x.nbytes / 3.5
    err = np.abs(rows.dot(q) - x @ q)
    assert err.max() < 0.01 and err.mean() < 0.002
    # rescoring rounds only the rows, not the question as well: closer still
    rescored = np.abs(rows.take(np.arange(10_000)) @ q - x @ q)
    assert rescored.mean() < 0.8 * err.mean()
    assert np.abs(rows.take(np.array([3, 9_999])) - x[[3, 9_999]]).max() < 0.01


SCANS = """
import sys
import numpy as np
from schakel.matching.quantised import Head, Int8Rows, quantise
rows = Int8Rows.of(np.random.default_rng(0).standard_normal((5000, 64)), size=1000)
q = np.ones(64, dtype=np.float32) / 8
rows.dot(q)
before = sys.getrefcount(None)
for _ in range(2000):
    rows.dot(q)  # five blocks: ten thousand calls into simsimd
print(sys.getrefcount(None) - before)
"""


def test_the_int8_scan_leaves_none_as_it_was() -> None:
    """A C extension that hands back None without a reference of its own makes None's count
    fall by one per call; on Python 3.11 a busy server then aborts ("deallocating None").
    Counted in a process of its own: threads of other tests change None's count here."""
    out = subprocess.run([sys.executable, "-c", SCANS], capture_output=True, text=True,
                         timeout=120, check=True)
    assert abs(int(out.stdout.strip())) < 100, out.stdout


def test_a_scan_shared_with_another_core_equals_one_on_a_single_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import schakel.matching.quantised as quantised

    rows = Int8Rows.of(unit(20_000), size=1000)
    queries = unit(30, seed=4)
    shared = [rows.dot(q) for q in queries]
    monkeypatch.setattr(quantised, "PARALLEL_BLOCKS", 10**9)  # never shared
    for q, got in zip(queries, shared, strict=True):
        assert np.array_equal(rows.dot(q), got)


def test_a_scan_started_early_gives_what_dot_gives_and_can_be_stopped() -> None:
    """The matcher starts a scan, reads its other signals, then asks for the result: the
    answer is the same as an immediate dot(), asking twice does not scale it twice, and a
    scan stopped unasked leaves no helper busy."""
    rows = Int8Rows.of(unit(20_000), size=1000)  # 20 blocks: shared with the other core
    queries = unit(12, seed=5)
    for q in queries:
        scan = rows.start(q)
        np.linalg.norm(unit(2000, seed=6), axis=1)  # other work meanwhile
        got = scan.result()
        assert np.array_equal(got, rows.dot(q))
        assert np.array_equal(scan.result(), got)  # scaled once
    stopped = [rows.start(q) for q in queries]
    for scan in stopped:
        scan.cancel()
    # after cancelling, a new scan still gets every block (no block left to a stopped one)
    assert np.array_equal(rows.start(queries[0]).result(), rows.dot(queries[0]))


def test_splice_and_fill_give_what_building_afresh_gives() -> None:
    x = unit(50, dim=16)
    ids = [f"m{i:03d}" for i in range(50)]
    rows = Int8Rows.of(x, size=8)
    splice = Splice(ids, {"m003", "m020", "m049"}, {"m003", "m020"})
    fresh = unit(2, dim=16, seed=5)
    after = rows.splice(splice, fresh)
    expected = np.delete(x, [3, 20, 49], axis=0)
    expected = np.insert(expected, [3, 19], fresh, axis=0)
    assert np.array_equal(after.array(), Int8Rows.of(expected).array())
    filled = rows.fill(np.array([0, 17]), fresh)
    again = x.copy()
    again[[0, 17]] = fresh
    assert np.array_equal(filled.array(), Int8Rows.of(again).array())
    assert filled.codes.blocks[1] is rows.codes.blocks[1]  # untouched blocks are shared
    assert isinstance(RowBlocks.of(x).take(np.array([1]))[0, 0], np.float32)


def _ndcg(ranked: list[str], truth: list[str]) -> float:
    gain = {i: 1.0 / math.log2(n + 2) for n, i in enumerate(truth[:10])}  # graded by rank
    dcg = sum(gain.get(i, 0.0) / math.log2(n + 2) for n, i in enumerate(ranked[:10]))
    ideal = sum(g / math.log2(n + 2) for n, g in enumerate(sorted(gain.values(), reverse=True)))
    return dcg / ideal if ideal else 1.0


def low_rank(n: int, rank: int = 40, seed: int = 0) -> np.ndarray:
    """Unit rows that mostly live in ``rank`` directions, as text vectors do."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, 512))
    return unit_rows((x + 0.05 * rng.standard_normal((n, 512))).astype(np.float32))


def test_a_head_reads_the_leading_components_and_scans_close_to_the_codes() -> None:
    x = low_rank(3000)
    rows = Int8Rows.of(x, size=1000).with_head(min_rows=1000)
    head = rows.head
    assert head is not None and head.basis.shape == (512, 64)
    assert np.allclose(head.basis.T @ head.basis, np.eye(64), atol=1e-4)
    q = low_rank(1, seed=1)[0]
    err = np.abs(rows.dot(q) - x @ q)  # the scan reads the head
    assert err.mean() < 0.01 and err.max() < 0.05
    exact = np.abs(rows.take(np.arange(3000)) @ q - x @ q)  # rescoring reads all codes
    assert exact.max() < err.max()
    # a head adds 64 bytes and a scale per row, and its basis
    assert rows.nbytes - Int8Rows.of(x).nbytes == 3000 * (64 + 4) + 512 * 64 * 4
    # below its rows, or with the energy spread evenly, no head
    assert Int8Rows.of(x).with_head(min_rows=5000).head is None
    assert Int8Rows.of(unit(3000)).with_head(min_rows=1000).head is None


def test_a_head_follows_spliced_and_filled_rows() -> None:
    x = low_rank(2500)
    ids = [f"m{i:04d}" for i in range(2500)]
    rows = Int8Rows.of(x, size=500).with_head(min_rows=1000)
    assert isinstance(rows.head, Head)
    fresh = low_rank(2, seed=5)
    after = rows.splice(Splice(ids, {"m0003", "m2000"}, {"m0003"}), fresh[:1])
    assert after.head is not None and len(after.head) == len(after) == 2499
    codes, scales = quantise(fresh[:1] @ rows.head.basis)
    assert np.array_equal(after.head.codes.take(np.array([3])), codes)
    assert after.head.scales[3] == scales[0]
    filled = rows.fill(np.array([7]), fresh[1:])
    codes, _ = quantise(fresh[1:] @ rows.head.basis)
    assert np.array_equal(filled.head.codes.take(np.array([7])), codes)
    assert filled.head.codes.blocks[2] is rows.head.codes.blocks[2]  # shared, not copied


@pytest.fixture(scope="module")
def pair(seeded_file: Path, gazetteer: Gazetteer, use_encoder: Any,
         embedding_file: Path) -> tuple[Matcher, Matcher]:
    made = []
    for exact in (False, True):
        m = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)),
                    exact_vectors=exact, int8_from=0)
        with LocalGraphStore(seeded_file) as store:
            m.sync(store)
        made.append(m)
    return made[0], made[1]


def test_int8_rankings_equal_float32_rankings_on_a_seeded_network(
        pair: tuple[Matcher, Matcher]) -> None:
    int8, exact = pair
    assert isinstance(int8._indexes["member"].vectors, Int8Rows)
    assert isinstance(exact._indexes["member"].vectors, RowBlocks)
    overlaps, ndcgs = [], []
    for q in load_questions():
        query = MatchQuery(text=q["text"], near=q.get("near"), kinds=q.get("kinds"), limit=10)
        a = [s.id for s in int8.match(query).results]
        b = [s.id for s in exact.match(query).results]
        overlaps.append(len(set(a) & set(b)) / max(1, len(b)))
        ndcgs.append(_ndcg(a, b))
    assert np.mean(overlaps) >= 0.99 and min(overlaps) >= 0.9
    assert np.mean(ndcgs) >= 0.995


def test_rankings_with_a_head_equal_the_int8_rankings(
        seeded_file: Path, gazetteer: Gazetteer, use_encoder: Any, embedding_file: Path,
        pair: tuple[Matcher, Matcher]) -> None:
    """The head only chooses which rows are rescored: what is shown ranks as without it."""
    headed = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)),
                     int8_from=0, head_from=0)
    with LocalGraphStore(seeded_file) as store:
        headed.sync(store)
    vectors = headed._indexes["member"].vectors
    assert isinstance(vectors, Int8Rows) and vectors.head is not None
    int8 = pair[0]
    assert int8._indexes["member"].vectors.head is None  # HEAD_FROM rows: not at 300
    same = 0
    for q in load_questions():
        query = MatchQuery(text=q["text"], near=q.get("near"), kinds=q.get("kinds"), limit=10)
        a = headed.match(query).results
        b = int8.match(query).results
        same += [s.id for s in a] == [s.id for s in b]
        assert len({s.id for s in a} & {s.id for s in b}) >= min(9, len(b))  # 7 ambassadors
        for x, y in zip(a, b, strict=False):  # shown rows were rescored: exact meaning
            if x.id == y.id:
                assert x.features["dense"] == pytest.approx(y.features["dense"], abs=1e-6)
    assert same >= 0.95 * len(load_questions())


def test_the_evaluation_moves_less_than_half_a_percent(pair: tuple[Matcher, Matcher]) -> None:
    int8, exact = pair
    questions = load_questions()
    a = evaluate(int8, questions)["hybride"].ndcg
    b = evaluate(exact, questions)["hybride"].ndcg
    assert abs(a - b) < 0.005, (a, b)
