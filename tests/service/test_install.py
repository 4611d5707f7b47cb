"""A plain install runs (issue 13): the wheel, installed without extras into a clean venv,
gives a `schakel` whose --help and demo work. Before, the CLI imported httpx (a test extra)
at start-up and failed with ModuleNotFoundError."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_plain_install_runs_help_and_demo() -> None:
    done = subprocess.run(["bash", str(ROOT / ".ci" / "plain-install")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "schakel --help and schakel demo run" in done.stdout
