"""The network projection kept on disk between starts.

Reading the projection from the store takes seconds at 100,000 members; a file written after
it was built (or moved on) is read back in a fraction of that, and the change feed brings it
up to date from its position. The file says which store (``GraphStore.identity``) and which
feed position it holds, and in which format, with a fingerprint of the change at that
position (see :func:`feed_mark`: a store put back from a backup has the same identity but
another history); anything else (another store or history, another format, a damaged file)
is refused, and the caller reads the store instead: never a wrong map.

Layout: one line of JSON (the header, with a BLAKE2b digest of the rest), then a pickle
(protocol 5) of the projection's dicts, rows as plain tuples, in chunks. Nothing may be looked
up by name in it (see :class:`_Unpickler`), and the digest is checked before it is read.

Writes are atomic (a temporary file beside it, fsync, rename): a crash mid-write leaves the
old file as it was. Several processes may share a data dir: under a lock, a file is only
replaced by one further along the same store's feed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .bulk import no_cyclic_gc
from .projection import Org, Person, Projection, shared
from .store import GraphStore

__all__ = ["FORMAT", "save", "load", "read_header", "feed_mark"]

logger = logging.getLogger(__name__)

FORMAT = 1  # raise when what the file holds changes meaning (field changes are caught anyway)
_MAX_HEADER = 65536
_STALE_TMP_S = 600.0  # a temporary file this old was left by a crash
_PARTS = ("people", "out", "adj", "orgs", "places", "narrower", "met")
# Rows per pickled chunk: a chunk is one C call that holds the interpreter (5,000 people
# rows held it for tens of ms at 100k, felt by every request at that moment).
_CHUNK = 1000


def _shape() -> dict[str, list[str]]:
    """The fields the file's rows have: a file from code with other fields is refused."""
    return {"Person": list(Person._fields), "Org": list(Org._fields), "parts": list(_PARTS)}


class _Unpickler(pickle.Unpickler):
    """Plain containers, strings, numbers and booleans only: nothing is looked up by name."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not allowed in a projection file: {module}.{name}")


_ROWS = {"people": Person._make, "orgs": Org._make}  # kept as plain tuples in the file


def _dump(proj: Projection) -> bytes:
    """The parts in chunks of ``_CHUNK`` rows, through one pickler (strings are written once
    and shared when read back); between chunks other threads get the interpreter."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    for part in _PARTS:
        rows = list(getattr(proj, part).items())
        pickler.dump(len(rows))
        plain = part in _ROWS
        for i in range(0, len(rows), _CHUNK):
            chunk = rows[i : i + _CHUNK]
            pickler.dump({k: tuple(v) for k, v in chunk} if plain else dict(chunk))
            time.sleep(0)  # let a waiting request thread have the interpreter
    return buf.getvalue()


def _undump(body: bytes) -> dict[str, Any]:
    unpickler = _Unpickler(io.BytesIO(body))
    parts: dict[str, Any] = {}
    same = {}.setdefault  # equal tuples and sets once (projection.shared)
    rows: dict[str, Callable[[Any], Any]] = {**_ROWS, "people": lambda v: shared(v, same)}
    for part in _PARTS:
        total = unpickler.load()
        found: dict[str, Any] = {}
        make = rows.get(part)
        while len(found) < total:
            chunk = unpickler.load()
            if not chunk:
                raise pickle.UnpicklingError("empty chunk")
            found.update({k: make(v) for k, v in chunk.items()} if make else chunk)
        if len(found) != total:
            raise pickle.UnpicklingError(f"{part}: {len(found)} rows, not {total}")
        parts[part] = found
    return parts


def read_header(path: Path) -> dict[str, Any] | None:
    """The header of the file at ``path`` (None when there is none, or it is unreadable)."""
    try:
        with path.open("rb") as f:
            line = f.readline(_MAX_HEADER)
        header = json.loads(line)
        return header if isinstance(header, dict) else None
    except (OSError, ValueError):
        return None


def feed_mark(store: GraphStore, seq: int) -> str:
    """A fingerprint of ``store``'s history at ``seq``: a digest of the change written at
    that position ("" when there is none to see, say a position no write recorded)."""
    feed = store.changes_since(seq - 1) if seq > 0 else None
    if not feed or feed[0].seq != seq:
        return ""
    return hashlib.blake2b(feed[0].to_json().encode(), digest_size=16).hexdigest()


def load(path: Path, store: GraphStore) -> Projection | None:
    """The projection in the file at ``path`` if it belongs to ``store`` (its identity and
    history), is in this format and is whole; else None (the reason is logged)."""
    identity = store.identity
    if not identity or not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            header = json.loads(f.readline(_MAX_HEADER))
            body = f.read()
        why = _refused(header, identity, body)
        if not why and header.get("mark") and header["mark"] != feed_mark(store, header["seq"]):
            why = "the store's history differs (put back from a backup?)"
        if why:
            logger.info("network projection file %s not used: %s", path, why)
            return None
        with no_cyclic_gc():
            parts = _undump(body)
        return Projection(seq=int(header["seq"]), content_seq=int(header["content_seq"]),
                          **parts)
    except Exception as e:  # noqa: BLE001 - any damage means: read the store instead
        logger.warning("network projection file %s unreadable (%s); reading the store", path,
                       e)
        return None


def _refused(header: Any, store: str, body: bytes) -> str:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        return "another format"
    if header.get("shape") != _shape():
        return "other fields"
    if header.get("store") != store:
        return "another store"
    if header.get("bytes") != len(body):
        return "incomplete"
    if header.get("blake2b") != hashlib.blake2b(body).hexdigest():
        return "damaged"
    return ""


def save(proj: Projection, path: Path, store: GraphStore) -> bool:
    """Write ``proj`` (read from ``store``) to ``path`` atomically, unless the file there
    already holds the same store at this position or further. Returns whether it wrote."""
    identity = store.identity
    if not identity:
        return False
    mark = feed_mark(store, proj.seq)
    with no_cyclic_gc():  # a hundred thousand new tuples, no cycles: see bulk.py
        body = _dump(proj)
    header = {"format": FORMAT, "shape": _shape(), "store": identity, "seq": proj.seq,
              "mark": mark,
              "content_seq": proj.content_seq, "bytes": len(body),
              "blake2b": hashlib.blake2b(body).hexdigest(), "written": time.time()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        there = read_header(path)
        if there and there.get("store") == identity and there.get("format") == FORMAT \
                and isinstance(there.get("seq"), int) and there["seq"] >= proj.seq \
                and there.get("mark") == feed_mark(store, there["seq"]):
            return False  # another process wrote one as far along (or further)
        _drop_stale(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with tmp.open("wb") as f:
                f.write(json.dumps(header).encode() + b"\n")
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _sync_dir(path.parent)
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between the processes of one data dir (a no-op without fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux/macOS
        yield
        return
    with path.with_name(f".{path.name}.lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _drop_stale(path: Path) -> None:
    now = time.time()
    for old in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > _STALE_TMP_S:
                old.unlink()


def _sync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
