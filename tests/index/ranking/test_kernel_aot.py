"""The kernel built ahead of time: loaded in another process without numba, guarded
against arrays of the wrong type, named by its sources, and replaced by numba's own form
when it cannot be built. Its rankings are checked against numpy in test_kernel.py."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
from pathlib import Path

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
    assert not list(tmp_path.glob(".articlebot_kernel_build-*"))  # its scratch removed


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


# --- pruning: a build removes the versions it replaces (index/cachedir.py) ---------------

OLD = 2 * 24 * 3600  # seconds: no process loaded it for two days


def aged(path: Path, age: float = 0.0, folder: bool = False) -> Path:
    if folder:
        path.mkdir()
        (path / "part.o").write_bytes(b"o")
    else:
        path.write_bytes(b"so")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def fake_child(monkeypatch: pytest.MonkeyPatch, outcome: str = "built") -> list[Path]:
    """The build's child process, without compiling: writes the extension (through the
    scratch folder it is given, as ``_compile`` does), fails, or times out. The scratch
    folders it saw."""
    scratches: list[Path] = []

    def run(command, **kwargs):
        directory, scratch = Path(command[-2]), Path(command[-1])
        assert scratch.is_dir() and scratch.parent == directory
        scratches.append(scratch)
        if outcome == "timeout":
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        if outcome == "failed":
            return subprocess.CompletedProcess(command, 1, "", "RuntimeError: no compiler\n")
        made = scratch / "made.so"
        made.write_bytes(b"new")
        os.replace(made, kernel_aot.built_path(directory))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(kernel_aot.subprocess, "run", run)
    return scratches


def test_a_build_removes_the_versions_it_replaces(tmp_path: Path, monkeypatch) -> None:
    """Every upgrade left its kernel (~770 KB) behind: a build removes the kernels no
    process loaded for a day (older versions, other Pythons) and their failure marks, and
    scratch folders of killed builds; it keeps a build still under way, a kernel another
    install loaded today, and what is not a kernel's."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = kernel_aot.built_path(tmp_path)
    kept = {
        aged(tmp_path / f"articlebot_kernel_{'3' * 16}{suffix}", 3600).name,  # in use today
        aged(tmp_path / f"{kernel_aot.SCRATCH_PREFIX}busy", 60, folder=True).name,
        aged(tmp_path / f"langid-{'4' * 16}", OLD, folder=True).name,  # another kind
        aged(tmp_path / "notes.txt", OLD).name,
        target.name,
    }
    gone = {
        aged(tmp_path / f"articlebot_kernel_{'0' * 16}{suffix}", OLD).name,
        aged(tmp_path / f"articlebot_kernel_{'1' * 16}{suffix}.failed", OLD).name,
        aged(tmp_path / f"articlebot_kernel_{'2' * 16}.cpython-39-x86_64-linux-gnu.so", OLD).name,
        aged(tmp_path / f"{target.name}.failed", 60).name,  # wrong now: it is built
        aged(
            tmp_path / f"{kernel_aot.SCRATCH_PREFIX}dead", kernel_aot.SCRATCH_AGE + 60, folder=True
        ).name,
    }
    scratches = fake_child(monkeypatch)
    assert kernel_aot.build(tmp_path) == target
    assert target.read_bytes() == b"new" and not scratches[0].exists()
    assert {p.name for p in tmp_path.iterdir()} == kept
    assert not gone & kept


@pytest.mark.parametrize("outcome", ["failed", "timeout"])
def test_a_build_that_fails_removes_its_scratch_and_nothing_else(
    tmp_path: Path, monkeypatch, outcome: str
) -> None:
    """The scratch folder is the parent's: removed even when the child is killed at the
    timeout (it was left behind for good). Without a new kernel nothing is pruned."""
    old = aged(tmp_path / f"articlebot_kernel_{'0' * 16}.so", OLD)
    scratches = fake_child(monkeypatch, outcome)
    with pytest.raises(RuntimeError):
        kernel_aot.build(tmp_path)
    assert len(scratches) == 1 and not scratches[0].exists()
    assert {p.name for p in tmp_path.iterdir()} == {
        old.name,
        f"{kernel_aot.built_path(tmp_path).name}.failed",
    }


def test_a_removal_that_fails_does_not_fail_the_build(
    tmp_path: Path, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    stuck = aged(tmp_path / f"articlebot_kernel_{'0' * 16}.so", OLD)
    old = aged(tmp_path / f"articlebot_kernel_{'1' * 16}.so", OLD)
    unlink = Path.unlink

    def refuse(self, *args, **kwargs):
        if self.name == stuck.name:
            raise PermissionError(13, "Permission denied", str(self))
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refuse)
    fake_child(monkeypatch)
    with caplog.at_level(logging.WARNING):
        assert kernel_aot.build(tmp_path).exists()
    assert stuck.exists() and not old.exists()
    assert "Could not remove" in caplog.text and stuck.name in caplog.text


def test_loading_prunes_nothing_and_marks_the_kernel_used(built, tmp_path: Path) -> None:
    """A start that finds its kernel removes nothing (only a build does), and marks the
    kernel used, so another install's build keeps it (see cachedir.UNUSED_FOR)."""
    directory = tmp_path / "cache"
    directory.mkdir()
    path = kernel_aot.built_path(directory)
    shutil.copy(kernel_aot.built_path(), path)
    then = time.time() - OLD
    os.utime(path, (then, then))
    old = aged(directory / f"articlebot_kernel_{'0' * 16}.so", OLD)
    assert kernel_aot.load_built(directory) is not None
    assert old.exists() and time.time() - path.stat().st_mtime < 3600


@pytest.mark.skipif(sys.platform == "win32", reason="Windows refuses to delete a loaded DLL")
def test_a_loaded_kernel_keeps_working_after_its_file_is_removed(built, tmp_path: Path) -> None:
    """What pruning relies on (POSIX): removing the file of a loaded extension removes its
    name only; the process that loaded it goes on calling it."""
    path = kernel_aot.built_path(tmp_path)
    shutil.copy(kernel_aot.built_path(), path)
    loaded = kernel_aot.load_built(tmp_path)
    os.utime(path, (time.time() - OLD, time.time() - OLD))
    kernel_aot.prune(tmp_path / f"articlebot_kernel_{'f' * 16}.so")  # a newer version's
    assert not path.exists()
    none = np.zeros(0, dtype=np.int32)
    args = (np.array([0, 1], dtype=np.int32), np.array([0]), np.array([2]), none, 0,
            np.zeros(0, dtype=bool), np.zeros(2, dtype=bool))  # fmt: skip
    assert loaded.count_segment(*args) == 2


def test_the_reindex_picks_the_kernel_up_once_it_is_built(
    built_kernel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``shared`` (the workers' and language detection's kernel) is None while the
    kernel is not built, and the built one at a later call: a bot that reindexes before
    its first build finished is not left without it."""
    monkeypatch.setattr(kernel_aot, "_shared", None)
    monkeypatch.setattr(kernel_aot, "_shared_failed", False)
    monkeypatch.setenv("ARTICLEBOT_KERNEL", "auto")  # the tests' default keeps numpy
    built_in = os.environ["ARTICLEBOT_CACHE_DIR"]
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(tmp_path))  # nothing built here
    assert kernel_aot.shared() is None
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", built_in)
    kernel = kernel_aot.shared()
    assert kernel is not None and callable(kernel.number_words)
    assert kernel_aot.shared() is kernel  # loaded once
