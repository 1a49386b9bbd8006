"""The compiled top-k (``kernel``) when it can be had, loaded off the first answer.

Two forms of the same functions, both optional (``pip install 'articlebot[fast]'`` adds
numba; without it the numpy path is all there is, same rows, same floats):
- built ahead of time (``kernel_aot``): a plain extension module in the cache folder,
  loaded in about a millisecond and without numba (~53 MB less per process). It is built
  once per machine and kernel version, in a child process, the first time it is wanted.
- numba's just-in-time dispatcher (``kernel`` imported): when the extension cannot be
  built (no C compiler). Importing numba and loading its cached machine code costs
  ~0.3-0.5 s with the GIL held and ~53 MB of anonymous memory.

A process that has just opened its index must not wait for either: the first call starts
a background thread that loads it half a second later, and the numpy path answers until
it is ready.

``ARTICLEBOT_KERNEL=numpy`` keeps the numpy path; ``=numba`` loads the kernel on the
first call, before answering; ``=jit`` skips the extension.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from types import ModuleType, SimpleNamespace

log = logging.getLogger(__name__)

LOAD_DELAY = 0.5  # seconds after the first search before the kernel starts loading
_lock = threading.Lock()
Kernel = ModuleType | SimpleNamespace  # kernel itself, or kernel_aot's checked functions
_kernel: Kernel | None = None
_requested = False  # a load was started (kernel() asks once)
_done = False  # a load finished, with or without success


def kernel() -> Kernel | None:
    """The kernel module when it is loaded; else None (and loading starts)."""
    global _requested
    if _done or _requested:
        return _kernel
    choice = os.environ.get("ARTICLEBOT_KERNEL", "auto")
    if choice == "numpy":
        return None
    if choice == "numba":
        return load()
    _requested = True
    threading.Thread(target=_load_later, name="articlebot-kernel", daemon=True).start()
    return None


def preload() -> Kernel | None:
    """Load the kernel now, unless ``ARTICLEBOT_KERNEL=numpy``: a server calls this (in a
    thread) before it serves. A first build waits for the child process (~10-40 s, once
    per machine), and numba's import holds the GIL for ~0.3-0.5 s, a stall its event loop
    would feel if the background load came in the middle of serving."""
    global _requested
    if os.environ.get("ARTICLEBOT_KERNEL", "auto") == "numpy":
        return None
    _requested = True  # no background load after this one
    return load()


def _load_later() -> None:
    # Importing holds the GIL for most of its time: started at once, it slowed the very
    # first search of a process by ~15 ms (of ~20) at 100k; a moment later it slows none.
    time.sleep(LOAD_DELAY)
    load()


def load() -> Kernel | None:
    """Load (and warm) the kernel now, building it first if need be; None when numba is
    not installed and no kernel was built before."""
    global _kernel, _done
    with _lock:
        if _done:
            return _kernel
        for form, load_form in (("built ahead of time", _built), ("numba JIT", _jit)):
            try:
                module = load_form()
                if module is not None:
                    _warm(module)
                    _kernel = module
                    break
            except Exception as exc:  # a broken build or install must not break search
                log.warning("The compiled ranking kernel (%s) failed: %s", form, exc)
        _done = True
        return _kernel


def _built() -> Kernel | None:
    """The extension, built now if it is not yet and numba is there to build it."""
    from articlebot.index.ranking import kernel_aot

    if os.environ.get("ARTICLEBOT_KERNEL") == "jit":
        return None
    module = kernel_aot.load_built()
    if module is None and importlib.util.find_spec("numba") is not None:
        if reason := kernel_aot.failure():
            raise RuntimeError(f"an earlier build failed: {reason}")
        log.info("Building the compiled ranking kernel (once per machine and version).")
        kernel_aot.build()
        module = kernel_aot.load_built()
    return module


def _jit() -> Kernel | None:
    """numba's dispatchers (they compile into numba's cache, or load from it)."""
    try:
        from articlebot.index.ranking import kernel
    except ImportError:  # no numba
        return None
    return kernel


def _warm(module: Kernel) -> None:
    """Call each function once with the types the index calls with: numba compiles them (or
    loads them from its cache); a built extension shows it runs."""
    import numpy as np

    def frozen(array: np.ndarray) -> np.ndarray:
        array.flags.writeable = False
        return array

    doc_ids = frozen(np.arange(3, dtype=np.int32))
    tfs = frozen(np.ones(3, dtype=np.uint16))
    impact = frozen(np.ones(1, dtype=np.float32))
    norm = np.ones(3)
    lo, hi = np.zeros(1, dtype=np.int64), np.full(1, 3, dtype=np.int64)
    rows, allowed = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=bool)
    heap = (np.empty(2), np.empty(2, dtype=np.int64))
    n = module.top_k_segment(doc_ids, tfs, norm, impact, 2.2, lo, hi, np.ones(1), rows, 0,
                             allowed, 1.2, 0.0, *heap, 0, np.zeros(module.WINDOW),
                             np.zeros(module.WINDOW, dtype=np.int64))  # fmt: skip
    n = module.top_k_dense(doc_ids, tfs, norm, lo, hi, np.ones(1), rows, 0, allowed, 1.2,
                           0.0, *heap, n, np.zeros(3))  # fmt: skip
    module.ranked(*heap, n)
    module.count_segment(doc_ids, lo, hi, rows, 0, allowed, np.zeros(3, dtype=bool))
