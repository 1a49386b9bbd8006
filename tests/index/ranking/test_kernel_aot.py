"""The kernel built ahead of time: loaded in another process without numba, guarded
against arrays of the wrong type, named by its sources, and replaced by numba's own form
when it cannot be built. Its rankings are checked against numpy in test_kernel.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from articlebot.index.ranking import fastpath, kernel_aot

pytest.importorskip("numba")


@pytest.fixture
def built(built_kernel):
    return built_kernel


@pytest.fixture
def fresh_fastpath(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("_kernel", None), ("_done", False), ("_requested", False)):
        monkeypatch.setattr(fastpath, name, value)


def test_another_process_loads_it_without_numba(built) -> None:
    """What the extension is for: a serving process ranks with it and never imports
    numba or LLVM."""
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from articlebot.index.ranking import fastpath
        kernel = fastpath.load()
        seen = np.zeros(4, dtype=bool)
        total = kernel.count_segment(np.array([0, 2, 3], dtype=np.int32),
                                     np.array([0, 1]), np.array([2, 3]),
                                     np.zeros(0, dtype=np.int32), 0,
                                     np.zeros(0, dtype=bool), seen)
        print(type(kernel).__name__, total, "numba" in sys.modules,
              "llvmlite" in sys.modules)
    """)
    env = dict(os.environ, ARTICLEBOT_KERNEL="auto")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.split() == ["SimpleNamespace", "3", "False", "False"]


def test_arrays_of_another_type_are_refused(built) -> None:
    """The extension reads raw memory: an int64 array where int32 is compiled, or a
    strided view, is a TypeError before the call, never a crash."""
    none = np.zeros(0, dtype=np.int32)
    good = (np.array([0, 1], dtype=np.int32), np.array([0]), np.array([2]), none, 0,
            np.zeros(0, dtype=bool), np.zeros(2, dtype=bool))  # fmt: skip
    assert built.count_segment(*good) == 2
    with pytest.raises(TypeError, match="argument 0 must be a contiguous int32 array"):
        built.count_segment(np.array([0, 1]), *good[1:])
    strided = np.array([0, 9, 1, 9], dtype=np.int32)[::2]
    with pytest.raises(TypeError, match="argument 0"):
        built.count_segment(strided, *good[1:])
    with pytest.raises(TypeError, match="argument 6"):
        built.count_segment(*good[:6], [False, False])
    frozen = np.zeros(2, dtype=bool)
    frozen.flags.writeable = False  # the kernel writes its flags: a mapped file would crash
    with pytest.raises(TypeError, match="argument 6 must be a writable contiguous bool"):
        built.count_segment(*good[:6], frozen)
    with pytest.raises(TypeError, match="argument 4 must be a number of int"):
        built.count_segment(*good[:4], 0.7, *good[5:])


def test_its_name_follows_its_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changed code or signatures are built afresh, never served by an older file."""
    before = kernel_aot.module_name()
    spec = dict(kernel_aot.SPEC, ranked=("float64[]", "int64[]", "int32", "int64"))
    monkeypatch.setattr(kernel_aot, "SPEC", spec)
    assert kernel_aot.module_name() != before


def test_numbas_own_form_when_it_cannot_be_built(
    fresh_fastpath, monkeypatch: pytest.MonkeyPatch, tmp_path, caplog
) -> None:
    """No C compiler (or any failed build): a warning, and numba's dispatchers rank."""
    from articlebot.index.ranking import kernel

    def fail(directory=None):
        raise RuntimeError("error: command 'gcc' failed: No such file or directory")

    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(kernel_aot, "build", fail)
    with caplog.at_level(logging.WARNING, logger=fastpath.__name__):
        assert fastpath.load() is kernel
    assert "built ahead of time" in caplog.text and "'gcc' failed" in caplog.text


def test_a_failed_build_is_not_tried_again(
    fresh_fastpath, monkeypatch: pytest.MonkeyPatch, tmp_path, caplog
) -> None:
    """A build that failed (here: a compiler that does not exist) leaves its reason;
    the next process falls back at once instead of failing again for seconds."""
    from articlebot.index.ranking import kernel

    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    with pytest.raises(RuntimeError, match="compiler"):
        kernel_aot.build()
    assert "compiler" in kernel_aot.failure()
    calls = []
    monkeypatch.setattr(kernel_aot, "build", lambda directory=None: calls.append(1))
    with caplog.at_level(logging.WARNING, logger=fastpath.__name__):
        assert fastpath.load() is kernel
    assert calls == [] and "an earlier build failed" in caplog.text


def test_jit_asks_for_numbas_own_form(fresh_fastpath, monkeypatch, built) -> None:
    from articlebot.index.ranking import kernel

    monkeypatch.setenv("ARTICLEBOT_KERNEL", "jit")
    assert fastpath.load() is kernel


def _main_thread_ran_during(call) -> bool:
    """Whether this thread ran Python while ``call`` ran in another thread, in the middle
    half of it. A call that holds the GIL leaves none (this thread waits for the GIL,
    which compiled code gives up only when it returns), whatever the machine's load."""
    started, done = threading.Event(), threading.Event()
    span: list[float] = []

    def run() -> None:
        started.set()
        span.append(time.perf_counter())
        call()
        span.append(time.perf_counter())
        done.set()

    worker = threading.Thread(target=run)
    seen, last = [], 0.0
    worker.start()
    started.wait()
    while not done.is_set():
        now = time.perf_counter()
        if now - last > 0.0005:
            seen.append(now)
            last = now
    worker.join()
    begin, end = span
    quarter = (end - begin) / 4
    return any(begin + quarter <= t <= end - quarter for t in seen)


def test_a_call_lets_other_threads_run(built) -> None:
    """The kernel releases the GIL as numba's ``nogil=True`` does: a long search on the
    reader thread never stalls the event loop's thread."""
    n, terms = 4_000_000, 40  # one call of ~0.1-0.5 s
    doc_ids = np.arange(n, dtype=np.int32)
    lo, hi = np.zeros(terms, dtype=np.int64), np.full(terms, n, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    none = np.zeros(0, dtype=np.int32)
    no_mask = np.zeros(0, dtype=bool)

    def call() -> None:
        assert built.count_segment(doc_ids, lo, hi, none, 0, no_mask, seen) == n

    assert _main_thread_ran_during(call)
