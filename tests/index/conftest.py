"""Fixtures of the index tests: the kernel built ahead of time."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest


@pytest.fixture(scope="session")
def built_kernel() -> SimpleNamespace:
    """The extension in this run's cache folder (see tests/conftest.py), built if need
    be; skipped where it cannot be built here (a numba without ``pycc``, no C compiler),
    as the bot then falls back to numba's own form."""
    pytest.importorskip("numba.pycc")
    if not any(shutil.which(name) for name in ("cc", "gcc", "clang")):
        pytest.skip("no C compiler to build the kernel with")
    from articlebot.index.ranking import kernel_aot

    module = kernel_aot.load_built()
    if module is None:
        kernel_aot.build()
        module = kernel_aot.load_built()
    assert module is not None
    return module
