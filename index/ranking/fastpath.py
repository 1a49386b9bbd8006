"""The compiled top-k (``kernel``, numba) when it is installed, loaded off the first answer.

Importing numba and loading the cached machine code costs ~0.3-0.5 s and ~45 MB of
anonymous memory (several seconds the very first time, when it compiles into its cache).
A process that has just opened its index must not wait for that: the first call starts a
background thread that loads it half a second later, and the numpy path answers until it
is ready (same rows, same floats). Without numba (``pip install 'articlebot[fast]'`` adds
it) the numpy path is all there is.

``ARTICLEBOT_KERNEL=numpy`` keeps the numpy path; ``=numba`` loads the kernel on the
first call, before answering.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from types import ModuleType

log = logging.getLogger(__name__)

LOAD_DELAY = 0.5  # seconds after the first search before the kernel starts loading
_lock = threading.Lock()
_kernel: ModuleType | None = None
_requested = False  # a load was started (kernel() asks once)
_done = False  # a load finished, with or without success


def kernel() -> ModuleType | None:
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


def preload() -> ModuleType | None:
    """Load the kernel now, unless ``ARTICLEBOT_KERNEL=numpy``: a server calls this (in a
    thread) before it serves, because the import holds the GIL for ~0.3-0.5 s (seconds
    the first time, when numba compiles into its cache), a stall its event loop would feel
    if the background load came in the middle of serving."""
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


def load() -> ModuleType | None:
    """Load (and warm) the kernel now; None when numba is not installed."""
    global _kernel, _done
    with _lock:
        if _done:
            return _kernel
        try:
            from articlebot.index.ranking import kernel as module

            _warm(module)
            _kernel = module
        except ImportError:
            pass
        except Exception:  # a broken numba install must not break search
            log.exception("the compiled ranking kernel failed to load; numpy ranks")
        _done = True
        return _kernel


def _warm(module: ModuleType) -> None:
    """Compile (or load from numba's cache) the signatures the index calls with."""
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
