"""The network projection kept on disk between starts: a start reads the file and catches up
from the change feed, equal to reading the whole store; anything doubtful is read from the
store instead; an erased member leaves the file; a crash mid-write leaves the old file."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from schakel.graph import projection_file
from schakel.graph.erase import erase_member
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.lookup import Lookup
from schakel.graph.model import Member, Relationship
from schakel.graph.projection import Projection
from schakel.graph.store import GraphStore
from schakel.service.networks import NetworkViews, Scope

_FULL = Projection.build  # a full read of the store, as it was before a test counts them


def _views(store: GraphStore, gazetteer: Gazetteer, keep: Path, **kw: Any) -> NetworkViews:
    lookup = Lookup(store, gazetteer)
    return NetworkViews(store, gazetteer, lambda: lookup, keep=keep,
                        **{"background": False, **kw})


def _fields(p: Projection) -> tuple[Any, ...]:
    return (p.seq, p.content_seq, *(dict(getattr(p, f)) for f in (
        "people", "out", "adj", "orgs", "places", "narrower", "met")))


@pytest.fixture
def keep(tmp_path: Path) -> Path:
    return tmp_path / "netwerkprojectie.bin"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Counts full reads of the store (Projection.build)."""
    seen: list[int | None] = []
    real = Projection.build.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Projection, "build", classmethod(
        lambda cls, store, seq=None: seen.append(seq) or real(cls, store, seq)))
    return seen


def _kept(store: LocalGraphStore, gazetteer: Gazetteer, keep: Path) -> Projection:
    """A service that ran and stopped: its projection is in the file."""
    first = _views(store, gazetteer, keep)
    proj = first.projection()
    first.close()
    assert keep.is_file()
    return proj


def test_a_start_serves_the_map_from_the_file_equal_to_a_full_build(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path,
        builds: list[int | None]) -> None:
    _kept(seeded_store, gazetteer, keep)
    builds.clear()
    views = _views(seeded_store, gazetteer, keep)
    started = views.projection()
    assert builds == []  # read from the file, not from the store
    reference = _FULL(seeded_store)
    assert _fields(started) == _fields(reference)
    scope = Scope(theme="thuiszitters", region="Overijssel")
    fresh = _views(seeded_store, gazetteer, keep=None)  # type: ignore[arg-type]
    assert views.member_ids(scope) == fresh.member_ids(scope)
    assert sorted(views.view(scope).edges) == sorted(fresh.view(scope).edges)


_WRITER = """
import sys
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Relationship
store = LocalGraphStore(sys.argv[1])
a, b, c = sys.argv[2:5]
hidden = store.get(a).model_copy(update={"visibility": "staff"})
store.write([hidden])
store.write(relationships=[Relationship.of("KNOWS", b, c, context="brug")])
store.write([store.get(b).model_copy(update={"name": "Nieuwe Naam"})])
store.close()
"""


def test_writes_made_while_the_service_was_down_are_caught_up(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path,
        builds: list[int | None]) -> None:
    before = _kept(seeded_store, gazetteer, keep)
    path = seeded_store.path
    seeded_store.close()
    a, b, c = sorted(before.people)[:3]
    assert c not in before.out.get(b, {})
    subprocess.run([sys.executable, "-c", _WRITER, str(path), a, b, c], check=True,
                   timeout=120)
    with LocalGraphStore(path) as store:  # the service starts again
        builds.clear()
        views = _views(store, gazetteer, keep)
        after = views.projection()
        assert builds == []  # the file and three writes from the feed
        assert after.seq == store.version == before.seq + 3
        assert a not in after.people and after.people[b].name == "Nieuwe Naam"
        assert after.adj[b][c] == "brug"
        reference = _FULL(store)
        assert _fields(after) == _fields(reference)
        # and the file is written again for the next start
        assert projection_file.read_header(keep)["seq"] == after.seq  # type: ignore[index]


def _flip_a_byte(keep: Path) -> None:
    data = bytearray(keep.read_bytes())
    data[-100] ^= 0xFF
    keep.write_bytes(bytes(data))


