"""The network projection kept on disk, on both stores: a start reads the file and catches up
with what another client wrote meanwhile, equal to reading the whole store."""

from __future__ import annotations

from pathlib import Path

import pytest

from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.model import Member, Organisation, Relationship, Theme
from schakel.graph.projection import Projection
from schakel.service.networks import NetworkViews

from .conftest import Opener


def _fields(p: Projection) -> tuple[object, ...]:
    return (p.seq, *(dict(getattr(p, f)) for f in ("people", "out", "adj", "orgs", "met")))


def test_a_start_reads_the_file_and_catches_up(backend: Opener, gazetteer: Gazetteer,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    keep = tmp_path / "netwerkprojectie.bin"
    service, writer = backend(), backend()
    writer.write([Theme(id="autisme", name="Autisme"), Organisation(id="o-1", name="School"),
                  *(Member(id=f"m-{i}", name=f"Lid {i}") for i in range(6))],
                 [Relationship.of("KNOWS", "m-0", "m-1", context="collega"),
                  Relationship.of("WORKS_AT", "m-2", "o-1"),
                  Relationship.of("WORKS_ON", "m-3", "autisme", level=2)])
    first = NetworkViews(service, gazetteer, lambda: Lookup(service, gazetteer),
                         background=False, keep=keep)
    assert "m-1" in first.projection().people
    first.close()
    # while the service is down, another client writes
    writer.write([Member(id="m-1", name="Lid 1", visibility="staff")],
                 [Relationship.of("KNOWS", "m-4", "m-5", context="regio")])
    writer.delete(["m-2"])
    restarted = backend()
    full = Projection.build(restarted)
    monkeypatch.setattr(Projection, "build", classmethod(
        lambda cls, store, seq=None: pytest.fail("read the whole store")))
    views = NetworkViews(restarted, gazetteer, lambda: Lookup(restarted, gazetteer),
                         background=False, keep=keep)
    caught = views.projection()
    assert "m-1" not in caught.people and "m-2" not in caught.people
    assert caught.adj["m-4"] == {"m-5": "regio"}
    assert _fields(caught) == _fields(full)
