"""Load at CI size: the loadtest's phases (reads, writes, both) against a real uvicorn on
loopback: no errors, and reads under writes keep at least half their read-only throughput
(every write re-reads only what it touched; before the change feed, reads fell ~45x)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from rich.console import Console

from schakel.graph.local import LocalGraphStore
from schakel.service.access import open_access
from schakel.service.app import create_app
from schakel.service.config import Settings
from schakel.service.loadtest import READS, Phase, run_phase, table

if TYPE_CHECKING:
    from conftest import Keys

pytestmark = pytest.mark.slow
SECONDS = 6.0


@pytest.fixture
def server(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys,  # noqa: ARG001
           embedding_file: Path, matcher: Any) -> Iterator[str]:
    assert matcher.catalog is not None
    settings = Settings(data_dir=tmp_path, embeddings=embedding_file)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(create_app(settings, store=seeded_store,
                                                      warm_up=True),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _ready(base):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    yield base
    served.should_exit = True
    thread.join(timeout=30)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_reads_keep_their_pace_while_members_write(server: str, keys: Keys,
                                                   seeded_store: LocalGraphStore,
                                                   tmp_path: Path) -> None:
    access = open_access(Settings(data_dir=tmp_path))
    visible = [i for i, p in seeded_store.props_of(seeded_store.ids("Member")[:60]).items()
               if p.get("visibility") == "members"][:2]
    writers = [access.add_user(f"schrijver-{i}", "member", m) for i, m in enumerate(visible)]
    access.close()

    def phase(name: str, readers: int, writing: list[str], pause: float = 0.0) -> Phase:
        # A thread of its own: the browser tests' event loop may still run in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run_phase(
                server, Phase(name, SECONDS), readers=readers, writers=writing,
                staff=keys.staff, member=keys.member, max_requests=5000, pause=pause)).result()

    phase("opwarmen", 2, [])
    reads = phase("lezen", 4, [])
    writes = phase("schrijven", 0, writers)
    mixed = phase("gemengd", 4, writers, pause=0.2)  # each writer saves 5 times a second
    console = Console(width=120, record=True)
    console.print(table([reads, writes, mixed]))
    report = console.export_text()
    for p in (reads, writes, mixed):
        assert dict(p.errors) == {}, (p.name, dict(p.errors))
    assert reads.rate(READS) > 5 and writes.rate() > 1
    kept = mixed.rate(READS) / reads.rate(READS)
    assert kept >= 0.5, f"reads under writes kept {kept:.0%}; {report}"
    assert len(mixed.times["PUT /me"]) >= 2  # the writers did write meanwhile


def test_the_command_seeds_and_encodes_once_and_serves_a_copy(tmp_path: Path) -> None:
    """`schakel loadtest` end to end at a tiny size, twice on one kept data dir: the second
    run seeds and encodes nothing, and the runs' writes never reach the kept network."""
    import os
    import subprocess
    import sys

    kept = tmp_path / "bewaard"
    env = {**os.environ, "SCHAKEL_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    command = [str(Path(sys.executable).with_name("schakel")), "loadtest", "-n", "30",
               "--workers", "1", "--seconds", "2", "--readers", "2", "--writers", "1",
               "--data-dir", str(kept)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    said = first.stdout + first.stderr  # the CLI's console writes to stderr
    assert "Testnetwerk met 30 leden maken" in said and "Teksten voorbereiden" in said
    network = kept / "netwerk.sqlite"
    before = _members(network)
    stamp = network.stat().st_mtime_ns
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    said_again = second.stdout + second.stderr
    assert "leden maken" not in said_again and "Teksten voorbereiden" not in said_again
    assert network.stat().st_mtime_ns == stamp  # the run wrote to its copy
    assert _members(network) == before
    for out in (said, said_again):  # the figures say how busy the machine was
        assert "PUT /me" in out and "Belasting van de machine" in out
        assert "Lezen tijdens schrijven" in out


def _members(network: Path) -> dict[str, Any]:
    with LocalGraphStore(network) as store:
        return store.props_of(store.ids("Member"))
