"""One real `schakel demo` and one Chromium for the browser tests of this folder.

The demo runs as a user starts it: a process on a free port with a scratch data dir; the
tests log in with the keys it prints. Without /usr/bin/chromium or playwright the browser
tests are skipped locally and fail under CI (env CI set), so CI never passes by skipping.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_MEMBERS = 600


def need_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            problem = "playwright is missing (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run under CI: {problem}")
        pytest.skip(problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Demo:
    base: str
    staff_key: str
    member_key: str
    member_id: str
    env: dict[str, str]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`schakel demo -n 600`, shared by the browser tests (which run in file order)."""
    need_browser()
    data = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {**os.environ, "SCHAKEL_DATA_DIR": str(data / "data"), "SCHAKEL_PORT": str(port)}
    exe = Path(sys.executable).with_name("schakel")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen([str(exe), "demo", "-n", str(DEMO_MEMBERS)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Ready, not just up: the matcher has encoded the demo's texts (a loaded machine needs
        # minutes), so a first question in a browser test is answered, not told to wait.
        deadline = time.monotonic() + 600
        while True:
            assert proc.poll() is None, (data / "server.log").read_text()
            try:
                if httpx.get(f"{base}/api/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "demo was not ready within 600 s"
            time.sleep(0.3)
        # `schakel demo` prints a staff key and a member key; the browser logs in with them
        text = (data / "server.log").read_text()
        staff = re.search(r"regiebureau \(staff\): (sk-[\w-]+)", text)
        member = re.search(r"lid (m-\d{6}) \(member\): (sk-[\w-]+)", text)
        assert staff and member, text
        yield Demo(base, staff.group(1), member.group(2), member.group(1), env)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser(demo: Demo) -> Iterator[Browser]:  # noqa: ARG001 - the demo checks for chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