def _other_format(keep: Path) -> None:
    head, body = keep.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    header["format"] = projection_file.FORMAT + 1
    keep.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _other_store(keep: Path) -> None:
    head, body = keep.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    header["store"] = "sqlite:een-andere-database"
    keep.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _cut_short(keep: Path) -> None:
    data = keep.read_bytes()
    keep.write_bytes(data[: len(data) // 2])


def _garbage(keep: Path) -> None:
    keep.write_bytes(b"\x00\xff" * 1000)


@pytest.mark.parametrize("spoil", [_flip_a_byte, _other_format, _other_store, _cut_short,
                                   _garbage, None])
def test_a_doubtful_file_or_a_pruned_feed_means_reading_the_store(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path,
        builds: list[int | None], monkeypatch: pytest.MonkeyPatch, spoil: Any) -> None:
    before = _kept(seeded_store, gazetteer, keep)
    member = sorted(before.people)[0]
    seeded_store.write([seeded_store.get(member).model_copy(  # type: ignore[union-attr]
        update={"name": "Later Geschreven"})])
    if spoil is None:  # the feed no longer reaches back to the file's position
        monkeypatch.setattr(seeded_store, "changes_since", lambda seq: None)
    else:
        spoil(keep)
    builds.clear()
    views = _views(seeded_store, gazetteer, keep)
    proj = views.projection()  # no error
    assert len(builds) == 1 and proj.people[member].name == "Later Geschreven"
    reference = _FULL(seeded_store)
    assert _fields(proj) == _fields(reference)
    # and the file is good again for the next start
    assert _fields(projection_file.load(keep, seeded_store)) == _fields(reference)  # type: ignore[arg-type]


def test_a_file_of_another_store_is_not_used(seeded_store: LocalGraphStore,
                                             gazetteer: Gazetteer, keep: Path,
                                             tmp_path: Path) -> None:
    _kept(seeded_store, gazetteer, keep)
    with LocalGraphStore(tmp_path / "ander.sqlite") as other:
        other.write([Member(id="m-ander", name="Ander Lid")])
        assert other.identity != seeded_store.identity
        proj = _views(other, gazetteer, keep).projection()
        assert set(proj.people) == {"m-ander"}


def test_an_erased_member_is_gone_from_the_file(seeded_store: LocalGraphStore,
                                                gazetteer: Gazetteer, keep: Path) -> None:
    views = _views(seeded_store, gazetteer, keep, background=True)
    try:
        proj = views.projection()
        names = [p.name for p in proj.people.values()]
        member = max((m for m in proj.people if names.count(proj.people[m].name) == 1),
                     key=lambda m: (len(proj.adj.get(m, {})), m))  # with many ties
        name = proj.people[member].name
        assert views.save_kept()
        assert member.encode() in keep.read_bytes() and name.encode() in keep.read_bytes()
        erase_member(seeded_store, member)
        views.forget()  # what AppState.erase does after erasing
        data = keep.read_bytes()
        assert member.encode() not in data and name.encode() not in data
        kept = projection_file.load(keep, seeded_store)
        assert kept is not None and member not in kept.people
        assert all(member not in row for row in kept.adj.values())
    finally:
        views.close()


def test_a_hidden_member_leaves_the_file_without_waiting(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path) -> None:
    """A member who hides themselves leaves the file at once, not after ``save_every_s``."""
    views = _views(seeded_store, gazetteer, keep, background=True, save_every_s=3600)
    try:
        people = views.projection().people
        names = [p.name for p in people.values()]
        member = next(m for m in sorted(people) if names.count(people[m].name) == 1)
        name = people[member].name.encode()
        assert views.save_kept() and name in keep.read_bytes()
        seeded_store.write([seeded_store.get(member).model_copy(  # type: ignore[union-attr]
            update={"visibility": "none"})])
        assert member not in views.projection().people
        deadline = time.monotonic() + 30
        while name in keep.read_bytes():
            assert time.monotonic() < deadline, "the hidden member stayed in the file"
            time.sleep(0.05)
        kept = projection_file.load(keep, seeded_store)
        assert kept is not None and member not in kept.people
    finally:
        views.close()


def test_a_crash_mid_write_leaves_the_old_file_usable(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path,
        monkeypatch: pytest.MonkeyPatch, builds: list[int | None]) -> None:
    before = _kept(seeded_store, gazetteer, keep)
    old = keep.read_bytes()
    a, b = sorted(before.people)[:2]
    seeded_store.write(relationships=[Relationship.of("KNOWS", a, b, context="brug")])

    def crash(*_: Any) -> None:
        raise OSError("stroom uitgevallen")

    monkeypatch.setattr(os, "replace", crash)
    views = _views(seeded_store, gazetteer, keep)
    assert views.projection().adj[a][b] == "brug"  # the write fails; serving does not
    monkeypatch.undo()
    assert keep.read_bytes() == old
    assert not list(keep.parent.glob(f".{keep.name}.*.tmp"))  # no half-written file left
    # a crash that left a temporary file: the next start ignores it
    (keep.parent / f".{keep.name}.123.tmp").write_bytes(old[: len(old) // 3])
    builds.clear()
    again = _views(seeded_store, gazetteer, keep).projection()
    assert builds == [] and again.adj[a][b] == "brug"


def test_an_older_projection_does_not_replace_a_newer_file(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path) -> None:
    """Two worker processes share the data dir: the one behind does not overwrite the file
    of the one ahead (which may already lack an erased member)."""
    older = _kept(seeded_store, gazetteer, keep)
    member = sorted(older.people)[0]
    erase_member(seeded_store, member)
    newer = _views(seeded_store, gazetteer, keep).projection()
    assert projection_file.read_header(keep)["seq"] == newer.seq  # type: ignore[index]
    assert not projection_file.save(older, keep, seeded_store)
    assert member.encode() not in keep.read_bytes()


def test_a_file_never_runs_code(seeded_store: LocalGraphStore, keep: Path,
                                tmp_path: Path) -> None:
    """Only plain data is read: a file naming a function is refused, even with a right
    digest."""
    import hashlib

    marker = tmp_path / "uitgevoerd"

    class Evil:
        def __reduce__(self) -> Any:
            return (Path.touch, (marker,))

    body = pickle.dumps(1, protocol=5) + pickle.dumps(Evil(), protocol=5)
    header = {"format": projection_file.FORMAT, "shape": projection_file._shape(),  # noqa: SLF001
              "store": seeded_store.identity, "seq": 1, "content_seq": 1,
              "bytes": len(body), "blake2b": hashlib.blake2b(body).hexdigest()}
    keep.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert projection_file.load(keep, seeded_store) is None
    assert not marker.exists()


def test_a_first_projection_is_written_in_the_background_and_at_close(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path) -> None:
    views = _views(seeded_store, gazetteer, keep, background=True, save_every_s=0.2)
    try:
        proj = views.projection()
        deadline = time.monotonic() + 30
        while not keep.is_file():
            assert time.monotonic() < deadline, "no file written"
            time.sleep(0.05)
        assert projection_file.read_header(keep)["seq"] == proj.seq  # type: ignore[index]
    finally:
        views.close()
    later = _views(seeded_store, gazetteer, keep, background=True, save_every_s=3600)
    a, b = sorted(proj.people)[:2]
    seeded_store.write(relationships=[Relationship.of("KNOWS", a, b, context="regio")])
    assert later.projection().adj[a][b] == "regio"
    later.close()  # not yet written (an hour to go): written now
    kept = projection_file.load(keep, seeded_store)
    assert kept is not None and kept.adj[a][b] == "regio"


def test_a_store_put_back_from_a_backup_is_read_again(
        seeded_store: LocalGraphStore, gazetteer: Gazetteer, keep: Path, tmp_path: Path,
        builds: list[int | None]) -> None:
    """A backup has the same identity but, once written to, another history than the file
    kept after it: the file's position and fingerprint no longer match, so the store is
    read."""
    import sqlite3

    backup = tmp_path / "backup.sqlite"
    with sqlite3.connect(seeded_store.path) as src, sqlite3.connect(backup) as dst:
        src.backup(dst)
    ids = sorted(_FULL(seeded_store).people)
    for i in range(3):  # the history the file will hold
        seeded_store.write(relationships=[Relationship.of("KNOWS", ids[i], ids[i + 9],
                                                          context="brug")])
    _kept(seeded_store, gazetteer, keep)
    path = seeded_store.path
    seeded_store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    backup.rename(path)
    with LocalGraphStore(path) as restored:  # put back, then written to: another history
        for i in range(4):
            restored.write(relationships=[Relationship.of("KNOWS", ids[i], ids[i + 20],
                                                          context="regio")])
        builds.clear()
        proj = _views(restored, gazetteer, keep).projection()
        assert len(builds) == 1 and ids[9] not in proj.adj.get(ids[0], {})
        assert _fields(proj) == _fields(_FULL(restored))
        kept = projection_file.load(keep, restored)  # replaced by the right one
        assert kept is not None and _fields(kept) == _fields(proj)
