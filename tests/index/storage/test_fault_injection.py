"""kill -9 of `articlebot index` at random moments of full and incremental runs: the file
stays intact, opens on its last good generation, leaves no orphan workers and converges
to what a fresh build holds. A few trials here; bench/fault_inject.py runs many."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc"),
]


def test_kills_lose_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "bench/fault_inject.py", "--trials", "3", "--posts", "1200", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["trials"] == 6
    assert summary["failures"] == 0, done.stdout
    assert done.returncode == 0, done.stderr
