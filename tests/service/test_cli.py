"""The `schakel` command line, on scratch stores given by SCHAKEL_DATA_DIR."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from schakel.graph.local import LocalGraphStore
from schakel.service.cli import app

runner = CliRunner()


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"SCHAKEL_DATA_DIR": str(data_dir)})
    return result.exit_code, result.output


def test_seed_info_export_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = run(data, "seed", "-n", "40", "--seed", "2")
    assert code == 0, out
    assert "Member" in out
    with LocalGraphStore(data / "schakel.sqlite") as store:
        assert store.count("Member") == 40
        counts = store.counts()
    code, out = run(data, "seed", "-n", "40", "--seed", "2")  # again: nothing changes
    assert code == 0, out
    with LocalGraphStore(data / "schakel.sqlite") as store:
        assert store.counts() == counts

    target = tmp_path / "export.json"
    code, out = run(data, "export", str(target))
    assert code == 0, out
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert len(doc["members"]) == 40

    other = tmp_path / "other"
    assert run(other, "seed", "-n", "0")[0] == 0
    code, out = run(other, "import", str(target))
    assert code == 0, out
    with LocalGraphStore(other / "schakel.sqlite") as store:
        assert store.counts() == counts


def test_import_reports_bad_rows_with_exit_code_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "seed", "-n", "0")
    doc = tmp_path / "leden.json"
    doc.write_text(json.dumps({"members": [
        {"id": "x-1", "name": "Goed", "gemeente": "Emmen"},
        {"id": "x-2", "name": "Fout", "gemeente": "Atlantis"},
    ]}), encoding="utf-8")
    code, out = run(data, "import", str(doc))
    assert code == 1
    assert "members rij 2 (x-2): gemeente" in out
    with LocalGraphStore(data / "schakel.sqlite") as store:
        assert store.get("x-1") is not None and store.get("x-2") is None


def test_import_of_a_broken_file_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "kapot.json"
    broken.write_text("[1, 2", encoding="utf-8")
    code, out = run(data, "import", str(broken))
    assert code == 2 and "geen geldige JSON" in out
    assert not (data / "schakel.sqlite").exists()


def test_bad_setting_is_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info"], env={"SCHAKEL_DATA_DIR": str(tmp_path),
                                              "SCHAKEL_PORT": "zeventig"})
    assert result.exit_code == 2
    assert "Ongeldige instelling" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_pages_and_json(tmp_path: Path) -> None:
    """`schakel demo` as a user runs it: a real process, a real port, the keys it prints."""
    port = free_port()
    env = {**os.environ, "SCHAKEL_DATA_DIR": str(tmp_path / "demo"), "SCHAKEL_PORT": str(port)}
    exe = Path(sys.executable).with_name("schakel")
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(exe), "demo", "-n", "60"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "demo did not come up within 60 s"
            time.sleep(0.3)
        assert health.json()["nodes"] > 500
        printed = log_path.read_text()
        staff = re.search(r"regiebureau \(staff\): (sk-[\w-]+)", printed)
        member = re.search(r"lid m-\d+ \(member\): (sk-[\w-]+)", printed)
        assert staff and member, printed
        as_member = {"Authorization": f"Bearer {member.group(1)}"}
        as_staff = {"Authorization": f"Bearer {staff.group(1)}"}
        assert httpx.get(f"{base}/api/v1/members?limit=5").status_code == 401
        members = httpx.get(f"{base}/api/v1/members?limit=5", headers=as_member).json()
        assert members["count"] > 40
        page = httpx.get(f"{base}/leden", cookies={"schakel_sleutel": member.group(1)})
        assert page.status_code == 200 and "leden gevonden" in page.text
        assert members["data"][0]["name"] in page.text
        question = {"text": "Wie weet veel van thuiszitters?", "limit": 5}
        refused = httpx.post(f"{base}/api/v1/match", json=question, headers=as_member)
        assert refused.status_code == 403
        # the matcher, warmed in the background by the server, answers a question
        answer = httpx.post(f"{base}/api/v1/match", timeout=120, json=question,
                            headers=as_staff)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["results"]) == 5
        # the brokering queue starts with the example questions
        queue = httpx.get(f"{base}/api/v1/questions", headers=as_staff).json()
        assert queue["count"] == 8 and queue["data"][0]["id"] == "q-demo-01"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_analytics_reports_timings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "seed", "-n", "80")[0] == 0
    code, out = run(data, "analytics", "--top", "2")
    assert code == 0, out
    for step in ("betweenness exact", "closeness exact", "louvain seed=7", "totaal"):
        assert step in out
    assert "tussenpositie" in out and "(networkx)" in out  # 80 members: the reference
    code, out = run(data, "analytics", "--top", "2", "--backend", "igraph")
    assert code == 0 and "(igraph)" in out and "betweenness exact" in out, out
    code, out = run(data, "analytics", "--backend", "snel")
    assert code == 2 and "kies uit" in out
