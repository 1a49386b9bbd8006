"""Running a piece of the index where file permissions apply.

Root reads every file whatever its mode, so when the tests run as root (CI here) the
script runs in a child process without the capabilities that let root ignore permissions
(``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); otherwise it runs as the
current user. Either way the permissions are real, nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DROP = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def run_unprivileged(script: str, *args: object) -> str:
    """Run ``script`` with the project importable and permissions enforced; returns its
    standard output. Skips where permissions cannot be enforced."""
    if not hasattr(os, "geteuid"):
        pytest.skip("no POSIX permissions here")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        prefix = DROP
    done = subprocess.run(
        [*prefix, sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
