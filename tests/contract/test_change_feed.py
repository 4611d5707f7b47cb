"""The change feed and compare-and-set, on both stores: a write says what it changed, another
client catches up from the feed (no reload), and read-check-write is atomic across clients."""

from __future__ import annotations

import threading

import pytest

from schakel.errors import TransitionError
from schakel.graph.changes import ChangeSet
from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Member, Relationship, Theme
from schakel.graph.store import Batch, GraphStore

from .conftest import Opener


def rel(t: str, a: str, b: str, **props: object) -> Relationship:
    return Relationship(type=t, start=a, end=b, props=props)


BASE = [Theme(id="thuiszitters", name="Thuiszitters"), Theme(id="autisme", name="Autisme"),
        Member(id="m-1", name="Anna"), Member(id="m-2", name="Bram")]


def test_a_write_reports_what_it_changed(store: GraphStore) -> None:
    first = store.write(BASE, [rel("WORKS_ON", "m-1", "thuiszitters", level=2),
                               rel("KNOWS", "m-1", "m-2")])
    c = first.changes
    assert c.seq == store.version > 0
    assert c.nodes == {"Theme": {"thuiszitters", "autisme"}, "Member": {"m-1", "m-2"}}
    assert c.rels == {("m-1", "WORKS_ON", "thuiszitters"), ("m-1", "KNOWS", "m-2")}
    assert not c.removed and not c.removed_rels
    # A theme swap: the replaced relationship is reported removed, the new one written.
    swap = store.write([Member(id="m-1", name="Anna B.")],
                       [rel("WORKS_ON", "m-1", "autisme", level=3)],
                       replace=[("m-1", "WORKS_ON")]).changes
    assert swap.seq > c.seq
    assert swap.nodes == {"Member": {"m-1"}}
    assert swap.rels == {("m-1", "WORKS_ON", "autisme")}
    assert swap.removed_rels == {("m-1", "WORKS_ON", "thuiszitters")}


def test_the_feed_lists_every_write_in_order_deletes_included(backend: Opener) -> None:
    writer, reader = backend(), backend()
    start = reader.version
    writer.write(BASE, [rel("KNOWS", "m-1", "m-2"), rel("WORKS_ON", "m-2", "autisme")])
    writer.delete_relationships([("m-2", "WORKS_ON", "autisme")])
    writer.delete(["m-1"])
    feed = reader.changes_since(start)
    assert feed is not None and len(feed) == 3
    assert [c.seq for c in feed] == sorted(c.seq for c in feed)
    assert feed[1].removed_rels == {("m-2", "WORKS_ON", "autisme")}
    # The deletion names the node's label and the relationship that went with it.
    assert feed[2].removed == {"Member": {"m-1"}}
    assert feed[2].removed_rels == {("m-1", "KNOWS", "m-2")}
    assert reader.changes_since(feed[-1].seq) == []
    assert reader.changes_since(feed[0].seq) == feed[1:]
    merged = ChangeSet.merge(feed)
    assert merged.seq == feed[-1].seq and merged.ids("Member") == {"m-1", "m-2"}
    # A position from another database (ahead of this one) cannot be followed: rebuild.
    assert reader.changes_since(feed[-1].seq + 1000) is None


def test_another_client_catches_up_from_the_feed_without_reloading(
        backend: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    server, cli = backend(), backend()
    server.sync_interval = cli.sync_interval = 0  # type: ignore[attr-defined]
    server.write(BASE, [rel("KNOWS", "m-1", "m-2")])
    assert server.get("m-1") is not None
    if hasattr(server, "_load"):  # the embedded store: its mirror must be patched, not reloaded
        def no_reload() -> None:
            raise AssertionError("reloaded the whole graph")

        monkeypatch.setattr(server, "_load", no_reload)
    cli.write([Member(id="m-1", name="Anna Bakker"), Member(id="m-3", name="Cor")],
              [rel("KNOWS", "m-3", "m-1")])
    cli.delete(["m-2"])
    assert server.get("m-1").name == "Anna Bakker"  # type: ignore[union-attr]
    assert server.get("m-2") is None
    assert server.neighbour_ids("m-1", "KNOWS", "both") == ["m-3"]
    assert server.version == cli.version
    assert server.counts() == cli.counts()


def test_update_is_compare_and_set_across_clients(backend: Opener) -> None:
    """Two clients move one member from 'new' to 'taken' at once: exactly one wins, and the
    loser's work saw the winner's write (nothing lost, nothing applied twice)."""
    setup = backend()
    setup.write([Member(id=f"m-{i}", name=f"Lid {i}", availability="nieuw") for i in range(5)])
    stores = [backend(), backend()]
    wins: list[int] = []
    refused: list[int] = []
    barrier = threading.Barrier(2)

    def take(n: int, member_id: str) -> None:
        store = stores[n]

        def work() -> Batch:
            node = store.require(member_id)
            assert isinstance(node, Member)
            if node.availability != "nieuw":
                raise TransitionError(member_id, node.availability, "take", "al genomen")
            return Batch.of([node.model_copy(update={"availability": f"genomen door {n}"})])

        barrier.wait()
        try:
            store.update(work)
            wins.append(n)
        except TransitionError:
            refused.append(n)

    for i in range(5):
        threads = [threading.Thread(target=take, args=(n, f"m-{i}")) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(wins) == 5 and len(refused) == 5
    fresh = backend()
    for i in range(5):
        assert fresh.require(f"m-{i}").availability.startswith("genomen door")  # type: ignore[attr-defined]


def test_an_update_that_raises_writes_nothing(store: GraphStore) -> None:
    store.write(BASE)
    version = store.version

    def work() -> Batch:
        raise TransitionError("m-1", "x", "y", "geweigerd")

    with pytest.raises(TransitionError):
        store.update(work)
    assert store.version == version
    assert store.update(lambda: None).changes == ChangeSet()


def test_the_store_names_its_database(backend: Opener, tmp_path: object) -> None:
    """A read model kept on disk belongs to one database: every client of it gives the same
    identity, a new database another."""
    first, second = backend(), backend()
    first.write(BASE)
    assert first.identity and first.identity == second.identity
    if isinstance(first, LocalGraphStore):
        from pathlib import Path

        with LocalGraphStore(Path(str(tmp_path)) / "ander.sqlite") as other:
            assert other.identity and other.identity != first.identity
